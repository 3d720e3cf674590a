"""Treatment areas in the engine: a decision per area, on the area's own answers."""

from __future__ import annotations

from typing import Any

import pytest

import consult
from consult.bank.model import KnowledgeBase
from consult.engine.result import Result
from tests.conftest import read_yaml

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
SCALP_INFECTED = {
    "site": "scalp",
    "concerns": ["hair_loss"],
    **CLEAR_SITE,
    "active_infection_at_site": True,
}
FACE_CLEAR = {"site": "face", "concerns": ["acne_scarring"], **CLEAR_SITE}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return consult.load()


def run(kb: KnowledgeBase, **extra: Any) -> Result:
    return consult.evaluate(kb, {**PATIENT, **extra})


def ids(items: Any) -> set[str]:
    return {i.procedure.id for i in items}


def plan(result: Result, site: str | None) -> Any:
    return next(a for a in result.areas if a.site == site)


def test_folliculitis_on_the_scalp_rules_out_scalp_procedures_only(kb: KnowledgeBase) -> None:
    result = run(kb, areas=[SCALP_INFECTED, FACE_CLEAR])
    candidates = {c.procedure.id: c for c in result.candidates}
    assert {"prp_acne_scar", "prp_microneedling"} <= set(candidates)
    assert candidates["prp_acne_scar"].areas == ("face",)
    assert not set(candidates) & {"prp_scalp", "micrograft_scalp", "mesotherapy_scalp"}
    excluded = {e.procedure.id: e for e in result.excluded}
    assert {"prp_scalp", "micrograft_scalp", "mesotherapy_scalp"} <= set(excluded)
    reasons = excluded["prp_scalp"].reasons
    assert [(r.rule, r.area) for r in reasons] == [("active-infection-at-site", "scalp")]
    assert reasons[0].answers == {"active_infection_at_site": True}
    assert reasons[0].to_dict()["area"] == "scalp"
    assert not result.unknown and not result.undetermined
    assert [a.site for a in result.areas] == ["scalp", "face"]  # every concern placed


def test_the_same_finding_given_flat_rules_out_every_procedure(kb: KnowledgeBase) -> None:
    # The earlier form: one answer for the whole patient applies to every area.
    result = run(kb, **{**CLEAR_SITE, "active_infection_at_site": True})
    assert not result.candidates
    assert [a.site for a in result.areas] == [None]  # no areas: the whole consultation
    reasons = {e.procedure.id: e.reasons for e in result.excluded}
    assert all(r.area == "" for rs in reasons.values() for r in rs)
    assert "area" not in reasons["prp_scalp"][0].to_dict()


def test_a_flat_answer_file_keeps_its_meaning(kb: KnowledgeBase) -> None:
    flat = run(kb, **CLEAR_SITE).to_dict()
    assert {c["procedure"] for c in flat["candidates"]} >= {"prp_scalp", "prp_acne_scar"}
    assert all(c["areas"] == [None] for c in flat["candidates"])
    assert not flat["excluded"] or all(e["in_scope"] is False for e in flat["excluded"])
    assert '"area"' not in consult.evaluate(kb, {**PATIENT, **CLEAR_SITE}).to_json()


def test_a_flat_answer_fills_what_an_area_leaves_out(kb: KnowledgeBase) -> None:
    areas = [
        {"site": "scalp", "concerns": ["hair_loss"]},
        {"site": "face", "concerns": ["acne_scarring"]},
    ]
    result = run(kb, **CLEAR_SITE, areas=areas)
    assert {"prp_scalp", "prp_acne_scar"} <= ids(result.candidates)
    # and an area's own answer wins over the flat one
    scalp = {"site": "scalp", "active_infection_at_site": True}
    result = run(kb, **CLEAR_SITE, areas=[scalp])
    assert "prp_scalp" in ids(result.excluded)
    assert "prp_acne_scar" in ids(result.candidates)  # not placed: the flat answers stand
    assert plan(result, None).concerns == ("acne_scarring",)
    assert plan(result, "scalp").concerns == ("hair_loss",)  # hair loss: the scalp only


def test_an_area_never_screened_is_unknown_never_clear(kb: KnowledgeBase) -> None:
    # Acne scars on the face, screened; hair loss placed nowhere screened.
    result = run(kb, areas=[FACE_CLEAR, {"site": "back", **CLEAR_SITE}])
    assert "prp_acne_scar" in ids(result.candidates)
    pending = {u.procedure.id: u for u in result.undetermined}
    assert "prp_scalp" in pending
    assert pending["prp_scalp"].areas == (None,)
    assert "active_infection_at_site" in pending["prp_scalp"].waiting_for
    unknown = {(u.question, u.area): u for u in result.unknown}
    needed = set(unknown["active_infection_at_site", ""].needed_by)
    assert "prp_scalp" in needed
    assert not needed & {"prp_acne_scar", "prp_microneedling"}  # settled in the face area


def test_a_missing_answer_in_an_area_is_unknown_there(kb: KnowledgeBase) -> None:
    face = {k: v for k, v in FACE_CLEAR.items() if k != "suspicious_lesion_in_area"}
    scalp = {"site": "scalp", **CLEAR_SITE}
    result = run(kb, areas=[scalp, face])
    assert "prp_scalp" in ids(result.candidates)
    assert "prp_acne_scar" in ids(result.undetermined)
    assert ("suspicious_lesion_in_area", "face") in {(u.question, u.area) for u in result.unknown}
    assert plan(result, "face").unknown == ("suspicious_lesion_in_area",)


