"""A Ctrl-C during a month is held back to the month's end and then raised as usual."""

import os
import signal
import threading

import pytest

from ecosim import interrupt
from ecosim.model import EcosystemModel


def test_a_ctrl_c_inside_the_block_is_raised_when_it_ends_and_the_handler_comes_back():
    before = signal.getsignal(signal.SIGINT)
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt.whole():
            os.kill(os.getpid(), signal.SIGINT)
            reached.append(sum(range(100_000)))  # Python keeps running: nothing is raised here
    assert reached == [sum(range(100_000))]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_ctrl_c_while_compiling_interrupts_at_once():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt.whole(), interrupt.compiling():
            os.kill(os.getpid(), signal.SIGINT)
            sum(range(100_000))
            reached.append(True)
    assert reached == []


def test_without_a_ctrl_c_nothing_happens_and_a_thread_other_than_the_main_one_is_left_alone():
    with interrupt.whole():
        pass
    errors = []

    def body():
        try:
            with interrupt.whole():  # signal.signal would raise ValueError outside the main thread
                pass
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert errors == []


def test_a_ctrl_c_while_the_model_steps_stops_it_between_months(baseline_path):
    model = EcosystemModel(str(baseline_path), months=100_000, reporters=())
    model.step()  # compiled and warm
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        while model.running:
            model.step()
    timer.join()
    assert 1 < model.world.month < 100_000  # stopped part-way ...
    assert len(model.recorder.frame()) == model.world.month  # ... with every month it began stepped and recorded
