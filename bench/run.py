"""What users feel, measured side by side in one run, as ratios.

    python bench/run.py            # the full run; writes bench/RESULTS.md
    python bench/run.py --quick    # a small smoke run of the same code paths (CI)
    python bench/run.py --only intake --only engine   # some rows

Needs the bench extra: pip install -e '.[dev,bench]'. Nothing here is a test:
targets are reported, never asserted (the exit status is 0 when one is missed);
a failing command or an engine disagreement stops the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus
import intake
import yaml
from jsonlogic_peer import PACKAGE, Peer

import consult
from consult.answers.check import check_mapping
from consult.bank.model import KnowledgeBase
from consult.bank.truth import applicability
from consult.engine.areas import areas_of
from consult.engine.prepared import Prepared, prepared

PYTHON = sys.executable
CONSULT = str(Path(PYTHON).with_name("consult"))  # beside the interpreter: no shell, no shim
SAMPLE = Path(consult.__file__).parent / "samples" / "scars-face-and-back.yaml"
FLOOR_YAML = (
    "import sys, pathlib, yaml\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
    "    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)\n"
)
FLOOR_JSONL = (
    "import sys, json\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for line in f:\n"
    "        json.loads(line)\n"
)
SIZES = {  # quick, full
    "sets": (60, 1000),
    "files": (200, 5000),
    "lines": (500, 20_000),
    "memory": ((100, 1000), (1000, 100_000)),
    "rounds": (1, 3),
    "runs": (3, 15),
    "sessions": (1, 6),
    "rules": ((200, 400, 800), (1000, 2000, 4000, 8000)),
}


@dataclass
class Row:
    """One line of the results table."""

    what: str
    figure: str
    against: str
    ratio: float
    target: str
    ok: bool | None


def main() -> None:
    """Run the rows asked for, print the table, write RESULTS.md on a full run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", action="append", default=[], choices=sorted(ROWS))
    parser.add_argument("--output", type=Path, help="default: bench/RESULTS.md (none if --quick)")
    args = parser.parse_args()
    size = {k: v[0] if args.quick else v[1] for k, v in SIZES.items()}
    _byte_compile()
    kb = consult.load()
    start = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as tmp:
        for name, measure in ROWS.items():
            if not args.only or name in args.only:
                print(f"bench: {name}...", file=sys.stderr, flush=True)
                got, said = measure(kb, size, Path(tmp))
                print("\n".join(_table(got)[2:]), file=sys.stderr, flush=True)
                rows += got
                notes += said
    table = _table(rows)
    print("\n".join(table))
    output = args.output or (None if args.quick else HERE / "RESULTS.md")
    if output is not None:
        output.write_text(_report(table, notes, time.perf_counter() - start), encoding="utf-8")
        print(f"bench: wrote {output}", file=sys.stderr)


# The rows.


