from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import consult
from consult.errors import InputError, InvalidDefinitions
from tests.conftest import WriteTree

QUESTIONS = """
version: "1.0"
sections:
  - id: basics
    title: Basics
    questions:
      - id: age
        text: Age
        type: integer
        min: 0
        max: 120
      - id: sex
        text: Sex
        type: one_of
        choices:
          - {id: female, label: Female}
          - {id: male, label: Male}
      - id: concerns
        text: Concerns
        type: many_of
        choices:
          - {id: hair_loss, label: Hair loss}
          - {id: none, label: None, exclusive: true}
      - id: norwood_stage
        text: Norwood stage
        type: integer
        min: 1
        max: 7
        when: {question: sex, equals: male}
"""

RULES = """
references:
  - {id: R1, citation: A review.}
referrals:
  - {id: refer_dermatology, name: Dermatology}
procedures:
  - id: prp_scalp
    name: PRP scalp
    description: PRP into the scalp.
    evidence: {certainty: low, level: 1, summary: Modest., references: [R1]}
    patient: {what: Test., sessions: One., downtime: None., common_risks: Pain., serious_risks: Infection., before: Nothing.}
rules:
  - id: hair
    when: {question: concerns, contains: hair_loss}
    candidate: [prp_scalp]
"""


def load_with(
    write_tree: WriteTree, questions: str = QUESTIONS, rules: str = RULES
) -> consult.bank.model.KnowledgeBase:
    write_tree({"q/10-basics.yaml": questions, "r/rules.yaml": rules})
    return consult.load(questions="q", rules="r")


def errors_of(write_tree: WriteTree, questions: str = QUESTIONS, rules: str = RULES) -> list[str]:
    with pytest.raises(InvalidDefinitions) as info:
        load_with(write_tree, questions, rules)
    return [str(p) for p in info.value.problems]


def test_valid_bank_loads_with_version_and_hash(write_tree: WriteTree) -> None:
    kb = load_with(write_tree)
    assert [q.id for q in kb.questions] == ["age", "sex", "concerns", "norwood_stage"]
    assert kb.version == f"1.0+{kb.sha256[:8]}"
    assert len(kb.sha256) == 64


