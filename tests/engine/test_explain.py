"""`consult explain`: every rule naming an outcome, traced, and the smallest change found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from consult.answers.check import check_mapping
from consult.answers.read import read_file
from consult.bank.loader import load
from consult.bank.model import EFFECTS, Answer, KnowledgeBase, plain_answer
from consult.bank.truth import applicability
from consult.engine.areas import Area, areas_of
from consult.engine.decide import decide
from consult.engine.explain import Explained, explain
from consult.errors import InvalidAnswers

ROOT = Path(__file__).parent.parent.parent
MAN = {"age": 40, "sex": "male", "concerns": ["hair_loss"], "hair_loss_pattern": "patterned"}


def answers_of(kb: KnowledgeBase, given: Mapping[str, object]) -> Mapping[str, Answer]:
    return check_mapping(kb, given).answers


def one(kb: KnowledgeBase, given: Mapping[str, object], target: str) -> Explained:
    (outcome,) = explain(kb, answers_of(kb, given), [target])
    return outcome


def happens(kb: KnowledgeBase, answers: Mapping[str, Answer], outcome: Explained) -> bool:
    """Whether the outcome's wanted state holds on these answers, by the engine."""
    decisions = decide(kb, answers_of(kb, {q: plain_answer(v) for q, v in answers.items()}))
    if outcome.kind == "procedure":
        return any(fit.procedure.id == outcome.id for d in decisions for fit in d.candidates)
    return any(raised.target == outcome.id for d in decisions for raised in d.referrals)


def area_view(kb: KnowledgeBase, answers: Mapping[str, Answer], site: str | None) -> Area:
    """The treatment area an explanation is about."""
    return next(a for a in areas_of(kb, answers) if a.site == site)


def alone(kb: KnowledgeBase, area: Area) -> dict[str, Answer]:
    """An area's view as a consultation of its own (where changes are searched for)."""
    group = (kb.areas.id, kb.areas.key) if kb.areas is not None else ()
    return {q: v for q, v in area.view.items() if q not in group}


def changed(answers: Mapping[str, Answer], outcome: Explained) -> dict[str, Answer]:
    assert outcome.change is not None
    result = dict(answers)
    for question, value in outcome.change:
        if value is None:
            result.pop(question, None)
        else:
            result[question] = value
    return result


def test_an_excluded_procedure_names_the_rule_that_decided(kb: KnowledgeBase) -> None:
    outcome = one(kb, {**MAN, "pregnant": True, "anticoagulants": False}, "prp_scalp")
    assert (outcome.status, outcome.decided_by) == ("excluded", ("pregnancy",))
    truths = {t.rule: (t.effects, t.truth) for t in outcome.rules}
    assert truths == {
        "hair-pattern": (("candidate",), True),
        "hair-patchy": (("exclude",), False),
        "pregnancy": (("exclude",), True),
        "anticoagulants": (("caveat",), False),
        "advanced-norwood": (("caveat",), None),
    }
    assert outcome.wanted == "candidate"
    assert outcome.change == (("pregnant", False),)


def test_each_condition_shows_its_truth_and_the_answers_it_read(kb: KnowledgeBase) -> None:
    outcome = one(kb, {**MAN, "concerns": ["scars"]}, "prp_scalp")
    (trace,) = [t for t in outcome.rules if t.rule == "hair-pattern"]
    assert trace.condition.test == "all"
    assert trace.condition.truth is False
    concerns, pattern = trace.condition.parts
    assert (concerns.test, concerns.truth) == ("concerns includes hair_loss", False)
    assert [(r.question, r.answer, r.asked) for r in concerns.reads] == [
        ("concerns", ("scars",), True)
    ]
    # The pattern question is switched off without hair loss: not asked, so false.
    assert (pattern.test, pattern.truth) == ("hair_loss_pattern = patterned", False)
    assert [(r.question, r.answer, r.asked) for r in pattern.reads] == [
        ("hair_loss_pattern", None, False)
    ]


def test_an_unanswered_safety_question_is_unknown_and_undetermined(kb: KnowledgeBase) -> None:
    outcome = one(kb, MAN, "prp_scalp")
    assert (outcome.status, outcome.decided_by) == ("undetermined", ("pregnancy",))
    (pregnancy,) = [t for t in outcome.rules if t.rule == "pregnancy"]
    assert pregnancy.truth is None
    assert pregnancy.condition.to_dict()["truth"] == "unknown"
    assert outcome.change == (("pregnant", False),)


def test_why_not_finds_the_smallest_change_that_makes_a_candidate(kb: KnowledgeBase) -> None:
    given = {"age": 30, "sex": "female", "concerns": ["scars"], "pregnant": False}
    outcome = one(kb, given, "micrograft_scalp")
    assert outcome.status == "not a candidate"
    assert outcome.decided_by == ()
    assert outcome.change == (
        ("concerns", ("hair_loss", "scars")),
        ("hair_loss_pattern", "patterned"),
    )
    assert happens(kb, changed(answers_of(kb, given), outcome), outcome)


def test_a_referral_not_raised_and_how_it_would_be(kb: KnowledgeBase) -> None:
    outcome = one(kb, {**MAN, "pregnant": False}, "refer_dermatology")
    assert (outcome.kind, outcome.status) == ("referral", "not raised")
    assert outcome.change == (("hair_loss_pattern", "patchy"),)
    raised = one(kb, {**MAN, "hair_loss_pattern": "patchy"}, "refer_dermatology")
    assert (raised.status, raised.decided_by, raised.wanted) == ("raised", ("hair-patchy",), "")


def test_a_candidate_has_no_why_not(kb: KnowledgeBase) -> None:
    outcome = one(kb, {**MAN, "pregnant": False}, "prp_scalp")
    assert (outcome.status, outcome.decided_by) == ("candidate", ("hair-pattern",))
    assert "why_not" not in outcome.to_dict()


def test_all_outcomes_by_default_and_unknown_ids_refused(kb: KnowledgeBase) -> None:
    outcomes = explain(kb, answers_of(kb, MAN))
    assert [o.id for o in outcomes] == [*kb.procedures, *kb.referrals]
    with pytest.raises(KeyError):
        explain(kb, answers_of(kb, MAN), ["prp_scalpp"])


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return load()


SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS[::6], ids=lambda p: p.stem)
def test_on_the_shipped_bank_every_trace_and_change_holds(
    shipped: KnowledgeBase, path: Path
) -> None:
    answers = read_file(shipped, path, scenario=True).answers
    patient = applicability(shipped, answers)
    for outcome in explain(shipped, answers):
        area = area_view(shipped, answers, outcome.area)
        applies = applicability(shipped, area.view, patient)
        naming = [r for r in shipped.rules if any(outcome.id in getattr(r, e) for e in EFFECTS)]
        assert [t.rule for t in outcome.rules] == [r.id for r in naming]
        for trace, rule in zip(outcome.rules, naming, strict=True):
            assert trace.truth is rule.test(area.view, applies)
            assert trace.condition.truth is trace.truth
        if not outcome.wanted or not outcome.reachable:
            continue
        # A change is found, makes the outcome happen, and none of it can be left out.
        view = alone(shipped, area)
        assert outcome.change, outcome.id
        assert happens(shipped, changed(view, outcome), outcome)
        for left_out in range(len(outcome.change)):
            smaller = outcome.change[:left_out] + outcome.change[left_out + 1 :]
            try:
                assert not happens(
                    shipped, changed(view, replace(outcome, change=smaller)), outcome
                )
            except InvalidAnswers:
                pass
