from __future__ import annotations

from pathlib import Path

import pytest

from consult.answers.check import answers_document, check_mapping
from consult.answers.read import read_file
from consult.answers.values import parse_text
from consult.bank.model import KnowledgeBase
from consult.errors import InvalidAnswers
from tests.conftest import WriteTree

GOOD = """
consult: 1
patient:
  ref: P-0042
answers:
  age: 40
  sex: male
  concerns: [hair_loss]
  hair_loss_pattern: patterned
  norwood_stage: 3
  pregnant: no
"""


def problems(kb: KnowledgeBase, write_tree: WriteTree, text: str) -> list[str]:
    write_tree({"a.yaml": text})
    with pytest.raises(InvalidAnswers) as info:
        read_file(kb, Path("a.yaml"))
    return [str(p) for p in info.value.problems]


def test_good_file(kb: KnowledgeBase, write_tree: WriteTree) -> None:
    write_tree({"a.yaml": GOOD})
    answers = read_file(kb, Path("a.yaml"))
    assert answers.patient_ref == "P-0042"
    assert answers.answers == {
        "age": 40,
        "sex": "male",
        "concerns": ("hair_loss",),
        "hair_loss_pattern": "patterned",
        "norwood_stage": 3,
        "pregnant": False,
    }
    assert answers.warnings == ()


def test_json_file(kb: KnowledgeBase, write_tree: WriteTree) -> None:
    write_tree({"a.json": '{"consult": 1, "answers": {"age": 30, "concerns": ["scars"]}}'})
    assert read_file(kb, Path("a.json")).answers == {"age": 30, "concerns": ("scars",)}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  age: 40",
            "  agee: 40",
            "a.yaml:5:9: unknown question 'agee' (did you mean 'age'?)",
            id="unknown-id",
        ),
        pytest.param(
            "  age: 40",
            "  age: forty",
            "a.yaml:5:8: 'age': expected a whole number from 0 to 120; got \"forty\"",
            id="wrong-type",
        ),
        pytest.param(
            "  age: 40",
            "  age: 140",
            "a.yaml:5:8: 'age': expected a whole number from 0 to 120; got 140",
            id="out-of-range",
        ),
        pytest.param(
            "  age: 40",
            "  age: true",
            "a.yaml:5:8: 'age': expected a whole number from 0 to 120; got true",
            id="bool-is-not-int",
        ),
        pytest.param(
            "sex: male",
            "sex: mal",
            "a.yaml:6:8: 'sex': expected one of female, male, other; got \"mal\" (did you mean 'male'?)",
            id="not-a-choice",
        ),
        pytest.param(
            "[hair_loss]",
            "[hair_loss, none]",
            "a.yaml:7:13: 'concerns': 'none' cannot be combined with other choices",
            id="exclusive",
        ),
        pytest.param(
            "[hair_loss]",
            "[hair_loss, hair_loss]",
            "a.yaml:7:13: 'concerns': a choice is listed twice",
            id="twice",
        ),
        pytest.param(
            "[hair_loss]",
            "[]",
            "a.yaml:7:13: 'concerns': expected at least one choice",
            id="required-many",
        ),
        pytest.param(
            "pregnant: no",
            "pregnant: maybe",
            "a.yaml:10:13: 'pregnant': expected true or false; got \"maybe\"",
            id="yes-no",
        ),
        pytest.param(
            "consult: 1",
            "consult: 2",
            "a.yaml:1:10: 'consult': unsupported answer-file format 2; expected 1",
            id="format-version",
        ),
        pytest.param("consult: 1\n", "", "a.yaml:1:1: missing key 'consult'", id="missing-version"),
        pytest.param(
            "patient:",
            "patients:",
            "a.yaml:2:1: unknown key 'patients' (did you mean 'patient'?)",
            id="unknown-top-key",
        ),
        pytest.param(
            "  age: 40\n",
            "  age: 40\n  age: 41\n",
            "a.yaml:6:3: duplicate key 'age' (first at line 5)",
            id="duplicate",
        ),
    ],
)
def test_bad_values(
    kb: KnowledgeBase, write_tree: WriteTree, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    assert problems(kb, write_tree, GOOD.replace(old, new, 1)) == [expected]


def test_text_too_long(kb: KnowledgeBase, write_tree: WriteTree) -> None:
    text = GOOD + "  notes: " + "x" * 201 + "\n"
    assert problems(kb, write_tree, text) == [
        "a.yaml:11:10: 'notes': text is 201 characters; at most 200"
    ]


def test_every_problem_is_reported(kb: KnowledgeBase, write_tree: WriteTree) -> None:
    text = GOOD.replace("age: 40", "age: 400").replace("sex: male", "sex: 7")
    assert len(problems(kb, write_tree, text)) == 2


def test_answer_to_switched_off_question_is_a_warning(
    kb: KnowledgeBase, write_tree: WriteTree
) -> None:
    write_tree({"a.yaml": GOOD.replace("sex: male", "sex: female")})
    answers = read_file(kb, Path("a.yaml"))
    assert "norwood_stage" not in answers.answers
    assert answers.warnings == (
        (
            "a.yaml:9:18: 'norwood_stage' does not apply to these answers "
            "(switched off by earlier answers); ignored"
        ),
    )


def test_null_means_not_answered(kb: KnowledgeBase) -> None:
    assert "pregnant" not in check_mapping(kb, {"age": 3, "pregnant": None}).answers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "a.yaml:1:1: file is empty"),
        ("answers: [\n", "a.yaml:2:1: invalid YAML: did not find expected node content"),
        ("- 1\n- 2\n", "a.yaml:1:1: expected a mapping, got a list"),
        (
            "consult: 1\nanswers: !!python/name:os.system x\n",
            "a.yaml:2:10: tag '!!python/name:os.system' is not allowed",
        ),
    ],
)
def test_unusable_files(kb: KnowledgeBase, write_tree: WriteTree, text: str, expected: str) -> None:
    assert problems(kb, write_tree, text) == [expected]


