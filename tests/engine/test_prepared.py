"""What the engine works out once per bank: shared conditions, rule masks, grouped open rules."""

from __future__ import annotations

import random
from itertools import product
from pathlib import Path

import pytest

import consult
from consult.answers.read import read_file
from consult.bank.model import AllOf, Answer, Compare, Condition, KnowledgeBase, Not
from consult.bank.truth import applicability, shape
from consult.engine.areas import areas_of
from consult.engine.decide import decide
from consult.engine.prepared import prepared
from consult.engine.rulemasks import components
from consult.errors import Source

SCREEN = "medical_history"  # the safety screen
SAMPLES = sorted((Path(consult.__file__).parent / "samples").glob("*.yaml"))

HERE = Source("a.yaml", 1, 1)
THERE = Source("b.yaml", 9, 3)


def compare(question: str, op: str, value: object, source: Source = HERE) -> Compare:
    return Compare(question=question, op=op, value=value, source=source)


def test_a_shape_leaves_out_where_a_condition_is_written() -> None:
    here = AllOf(parts=(compare("age", "gte", 18), compare("consent", "equals", True)), source=HERE)
    there = AllOf(
        parts=(compare("age", "gte", 18, THERE), compare("consent", "equals", True, THERE)),
        source=THERE,
    )
    assert here != there
    assert shape(here) == shape(there)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (compare("age", "gte", 18), compare("age", "gte", 19)),
        (compare("age", "gte", 18), compare("age", "gt", 18)),
        (compare("age", "gte", 18), compare("weight", "gte", 18)),
        (compare("flag", "equals", True), compare("flag", "equals", 1)),  # equal, not alike
        (compare("n", "one_of", frozenset({1})), compare("n", "one_of", frozenset({True}))),
        (
            AllOf(parts=(compare("a", "equals", True),), source=HERE),
            Not(part=compare("a", "equals", True), source=HERE),
        ),
    ],
)
def test_conditions_that_test_differently_differ_in_shape(one: Condition, other: Condition) -> None:
    assert shape(one) != shape(other)


def sample_answers(kb: KnowledgeBase) -> list[dict[str, Answer]]:
    """The shipped samples, and each with its safety screen left unanswered."""
    found = []
    for path in SAMPLES:
        answers = dict(read_file(kb, path).answers)
        found.append(answers)
        screen = {q for q, v in answers.items() if q in kb.by_id and kb.by_id[q].section == SCREEN}
        found.append({q: v for q, v in answers.items() if q not in screen})
    return found


def test_rules_sharing_a_condition_share_its_truth() -> None:
    kb = consult.load()
    plan = prepared(kb)
    assert len(plan.checks) < len(kb.rules)  # the shipped bank repeats some findings
    first: dict[int, int] = {}
    for n, rule in enumerate(kb.rules):
        assert plan.rules_of[plan.slot[n]] >> n & 1
        assert shape(kb.rules[first.setdefault(plan.slot[n], n)].when) == shape(rule.when)
    for answers in sample_answers(kb):
        patient = applicability(kb, answers)
        for area in areas_of(kb, answers):
            applies = applicability(kb, area.view, patient)
            truths = plan.truths(area.view, applies)
            assert truths == [r.test(area.view, applies) for r in kb.rules]


def test_later_areas_reuse_only_the_truths_every_area_reads_alike() -> None:
    kb = consult.load()
    plan = prepared(kb)
    several = 0
    for answers in sample_answers(kb):
        patient = applicability(kb, answers)
        areas = areas_of(kb, answers)
        first = plan.check(areas[0].view, applicability(kb, areas[0].view, patient))
        for area in areas[1:]:
            several += 1
            fresh = plan.check(area.view, applicability(kb, area.view, patient))
            assert plan.check(area.view, applicability(kb, area.view, patient), first) == fresh
        assert len(decide(kb, answers)) == len(areas)
    assert several


def reference_components(mask: int, links: list[int]) -> list[int]:
    """The groups by brute force: join any two rules a link holds, until nothing changes."""
    groups = [1 << i for i in range(mask.bit_length()) if mask >> i & 1]
    changed = True
    while changed:
        changed = False
        for a, b in product(list(groups), repeat=2):
            joined = any(link & a and link & b for link in links)
            if a != b and a in groups and b in groups and joined:
                groups.remove(a)
                groups.remove(b)
                groups.append(a | b)
                changed = True
    return sorted(groups, key=int.bit_length)


@pytest.mark.parametrize("seed", range(40))
def test_open_rules_are_grouped_by_what_links_them(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(1, 12)
    mask = rng.getrandbits(size) | 1 << rng.randrange(size)
    links = [rng.getrandbits(size) for _ in range(rng.randint(0, 5))]
    assert components(mask, links) == reference_components(mask, links)


def test_one_rule_is_a_group_of_its_own() -> None:
    assert components(0b100, [0b111]) == [0b100]


def test_every_rule_of_a_bank_is_in_the_mask_of_its_condition() -> None:
    bank = Path(__file__).parent.parent / "data" / "settle"
    kb = consult.load(questions=bank / "questions", rules=bank / "rules")
    plan = prepared(kb)
    assert sum(plan.rules_of) == (1 << len(kb.rules)) - 1
    assert len(plan.checks) == len(plan.rules_of) == len(set(plan.slot))
