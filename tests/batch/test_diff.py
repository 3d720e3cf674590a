"""`consult diff`: the answer sets of a corpus whose outcome changes between two banks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from consult.answers.read import read_file
from consult.bank.loader import load
from consult.bank.model import KnowledgeBase
from consult.batch.diff import changes
from consult.cli.main import app
from consult.engine.decide import evaluate
from consult.engine.result import Result

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data"
SCENARIOS = ROOT / "tests" / "scenarios"
COUNT = len(list(SCENARIOS.glob("*.yaml")))
CONSULT = str(Path(sys.executable).parent / "consult")


def copy_bank(tmp_path: Path, questions: Path, rules: Path, name: str = "base") -> Path:
    target = tmp_path / name
    shutil.copytree(questions, target / "questions")
    shutil.copytree(rules, target / "rules")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def diff(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["diff", *args])
    return result.exit_code, result.stdout, result.stderr


def statuses(result: Result) -> set[tuple[str, str]]:
    """Each outcome's status, from the public result (independent of the diff's own code)."""
    found = {
        (c.procedure.id, f"candidate {c.to_dict()['evidence']['certainty']}")
        for c in result.candidates
    }
    found |= {(e.procedure.id, "excluded") for e in result.excluded}
    found |= {(u.procedure.id, "undetermined") for u in result.undetermined}
    found |= {(r.id, "raised") for r in result.referrals}
    return found


def affected(base: KnowledgeBase, new: KnowledgeBase, files: list[Path]) -> set[str]:
    """The files whose outcomes differ, evaluating each on both banks."""
    differ = set()
    for path in files:
        before = statuses(evaluate(base, read_file(base, path, scenario=True)))
        after = statuses(evaluate(new, read_file(new, path, scenario=True)))
        if before != after:
            differ.add(f"tests/scenarios/{path.name}")
    return differ


@pytest.fixture(scope="module")
def changed_rule(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped bank with one rule narrowed: PRP for the face only for skin texture."""
    base = copy_bank(tmp_path_factory.mktemp("bank"), ROOT / "questions", ROOT / "rules")
    edit(
        base / "rules" / "50-skin-body.yaml",
        "  - id: face-prp\n    when: {question: concerns, contains_any: [wrinkles, skin_texture]}",
        "  - id: face-prp\n    when: {question: concerns, contains_any: [skin_texture]}",
    )
    return base