def test_python_api_names_the_question(kb: KnowledgeBase) -> None:
    with pytest.raises(
        InvalidAnswers, match=r"^answers: 'age': expected a whole number from 0 to 120; got -1$"
    ):
        check_mapping(kb, {"age": -1})


@pytest.mark.parametrize(
    ("question", "text", "expected"),
    [
        ("age", " 42 ", (42, "")),
        ("age", "4x", (None, 'expected a whole number from 0 to 120; got "4x"')),
        ("age", "121", (None, "expected a whole number from 0 to 120; got 121")),
        ("notes", "fine", ("fine", "")),
        ("notes", "bad\x1b[31m", (None, "text contains a control character (U+001B)")),
    ],
)
def test_prompt_text_uses_the_same_validator(
    kb: KnowledgeBase, question: str, text: str, expected: tuple[object, str]
) -> None:
    assert parse_text(kb.question(question), text) == expected


def test_answers_document_round_trips(kb: KnowledgeBase) -> None:
    checked = check_mapping(kb, {"age": 40, "concerns": ["scars"]})
    assert answers_document(checked.answers, "P-1") == {
        "consult": 1,
        "patient": {"ref": "P-1"},
        "answers": {"age": 40, "concerns": ["scars"]},
    }


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ('"P-1\\u001b[2J"', "a.yaml:3:8: 'patient.ref' contains a control character"),
        (
            "x" * 65,
            (
                "a.yaml:3:8: 'patient.ref' must be a short text (at most 64 characters); "
                "got a text of 65 characters"
            ),
        ),
        (
            "[1, 2]",
            "a.yaml:3:8: 'patient.ref' must be a short text (at most 64 characters); got a list",
        ),
    ],
)
def test_patient_ref_is_a_short_printable_text(
    kb: KnowledgeBase, write_tree: WriteTree, ref: str, expected: str
) -> None:
    assert problems(kb, write_tree, GOOD.replace("ref: P-0042", f"ref: {ref}")) == [expected]