def test_version_changes_when_any_file_changes(write_tree: WriteTree) -> None:
    first = load_with(write_tree).version
    second = load_with(write_tree, rules=RULES.replace("A review.", "A longer review.")).version
    assert first != second


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "        max: 120\n",
            "        max: 120\n        max: 99\n",
            "q/10-basics.yaml:11:9: duplicate key 'max' (first at line 10)",
            id="duplicate-key",
        ),
        pytest.param(
            "        min: 1\n",
            "        min: 1\n        whne: {question: sex, equals: male}\n",
            "q/10-basics.yaml:27:9: question 'norwood_stage': unknown key 'whne' (did you mean 'when'?)",
            id="unknown-key",
        ),
        pytest.param(
            "      - id: sex\n        text: Sex\n",
            "      - id: sex\n",
            "q/10-basics.yaml:11:9: question 'sex': missing key 'text'",
            id="missing-key",
        ),
        pytest.param(
            "        min: 0\n",
            "        min: zero\n",
            "q/10-basics.yaml:9:14: question 'age': 'min' must be a whole number, got \"zero\"",
            id="wrong-type",
        ),
        pytest.param(
            "        type: integer\n        min: 0",
            "        type: number\n        min: 0",
            "q/10-basics.yaml:8:15: question 'age': 'type' must be one of yes_no, one_of, many_of, "
            "integer, text; got 'number'",
            id="bad-question-type",
        ),
        pytest.param(
            "      - id: norwood_stage\n",
            "      - id: age\n",
            "q/10-basics.yaml:23:13: question 'age': duplicate question id (first at q/10-basics.yaml:6:9)",
            id="duplicate-id",
        ),
        pytest.param(
            "{question: sex, equals: male}",
            "{question: sexx, equals: male}",
            "q/10-basics.yaml:28:26: question 'norwood_stage': unknown question 'sexx' (did you mean 'sex'?)",
            id="unknown-question",
        ),
        pytest.param(
            "{question: sex, equals: male}",
            "{question: sex, gte: 3}",
            "q/10-basics.yaml:28:36: question 'norwood_stage': 'gte' needs a integer question, but 'sex' is one_of",
            id="operator-type",
        ),
        pytest.param(
            "{question: sex, equals: male}",
            "{question: sex, equals: mal}",
            "q/10-basics.yaml:28:39: question 'norwood_stage': 'equals' on 'sex': expected one of female, "
            "male; got \"mal\" (did you mean 'male'?)",
            id="value-not-a-choice",
        ),
        pytest.param(
            "{question: sex, equals: male}",
            "{question: age, between: [18, 130]}",
            "q/10-basics.yaml:28:40: question 'norwood_stage': 'between' on 'age': 130 is outside the "
            "question's range 0-120",
            id="value-out-of-range",
        ),
        pytest.param(
            "{question: sex, equals: male}",
            "{question: sex, equal: male}",
            "q/10-basics.yaml:28:31: question 'norwood_stage': unknown operator 'equal' (did you mean 'equals'?)",
            id="unknown-operator",
        ),
        pytest.param(
            "        min: 0\n",
            "        min: 0\n        always_read: true\n",
            "q/10-basics.yaml:10:22: question 'age': 'always_read' goes with a 'when', not 'per_area'",
            id="always-read-without-when",
        ),
    ],
)
def test_question_errors(write_tree: WriteTree, old: str, new: str, expected: str) -> None:
    assert old in QUESTIONS
    assert errors_of(write_tree, questions=QUESTIONS.replace(old, new, 1)) == [expected]


def test_when_may_only_refer_to_earlier_questions(write_tree: WriteTree) -> None:
    questions = QUESTIONS.replace(
        "        max: 120\n", "        max: 120\n        when: {question: sex, equals: male}\n"
    )
    assert errors_of(write_tree, questions=questions) == [
        "q/10-basics.yaml:11:26: question 'age': refers to question 'sex', which is not asked before it"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "candidate: [prp_scalp]",
            "candidate: [prp_scallp]",
            "r/rules.yaml:14:16: rule 'hair': unknown procedure 'prp_scallp' (did you mean 'prp_scalp'?)",
            id="unknown-procedure",
        ),
        pytest.param(
            "candidate: [prp_scalp]",
            "refer: [refer_derm]\n    text: Diagnose first.",
            "r/rules.yaml:14:12: rule 'hair': unknown referral 'refer_derm' (did you mean 'refer_dermatology'?)",
            id="unknown-referral",
        ),
        pytest.param(
            "references: [R1]",
            "references: [R2]",
            "r/rules.yaml:9:72: procedure 'prp_scalp': unknown reference 'R2'",
            id="unknown-reference",
        ),
        pytest.param(
            "description: PRP into the scalp.",
            "description: PRP into the scalp [R1, R320].",
            "r/rules.yaml:8:18: procedure 'prp_scalp': cites unknown reference 'R320'",
            id="unknown-citation-in-text",
        ),
        pytest.param(
            "name: Dermatology}",
            "name: Dermatology, patient: 'A skin doctor checks it first [R1].'}",
            "r/rules.yaml:4:57: referral 'refer_dermatology': 'patient' is for the patient: "
            "no reference ids",
            id="citation-in-a-referral-s-patient-text",
        ),
        pytest.param(
            "    candidate: [prp_scalp]\n",
            "",
            "r/rules.yaml:12:5: rule 'hair': a rule needs at least one of candidate, exclude, caveat, before, refer, inform",
            id="no-effect",
        ),
        pytest.param(
            "candidate: [prp_scalp]",
            "exclude: [prp_scalp]",
            "r/rules.yaml:12:5: rule 'hair': 'exclude' needs a 'text' shown to the clinician",
            id="exclude-without-text",
        ),
        pytest.param(
            "certainty: low",
            "certainty: weak",
            "r/rules.yaml:9:27: procedure 'prp_scalp': 'certainty' must be one of high, moderate, low, "
            "very_low, insufficient; got 'weak'",
            id="certainty-vocabulary",
        ),
        pytest.param(
            "level: 1",
            "level: 6",
            "r/rules.yaml:9:39: procedure 'prp_scalp': 'level' (Oxford CEBM 2011) must be 1-5, got 6",
            id="level-range",
        ),
        pytest.param(
            "    candidate: [prp_scalp]\n",
            "    candidate: [prp_scalp]\n    indication: hair\n",
            "r/rules.yaml:15:17: rule 'hair': procedure 'prp_scalp' has no indication 'hair'",
            id="unknown-indication",
        ),
        pytest.param(
            "    candidate: [prp_scalp]\n",
            "    candidate: [prp_scalp]\n    basis: study\n",
            "r/rules.yaml:15:12: rule 'hair': 'basis' must be one of label, expert_opinion; got 'study'",
            id="basis-vocabulary",
        ),
        pytest.param(
            "  - id: hair\n",
            "  - id: Hair Rule\n",
            "r/rules.yaml:12:9: rule 'Hair Rule': 'id' must be lower-case letters, digits, '_', '-' and '.', got \"Hair Rule\"",
            id="bad-id",
        ),
    ],
)
def test_rule_errors(write_tree: WriteTree, old: str, new: str, expected: str) -> None:
    assert old in RULES
    assert errors_of(write_tree, rules=RULES.replace(old, new, 1)) == [expected]


