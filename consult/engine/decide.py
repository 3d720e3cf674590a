"""Evaluate an answer set against the rules: a decision per treatment area, then the plan.

One pass: checked answers, the areas with their views (`consult.engine.areas`),
a decision in each area on its view, and the explained `Result`. In every area
exclusion always wins over candidacy, and a procedure whose candidacy or safety
screen depends on an unanswered question is *undetermined*, never offered, with
the questions that would settle it listed under `unknown`. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress, repeat
from operator import is_
from typing import Any

from consult.answers.check import AnswerSet, check_mapping
from consult.bank.model import Answer, Applicability, KnowledgeBase, Truth
from consult.bank.truth import applicability
from consult.engine.areas import Area, areas_of
from consult.engine.decision import Deciding, Decision, Raised
from consult.engine.explained import consultation_result
from consult.engine.outcomes import Outcomes
from consult.engine.prepared import Prepared, prepared
from consult.engine.result import Result
from consult.engine.rulemasks import Index, index_of

__all__ = ["Decision", "Result", "decide", "evaluate", "evaluate_traced"]


def evaluate(kb: KnowledgeBase, answers: Mapping[str, Any] | AnswerSet) -> Result:
    """Evaluate answers (a plain mapping or a checked AnswerSet) against the rules.

    Raises:
        InvalidAnswers: naming the question, for an invalid plain mapping.
    """
    checked = answers if isinstance(answers, AnswerSet) else check_mapping(kb, answers)
    decisions = decide(kb, checked.answers)
    return consultation_result(kb, decisions, checked.answers, checked.warnings)


def evaluate_traced(kb: KnowledgeBase, answers: AnswerSet) -> tuple[Result, frozenset[str]]:
    """Evaluate a checked answer set; also return the ids of the rules that fired anywhere."""
    decisions = decide(kb, answers.answers)
    result = consultation_result(kb, decisions, answers.answers, answers.warnings)
    return result, frozenset(r.id for d in decisions for r in d.fired)


def decide(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> tuple[Decision, ...]:
    """The decision in each treatment area, in the order of the areas (see `areas_of`).

    The first area's truths stand for every later area on the rules all areas
    read alike (`Prepared.alike`): only the others are tested again there.
    """
    plan = prepared(kb)
    index = index_of(plan)
    patient = applicability(kb, answers)
    decisions: list[Decision] = []
    first: Sequence[Truth] | None = None
    for area in areas_of(kb, answers):
        applies = applicability(kb, area.view, patient)
        found = plan.check(area.view, applies, first)
        if first is None:
            first = found
        decisions.append(decide_area(plan, index, area, applies, found))
    return tuple(decisions)


def decide_area(
    plan: Prepared, ix: Index, area: Area, applies: Applicability, found: Sequence[Truth]
) -> Decision:
    """The decision in one area from the truths of the rule conditions on its view.

    `found` holds the truth of each distinct condition (`Prepared.check`),
    `applies` the applicability of the questions on the area's view; `ix` is
    the bank's index of rules by outcome.
    """
    d = Deciding(plan, area, applies)
    fired = sum(compress(plan.rules_of, map(is_, found, repeat(True))))
    # A complete answer set leaves no rule open.
    opened = sum(compress(plan.rules_of, map(is_, found, repeat(None)))) if None in found else 0
    d.fired = fired
    d.open = opened
    if fired & ix.refers:
        d.referrals = [
            Raised(rule, rid) for rule in ix.picked(fired & ix.refers) for rid in rule.refer
        ]
    if fired & ix.inform:
        d.information = [
            Raised(rule, pid) for rule in ix.picked(fired & ix.inform) for pid in rule.inform
        ]
    if fired & ix.before:
        here = {p.id for p in d.procedures}
        d.actions = [
            Raised(rule, pid)
            for rule in ix.picked(fired & ix.before)
            for pid in rule.before
            if pid in here
        ]
    Outcomes(d, ix, fired, opened).decide()
    return d.decision()
