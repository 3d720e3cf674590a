"""The time limit per input: one handler for the run, a timer per input, stray signals ignored."""

from __future__ import annotations

import os
import signal
import time

import pytest

from consult.batch.signals import Overtime, TimeLimit


def test_an_input_past_the_limit_raises_overtime_and_the_handler_is_restored_after() -> None:
    before = signal.getsignal(signal.SIGALRM)
    limit = TimeLimit(0.05)
    with limit.installed():
        with pytest.raises(Overtime), limit:
            time.sleep(1)
        with limit:  # the next input has its own time
            pass
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_timer_signal_between_inputs_stops_nothing() -> None:
    limit = TimeLimit(10.0)
    with limit.installed():
        with limit:
            pass
        os.kill(os.getpid(), signal.SIGALRM)  # no input under way: ignored
        time.sleep(0.01)
        with limit:
            time.sleep(0.01)


def test_no_limit_leaves_the_timer_signal_alone() -> None:
    before = signal.getsignal(signal.SIGALRM)
    limit = TimeLimit(0)
    with limit.installed():
        assert signal.getsignal(signal.SIGALRM) == before
        with limit:
            pass
