"""Shared pieces of the benchmark: rows of the report, subprocess timing, peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

PYTHON = sys.executable
# The console script next to the interpreter: no shell, no version-manager shim.
CONSULT = str(Path(PYTHON).with_name("consult"))


@dataclass
class Row:
    """One line of the results table."""

    what: str
    figure: str
    against: str
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None  # None: no target


@dataclass
class Section:
    """The rows and notes of one part of the benchmark."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # extra table lines (markdown)


def run_quiet(cmd: Sequence[str], out: Path | None = None, **kwargs: object) -> float:
    """Wall time of one run of a command; fails loudly on error.

    Its output goes to the file `out` (emptied before the clock starts), or is
    discarded (/dev/null) without one.
    """
    with _target(out) as target:
        start = time.perf_counter()
        proc = subprocess.run(
            cmd,
            stdout=target,
            stderr=subprocess.PIPE,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
        elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        err = proc.stderr.decode(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err}")
    return elapsed


@contextmanager
def _target(out: Path | None) -> Iterator[int | BinaryIO]:
    if out is None:
        yield subprocess.DEVNULL
        return
    with out.open("wb") as handle:
        yield handle


def run_together(cmds: Sequence[Sequence[str]], outs: Sequence[Path | None] = ()) -> float:
    """Wall time of several commands started at once, until the last one ends.

    Each writes its output to its file in `outs`, or to /dev/null.
    """
    targets = list(outs) or [None] * len(cmds)
    with ExitStack() as stack:
        files = [stack.enter_context(_target(out)) for out in targets]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE)
            for cmd, f in zip(cmds, files, strict=True)
        ]
        errors = [
            (cmd, proc.communicate()[1], proc.returncode)
            for cmd, proc in zip(cmds, procs, strict=True)
        ]
        elapsed = time.perf_counter() - start
    for cmd, err, code in errors:
        if code not in (0, 1):
            text = err.decode(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{text}")
    return elapsed


def interleaved_medians(
    commands: dict[str, Sequence[str]],
    runs: int,
    warmups: int = 2,
    outs: dict[str, Path] | None = None,
) -> dict[str, float]:
    """Median wall time (seconds) of each command, the runs interleaved round-robin.

    A command named in `outs` writes its output to that file, the others to /dev/null.
    """
    times: dict[str, list[float]] = {k: [] for k in commands}
    for i in range(warmups + runs):
        for key, cmd in commands.items():
            elapsed = run_quiet(cmd, (outs or {}).get(key))
            if i >= warmups:
                times[key].append(elapsed)
    return {k: statistics.median(v) for k, v in times.items()}


_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_rss_kib(cmd: Sequence[str]) -> int:
    """Peak resident memory (KiB) of a command and its children, in a fresh wrapper."""
    out = subprocess.run(
        [PYTHON, "-c", _RSS_WRAPPER, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] not in ("0", "1"):
        raise SystemExit(f"{' '.join(cmd)} exited {out[0]}")
    return int(out[1])


def ms(seconds: float) -> str:
    """Seconds as milliseconds for the table."""
    return f"{seconds * 1000:.1f} ms"


def rate(count: int, seconds: float) -> str:
    """A throughput for the table."""
    return f"{count / seconds:,.0f}/s"


def cpu_model() -> str:
    """The CPU model name (Linux), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def memory_gib() -> str:
    """Total memory (Linux), or 'unknown'."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def cores() -> int:
    """Usable cores."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
