"""Stop signals during a pooled run wait while the pool's own code runs, and act after it."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from consult.batch.watch import deferred_stops
from consult.errors import Stopped


def _stop(signum: int, _frame: object) -> None:
    raise Stopped(signum)


@pytest.fixture
def handlers() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped (as the command line sets them), restored after."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    yield
    for number, handler in before.items():
        signal.signal(number, handler)


@pytest.mark.usefixtures("handlers")
def test_a_signal_inside_the_pool_code_waits_until_that_code_returns() -> None:
    reached = False
    with pytest.raises(Stopped) as raised, deferred_stops() as stops, stops.held():
        os.kill(os.getpid(), signal.SIGTERM)
        reached = True  # not interrupted: the handler only noted it
    assert reached
    assert raised.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is _stop  # the handler is back


@pytest.mark.usefixtures("handlers")
def test_a_signal_inside_the_import_machinery_waits_for_the_next_safe_point() -> None:
    # An exception raised there can be lost (a module lock's weak-reference callback
    # reports it as ignored): the stop is noted, and acted on at the next safe point.
    namespace: dict[str, object] = {}
    code = compile("import sys\nframe = sys._getframe()", "<frozen importlib._bootstrap>", "exec")
    exec(code, namespace)  # noqa: S102 - a frame as if in the import machinery
    with deferred_stops() as stops:
        stops.note(signal.SIGTERM, namespace["frame"])  # type: ignore[arg-type]
        assert stops.requested == signal.SIGTERM  # noted, not acted on
        with pytest.raises(Stopped):
            stops.check()
        stops.requested = None


@pytest.mark.usefixtures("handlers")
def test_outside_the_pool_code_a_signal_acts_at_once() -> None:
    reached = False
    with pytest.raises(Stopped), deferred_stops():
        os.kill(os.getpid(), signal.SIGHUP)
        reached = True
    assert not reached


@pytest.mark.usefixtures("handlers")
def test_ctrl_c_is_a_keyboard_interrupt_after_the_pool_code() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with pytest.raises(KeyboardInterrupt), deferred_stops() as stops, stops.held():
        os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.usefixtures("handlers")
def test_a_signal_noted_but_not_acted_on_is_acted_on_at_the_end() -> None:
    with pytest.raises(Stopped), deferred_stops() as stops:
        stops.holding = True  # as while the workers are stopped
        os.kill(os.getpid(), signal.SIGHUP)
        stops.holding = False


@pytest.mark.usefixtures("handlers")
def test_the_first_signal_counts_and_an_error_under_way_is_kept() -> None:
    with pytest.raises(ValueError, match="under way"), deferred_stops() as stops, stops.held():
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        raise ValueError("under way")
    with pytest.raises(Stopped) as raised, deferred_stops() as stops, stops.held():
        os.kill(os.getpid(), signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
    assert raised.value.signum == signal.SIGHUP


@pytest.mark.usefixtures("handlers")
def test_an_ignored_signal_stays_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with deferred_stops() as stops, stops.held():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.usefixtures("handlers")
def test_a_stop_whose_exception_was_lost_is_acted_on_at_the_next_safe_point() -> None:
    with pytest.raises(Stopped), deferred_stops() as stops:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # acts at once ...
        except Stopped:
            pass  # ... and is lost, as in a weak-reference callback
        with stops.held():  # the next hand-out of a chunk
            pass
