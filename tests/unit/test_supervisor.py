"""serve's supervisor with real child processes and a clock the test moves."""

import subprocess
import sys
import time

import pytest

from webapp import supervisor
from webapp.supervisor import Child, GaveUp, StartFailed, Supervisor, describe_exit, echo_stderr


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def python(code: str):
    def start(child=None):
        process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
        return echo_stderr(child, process) if child else process

    return start


def failing_child(message="ValueError: BAD_SETTING must be a number"):
    child = Child("job worker", None)
    child.start_process = lambda: python(f"import sys; sys.stderr.write({message!r} + '\\n'); sys.exit(1)")(child)
    return child


def wait_exit(child, lines_before=0):
    """Until the child has exited and its line was echoed (the pump is a thread of its own)."""
    child.process.wait(10)
    for _ in range(200):
        if len(child.stderr_tail) > lines_before:
            break
        time.sleep(0.01)


def test_a_child_failing_at_start_up_is_restarted_with_growing_delays_then_given_up(capsys):
    clock, child = Clock(), failing_child()
    sup = Supervisor([child], clock=clock)
    sup.start_all()
    delays = []
    with pytest.raises(GaveUp) as gave_up:
        for attempt in range(supervisor.STARTUP_FAILURES):
            wait_exit(child, lines_before=attempt)
            clock.now += 1.0  # each attempt lived a second
            sup.tick()
            delays.append(child.restart_at - clock.now)
            clock.now = child.restart_at
            sup.tick()  # due: started again
    assert delays == [0.5, 1.0, 2.0, 4.0]
    message = str(gave_up.value)
    assert message.startswith("The job worker failed to start 5 times within 60 s (exit status 1)")
    assert "ValueError: BAD_SETTING must be a number" in message


def test_start_up_failures_spread_over_more_than_a_minute_never_stop_the_app():
    clock, child = Clock(), failing_child()
    sup = Supervisor([child], clock=clock)
    sup.start_all()
    for attempt in range(8):
        wait_exit(child, lines_before=attempt)
        clock.now += 1.0
        sup.tick()
        clock.now += 20.0  # failures 21 s apart: never 5 within 60 s
        sup.tick()
    assert child.process is not None, "started again every time"
    wait_exit(child, lines_before=8)


def test_a_child_that_ran_for_a_while_is_restarted_and_its_delay_resets_after_a_stable_minute():
    clock = Clock()
    child = Child("web server", None)
    child.start_process = python("import time; time.sleep(30)")
    sup = Supervisor([child], clock=clock)
    sup.start_all()
    for expected_delay in (0.5, 1.0):
        clock.now += supervisor.STARTUP_SECONDS + 1  # up long enough: not a start-up failure
        child.process.kill()
        child.process.wait()
        sup.tick()
        assert child.last_exit == "killed by SIGKILL" and child.restart_at == clock.now + expected_delay
        clock.now = child.restart_at
        sup.tick()
    clock.now += supervisor.STABLE_AFTER_SECONDS
    child.process.kill()
    child.process.wait()
    sup.tick()
    assert child.restart_at == clock.now + supervisor.RESTART_FIRST_SECONDS
    assert not child.startup_failures
    clock.now = child.restart_at
    sup.tick()
    sup.stop_all(timeout=5)
    assert child.process.poll() is not None


def test_a_child_that_cannot_even_be_spawned_counts_as_a_start_up_failure():
    clock = Clock()

    def refuse():
        raise StartFailed("FATAL:  pre-existing shared memory block is still in use")

    child = Child("embedded PostgreSQL", refuse)
    sup = Supervisor([child], clock=clock)
    with pytest.raises(GaveUp, match=r"(?s)embedded PostgreSQL failed to start 5 times.*shared memory block"):
        sup.start_all()
        for _ in range(supervisor.STARTUP_FAILURES):
            clock.now = child.restart_at
            sup.tick()


@pytest.mark.parametrize(
    "code, text", [(0, "exit status 0"), (3, "exit status 3"), (-9, "killed by SIGKILL"), (-15, "killed by SIGTERM")]
)
def test_exit_statuses_are_said_in_words(code, text):
    assert describe_exit(code) == text
