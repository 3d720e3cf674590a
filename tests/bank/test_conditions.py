from __future__ import annotations

import pytest

from consult.bank.model import AllOf, AnyOf, Compare, Condition, Not, Truth
from consult.bank.truth import compile_condition, holds
from consult.errors import Source

S = Source("t.yaml", 1, 1)
T, F, U = True, False, None


def cmp(question: str, op: str, value: object) -> Compare:
    return Compare(question=question, op=op, value=value, source=S)


def const(truth: Truth) -> Condition:
    """A leaf that is true, false or unknown depending on the `x_*` answers."""
    name = {True: "t", False: "f", None: "u"}[truth]
    return cmp(f"x_{name}", "equals", True)


ANSWERS = {"x_t": True, "x_f": False}  # x_u is unanswered -> unknown


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T, T, T), (T, F, F), (T, U, U),
        (F, T, F), (F, F, F), (F, U, F),
        (U, T, U), (U, F, F), (U, U, U),
    ],
)  # fmt: skip
def test_all_is_kleene_and(a: Truth, b: Truth, expected: Truth) -> None:
    assert holds(AllOf(parts=(const(a), const(b)), source=S), ANSWERS) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (T, T, T), (T, F, T), (T, U, T),
        (F, T, T), (F, F, F), (F, U, U),
        (U, T, T), (U, F, U), (U, U, U),
    ],
)  # fmt: skip
def test_any_is_kleene_or(a: Truth, b: Truth, expected: Truth) -> None:
    assert holds(AnyOf(parts=(const(a), const(b)), source=S), ANSWERS) is expected


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_not_keeps_unknown(a: Truth, expected: Truth) -> None:
    assert holds(Not(part=const(a), source=S), ANSWERS) is expected


LEAVES: list[tuple[str, object, object, Truth]] = [
    # op, expected value, answer, truth
    ("equals", True, True, T),
    ("equals", True, False, F),
    ("equals", "male", "male", T),
    ("equals", "male", "female", F),
    ("equals", 3, 3, T),
    ("one_of", frozenset({"patchy", "scarring_signs"}), "patchy", T),
    ("one_of", frozenset({"patchy", "scarring_signs"}), "patterned", F),
    ("one_of", frozenset({1, 2}), 2, T),
    ("contains", "scars", ("scars", "burns"), T),
    ("contains", "scars", ("burns",), F),
    ("contains", "scars", (), F),
    ("contains_any", frozenset({"scars", "burns"}), ("burns",), T),
    ("contains_any", frozenset({"scars", "burns"}), ("hair_loss",), F),
    ("contains_all", frozenset({"scars", "burns"}), ("scars", "burns", "cellulite"), T),
    ("contains_all", frozenset({"scars", "burns"}), ("scars",), F),
    ("gte", 4, 4, T),
    ("gte", 4, 3, F),
    ("gt", 4, 5, T),
    ("gt", 4, 4, F),
    ("lte", 3, 3, T),
    ("lte", 3, 4, F),
    ("lt", 3, 2, T),
    ("lt", 3, 3, F),
    ("between", (2, 4), 2, T),
    ("between", (2, 4), 4, T),
    ("between", (2, 4), 5, F),
    ("between", (2, 4), 1, F),
]


@pytest.mark.parametrize(("op", "value", "answer", "expected"), LEAVES)
def test_operator_on_an_answer(op: str, value: object, answer: object, expected: Truth) -> None:
    assert holds(cmp("q", op, value), {"q": answer}) is expected  # type: ignore[dict-item]


@pytest.mark.parametrize("op", sorted({leaf[0] for leaf in LEAVES}))
def test_operator_on_a_missing_answer_is_unknown(op: str) -> None:
    value = next(leaf[1] for leaf in LEAVES if leaf[0] == op)
    assert holds(cmp("q", op, value), {}) is None


@pytest.mark.parametrize("op", sorted({leaf[0] for leaf in LEAVES}))
def test_operator_on_a_switched_off_question_is_false(op: str) -> None:
    value = next(leaf[1] for leaf in LEAVES if leaf[0] == op)
    test = compile_condition(cmp("q", op, value))
    assert test({}, lambda _q: False) is False


@pytest.mark.parametrize(
    ("op", "answers", "expected"),
    [
        ("answered", {"q": False}, T),
        ("answered", {}, F),
        ("unanswered", {}, T),
        ("unanswered", {"q": 0}, F),
    ],
)
def test_answered_and_unanswered_are_never_unknown(
    op: str, answers: dict[str, object], expected: Truth
) -> None:
    assert holds(cmp("q", op, True), answers) is expected  # type: ignore[arg-type]


def test_applicability_unknown_keeps_comparison_unknown() -> None:
    test = compile_condition(cmp("q", "equals", True))
    assert test({}, lambda _q: None) is None
