from __future__ import annotations

import json
from typing import Any

import pytest

import consult
from consult.bank.model import KnowledgeBase
from consult.errors import InvalidAnswers

BASE: dict[str, Any] = {
    "age": 40,
    "sex": "male",
    "concerns": ["hair_loss"],
    "hair_loss_pattern": "patterned",
    "norwood_stage": 3,
    "pregnant": False,
    "anticoagulants": False,
}


def run(kb: KnowledgeBase, **changes: Any) -> dict[str, Any]:
    answers = {**BASE, **changes}
    for key in [k for k, v in changes.items() if v is None]:
        del answers[key]
    return consult.evaluate(kb, answers).to_dict()


def ids(items: list[dict[str, Any]], key: str = "procedure") -> list[str]:
    return [item[key] for item in items]


def test_clean_screen_gives_candidates_with_evidence(kb: KnowledgeBase) -> None:
    result = run(kb)
    assert ids(result["candidates"]) == ["prp_scalp", "micrograft_scalp"]
    prp = result["candidates"][0]
    assert prp["rules"] == ["hair-pattern"]
    assert prp["answers"] == {"concerns": ["hair_loss"], "hair_loss_pattern": "patterned"}
    assert prp["evidence"] == {
        "certainty": "low",
        "level": 1,
        "summary": "Density improves on average.",
        "references": ["R1"],
    }
    assert prp["indications"][0]["id"] == "pattern"
    assert result["candidates"][1]["evidence"]["certainty"] == "very_low"
    assert result["excluded"] == result["referrals"] == result["unknown"] == []


def test_exclusion_wins_over_candidacy(kb: KnowledgeBase) -> None:
    result = run(kb, pregnant=True)
    assert result["candidates"] == []
    assert ids(result["excluded"]) == ["prp_scalp", "micrograft_scalp"]
    assert result["excluded"][0]["reasons"] == [
        {
            "text": "Pregnant or breastfeeding; elective procedures wait.",
            "rule": "pregnancy",
            "answers": {"pregnant": True},
        }
    ]


def test_unanswered_safety_question_is_unknown_never_no(kb: KnowledgeBase) -> None:
    result = run(kb, pregnant=None)
    assert result["candidates"] == []
    assert ids(result["undetermined"]) == ["prp_scalp", "micrograft_scalp"]
    assert result["undetermined"][0]["waiting_for"] == ["pregnant"]
    assert result["unknown"] == [
        {
            "question": "pregnant",
            "text": "Pregnant or breastfeeding?",
            "needed_by": ["prp_scalp", "micrograft_scalp"],
            "rules": ["pregnancy"],
        }
    ]


def test_caveat_names_its_rule_and_answers(kb: KnowledgeBase) -> None:
    result = run(kb, anticoagulants=True, norwood_stage=6)
    caveats = result["candidates"][0]["caveats"]
    assert [c["rule"] for c in caveats] == ["anticoagulants", "advanced-norwood"]
    assert caveats[0]["answers"] == {"anticoagulants": True}
    assert [c["rule"] for c in result["candidates"][1]["caveats"]] == ["advanced-norwood"]


def test_unknown_caveat_is_listed_but_does_not_block(kb: KnowledgeBase) -> None:
    result = run(kb, anticoagulants=None)
    assert ids(result["candidates"]) == ["prp_scalp", "micrograft_scalp"]
    assert result["unknown"] == [
        {
            "question": "anticoagulants",
            "text": "Anticoagulants or antiplatelets?",
            "needed_by": ["prp_scalp"],
            "rules": ["anticoagulants"],
        }
    ]


def test_red_flag_refers_and_withholds(kb: KnowledgeBase) -> None:
    result = run(kb, hair_loss_pattern="patchy", norwood_stage=None)
    assert result["candidates"] == []
    assert ids(result["excluded"]) == ["prp_scalp", "micrograft_scalp"]
    assert result["referrals"] == [
        {
            "id": "refer_dermatology",
            "name": "Dermatology",
            "reason": "Patchy hair loss needs a diagnosis first.",
            "rule": "hair-patchy",
            "answers": {"hair_loss_pattern": "patchy"},
            "reasons": [
                {
                    "text": "Patchy hair loss needs a diagnosis first.",
                    "rule": "hair-patchy",
                    "answers": {"hair_loss_pattern": "patchy"},
                }
            ],
        }
    ]
    # Norwood is switched off for patchy loss, so it is not an unknown.
    assert result["unknown"] == []


def test_questions_that_do_not_apply_are_not_unknown(kb: KnowledgeBase) -> None:
    result = consult.evaluate(kb, {"age": 30, "concerns": ["scars"], "pregnant": False}).to_dict()
    assert result["candidates"] == result["undetermined"] == result["unknown"] == []


def test_missing_concern_detail_leaves_procedure_undetermined(kb: KnowledgeBase) -> None:
    result = run(kb, hair_loss_pattern=None, norwood_stage=None)
    assert ids(result["undetermined"]) == ["prp_scalp", "micrograft_scalp"]
    assert result["undetermined"][0]["waiting_for"] == ["hair_loss_pattern"]
    # Norwood may apply once the pattern is known, and it would add a caveat.
    assert ids(result["unknown"], "question") == ["hair_loss_pattern", "norwood_stage"]


def test_result_carries_the_bank_identity(kb: KnowledgeBase) -> None:
    result = run(kb)
    assert result["knowledge_base"] == {"version": kb.version, "sha256": kb.sha256}
    assert set(result) >= {"candidates", "excluded", "referrals", "unknown", "warnings"}


def test_switched_off_answer_becomes_a_warning(kb: KnowledgeBase) -> None:
    result = run(kb, sex="female")
    assert result["warnings"] == [
        (
            "answers: 'norwood_stage' does not apply to these answers "
            "(switched off by earlier answers); ignored"
        )
    ]


def test_results_are_deterministic_and_json(kb: KnowledgeBase) -> None:
    first = json.dumps(run(kb, anticoagulants=True), sort_keys=False)
    assert first == json.dumps(run(kb, anticoagulants=True), sort_keys=False)


def test_invalid_answers_name_the_question(kb: KnowledgeBase) -> None:
    with pytest.raises(
        InvalidAnswers, match="'norwood_stage': expected a whole number from 1 to 7; got 9"
    ):
        run(kb, norwood_stage=9)


def test_evaluate_is_pure(kb: KnowledgeBase, capsys: pytest.CaptureFixture[str]) -> None:
    run(kb)
    assert capsys.readouterr() == ("", "")


def test_exclusions_say_whether_the_procedure_serves_a_concern(kb: KnowledgeBase) -> None:
    hair = run(kb, pregnant=True)
    assert [e["in_scope"] for e in hair["excluded"]] == [True, True]
    scars = consult.evaluate(kb, {"age": 30, "concerns": ["scars"], "pregnant": True}).to_dict()
    assert [(e["procedure"], e["in_scope"]) for e in scars["excluded"]] == [
        ("prp_scalp", False),
        ("micrograft_scalp", False),
    ]