def test_a_referral_names_the_area_of_its_finding(kb: KnowledgeBase) -> None:
    face = {**FACE_CLEAR, "suspicious_lesion_in_area": True}
    result = run(kb, areas=[{"site": "scalp", **CLEAR_SITE}, face])
    referrals = [(r.id, r.reason.area) for r in result.referrals]
    assert ("refer_dermatology", "face") in referrals
    assert "prp_scalp" in ids(result.candidates)
    assert "prp_acne_scar" in ids(result.excluded)
    data = result.to_dict()
    assert {"id": "refer_dermatology", "area": "face"}.items() <= data["referrals"][0].items()
    assert plan(result, "face").referrals == ("refer_dermatology",)
    assert plan(result, "scalp").referrals == ()


def test_a_finding_in_two_areas_gives_a_reason_for_each(kb: KnowledgeBase) -> None:
    both = [
        {**SCALP_INFECTED},
        {**FACE_CLEAR, "active_infection_at_site": True},
        {"site": "back", "concerns": ["scars"], "scar_type": "surgical", **CLEAR_SITE},
    ]
    result = run(kb, concerns=["hair_loss", "acne_scarring", "scars"], areas=both)
    excluded = {e.procedure.id: e for e in result.excluded}
    assert [r.area for r in excluded["prp_scar"].reasons] == ["scalp", "face"]  # any site
    assert excluded["prp_scar"].areas == ("scalp", "face")
    assert [r.area for r in excluded["prp_acne_scar"].reasons] == ["face"]
    assert [r.area for r in excluded["prp_scalp"].reasons] == ["scalp"]
    candidates = {c.procedure.id: c for c in result.candidates}
    assert candidates["prp_scar"].areas == ("back",)
    assert candidates["prp_scar"].excluded_in == ("scalp", "face")


def test_a_caveat_names_its_area(kb: KnowledgeBase) -> None:
    scalp = {"site": "scalp", **CLEAR_SITE, "steroid_injection_at_site_last_month": True}
    result = run(kb, areas=[scalp, FACE_CLEAR])
    candidates = {c.procedure.id: c for c in result.candidates}
    scalp_caveats = [c for c in candidates["prp_scalp"].caveats if c.rule.startswith("steroid")]
    assert [c.area for c in scalp_caveats] == ["scalp"]
    assert scalp_caveats[0].shown.startswith("Scalp area: ")
    assert not [c for c in candidates["prp_acne_scar"].caveats if c.rule.startswith("steroid")]


def test_no_procedure_is_both_candidate_and_excluded_in_one_area(kb: KnowledgeBase) -> None:
    from pathlib import Path

    for path in sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml")):
        answers = read_yaml(path.read_text(encoding="utf-8"))["answers"]
        result = consult.evaluate(kb, answers)
        for area in result.areas:
            excluded = {e.procedure.id for e in area.excluded}
            undetermined = {u.procedure.id for u in area.undetermined}
            assert not set(area.candidates) & (excluded | undetermined), (path.name, area.site)
        for candidate in result.candidates:
            assert not set(candidate.areas) & set(candidate.excluded_in), path.name


def test_a_finding_read_over_every_area_is_about_the_patient(kb: KnowledgeBase) -> None:
    # A keloid on the back says the patient forms keloids: the caution on the face's
    # candidates names no area (it is not the face's finding).
    back = {"site": "back", "concerns": ["scars"], "scar_type": "keloid", **CLEAR_SITE}
    face = {"site": "face", "concerns": ["scars"], "scar_type": "surgical", **CLEAR_SITE}
    result = run(kb, concerns=["scars"], areas=[face, back])
    micrografts = next(c for c in result.candidates if c.procedure.id == "micrograft_scar")
    keloid = [r for r in micrografts.caveats if r.rule == "keloid-scar-present"]
    assert [r.area for r in keloid] == [""]
    assert (micrografts.areas, micrografts.excluded_in) == (("face",), ("back",))


def test_an_acute_burn_in_one_area_stops_treatment_in_every_area(kb: KnowledgeBase) -> None:
    arms = {"site": "arms", "concerns": ["burns"], "burn_status": "acute", **CLEAR_SITE}
    hands = {"site": "hands", "concerns": ["burns"], "burn_status": "healed", **CLEAR_SITE}
    result = run(kb, concerns=["burns"], areas=[arms, hands])
    assert not result.candidates
    assert plan(result, "hands").candidates == ()
    assert "prp_scar" in {e.procedure.id for e in plan(result, "hands").excluded}


def test_a_quantifier_reads_each_area_with_that_area_s_own_questions(kb: KnowledgeBase) -> None:
    """A surgical scar on the face, fat on the abdomen, the screen complete.

    `any_area: scar_type equals keloid` reads the abdomen too, where no scar is
    treated and scar_type is switched off: false there, whichever area is being
    decided. (It was read with the face's questions and stayed unknown.)
    """
    from consult.answers.check import check_mapping
    from consult.bank.truth import applicability
    from consult.engine.areas import areas_of
    from consult.engine.prepared import prepared

    face = {**CLEAR_SITE, "site": "face", "concerns": ["scars"], "scar_type": "surgical"}
    face["scar_age_months"] = 24
    belly = {**CLEAR_SITE, "site": "abdomen", "concerns": ["localized_fat"], "fat_area": "abdomen"}
    answers = {**PATIENT, "concerns": ["scars", "localized_fat"], "areas": [face, belly]}
    for key in ("hair_loss_pattern", "norwood_stage", "hair_loss_other_signs"):
        del answers[key]
    for key in ("acne_active", "acne_scar_grade"):
        del answers[key]
    checked = check_mapping(kb, answers).answers
    patient = applicability(kb, checked)
    plan = prepared(kb)
    rule = [r.id for r in kb.rules].index("keloid-scar-present")
    truths = [
        plan.truths(a.view, applicability(kb, a.view, patient))[rule] for a in areas_of(kb, checked)
    ]
    assert truths == [False, False]