def engine(kb: KnowledgeBase, size: dict[str, Any], _tmp: Path) -> tuple[list[Row], list[str]]:
    """consult.evaluate against the JsonLogic peer computing the truth of every rule."""
    complete, incomplete = corpus.clinic_documents(kb, size["sets"] // 2)
    sets = [d["answers"] for pair in zip(complete, incomplete, strict=True) for d in pair]
    peer, plan = Peer(kb), prepared(kb)
    views, checked, agree, apart = [], [], 0, Counter[str]()
    for answers in sets:
        checked.append(check_mapping(kb, answers).answers)
        ours = [(peer.data(v), truths) for v, truths in _truths(kb, plan, checked[-1])]
        differ = {rid for data, truths in ours for rid in _differ(kb, peer.truths(data), truths)}
        agree += not differ
        apart.update(differ)
        views.append([data for data, _ in ours])
    for answers in sets[:50]:  # caches filled before timing, as in a long-running batch
        consult.evaluate(kb, answers)
    theirs = _per_item(lambda vs: [peer.truths(v) for v in vs], views, 1)
    ours_t = _per_item(lambda a: consult.evaluate(kb, a), sets, size["rounds"])
    alone = _per_item(lambda c: _truths(kb, plan, c), checked, size["rounds"])
    area_count = sum(map(len, views))
    peer_figure = f"JsonLogic ({PACKAGE}), the truth of every rule in every area: "
    rows = [
        Row(
            f"`consult.evaluate(kb, answers)` on {len(sets):,} clinic-like sets (half incomplete)",
            f"{ours_t * 1e6:,.0f} µs/set",
            f"{peer_figure}{theirs * 1e6:,.0f} µs/set",
            theirs / ours_t,
            "≥ 10×",
            theirs / ours_t >= 10,
        ),
        Row(
            "consult's evaluator alone on the same sets: the truth of every rule in every area",
            f"{alone * 1e6:,.0f} µs/set",
            f"{peer_figure}{theirs * 1e6:,.0f} µs/set",
            theirs / alone,
            "",
            None,
        ),
    ]
    note = (
        f"Engine: {len(sets):,} sets, {area_count:,} areas, {len(kb.rules)} rules. Before "
        "timing, the peer gave the same truth for every rule in every area as consult's "
        f"evaluator on {agree:,} sets. consult's first figure is the public API on a plain "
        "dict: check the answers, decide each area, explain; the second is its evaluator "
        "alone (answers checked and areas found beforehand), the same work as the peer's. "
        "consult: median of passes; the peer: one pass."
    )
    if apart:
        note += (
            " The truths differ only on rules over the areas (sets per rule: "
            + ", ".join(f"`{rid}` {n}" for rid, n in apart.most_common())
            + "): inside `any_area`/`all_areas` consult decides whether a question that an "
            "area leaves unanswered is switched off on the answers of the area being decided, "
            "the peer on that area's own answers (see the notes below)."
        )
    return rows, [note]


def _truths(
    kb: KnowledgeBase, plan: Prepared, answers: dict[str, Any]
) -> list[tuple[Any, list[bool | None]]]:
    """Each area's view and the truth of every rule there, as the engine works them out."""
    patient = applicability(kb, answers)
    return [
        (a.view, list(plan.truths(a.view, applicability(kb, a.view, patient))))
        for a in areas_of(kb, answers)
    ]


def _differ(kb: KnowledgeBase, theirs: list[bool | None], ours: list[bool | None]) -> list[str]:
    """The ids of the rules whose truths differ."""
    return [r.id for r, a, b in zip(kb.rules, theirs, ours, strict=True) if a != b]


def batch(kb: KnowledgeBase, size: dict[str, Any], tmp: Path) -> tuple[list[Row], list[str]]:
    """`consult evaluate DIR --format jsonl --jobs 1` against the CSafeLoader parse floor."""
    complete, incomplete = corpus.clinic_files(kb, size["files"])
    rows = []
    for kind, files, target in (("incomplete", incomplete, 0.3), ("complete", complete, 0.5)):
        folder = tmp / f"clinic-{kind}"
        corpus.write_files(folder, files)
        out = tmp / f"{kind}.jsonl"
        times = _medians(
            {
                "consult": [CONSULT, "evaluate", str(folder), "--format", "jsonl", "--jobs", "1"],
                "floor": [PYTHON, "-c", FLOOR_YAML, str(folder)],
            },
            size["rounds"],
            {"consult": out},
        )
        _check_records(out, len(files))
        n = len(files)
        screen = "half or wholly unanswered" if kind == "incomplete" else "complete"
        rows.append(
            Row(
                f"`consult evaluate DIR --format jsonl --jobs 1`, {n:,} clinic-like YAML files, "
                f"safety screen {screen}",
                f"{n / times['consult']:,.0f} files/s",
                f"CSafeLoader read + parse only: {n / times['floor']:,.0f} files/s",
                times["floor"] / times["consult"],
                f"≥ {target}×",
                times["floor"] / times["consult"] >= target,
            )
        )
    return rows, [_findings(tmp)]


def jsonl(kb: KnowledgeBase, size: dict[str, Any], tmp: Path) -> tuple[list[Row], list[str]]:
    """JSON Lines in, JSON Lines out, one process, against a `json.loads` loop."""
    path = _jsonl_file(kb, tmp, size["lines"])
    out = tmp / "jsonl-out.jsonl"
    cmd = [CONSULT, "evaluate", "--input-format", "jsonl", str(path), "--format", "jsonl"]
    times = _medians(
        {"consult": [*cmd, "--jobs", "1"], "floor": [PYTHON, "-c", FLOOR_JSONL, str(path)]},
        size["rounds"],
        {"consult": out},
    )
    _check_records(out, size["lines"])
    n = size["lines"]
    ratio = times["floor"] / times["consult"]
    row = Row(
        f"`consult evaluate --input-format jsonl --format jsonl --jobs 1`, {n:,} lines",
        f"{n / times['consult']:,.0f} sets/s",
        f"`json.loads` of each line only: {n / times['floor']:,.0f} lines/s",
        ratio,
        "≥ 0.04×",
        ratio >= 0.04,
    )
    return [row], []


def startup(_kb: KnowledgeBase, size: dict[str, Any], _tmp: Path) -> tuple[list[Row], list[str]]:
    """One-file `consult evaluate` against importing typer and yaml."""
    times = _medians(
        {
            "consult": [CONSULT, "evaluate", str(SAMPLE)],
            "imports": [PYTHON, "-c", "import typer, yaml"],
        },
        size["runs"],
        warmups=2,
    )
    ratio = times["consult"] / times["imports"]
    row = Row(
        f"one-file `consult evaluate {SAMPLE.name}`, wall time",
        f"{times['consult'] * 1000:.0f} ms",
        f'`python -c "import typer, yaml"`: {times["imports"] * 1000:.0f} ms',
        ratio,
        "≤ 3×",
        ratio <= 3,
    )
    return [row], []


def intake_row(kb: KnowledgeBase, size: dict[str, Any], _tmp: Path) -> tuple[list[Row], list[str]]:
    """An intake answer in a pseudo-terminal, from the key to the next prompt drawn."""
    times = sorted(intake.latencies(CONSULT, kb, size["sessions"]))
    median, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
    over = sum(t > 0.1 for t in times)
    row = Row(
        f"intake: a reply, key sent to next prompt drawn ({len(times)} replies, "
        f"{size['sessions']} sessions)",
        f"median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms",
        "targets 50 ms and 100 ms",
        max(median / 0.05, p90 / 0.1),
        "median < 50 ms, p90 < 100 ms",
        median < 0.05 and p90 < 0.1,
    )
    note = (
        f"Intake: {over} of {len(times)} replies took over 100 ms; the slowest "
        f"{times[-1] * 1000:.0f} ms. The ratio column is the larger of median/50 ms and "
        "p90/100 ms. The prompt counts as drawn when the terminal has been quiet for "
        f"{intake.QUIET * 1000:.0f} ms after its progress line (the time of its last output)."
    )
    return [row], [note]


def memory(kb: KnowledgeBase, size: dict[str, Any], tmp: Path) -> tuple[list[Row], list[str]]:
    """Peak RSS of a JSONL batch of many sets against one of few."""
    small, large = size["memory"]
    kib = {}
    for n in (small, large):
        path = _jsonl_file(kb, tmp, n)
        cmd = [CONSULT, "evaluate", "--input-format", "jsonl", str(path), "--format", "jsonl"]
        kib[n] = _peak_rss_kib([*cmd, "--jobs", "1"])
    ratio = kib[large] / kib[small]
    row = Row(
        f"peak RSS, `--input-format jsonl --format jsonl --jobs 1`, {large:,} sets",
        f"{kib[large] / 1024:.1f} MiB",
        f"{small:,} sets: {kib[small] / 1024:.1f} MiB",
        ratio,
        "≤ 1.2×",
        ratio <= 1.2,
    )
    return [row], []


def bank(kb: KnowledgeBase, size: dict[str, Any], tmp: Path) -> tuple[list[Row], list[str]]:
    """Loading a bank as its rule count grows: linear time keeps time/rules flat."""
    root = Path(consult.__file__).resolve().parent.parent
    counts = size["rules"]
    secs = {}
    for n in counts:
        rules = tmp / f"rules-{n}"
        shutil.copytree(root / "rules", rules, dirs_exist_ok=True)
        for start in range(0, n, 1000):  # a bank file may hold at most 1 MB
            text = _generated_rules(kb, start, min(n, start + 1000))
            (rules / f"90-generated-{start:05d}.yaml").write_text(text, encoding="utf-8")
        secs[n] = _fastest_load(root / "questions", rules)
    first, last = counts[0], counts[-1]
    ratio = (secs[last] / secs[first]) / (last / first)
    steps = ", ".join(f"{n:,}: {secs[n]:.2f} s" for n in counts)
    row = Row(
        f"bank load (`consult.load`), the shipped bank plus {first:,} to {last:,} generated rules",
        f"{last:,} rules: {secs[last]:.2f} s ({steps})",
        f"{first:,} rules × {last // first} (linear): {secs[first] * last / first:.2f} s",
        ratio,
        "≤ 1.25× (linear)",
        ratio <= 1.25,
    )
    return [row], []


def _fastest_load(questions: Path, rules: Path) -> float:
    """The fastest of three loads, each after a full garbage collection."""
    times = []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        consult.load(questions=questions, rules=rules)
        times.append(time.perf_counter() - start)
    return min(times)


ROWS: dict[str, Callable[[KnowledgeBase, dict[str, Any], Path], tuple[list[Row], list[str]]]] = {
    "startup": startup,
    "engine": engine,
    "batch": batch,
    "jsonl": jsonl,
    "memory": memory,
    "intake": intake_row,
    "bank": bank,
}


# Inputs.


def _jsonl_file(kb: KnowledgeBase, tmp: Path, lines: int) -> Path:
    """`lines` answer documents, one per line, cycling through 2,000 clinic-like sets."""
    path = tmp / f"sets-{lines}.jsonl"
    if not path.exists():
        complete, incomplete = corpus.clinic_documents(kb, min(lines, 2000) // 2 or 1)
        docs = [
            json.dumps(d, ensure_ascii=False)
            for p in zip(complete, incomplete, strict=True)
            for d in p
        ]
        with path.open("w", encoding="utf-8") as out:
            for i in range(lines):
                out.write(docs[i % len(docs)] + "\n")
    return path


def _generated_rules(kb: KnowledgeBase, start: int, stop: int) -> str:
    """Caveat rules numbered `start` to `stop`, each reading the age and one concern."""
    concerns = kb.question("concerns").choice_ids
    procs = list(kb.procedures)
    rules = [
        {
            "id": f"generated-{i:05d}",
            "when": {
                "all": [
                    {"question": "age", "gte": 18 + i % 60},
                    {"question": "concerns", "contains": concerns[i % len(concerns)]},
                ]
            },
            "caveat": [procs[i % len(procs)]],
            "text": f"Generated caveat {i} for the load benchmark.",
        }
        for i in range(start, stop)
    ]
    return yaml.safe_dump({"rules": rules}, sort_keys=False)


def _findings(tmp: Path) -> str:
    """How often each kind of finding occurs in the records of the clinic-like corpora."""
    parts = []
    for kind in ("complete", "incomplete"):
        recs = [json.loads(line)["result"] for line in (tmp / f"{kind}.jsonl").open()]
        share = {
            "a candidate": sum(bool(r["candidates"]) for r in recs),
            "an exclusion": sum(bool(r["excluded"]) for r in recs),
            "a referral": sum(bool(r["referrals"]) for r in recs),
            "an undetermined procedure": sum(bool(r["undetermined"]) for r in recs),
            "an unknown question": sum(bool(r["unknown"]) for r in recs),
        }
        said = ", ".join(f"{k} {100 * v / len(recs):.0f}%" for k, v in share.items())
        parts.append(f"{kind}: {said}")
    return (
        "Clinic-like files (`corpus.clinic_files`, written by `yaml.safe_dump` with its "
        "defaults): each concern placed in a treatment area that carries its details and site "
        "screen; the incomplete variant leaves the safety screen half or wholly unanswered. "
        "Files with at least " + "; ".join(parts) + "."
    )


def _check_records(path: Path, expected: int) -> None:
    with path.open("rb") as f:
        got = sum(1 for _ in f)
    if got != expected:
        raise SystemExit(f"{path}: {got} records, expected {expected}")


# Timing.


def _medians(
    commands: dict[str, Sequence[str]],
    rounds: int,
    outs: dict[str, Path] | None = None,
    warmups: int = 1,
) -> dict[str, float]:
    """Median wall time of each command, the runs interleaved round-robin."""
    times: dict[str, list[float]] = {k: [] for k in commands}
    for i in range(warmups + rounds):
        for key, cmd in commands.items():
            elapsed = _run(cmd, (outs or {}).get(key))
            if i >= warmups:
                times[key].append(elapsed)
    return {k: statistics.median(v) for k, v in times.items()}


def _run(cmd: Sequence[str], out: Path | None) -> float:
    """Wall time of one run; output to `out` or /dev/null; exit 0 or 1, else stop."""
    with Path(out or os.devnull).open("wb") as target:
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=target, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]!r}")
    return elapsed


