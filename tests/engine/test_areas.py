"""Treatment areas in the engine: each procedure's site screen reads the areas it treats."""

from __future__ import annotations

from typing import Any

import pytest

import consult
from consult.bank.model import KnowledgeBase
from consult.engine.answers import check_mapping
from consult.engine.result import Result
from consult.output.resultjson import result_json

SITE_QUESTIONS = (
    "active_infection_at_site",
    "suspicious_lesion_in_area",
    "active_keloid_in_area",
    "steroid_injection_at_site_last_month",
)
CLEAR_SITE = dict.fromkeys(SITE_QUESTIONS, False)
# Patterned hair loss and acne scars, the rest of the screen answered clear.
PATIENT: dict[str, Any] = {
    "consent": True,
    "age": 34,
    "sex": "male",
    "concerns": ["hair_loss", "acne_scarring"],
    "cell_product_interest": ["none"],
    "hair_loss_pattern": "patterned",
    "norwood_stage": 3,
    "hair_loss_other_signs": ["none"],
    "acne_active": False,
    "acne_scar_grade": 3,
    "pregnant_or_breastfeeding": False,
    "anticoagulant_or_antiplatelet": False,
    "nsaid_last_48h": False,
    "platelet_or_bleeding_disorder": False,
    "low_haemoglobin": False,
    "sepsis_or_haemodynamic_instability": False,
    "recent_fever_or_illness": False,
    "active_cancer": False,
    "systemic_corticosteroids_last_2_weeks": False,
    "chronic_systemic_disease": False,
    "immunosuppressed": False,
    "keloid_tendency": False,
    "isotretinoin_last_6_months": False,
    "allergy_local_anaesthetic": False,
    "smoker": False,
    "fitzpatrick_type": 2,
    "expectations_realistic": True,
    "accepts_risks": True,
    "preoccupation_minimal_defect": False,
    "downtime_tolerance": "week_or_more",
}
SCALP_INFECTED = {"site": "scalp", **CLEAR_SITE, "active_infection_at_site": True}
FACE_CLEAR = {"site": "face", **CLEAR_SITE}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load()


def run(kb: KnowledgeBase, **extra: Any) -> Result:
    return consult.evaluate(kb, {**PATIENT, **extra})


def ids(items: Any) -> set[str]:
    return {i.procedure.id for i in items}


def test_folliculitis_on_the_scalp_rules_out_scalp_procedures_only(kb: KnowledgeBase) -> None:
    result = run(kb, areas=[SCALP_INFECTED, FACE_CLEAR])
    candidates = ids(result.candidates)
    assert {"prp_acne_scar", "prp_microneedling"} <= candidates
    assert not candidates & {"prp_scalp", "micrograft_scalp", "mesotherapy_scalp"}
    excluded = {e.procedure.id: e for e in result.excluded}
    assert {"prp_scalp", "micrograft_scalp", "mesotherapy_scalp"} <= set(excluded)
    reasons = excluded["prp_scalp"].reasons
    assert [(r.rule, r.area) for r in reasons] == [("active-infection-at-site", "scalp")]
    assert reasons[0].answers == {"active_infection_at_site": True}
    assert reasons[0].to_dict()["area"] == "scalp"
    assert not result.unknown and not result.undetermined


def test_the_same_finding_given_flat_rules_out_every_procedure(kb: KnowledgeBase) -> None:
    # The earlier form: one answer for the whole patient applies to every area.
    result = run(kb, **{**CLEAR_SITE, "active_infection_at_site": True})
    assert not ids(result.candidates)
    reasons = {e.procedure.id: e.reasons for e in result.excluded}
    assert all(r.area == "" for rs in reasons.values() for r in rs)
    assert "area" not in reasons["prp_scalp"][0].to_dict()


def test_a_flat_answer_file_gives_the_result_it_gave_before(kb: KnowledgeBase) -> None:
    flat = run(kb, **CLEAR_SITE).to_dict()
    assert {c["procedure"] for c in flat["candidates"]} >= {"prp_scalp", "prp_acne_scar"}
    assert not flat["excluded"] or all(e["in_scope"] is False for e in flat["excluded"])
    assert '"area"' not in result_json(kb, check_mapping(kb, {**PATIENT, **CLEAR_SITE})).decode()