def test_all_errors_are_reported_together_and_sorted(write_tree: WriteTree) -> None:
    questions = QUESTIONS.replace("min: 0", "min: zero").replace("equals: male", "equals: mal")
    rules = RULES.replace("level: 1", "level: 9").replace("[prp_scalp]", "[prp_scallp]")
    errors = errors_of(write_tree, questions, rules)
    assert [e.split(":")[0:2] for e in errors] == [
        ["q/10-basics.yaml", "9"],
        ["q/10-basics.yaml", "28"],
        ["r/rules.yaml", "9"],
        ["r/rules.yaml", "14"],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "sections: [\n",
            "q/10-basics.yaml:2:1: invalid YAML: did not find expected node content",
            id="malformed",
        ),
        pytest.param(
            "x: !!python/name:os.system\n",
            "q/10-basics.yaml:1:4: tag '!!python/name:os.system' is not allowed",
            id="python-tag",
        ),
        pytest.param("", "q/10-basics.yaml:1:1: file is empty", id="empty"),
        pytest.param(
            "# only a comment\n", "q/10-basics.yaml:1:1: file is empty", id="comment-only"
        ),
        pytest.param(
            "[" * 70 + "]" * 70, "q/10-basics.yaml:1:65: nesting deeper than 64 levels", id="deep"
        ),
        pytest.param(
            "[" * 50_000 + "]" * 50_000,
            "q/10-basics.yaml:1:65: nesting deeper than 64 levels",
            id="very-deep",
        ),
        pytest.param(
            "a: 1\n" * 0 + "x" * 1_000_001,
            "q/10-basics.yaml: file is larger than 1,000,000 bytes",
            id="too-big",
        ),
    ],
)
def test_unreadable_files(write_tree: WriteTree, text: str, expected: str) -> None:
    assert errors_of(write_tree, questions=text) == [
        expected,
    ]


