"""Batch: `consult evaluate --format jsonl` over many answer files and JSONL lines."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from pathlib import Path

from common import (
    CONSULT,
    PYTHON,
    Row,
    Section,
    cores,
    peak_rss_kib,
    rate,
    run_quiet,
    run_together,
)
from gen import Generator, write_jsonl, write_yaml_files

import consult

FLOOR = str(Path(__file__).with_name("floor.py"))
ONE_JOB_TARGET = 0.8
TWO_JOB_TARGET = 1.6
JSONL_TARGET = 30_000
MEMORY_TARGET = 1.2


def _evaluate(path: Path, jobs: int) -> list[str]:
    lines = ["--input-format", "jsonl"] if path.suffix == ".jsonl" else []
    return [CONSULT, "evaluate", *lines, "--format", "jsonl", "--jobs", str(jobs), str(path)]


# What is timed: commands run at once (usually one), each writing to its file or /dev/null.
Timed = tuple[list[list[str]], list[Path | None]]


def _to(cmd: list[str], out: Path | None) -> Timed:
    return [cmd], [out]


def _medians(commands: dict[str, Timed], rounds: int) -> dict[str, float]:
    """Median wall time of each command (or set of commands run at once), interleaved."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(rounds):
        for key, (cmds, outs) in commands.items():
            if len(cmds) > 1:
                times[key].append(run_together(cmds, outs))
            else:
                times[key].append(run_quiet(cmds[0], outs[0]))
    return {k: statistics.median(v) for k, v in times.items()}


def supports_batch() -> bool:
    """Whether this consult has the batch options (`--jobs`, `--format jsonl`)."""
    out = subprocess.run(
        [CONSULT, "evaluate", "--help"], capture_output=True, text=True, check=False
    )
    return "--jobs" in out.stdout and "jsonl" in out.stdout


def _check_output(cmd: list[str], expected: int) -> int:
    """Run consult once and check it wrote a line per input; return the bytes it wrote."""
    proc = subprocess.run(cmd, capture_output=True, check=False)
    lines = proc.stdout.count(b"\n")
    if proc.returncode != 0 or lines != expected:
        tail = proc.stderr.decode(errors="replace")[-1500:]
        raise SystemExit(
            f"{' '.join(cmd)}: exit {proc.returncode}, {lines} lines, expected {expected}\n{tail}"
        )
    return len(proc.stdout)


def _check_lines(path: Path, expected: int) -> None:
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    if lines != expected:
        raise SystemExit(f"{path}: {lines} lines, expected {expected}")


def _check_counted(cmd: list[str], expected: int) -> None:
    """A floor that writes records to stdout and its count to stderr ran through."""
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if out.returncode != 0 or out.stderr.decode().strip() != str(expected):
        raise SystemExit(f"{' '.join(cmd)}: {out.stderr.decode().strip()}, expected {expected}")


def _check_floor(cmd: list[str], expected: int) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0 or out.stdout.strip() != str(expected):
        raise SystemExit(f"{' '.join(cmd)}: parsed {out.stdout.strip()}, expected {expected}")


