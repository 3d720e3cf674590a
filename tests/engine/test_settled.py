"""Settled outcomes: checked by brute force on a small bank, and on the shipped example."""

from __future__ import annotations

from itertools import combinations, product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import consult
from consult.answers.check import check_mapping
from consult.bank.model import Answer, KnowledgeBase, Question
from consult.bank.truth import applicability
from consult.engine.decide import evaluate, evaluate_traced
from tests.conftest import examples

BANK = Path(__file__).parent.parent / "data" / "settle"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load(questions=BANK / "questions", rules=BANK / "rules")


def domain(question: Question) -> list[Answer]:
    """Every answer a question of the small bank can get."""
    if question.kind == "yes_no":
        return [True, False]
    if question.kind == "integer":
        assert question.minimum is not None and question.maximum is not None
        return list(range(question.minimum, question.maximum + 1))
    if question.kind == "one_of":
        return list(question.choice_ids)
    shared = [c.id for c in question.choices if not c.exclusive]
    alone: list[Answer] = [(c.id,) for c in question.choices if c.exclusive]
    return alone + [s for n in range(1, len(shared) + 1) for s in combinations(shared, n)]


def completions(kb: KnowledgeBase, given: dict[str, Answer]) -> list[dict[str, Answer]]:
    """Every complete answer set that keeps the given answers (switched-off questions left out).

    A completion that would switch off a given answer contradicts it and is not one.
    """
    found: list[dict[str, Answer]] = [dict(given)]
    for question in kb.questions:
        if question.id in given:
            continue
        grown = []
        for answers in found:
            if applicability(kb, answers)(question.id) is False:
                grown.append(answers)
            else:
                grown += [{**answers, question.id: v} for v in domain(question)]
        found = grown
    return [a for a in found if all(applicability(kb, a)(q) is not False for q in given)]


def outcome(kb: KnowledgeBase, answers: dict[str, Answer]) -> tuple[Any, frozenset[str]]:
    return evaluate_traced(kb, check_mapping(kb, answers))


@st.composite
def partial(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Answer]:
    """A valid partial answer set: each question that applies answered or left out."""
    answers: dict[str, Answer] = {}
    for question in kb.questions:
        if applicability(kb, answers)(question.id) is False:
            continue
        if draw(st.booleans()):
            answers[question.id] = draw(st.sampled_from(domain(question)))
    return answers


def holds(item: Any, result: Any, fired: frozenset[str]) -> bool:
    """The verdict of a settled outcome on a complete answer set."""
    if item.outcome == "candidate":
        return any(c.procedure.id == item.target for c in result.candidates)
    return any(rule in fired for rule in item.rules)


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_settled_outcome_has_its_verdict_under_every_completion(
    kb: KnowledgeBase, data: st.DataObject
) -> None:
    answers = data.draw(partial(kb))
    result = evaluate(kb, answers)
    full = [outcome(kb, a) for a in completions(kb, answers)]
    for item in result.settled:
        assert all(holds(item, r, f) == item.verdict for r, f in full), (answers, item)
    # What is reported as found holds whatever the missing answers are.
    for candidate in result.candidates:
        pid = candidate.procedure.id
        assert all(any(c.procedure.id == pid for c in r.candidates) for r, _ in full)
    for exclusion in result.excluded:
        pid = exclusion.procedure.id
        assert all(any(e.procedure.id == pid for e in r.excluded) for r, _ in full)
    for referral in result.referrals:
        assert all(any(x.id == referral.id for x in r.referrals) for r, _ in full)
    # A question listed as unknown for an outcome can change it.
    for unknown in result.unknown:
        assert unknown.needed_by
        assert unknown.question not in answers


def test_covering_rules_settle_a_referral_on_the_small_bank(kb: KnowledgeBase) -> None:
    result = evaluate(kb, {"concern": "hair", "pattern": "diffuse"})
    # One referral per id, with every rule behind it.
    assert [(r.id, tuple(x.rule for x in r.every_reason)) for r in result.referrals] == [
        ("refer_medical", ("sudden-or-trigger", "neither")),
    ]
    assert [e.procedure.id for e in result.excluded] == ["prp"]
    settled = {(s.outcome, s.target, s.verdict) for s in result.settled}
    assert ("refer", "refer_medical", True) in settled
    assert ("exclude", "prp", True) in settled
    listed = {u.question: u.needed_by for u in result.unknown}
    assert "refer_medical" not in listed.get("sudden", ())
    assert "refer_medical" not in listed.get("trigger", ())


def test_an_integer_split_at_its_thresholds_settles_a_candidate(kb: KnowledgeBase) -> None:
    result = evaluate(kb, {"concern": "scar", "pregnant": False, "anticoag": False})
    assert [c.procedure.id for c in result.candidates] == ["graft"]
    assert not any("graft" in u.needed_by for u in result.unknown if u.question == "grade")