@pytest.mark.installed
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_one_rule_changed_reports_exactly_the_answer_sets_it_affects(
    changed_rule: Path, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    base = ["--base-questions", str(changed_rule / "questions")]
    base += ["--base-rules", str(changed_rule / "rules")]
    done = subprocess.run(
        [CONSULT, "diff", *base, "tests/scenarios", "--format", "jsonl", "--jobs", jobs],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    reported = {r["file"] for r in records}
    files = sorted(SCENARIOS.glob("*.yaml"))
    expected = affected(load(changed_rule / "questions", changed_rule / "rules"), load(), files)
    assert reported == expected
    assert 0 < len(expected) < len(files)
    for record in records:
        assert record["changes"] == [
            {"outcome": "prp_face", "kind": "new candidate", "from": "none", "to": "candidate"}
        ]
        answers = read_file(load(), ROOT / record["file"], scenario=True).answers
        assert "wrinkles" in answers["concerns"] and "skin_texture" not in answers["concerns"]


def test_the_summary_groups_by_outcome_with_counts_and_examples(
    changed_rule: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    base = ["--base-rules", str(changed_rule / "rules"), "tests/scenarios", "-j", "1"]
    status, out, _ = diff(*base, "--format", "json")
    assert status == 1
    report = json.loads(out)
    assert (report["inputs"], report["failed"]) == (COUNT, 0)
    (group,) = report["changes"]
    assert group["outcome"] == "prp_face"
    assert group["count"] == report["changed"] > 0
    assert len(group["examples"]) == min(3, group["count"])
    status, text, _ = diff(*base)
    assert status == 1
    lines = text.splitlines()
    assert lines[0].startswith(f"{report['changed']} of {COUNT} answer sets change outcome (base")
    assert lines[2] == "prp_face  PRP injections for facial rejuvenation"
    assert lines[3].startswith(f"  new candidate, none -> candidate: {group['count']} answer sets")


def test_nothing_changes_on_the_same_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    status, out, err = diff("--base-rules", "rules", "tests/scenarios", "-j", "1")
    assert (status, err) == (0, "")
    assert out.startswith(f"no answer set changes outcome ({COUNT} compared;")


def test_an_exclusion_removed_and_answers_that_became_invalid(tmp_path: Path) -> None:
    base = copy_bank(tmp_path, DATA / "questions", DATA / "rules")
    # The base bank asks one more question, and excludes on anticoagulants too.
    edit(
        base / "questions" / "10-basics.yaml",
        "      - id: age\n",
        "      - id: height\n        text: Height in cm\n        type: integer\n"
        "        min: 50\n        max: 250\n      - id: age\n",
    )
    edit(
        base / "rules" / "rules.yaml",
        "    when: {question: anticoagulants, equals: true}\n    caveat: [prp_scalp]",
        "    when: {question: anticoagulants, equals: true}\n    exclude: [prp_scalp]",
    )
    man = "consult: 1\nanswers: {age: 40, sex: male, concerns: [hair_loss], "
    man += "hair_loss_pattern: patterned, pregnant: false, anticoagulants: true}\n"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.yaml").write_text(man)
    (corpus / "b.yaml").write_text(man.replace("age: 40", "age: 40, height: 180"))
    (corpus / "c.yaml").write_text(man.replace("anticoagulants: true", "anticoagulants: false"))
    bank = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
    base_args = ["--base-questions", str(base / "questions"), "--base-rules", str(base / "rules")]
    status, out, err = diff(*base_args, *bank, str(corpus), "--format", "json", "-j", "1")
    assert status == 1
    report: dict[str, Any] = json.loads(out)
    assert (report["inputs"], report["changed"], report["failed"]) == (3, 2, 0)
    assert [(g["outcome"], g["kind"], g["count"], g["examples"]) for g in report["changes"]] == [
        ("answers", "became invalid", 1, [f"{corpus}/b.yaml"]),
        ("prp_scalp", "new candidate", 1, [f"{corpus}/a.yaml"]),
    ]
    assert "unknown question 'height'" in err


def test_a_file_that_is_not_text_is_reported_on_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "latin1.yaml").write_bytes(b"consult: 1\nanswers:\n  notes: n\xe9e\n")
    (corpus / "empty.yaml").write_text("")
    bank = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
    for jobs in ("1", "2"):
        status, out, err = diff("--base-rules", str(DATA / "rules"), *bank, str(corpus), "-j", jobs)
        assert status == 1
        assert out.startswith("no answer set changes outcome (2 compared;")
        assert err.splitlines() == [
            f"{corpus}/empty.yaml:1:1: file is empty",
            f"{corpus}/latin1.yaml: not UTF-8 text (byte 30 cannot be decoded)",
            "2 of 2 could not be read on either bank",
        ]


def test_usage_errors() -> None:
    status, _, err = diff("tests/scenarios")
    assert status == 2
    assert "--base-questions, --base-rules or both" in err
    status, _, err = diff("--base-rules", "rules", "--format", "csv", "tests/scenarios")
    assert status == 2


def test_diff_help_has_examples() -> None:
    result = CliRunner().invoke(app, ["diff", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "consult diff --base-questions /tmp/base/questions" in result.stdout


@pytest.mark.parametrize(
    ("base", "new", "expected"),
    [
        ({"p": "candidate:low"}, {"p": "excluded"}, ("lost candidate", "candidate", "excluded")),
        ({}, {"p": "excluded"}, ("new exclusion", "none", "excluded")),
        ({"p": "excluded"}, {"p": "undetermined"}, ("lost exclusion", "excluded", "undetermined")),
        ({"p": "undetermined"}, {}, ("changed status", "undetermined", "none")),
        (
            {"p": "candidate:low"},
            {"p": "candidate:moderate"},
            ("changed certainty", "low", "moderate"),
        ),
        ({}, {"r": "raised"}, ("new referral", "none", "raised")),
        ({"r": "raised"}, {}, ("lost referral", "raised", "none")),
    ],
)
def test_kinds_of_change(
    base: dict[str, str], new: dict[str, str], expected: tuple[str, str, str]
) -> None:
    (change,) = changes(base, new)
    assert (change["kind"], change["from"], change["to"]) == expected
    assert changes(new, new) == []