def measure_files(count: int, rounds: int, tmp: Path) -> Section:
    """YAML answer files: consult with 1 and 2 jobs against the CSafeLoader parse floor."""
    kb = consult.load()
    sets = list(Generator(kb, seed=7).answer_sets(count))
    folder = tmp / "files"
    half = count // 2  # in two sub-folders, walked in order: the halves for the pair below
    write_yaml_files(sets[:half], folder / "a")
    write_yaml_files(sets[half:], folder / "b")
    one, two = _evaluate(folder, 1), _evaluate(folder, 2)
    _check_output(one, count)
    pair = [_evaluate(folder / "a", 1), _evaluate(folder / "b", 1)]
    floor = [PYTHON, FLOOR, "yaml", str(folder)]
    _check_floor(floor, count)
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    commands: dict[str, Timed] = {
        "floor": _to(floor, None),
        "1": _to(one, out / "1.jsonl"),
        "2": _to(two, out / "2.jsonl"),
        "pair": (pair, [out / "a.jsonl", out / "b.jsonl"]),
        "1 discarded": _to(one, None),
        "2 discarded": _to(two, None),
    }
    times = _medians(commands, rounds)
    for name in ("1.jsonl", "2.jsonl"):
        _check_lines(out / name, count)
    r1 = times["floor"] / times["1"]
    r2 = times["1"] / times["2"]
    r_pair = times["1"] / times["pair"]
    r_discarded = times["1 discarded"] / times["2 discarded"]
    section = Section("Batch: YAML answer files")
    section.rows += [
        Row(
            f"`consult evaluate --format jsonl --jobs 1`, {count:,} YAML files",
            rate(count, times["1"]),
            f"CSafeLoader read + parse only {rate(count, times['floor'])}",
            r1,
            f"≥ {ONE_JOB_TARGET}×",
            r1 >= ONE_JOB_TARGET,
        ),
        Row(
            f"`consult evaluate --format jsonl --jobs 2`, {count:,} YAML files",
            rate(count, times["2"]),
            f"the same with `--jobs 1` {rate(count, times['1'])}",
            r2,
            f"≥ {TWO_JOB_TARGET}×",
            r2 >= TWO_JOB_TARGET,
        ),
        Row(
            f"the ceiling for two processes: two `--jobs 1` runs at once, {half:,} files each",
            rate(count, times["pair"]),
            f"the same with `--jobs 1` {rate(count, times['1'])}",
            r_pair,
            "",
            None,
        ),
        Row(
            f"`--jobs 2` with the output discarded (/dev/null), {count:,} YAML files",
            rate(count, times["2 discarded"]),
            f"the same with `--jobs 1` {rate(count, times['1 discarded'])}",
            r_discarded,
            "",
            None,
        ),
    ]
    section.notes.append(
        f"Wall time of whole processes (start-up, loading the bank, reading, checking, "
        f"evaluating, writing one JSON line per file to a file, as `consult evaluate ... > "
        f"results.jsonl` does), median of {rounds} interleaved rounds. The floor is a Python "
        "process that reads the same files and parses each with `yaml.load(..., "
        "Loader=yaml.CSafeLoader)`, nothing else."
    )
    section.notes.append(
        "The last row has no target: the same two runs with their output discarded, which "
        "takes the cost of writing some 80 MB of records out of both (earlier runs of this "
        "benchmark measured that way)."
    )
    section.notes.append(
        "The ceiling row runs two independent `consult evaluate --jobs 1` processes at the "
        "same time, each on half of the files, with no pool, no chunks and nothing shared; "
        "the time is until both have finished. Whatever keeps that below 2× (each process's "
        "own start-up and loading of the bank, and the two cores slowing each other down) "
        "holds for `--jobs 2` as well, so this is the most two processes can give here."
    )
    return section