def _median_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _per_item(fn: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """Median over passes of the seconds per item."""
    return _median_of(rounds, lambda: [fn(item) for item in items]) / len(items)


_RSS = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _peak_rss_kib(cmd: Sequence[str]) -> int:
    """Peak resident memory (KiB) of a command and its children, from a fresh wrapper."""
    status, kib = subprocess.run(
        [PYTHON, "-c", _RSS, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    if status not in ("0", "1"):
        raise SystemExit(f"{' '.join(cmd)} exited {status}")
    return int(kib)


def _byte_compile() -> None:
    """Compile consult's modules as `pip install` does, so no measured process compiles them."""
    import compileall

    compileall.compile_dir(Path(consult.__file__).parent, quiet=1)


# The report.


def _table(rows: list[Row]) -> list[str]:
    lines = ["| what | figure | measured against | ratio | target | |", "|---|--:|---|--:|---|---|"]
    for r in rows:
        verdict = "" if r.ok is None else "met" if r.ok else "**missed**"
        lines.append(
            f"| {r.what} | {r.figure} | {r.against} | {r.ratio:.2f}× | {r.target} | {verdict} |"
        )
    return lines


def _report(table: list[str], notes: list[str], seconds: float) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=HERE,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    info = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if "model name" in ln), "unknown CPU")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    versions = ", ".join(f"{p} {_version(p)}" for p in ("typer", "PyYAML", PACKAGE, "pexpect"))
    head = [
        "# consult: what users feel",
        "",
        (
            f"Measured by `python bench/run.py` on {now} in {seconds:.0f} s at commit {commit}; "
            "rerun with `.venv/bin/python bench/run.py` (see bench/README.md). Ratios come from "
            "runs side by side in one process tree; targets are reported, never asserted."
        ),
        "",
        (
            f"- Machine: {os.cpu_count()} cores ({cpu}), load average at the end {load}, "
            f"{platform.system()} {platform.release()}; the cores are shared with other work."
        ),
        f"- Python {platform.python_version()}, plain (nothing compiled); {versions}.",
        "",
    ]
    tail = ["", *[f"- {n}" for n in notes]]
    extra = HERE / "RESULTS-notes.md"
    if extra.exists():
        tail += ["", extra.read_text(encoding="utf-8").rstrip()]
    return "\n".join(head + table + tail) + "\n"


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