def test_the_diffuse_shedding_example_on_the_shipped_bank() -> None:
    kb = consult.load()
    answers = {
        "age": 40,
        "sex": "female",
        "concerns": ["hair_loss"],
        "hair_loss_pattern": "diffuse_shedding",
    }
    result = evaluate(kb, answers).to_dict()
    rules = {
        reason["rule"]
        for r in result["referrals"]
        if r["id"] == "refer_medical_review"
        for reason in r["reasons"]
    }
    assert {"hair-red-flag-sudden-shedding", "hair-diffuse-unexplained"} <= rules
    settled = [s for s in result["settled"] if s["id"] == "refer_medical_review"]
    assert settled and settled[0]["verdict"] is True and settled[0]["outcome"] == "referral"
    unknown = {u["question"]: u["needed_by"] for u in result["unknown"]}
    for question in ("hair_loss_sudden_onset", "hair_loss_trigger"):
        assert "refer_medical_review" not in unknown.get(question, [])
    excluded = {e["procedure"] for e in result["excluded"]}
    assert {"prp_scalp", "micrograft_scalp", "mesotherapy_scalp"} <= excluded
    from rich.console import Console

    from consult.output.terminal import render_result

    console = Console(record=True, width=200, color_system=None)
    console.print(render_result(evaluate(kb, answers), kb=kb))
    screen = console.export_text()
    assert "Settled whatever the answers to: Did the shedding start suddenly?" in screen
    assert "would settle: Medical review" not in screen


def test_every_completion_of_a_complete_set_is_itself(kb: KnowledgeBase) -> None:
    answers: dict[str, Answer] = {"concern": "scar", "grade": 2, "signs": ("a",)}
    answers |= {"pregnant": False, "anticoag": True}
    assert completions(kb, answers) == [answers]
    assert evaluate(kb, answers).settled == ()


def test_domains_cover_every_answer(kb: KnowledgeBase) -> None:
    signs = kb.question("signs")
    assert len(domain(signs)) == 1 + 7
    assert set(product([True, False], repeat=1)) == {(True,), (False,)}


def test_the_anticoagulant_example_shows_its_caveat_in_every_view() -> None:
    from rich.console import Console

    from consult.answers.check import AnswerSet
    from consult.output.markdown import render_markdown
    from consult.output.terminal import render_result

    kb = consult.load()
    answers = {
        "age": 50,
        "sex": "male",
        "concerns": ("hair_loss",),
        "hair_loss_pattern": "patterned",
        "norwood_stage": 3,
        "anticoagulant_or_antiplatelet": True,
        "consent": True,
    }
    result = evaluate(kb, answers)
    assert result.undetermined and not result.candidates
    assert all("anticoagulant-bruising" in [c.rule for c in u.caveats] for u in result.undetermined)
    console = Console(record=True, width=100, color_system=None)
    console.print(render_result(result, kb=kb))
    screen = console.export_text()
    pending = screen.index("Cannot be assessed yet")
    assert screen.index("⚠ Anticoagulant or antiplatelet therapy", pending) < screen.index(
        "Unanswered questions that matter"
    )
    assert screen.index("Positive safety answers") < screen.index("Candidate procedures")
    findings = screen[screen.index("Positive safety answers") : screen.index("Candidate")]
    assert "anticoagulant" in findings and "agree" not in findings  # consent is no finding
    text = render_markdown(kb, AnswerSet(answers), result, date="2026-12-05")
    pending = text.index("## Cannot be assessed yet")
    assert text.index("Caveat: Anticoagulant or antiplatelet therapy", pending) < text.index(
        "## Open questions"
    )
    findings = text[text.index("## Safety findings") : text.index("## Before treatment")]
    assert "anticoagulant" in findings and "agree" not in findings


def test_the_result_is_the_same_whatever_the_hash_seed(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    answers = {
        "age": 35,
        "sex": "female",
        "concerns": ["scars", "acne_scarring", "hair_loss"],
        "hair_loss_pattern": "patterned",
        "ludwig_grade": 2,
        "scar_type": "atrophic",
        "acne_active": False,
        "anticoagulant_or_antiplatelet": True,
    }
    (tmp_path / "a.json").write_text(json.dumps({"consult": 1, "answers": answers}))
    consult_cmd = Path(sys.executable).parent / "consult"
    outputs = set()
    for seed in ("1", "2", "3"):
        run = subprocess.run(
            [str(consult_cmd), "evaluate", str(tmp_path / "a.json"), "--format", "json"],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["unknown"]


def test_past_the_cap_an_outcome_stays_open_with_its_questions(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consult.engine import completions, outcomes

    monkeypatch.setattr(completions, "CAP", 2)
    monkeypatch.setattr(outcomes, "_MISSING", object())  # a fresh cache key
    result = evaluate(kb, {"concern": "hair", "pattern": "diffuse", "grade": 1})
    assert not any(s.target == "refer_medical" for s in result.settled)
    assert not any(r.id == "refer_medical" for r in result.referrals)
    listed = {u.question: u.needed_by for u in result.unknown}
    assert "refer_medical" in listed["sudden"] and "refer_medical" in listed["trigger"]
