"""Before and after: the same measurements on two versions of consult, side by side.

    python bench/compare.py REV [--after REV2] [--title TEXT] [--record]
                            [--sections engine,startup,batch]

REV (a commit) is unpacked into a scratch folder; "after" is the working tree,
or the commit REV2.
Both versions evaluate the same generated answer sets against the same bank
(this working tree's), each in its own process, the rounds interleaved
(before, after, before, after, ...) so that machine noise hits both alike.
Start-up is compared the same way, and so is the batch section (not run by
default): `consult evaluate --format jsonl` over generated YAML answer files
with one and two jobs, the output written to a file. With --record the table is appended to
bench/history.md, which bench/run.py copies into RESULTS.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import PYTHON, interleaved_medians

WORKER = HERE / "compare_worker.py"


def unpack(rev: str, into: Path) -> None:
    """The package and bank of a commit, unpacked into a folder."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", rev, "consult", "questions", "rules"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")


def worker(tree: Path, sets_file: Path, sections: str) -> dict[str, float]:
    """One measuring process on one version."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [PYTHON, str(WORKER), str(sets_file), str(ROOT), sections],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"worker on {tree} failed:\n{out.stderr[-3000:]}")
    result: dict[str, float] = json.loads(out.stdout)
    return result


def startup(before: Path, after: Path, runs: int) -> dict[str, float]:
    """Median start-up of `--version` and `--help` of both versions, interleaved."""
    code = "sys.argv[0] = 'consult'; from consult.__main__ import main; main()"
    commands = {}
    for label, tree in (("before", before), ("after", after)):
        prefix = f"import sys; sys.path.insert(0, {str(tree)!r}); "
        for arg in ("--version", "--help"):
            commands[f"{label} {arg}"] = [PYTHON, "-c", prefix + code, arg]
    return interleaved_medians(commands, runs)


def batch(before: Path, after: Path, files: Path, runs: int, out: Path) -> dict[str, float]:
    """Median wall time of a batch run with 1 and 2 jobs, both versions, interleaved."""
    code = "sys.argv[0] = 'consult'; from consult.__main__ import main; main()"
    commands = {}
    for label, tree in (("before", before), ("after", after)):
        prefix = f"import sys; sys.path.insert(0, {str(tree)!r}); "
        for jobs in ("1", "2"):
            evaluate = ["evaluate", "--format", "jsonl", "--jobs", jobs, str(files)]
            commands[f"{label} {jobs}"] = [PYTHON, "-c", prefix + code, *evaluate]
    outs = {key: out / f"{key.replace(' ', '-')}.jsonl" for key in commands}
    return interleaved_medians(commands, runs, warmups=1, outs=outs)


def batch_rows(t: dict[str, float], count: int, runs: int) -> list[str]:
    rows = [
        f"| `consult evaluate --format jsonl --jobs {jobs}`, {count:,} YAML files "
        f"(median of {runs}) | {t[f'before {jobs}']:.3f} s | {t[f'after {jobs}']:.3f} s "
        f"| {t[f'before {jobs}'] / t[f'after {jobs}']:.2f}× |"
        for jobs in ("1", "2")
    ]
    ratio = {v: t[f"{v} 1"] / t[f"{v} 2"] for v in ("before", "after")}
    rows.append(
        f"| `--jobs 2` over `--jobs 1` | {ratio['before']:.2f}× | {ratio['after']:.2f}× | |"
    )
    return rows


def main() -> None:
    """Compare a commit with the working tree."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rev")
    parser.add_argument("--after", help="a commit to compare with (default: the working tree)")
    parser.add_argument("--title", default="")
    parser.add_argument("--sets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sections", default="engine,startup")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from gen import Generator, plain

    import consult

    kb = consult.load(ROOT / "questions", ROOT / "rules")
    sets = [plain(s) for s in Generator(kb).answer_sets(args.sets)]
    short = _short(args.rev)
    after_name = _short(args.after) if args.after else "the working tree"
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="consult-before-") as tmp:
        before = Path(tmp) / "before"
        unpack(args.rev, before)
        after = ROOT
        if args.after:
            after = Path(tmp) / "after"
            unpack(args.after, after)
        for tree in (before, after):  # both byte-compiled, as `pip install` leaves them
            compileall.compile_dir(tree / "consult", quiet=1)
        sets_file = Path(tmp) / "sets.json"
        sets_file.write_text(json.dumps(sets))
        if "engine" in args.sections:
            runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                runs["before"].append(worker(before, sets_file, args.sections))
                runs["after"].append(worker(after, sets_file, args.sections))
            b, a = (
                {k: statistics.median(r[k] for r in runs[v]) for k in runs[v][0]}
                for v in ("before", "after")
            )
            rows += [
                f"| {label} | {b[key] * 1e6:,.1f} µs | {a[key] * 1e6:,.1f} µs "
                f"| {b[key] / a[key]:.2f}× |"
                for key, label in WORKER_LABELS.items()
                if key in a and key in b
            ]
        if "startup" in args.sections:
            n = 15
            t = startup(before, after, n)
            rows += [
                f"| `consult {arg}` (as `python -c`, median of {n}) "
                f"| {t['before ' + arg] * 1e3:.1f} ms | {t['after ' + arg] * 1e3:.1f} ms "
                f"| {t['before ' + arg] / t['after ' + arg]:.2f}× |"
                for arg in ("--version", "--help")
            ]
        if "batch" in args.sections:
            from gen import write_yaml_files

            files = Path(tmp) / "files"
            write_yaml_files(sets, files)
            out = Path(tmp) / "out"
            out.mkdir()
            rows += batch_rows(
                batch(before, after, files, args.rounds, out), len(sets), args.rounds
            )
    title = args.title or f"{short} → {after_name}"
    lines = [
        f"### {title}",
        "",
        f"Before: {short}; after: {after_name}. "
        + (
            f"{args.sets:,} answer sets, median of {args.rounds} interleaved rounds, "
            "one process per round and version. "
            if "engine" in args.sections
            else "Start-up: each command median of 15 runs, the versions interleaved. "
            if "startup" in args.sections
            else ""
        )
        + (
            "Batch: whole `consult evaluate` processes writing their records to a file, "
            "the versions and job counts interleaved."
            if "batch" in args.sections
            else ""
        ),
        "",
        "| measurement | before | after | speed-up |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
    ]
    text = "\n".join(lines)
    sys.stdout.write(text)
    if args.record:
        history = HERE / "history.md"
        if not history.exists():
            history.write_text("## Before / after\n\n", encoding="utf-8")
        with history.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def _short(rev: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


WORKER_LABELS = {
    "check": "`check_mapping`: check one answer set",
    "api": "`consult.evaluate(kb, dict)`",
    "checked": "`consult.evaluate(kb, AnswerSet)`",
    "to_dict": "`consult.evaluate(kb, dict).to_dict()`",
    "json": "`json.dumps(consult.evaluate(kb, dict).to_dict())`",
    "text": "evaluate, then the compact JSON text (`to_json()` where there is one)",
    "record": "batch: one JSONL line to its JSON record (`run_item`)",
    "load": "`consult.load()`: the shipped bank (per load)",
}


if __name__ == "__main__":
    main()
