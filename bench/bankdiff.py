"""Diff: `consult diff` over a corpus, against two plain `consult evaluate` runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from batch import Timed, _medians, _to
from common import CONSULT, Row, Section, rate
from gen import Generator, write_yaml_files

import consult

TARGET = 1.0  # a diff takes no longer than evaluating the corpus on each bank
ROOT = Path(__file__).resolve().parent.parent
CHANGED_RULE = (
    "  - id: face-prp\n    when: {question: concerns, contains_any: [wrinkles, skin_texture]}",
    "  - id: face-prp\n    when: {question: concerns, contains_any: [skin_texture]}",
)


def _base_bank(tmp: Path) -> Path:
    """A copy of the shipped bank with one rule narrowed (the diff has changes to report)."""
    base = tmp / "base"
    shutil.copytree(ROOT / "questions", base / "questions")
    shutil.copytree(ROOT / "rules", base / "rules")
    rules = base / "rules" / "50-skin-body.yaml"
    text = rules.read_text(encoding="utf-8")
    if CHANGED_RULE[0] not in text:
        raise SystemExit(f"{rules}: the rule the diff benchmark changes is not there")
    rules.write_text(text.replace(*CHANGED_RULE), encoding="utf-8")
    return base


def _evaluate(bank: list[str], folder: Path, jobs: int) -> list[str]:
    return [CONSULT, "evaluate", *bank, "--format", "jsonl", "--jobs", str(jobs), str(folder)]


def _diff(base: Path, folder: Path, jobs: int) -> list[str]:
    bank = ["--base-questions", str(base / "questions"), "--base-rules", str(base / "rules")]
    return [CONSULT, "diff", *bank, "--format", "jsonl", "--jobs", str(jobs), str(folder)]


def _changed(cmd: list[str]) -> int:
    """Run the diff once; the number of answer sets it reports (it must find some)."""
    proc = subprocess.run(cmd, capture_output=True, check=False)
    found = proc.stdout.count(b"\n")
    if proc.returncode != 1 or not found:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}, {found} changes reported")
    return found


def measure(count: int, rounds: int, tmp: Path) -> Section:
    """`consult diff` with 1 and 2 jobs against two `consult evaluate` runs, one per bank."""
    kb = consult.load()
    folder = tmp / "corpus"
    write_yaml_files(list(Generator(kb, seed=13).answer_sets(count)), folder)
    base = _base_bank(tmp)
    base_bank = ["--questions", str(base / "questions"), "--rules", str(base / "rules")]
    changed = _changed(_diff(base, folder, 1))
    out = tmp / "diff-out"
    out.mkdir(exist_ok=True)
    commands: dict[str, Timed] = {}
    for jobs in (1, 2):
        commands[f"base {jobs}"] = _to(_evaluate(base_bank, folder, jobs), out / "base.jsonl")
        commands[f"new {jobs}"] = _to(_evaluate([], folder, jobs), out / "new.jsonl")
        commands[f"diff {jobs}"] = _to(_diff(base, folder, jobs), out / "diff.jsonl")
    times = _medians(commands, rounds)
    section = Section("Diff: a rule change over a corpus")
    for jobs in (1, 2):
        plain = times[f"base {jobs}"] + times[f"new {jobs}"]
        ratio = plain / times[f"diff {jobs}"]
        section.rows.append(
            Row(
                f"`consult diff --format jsonl --jobs {jobs}`, {count:,} YAML files",
                rate(count, times[f"diff {jobs}"]),
                f"two `consult evaluate --format jsonl --jobs {jobs}` runs, one per bank, "
                f"{rate(count, plain)}",
                ratio,
                f"≥ {TARGET}×",
                ratio >= TARGET,
            )
        )
    section.notes.append(
        f"Wall time of whole processes, median of {rounds} interleaved rounds. The base bank "
        f"is the shipped one with one candidate rule narrowed (`face-prp`), so the diff "
        f"reports {changed:,} of the {count:,} generated answer sets. `consult diff` reads, "
        "checks and decides every file on both banks in the same batch workers and writes a "
        "record only for a changed answer set; the two plain runs each write a full result "
        "record for every file. A ratio above 1 means the diff takes less time than the two "
        "plain runs together."
    )
    return section
