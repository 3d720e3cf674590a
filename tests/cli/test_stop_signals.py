"""The command line's stop signals: the first one stops the command, the rest are let go."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from consult.cli.app import stop_on_signals
from consult.errors import Stopped

SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)


@pytest.fixture(autouse=True)
def _handlers() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in SIGNALS}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    for number, handler in before.items():
        signal.signal(number, handler)


def test_the_first_stop_signal_stops_and_later_ones_are_let_go() -> None:
    tidied = False
    with pytest.raises(Stopped) as stopped, stop_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGHUP)  # while tidying up: no second exception
            os.kill(os.getpid(), signal.SIGINT)
            tidied = True
    assert tidied
    assert stopped.value.signum == signal.SIGTERM
    # On its way out, the command is not ended by a late signal's default action.
    assert all(signal.getsignal(s) is signal.SIG_IGN for s in SIGNALS)
    os.kill(os.getpid(), signal.SIGTERM)


def test_ctrl_c_is_an_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt) as stopped, stop_on_signals():
        os.kill(os.getpid(), signal.SIGINT)
    assert not isinstance(stopped.value, Stopped)


def test_without_a_stop_the_handlers_come_back() -> None:
    before = {s: signal.getsignal(s) for s in SIGNALS}
    with stop_on_signals():
        pass
    assert {s: signal.getsignal(s) for s in SIGNALS} == before


def test_ctrl_c_ignored_at_the_start_stays_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with stop_on_signals():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)


def test_a_stop_whose_exception_was_lost_is_acted_on_when_the_next_signal_comes() -> None:
    with pytest.raises(Stopped) as stopped, stop_on_signals():
        try:
            os.kill(os.getpid(), signal.SIGHUP)
        except Stopped:
            pass  # lost, as in a weak-reference callback: no stop is under way
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.signum == signal.SIGTERM