def measure_jsonl(count: int, small: int, rounds: int, tmp: Path) -> Section:
    """JSONL lines: rate per core against json.loads; peak memory at two sizes."""
    kb = consult.load()
    sets = list(Generator(kb, seed=11).answer_sets(count))
    big, little = tmp / "big.jsonl", tmp / "small.jsonl"
    write_jsonl(sets, big)
    write_jsonl(sets[:small], little)
    size = round(_check_output(_evaluate(big, 1), count) / count)  # bytes per record
    _check_floor([PYTHON, FLOOR, "jsonl", str(big)], count)
    write_floor = [PYTHON, FLOOR, "jsonl-write", str(big), str(size)]
    check_floor = [PYTHON, FLOOR, "jsonl-check", str(big), str(size)]
    _check_counted(check_floor, count)
    jobs = min(2, cores())
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    commands = {
        "floor": _to([PYTHON, FLOOR, "jsonl", str(big)], None),
        "1": _to(_evaluate(big, 1), out / "lines-1.jsonl"),
        "write floor": _to(write_floor, out / "floor.jsonl"),
        "check floor": _to(check_floor, out / "floor.jsonl"),
    }
    if jobs > 1:
        commands["2"] = _to(_evaluate(big, 2), out / "lines-2.jsonl")
    times = _medians(commands, rounds)
    for name in ("lines-1.jsonl", "lines-2.jsonl")[:jobs]:
        _check_lines(out / name, count)
    section = Section("Batch: JSONL and memory")
    per_core_1 = count / times["1"]
    section.rows.append(
        Row(
            f"`consult evaluate --input-format jsonl --format jsonl --jobs 1`, {count:,} lines",
            f"{per_core_1:,.0f}/s per core",
            f"`json.loads` only {rate(count, times['floor'])}",
            per_core_1 / JSONL_TARGET,
            f"≥ {JSONL_TARGET:,}/s per core",
            per_core_1 >= JSONL_TARGET,
        )
    )
    if "2" in times:
        per_core_2 = count / times["2"] / jobs
        section.rows.append(
            Row(
                f"`... --jobs {jobs}`, {count:,} lines",
                f"{per_core_2:,.0f}/s per core ({rate(count, times['2'])} in all)",
                f"`json.loads` only {rate(count, times['floor'])}",
                per_core_2 / JSONL_TARGET,
                f"≥ {JSONL_TARGET:,}/s per core",
                per_core_2 >= JSONL_TARGET,
            )
        )
    write_rate = count / times["write floor"]
    left = 1e6 / JSONL_TARGET - 1e6 / write_rate
    section.rows.append(
        Row(
            f"no consult: `json.loads` of each line and a {size:,}-byte record (consult's "
            "average) written for it to a file",
            f"{write_rate:,.0f}/s",
            "the target",
            write_rate / JSONL_TARGET,
            "",
            None,
        )
    )
    check_rate = count / times["check floor"]
    budget, checked = 1e6 / JSONL_TARGET, 1e6 / check_rate
    rest = (
        f"it leaves {budget - checked:.1f} µs for the decision and the explanation of each "
        "answer set."
        if checked < budget
        else f"it is already {checked - budget:.1f} µs over the whole budget ({budget:.1f} µs) "
        "before any decision is made or explained."
    )
    section.rows.append(
        Row(
            "consult's checking alone: the same, with the answers of each line checked and "
            "every rule's truth worked out (`Plan.check`); no decision, no explanation",
            f"{check_rate:,.0f}/s",
            "the target",
            check_rate / JSONL_TARGET,
            "",
            None,
        )
    )
    section.notes += [
        (
            f'The two "no consult" and "checking alone" rows are floors under the target '
            f"with records of this size. At {JSONL_TARGET:,}/s, parsing a line and writing its "
            f"record leave {left:.1f} µs per line for checking the answers, working out the "
            "rules and writing the explanation. The second row adds consult's generated check "
            "of the answers and of every rule and scope condition, everything consult does "
            f"before its decision: at {checked:.1f} µs per line {rest}"
        ),
    ]
    for j in sorted({1, jobs}):
        rss_big = peak_rss_kib(_evaluate(big, j))
        rss_small = peak_rss_kib(_evaluate(little, j))
        ratio = rss_big / rss_small
        section.rows.append(
            Row(
                f"peak RSS, `--jobs {j}`, {count:,} lines",
                f"{rss_big / 1024:.1f} MiB",
                f"{small:,} lines {rss_small / 1024:.1f} MiB",
                ratio,
                f"≤ {MEMORY_TARGET}×",
                ratio <= MEMORY_TARGET,
            )
        )
    section.notes += [
        (
            "The ratio column of the JSONL rate rows is the rate over the target. consult "
            "writes its records to a file, the floor only parses."
        ),
        (
            "Peak RSS is the largest resident set of the consult process or any of its "
            "workers (`getrusage(RUSAGE_CHILDREN).ru_maxrss` in a fresh wrapper process)."
        ),
    ]
    return section


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    """A scratch folder for generated inputs."""
    return tempfile.TemporaryDirectory(prefix="consult-bench-")
