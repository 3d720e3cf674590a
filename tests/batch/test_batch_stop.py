"""A batch run keeps its processes in hand: a time limit per input, and nothing left after a stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import examples

DATA = Path(__file__).parent.parent / "data"
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
CONSULT = Path(sys.executable).with_name("consult")
GOOD = "consult: 1\nanswers:\n  age: 40\n  sex: male\n  concerns: [hair_loss]\n"
# A valid YAML file of some 80,000 unknown questions, just under the 1 MB limit: each is
# reported with a search for a close question id, several seconds of work in all.
SLOW = "consult: 1\nanswers:\n" + "".join(f"  q{n}: 1\n" for n in range(80_000))

pytestmark = [
    pytest.mark.installed,
    pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed"),
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="this machine has no /proc to read"
    ),
]


def inputs(folder: Path, slow: set[int], count: int) -> list[str]:
    """`count` answer files, those numbered in `slow` slow; their names as shown."""
    folder.mkdir()
    for number in range(count):
        (folder / f"p{number:02}.yaml").write_text(SLOW if number in slow else GOOD)
    return [f"{folder.name}/p{number:02}.yaml" for number in range(count)]


def group_members(group: int) -> list[int]:
    """The processes (zombies aside) of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(entry.name))
    return found


def children(pid: int) -> list[str]:
    try:
        return (Path(f"/proc/{pid}/task/{pid}/children")).read_text().split()
    except OSError:
        return []


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Runs started by a test; any process of theirs still there at the end is killed."""
    runs: list[subprocess.Popen[str]] = []
    yield runs
    for run in runs:
        for pid in group_members(run.pid):
            os.kill(pid, signal.SIGKILL)
        if run.poll() is None:
            run.wait()


def ctrl_c_as_in_a_terminal() -> None:
    """Ctrl-C back to its default in the child: the run under test stands for one in a terminal.

    A command started in the background by a shell inherits Ctrl-C ignored and
    keeps it so, as it should; the test may itself run in the background.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# A run under test dumps every thread's stack on SIGABRT (see `ended`).
DUMPING = {**os.environ, "PYTHONFAULTHANDLER": "1", "CONSULT_DEBUG": "1"}


def ended(run: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """The run's output once it has ended; one that has not ended in time fails with its stacks.

    A run that hangs is sent SIGABRT (to its whole group): each of its
    processes writes the stack of every thread to stderr (faulthandler), and
    that goes into the failure, so a rare hang says where it was.
    """
    try:
        return run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGABRT)
        _, err = run.communicate(timeout=10)
        pytest.fail(f"the run had not ended {timeout:g} s after the signal; its stacks:\n{err}")