def test_python_tag_is_never_executed(write_tree: WriteTree, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    errors_of(write_tree, questions=text)
    assert not marker.exists()


def test_folder_without_yaml(write_tree: WriteTree) -> None:
    write_tree({"q/readme.txt": "nothing", "r/rules.yaml": RULES})
    with pytest.raises(InvalidDefinitions) as info:
        consult.load(questions="q", rules="r")
    assert str(info.value.problems[0]) == "q: no YAML files in the questions folder"


def test_missing_folder_is_an_input_error(write_tree: WriteTree) -> None:
    write_tree({"r/rules.yaml": RULES})
    with pytest.raises(InputError, match=r"^nowhere: no such folder \(the questions folder\)$"):
        consult.load(questions="nowhere", rules="r")


def test_version_set_twice(write_tree: WriteTree) -> None:
    write_tree({"q/20-more.yaml": 'version: "2"\nsections: []\n'})
    assert errors_of(write_tree) == [
        "q/20-more.yaml:1:10: 'version' is set again (first at q/10-basics.yaml:1:10)"
    ]


def test_reading_files_keeps_no_memory_of_them() -> None:
    # Found by the long fuzz run: every scalar node ever read was kept alive by the
    # shared constructor, so a long batch or a process loading the bank again and
    # again grew without bound (11 GB after some thousand generated files).
    import gc
    import tracemalloc

    from consult.bank.yamlsource import parse

    text = "".join(f"key_{n}: value {n}\n" for n in range(2_000))
    parse(text, "warm.yaml")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(20):
        parse(text, f"f{number}.yaml")
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept < 200_000, f"{kept:,} bytes kept after reading 20 files"


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.yaml")


def _loop(path: Path) -> None:
    path.symlink_to(path)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(_dangling, "a symbolic link to a file that does not exist", id="dangling"),
        pytest.param(_loop, "a loop of symbolic links", id="loop"),
        pytest.param(_fifo, "a pipe, not a file", id="fifo"),
        pytest.param(_zero, "a device, not a file", id="dev-zero"),
        pytest.param(_folder, "a folder, not a file", id="folder"),
    ],
)
def test_a_rules_file_that_cannot_be_read_is_an_error(
    write_tree: WriteTree, make: Callable[[Path], None], reason: str
) -> None:
    # A rules file on an unmounted share was left out and validate said ok:
    # its exclusions disappeared from every result.
    root = write_tree({"q/10-basics.yaml": QUESTIONS, "r/10-rules.yaml": RULES})
    make(root / "r" / "20-safety.yaml")
    with pytest.raises(InvalidDefinitions) as info:
        consult.load(questions="q", rules="r")
    assert [str(p) for p in info.value.problems] == [f"r/20-safety.yaml: cannot read: {reason}"]


def test_a_file_changed_between_two_loads_is_read_again(tmp_path: Path) -> None:
    """Parsed files are remembered by content: an edit of the same size is still seen."""
    import shutil

    data = Path(__file__).parent.parent / "data"
    shutil.copytree(data / "questions", tmp_path / "q")
    shutil.copytree(data / "rules", tmp_path / "r")
    first = consult.load(tmp_path / "q", tmp_path / "r")
    assert consult.load(tmp_path / "q", tmp_path / "r") == first
    rules = tmp_path / "r" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    edited = text.replace("Patchy hair loss needs", "Patchy hair loss wants", 1)
    assert edited != text and len(edited) == len(text)
    rules.write_text(edited, encoding="utf-8")
    second = consult.load(tmp_path / "q", tmp_path / "r")
    assert second.sha256 != first.sha256
    texts = [r.text for r in second.rules if "Patchy" in (r.text or "")]
    assert texts and all("wants" in t for t in texts)


def test_a_load_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """The cycle collector is paused while a bank loads, and resumed after, errors too."""
    import gc

    assert gc.isenabled()
    consult.load()
    assert gc.isenabled()
    (tmp_path / "q").mkdir()
    with pytest.raises(InvalidDefinitions):
        consult.load(tmp_path / "q", tmp_path / "q")
    assert gc.isenabled()
    gc.disable()
    try:
        consult.load()
        assert not gc.isenabled()
    finally:
        gc.enable()