def test_a_flat_answer_fills_what_an_area_leaves_out(kb: KnowledgeBase) -> None:
    result = run(kb, **CLEAR_SITE, areas=[{"site": "scalp"}, {"site": "face"}])
    assert {"prp_scalp", "prp_acne_scar"} <= ids(result.candidates)
    # and an area's own answer wins over the flat one
    result = run(kb, **CLEAR_SITE, areas=[{"site": "scalp", "active_infection_at_site": True}])
    assert "prp_scalp" in ids(result.excluded)
    assert "prp_acne_scar" in ids(result.candidates)  # no face area: the flat answers stand


def test_a_missing_area_is_unknown_never_no(kb: KnowledgeBase) -> None:
    result = run(kb, areas=[FACE_CLEAR])
    assert "prp_acne_scar" in ids(result.candidates)
    pending = {u.procedure.id: u for u in result.undetermined}
    assert "prp_scalp" in pending
    assert "active_infection_at_site" in pending["prp_scalp"].waiting_for
    unknown = {u.question: u for u in result.unknown}
    needed = set(unknown["active_infection_at_site"].needed_by)
    assert "prp_scalp" in needed
    assert not needed & {"prp_acne_scar", "prp_microneedling"}  # settled by the face area


def test_a_missing_answer_in_an_area_is_unknown(kb: KnowledgeBase) -> None:
    face = {k: v for k, v in FACE_CLEAR.items() if k != "suspicious_lesion_in_area"}
    result = run(kb, areas=[{"site": "scalp", **CLEAR_SITE}, face])
    assert "prp_scalp" in ids(result.candidates)
    assert "prp_acne_scar" in ids(result.undetermined)
    assert "suspicious_lesion_in_area" in {u.question for u in result.unknown}


def test_a_referral_names_the_area_of_its_finding(kb: KnowledgeBase) -> None:
    face = {**FACE_CLEAR, "suspicious_lesion_in_area": True}
    result = run(kb, areas=[{"site": "scalp", **CLEAR_SITE}, face])
    referrals = [(r.id, r.reason.area) for r in result.referrals]
    assert ("refer_dermatology", "face") in referrals
    assert "prp_scalp" in ids(result.candidates)
    assert "prp_acne_scar" in ids(result.excluded)
    data = result.to_dict()
    assert {"id": "refer_dermatology", "area": "face"}.items() <= data["referrals"][0].items()


def test_a_finding_in_two_areas_gives_a_reason_for_each(kb: KnowledgeBase) -> None:
    both = [
        {**SCALP_INFECTED},
        {**FACE_CLEAR, "active_infection_at_site": True},
        {"site": "back", **CLEAR_SITE},
    ]
    result = run(kb, concerns=["hair_loss", "acne_scarring", "scars"], areas=both)
    excluded = {e.procedure.id: e for e in result.excluded}
    assert [r.area for r in excluded["prp_scar"].reasons] == ["scalp", "face"]  # any site
    assert [r.area for r in excluded["prp_acne_scar"].reasons] == ["face"]
    assert [r.area for r in excluded["prp_scalp"].reasons] == ["scalp"]


def test_a_caveat_names_its_area(kb: KnowledgeBase) -> None:
    scalp = {"site": "scalp", **CLEAR_SITE, "steroid_injection_at_site_last_month": True}
    result = run(kb, areas=[scalp, FACE_CLEAR])
    candidates = {c.procedure.id: c for c in result.candidates}
    scalp_caveats = [c for c in candidates["prp_scalp"].caveats if c.rule.startswith("steroid")]
    assert [c.area for c in scalp_caveats] == ["scalp"]
    assert scalp_caveats[0].shown.startswith("Scalp area: ")
    assert not [c for c in candidates["prp_acne_scar"].caveats if c.rule.startswith("steroid")]


@pytest.mark.parametrize("areas", [[SCALP_INFECTED, FACE_CLEAR], [FACE_CLEAR], []])
def test_the_fast_json_writer_agrees(kb: KnowledgeBase, areas: list[dict[str, Any]]) -> None:
    checked = check_mapping(kb, {**PATIENT, "areas": areas})
    assert result_json(kb, checked).decode() == consult.evaluate(kb, checked).to_json()
    quick = consult.evaluate(kb, {**PATIENT, "areas": areas})
    assert quick.to_json() == consult.evaluate(kb, checked).to_json()