def start(tmp_path: Path, runs: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    """A two-job run of 20 good files then 20 slow ones, once its workers are at work."""
    inputs(tmp_path / "in", set(range(20, 40)), 40)
    run = subprocess.Popen(
        [str(CONSULT), "evaluate", "in", "-f", "jsonl", "-j", "2", *BANK],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal or a service has
        preexec_fn=ctrl_c_as_in_a_terminal,  # noqa: PLW1509 - sets one signal
        env=DUMPING,
    )
    runs.append(run)
    deadline = time.monotonic() + 20
    while len(children(run.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the first chunk (good files) done, the next ones (slow) under way
    return run


def assert_nothing_left(run: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 5
    while group_members(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(run.pid) == []


@pytest.mark.parametrize(
    ("stop", "group"),
    [
        (signal.SIGTERM, True),
        (signal.SIGTERM, False),
        (signal.SIGHUP, True),
        (signal.SIGINT, True),
    ],
    ids=["TERM-group", "TERM-parent", "HUP-group", "INT-group"],
)
def test_a_stop_signal_ends_every_process_of_the_run_at_once(
    tmp_path: Path, started: list[subprocess.Popen[str]], stop: signal.Signals, group: bool
) -> None:
    run = start(tmp_path, started)
    assert run.poll() is None
    signalled = time.monotonic()
    if group:
        os.killpg(run.pid, stop)
    else:
        run.send_signal(stop)
    out, err = ended(run, 10)
    assert time.monotonic() - signalled < 5  # not after the slow inputs under way
    assert (run.returncode, err) == (130, "Interrupted.\n")
    assert_nothing_left(run)
    records = [json.loads(line) for line in out.splitlines()]  # whole records only
    assert [r["file"] for r in records] == [f"in/p{n:02}.yaml" for n in range(len(records))]
    assert all("result" in r for r in records)


def test_workers_die_with_their_parent(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    run = start(tmp_path, started)
    workers = children(run.pid)
    assert len(workers) == 2
    run.kill()
    run.communicate(timeout=10)
    assert_nothing_left(run)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_input_past_the_time_limit_is_reported_and_the_run_goes_on(
    tmp_path: Path, jobs: str
) -> None:
    names = inputs(tmp_path / "in", {3, 17}, 20)
    done = subprocess.run(
        [str(CONSULT), "evaluate", "in", "-f", "jsonl", "-j", jobs, "--time-limit", "0.2", *BANK],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in records] == names
    late = "not evaluated: took longer than 0.2 s (the limit per input)"
    for number, record in enumerate(records):
        if number in {3, 17}:
            assert record["error"] == f"in/p{number:02}.yaml: {late}"
        else:
            assert "result" in record
    assert done.stderr.splitlines() == [
        f"in/p03.yaml: {late}",
        f"in/p17.yaml: {late}",
        "2 of 20 answer sets could not be evaluated",
    ]


def test_every_record_reaches_a_pipe_while_the_timer_runs(tmp_path: Path) -> None:
    # A timer signal cuts writes to a pipe short; no record may be lost. The time
    # limit starts a timer for each input: a thousand inputs are a thousand timers.
    count = 1000
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(count):
        (folder / f"p{number:04}.yaml").write_text(GOOD)
    command = [str(CONSULT), "evaluate", "--format", "jsonl", "--jobs", "1", str(folder)]
    proc = subprocess.run(command, capture_output=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == count
    assert sorted(json.loads(line)["file"] for line in lines) == sorted(
        str(folder / f"p{number:04}.yaml") for number in range(count)
    )


def many_lines(tmp_path: Path, count: int) -> None:
    """`many.jsonl`: `count` lines of one good answer set."""
    line = json.dumps({"age": 40, "sex": "male", "concerns": ["hair_loss"]}) + "\n"
    (tmp_path / "many.jsonl").write_text(line * count)


def started_to_file(tmp_path: Path) -> subprocess.Popen[str]:
    """A two-job run of `many.jsonl` to `-o out.jsonl`, once it has opened its output."""
    args = ["evaluate", "--input-format", "jsonl", "many.jsonl", "-o", "out.jsonl", "-j", "2"]
    run = subprocess.Popen(
        [str(CONSULT), *args, *BANK],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a closed terminal signals the whole process group
        preexec_fn=ctrl_c_as_in_a_terminal,  # noqa: PLW1509 - sets one signal
        env=DUMPING,
    )
    deadline = time.monotonic() + 20
    while not list(tmp_path.glob(".out.jsonl.*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    return run


def test_stop_signals_in_quick_succession_end_the_run_cleanly(tmp_path: Path) -> None:
    """Three stop signals a millisecond or two apart, at random points of a pooled run.

    A second signal used to land inside the stop itself (or inside the pool's
    code): the run then waited forever on a lock left held, or on workers no
    longer told to stop. Each run must end with 130 and leave nothing.
    """
    import random

    rng = random.Random(20261205)
    many_lines(tmp_path, 200_000)
    stops = [signal.SIGHUP, signal.SIGTERM, signal.SIGINT]
    for _ in range(examples(3)):  # thirty rounds with --hypothesis-profile=long
        run = started_to_file(tmp_path)
        time.sleep(rng.random() * 0.3)
        for _ in range(3):
            with contextlib.suppress(ProcessLookupError):
                if rng.random() < 0.5:
                    os.killpg(run.pid, rng.choice(stops))
                else:
                    run.send_signal(rng.choice(stops))
            time.sleep(rng.random() * 0.002)
        _, err = ended(run, 10)
        assert (run.returncode, err) == (130, "Interrupted.\n")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl"]
        assert_nothing_left(run)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_stop_while_a_slow_reader_takes_the_records_leaves_whole_records(
    tmp_path: Path, jobs: str
) -> None:
    """`timeout 60 consult evaluate ... | reader`: SIGTERM to consult alone, mid-write.

    The reader is slower than consult, so consult is mostly waiting for it to
    take more of a write when the signal comes. Before, the last record was
    cut short in most runs (the count of a write cut by the signal was lost).
    """
    many_lines(tmp_path, 50_000)
    args = ["evaluate", "--input-format", "jsonl", "many.jsonl", "-f", "jsonl", "-j", jobs]
    for reading in (0.6, 0.9):
        read_end, write_end = os.pipe()
        run = subprocess.Popen(
            [str(CONSULT), *args, *BANK],
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        os.close(write_end)
        received = bytearray()
        until = time.monotonic() + reading
        while time.monotonic() < until:  # a slow reader
            received += os.read(read_end, 16384)
            time.sleep(0.002)
        run.send_signal(signal.SIGTERM)
        while chunk := os.read(read_end, 1 << 20):
            received += chunk
        os.close(read_end)
        assert run.wait(timeout=10) == 130
        assert received.endswith(b"\n")
        records = [json.loads(text) for text in received.decode().splitlines()]
        assert records
        assert all("result" in r for r in records)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_blocked_on_a_pipe_nobody_reads_still_stops(
    tmp_path: Path, started: list[subprocess.Popen[str]], jobs: str
) -> None:
    import fcntl
    import termios

    many_lines(tmp_path, 20_000)
    args = ["evaluate", "--input-format", "jsonl", "many.jsonl", "-f", "jsonl", "-j", jobs]
    read_end, write_end = os.pipe()
    run = subprocess.Popen(
        [str(CONSULT), *args, *BANK],
        cwd=tmp_path,
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=DUMPING,
    )
    started.append(run)
    os.close(write_end)
    waiting = bytearray(4)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # until the pipe is full: the run waits for its reader
        fcntl.ioctl(read_end, termios.FIONREAD, waiting)
        if int.from_bytes(waiting, sys.byteorder) >= 65536:
            break
        time.sleep(0.02)
    time.sleep(0.2)
    signalled = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, err = ended(run, 10)  # nobody reads: the run gives up on its reader after 2 s
    assert time.monotonic() - signalled < 5
    assert (run.returncode, err) == (130, "Interrupted.\n")
    assert_nothing_left(run)
    os.close(read_end)
