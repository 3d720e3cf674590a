"""The shipped bank: it loads clean and keeps the public contract."""

from __future__ import annotations

import pytest

import consult
from consult.bank.loader import shipped_bank
from consult.bank.model import KnowledgeBase

CORE_QUESTIONS = {
    "age": ("integer", (0, 120)),
    "sex": ("one_of", ("female", "male", "other")),
    "concerns": (
        "many_of",
        ("scars", "burns", "hair_loss", "acne_scarring", "skin_laxity", "wrinkles",
         "stretch_marks", "cellulite", "localized_fat"),
    ),
    "pregnant_or_breastfeeding": ("yes_no", None),
    "anticoagulant_or_antiplatelet": ("yes_no", None),
    "nsaid_last_48h": ("yes_no", None),
    "platelet_or_bleeding_disorder": ("yes_no", None),
    "active_infection_at_site": ("yes_no", None),
    "active_cancer": ("yes_no", None),
    "systemic_corticosteroids_last_2_weeks": ("yes_no", None),
    "keloid_tendency": ("yes_no", None),
    "isotretinoin_last_6_months": ("yes_no", None),
    "immunosuppressed": ("yes_no", None),
    "allergy_local_anaesthetic": ("yes_no", None),
    "smoker": ("yes_no", None),
    "suspicious_lesion_in_area": ("yes_no", None),
    "fitzpatrick_type": ("integer", (1, 6)),
    "hair_loss_pattern": ("one_of", ("patterned", "diffuse_shedding", "patchy", "scarring_signs")),
    "norwood_stage": ("integer", (1, 7)),
    "ludwig_grade": ("integer", (1, 3)),
    "hair_loss_months": ("integer", (0, 600)),
    "scar_type": ("one_of", ("atrophic", "hypertrophic", "keloid", "surgical", "traumatic")),
    "scar_age_months": ("integer", (0, 1200)),
    "burn_status": ("one_of", ("acute", "healed")),
    "burn_depth": ("one_of", ("superficial", "partial_thickness", "full_thickness")),
    "burn_tbsa_percent": ("integer", (0, 100)),
    "acne_active": ("yes_no", None),
    "acne_scar_grade": ("integer", (1, 4)),
    "glogau_type": ("integer", (1, 4)),
    "striae_stage": ("one_of", ("rubra", "alba")),
    "cellulite_grade": ("integer", (0, 3)),
    "fat_area": ("one_of", ("submental", "abdomen", "flanks", "thighs", "arms", "other")),
    "downtime_tolerance": ("one_of", ("none", "few_days", "week_or_more")),
    "notes": ("text", None),
}  # fmt: skip
PROCEDURES = {
    "prp_scalp", "prp_face", "prp_microneedling", "prp_laser", "prp_scar", "micrograft_scalp",
    "micrograft_scar", "mesotherapy_face", "mesotherapy_scalp", "mesotherapy_body",
    "deoxycholic_acid_submental", "stem_cell_therapy", "cultured_epidermal_autograft",
}  # fmt: skip
REFERRALS = {"refer_burn_centre", "refer_dermatology", "refer_medical_review"}


@pytest.fixture(scope="session")
def shipped() -> KnowledgeBase:
    return consult.load()


def test_shipped_bank_is_found_and_validates(shipped: KnowledgeBase) -> None:
    questions, rules = shipped_bank()
    assert questions.is_dir() and rules.is_dir()
    assert shipped.questions and shipped.rules


@pytest.mark.parametrize("qid", sorted(CORE_QUESTIONS))
def test_core_question_keeps_the_contract(shipped: KnowledgeBase, qid: str) -> None:
    kind, values = CORE_QUESTIONS[qid]
    question = shipped.question(qid)
    assert question.kind == kind
    if kind == "integer":
        assert (question.minimum, question.maximum) == values
    elif values is not None:
        assert set(values) <= set(question.choice_ids)
    if qid == "notes":
        assert question.max_length == 2000


def test_contract_procedures_and_referrals_exist(shipped: KnowledgeBase) -> None:
    assert set(shipped.procedures) >= PROCEDURES
    assert set(shipped.referrals) >= REFERRALS


def test_every_evidence_note_has_certainty_and_resolving_references(shipped: KnowledgeBase) -> None:
    for procedure in shipped.procedures.values():
        for evidence in [procedure.evidence, *(i.evidence for i in procedure.indications)]:
            assert evidence.summary, procedure.id
            assert evidence.references, procedure.id
            assert set(evidence.references) <= set(shipped.references), procedure.id


def test_never_routine_candidates(shipped: KnowledgeBase) -> None:
    for rule in shipped.rules:
        assert "stem_cell_therapy" not in rule.candidate, rule.id
        assert "cultured_epidermal_autograft" not in rule.candidate, rule.id


def test_graded_questions_describe_their_grades(shipped: KnowledgeBase) -> None:
    graded = ["norwood_stage", "ludwig_grade", "acne_scar_grade", "glogau_type",
              "fitzpatrick_type", "cellulite_grade", "burn_depth", "burn_tbsa_percent"]  # fmt: skip
    for qid in graded:
        question = shipped.question(qid)
        assert question.help or all(c.help for c in question.choices), qid


def test_intake_order_follows_the_consultation(shipped: KnowledgeBase) -> None:
    order = [q.id for q in shipped.questions]
    assert order.index("age") < order.index("concerns") < order.index("hair_loss_pattern")
    assert order.index("hair_loss_pattern") < order.index("pregnant_or_breastfeeding")
    assert order.index("pregnant_or_breastfeeding") < order.index("fitzpatrick_type")
    assert order[-1] == "notes"


@pytest.mark.parametrize(
    ("concern", "in_scope"),
    [("scars", {"prp_scar", "micrograft_scar"}), ("wrinkles", {"prp_face", "mesotherapy_face"})],
)
def test_exclusions_in_scope_follow_the_concern(
    shipped: KnowledgeBase, concern: str, in_scope: set[str]
) -> None:
    answers = {"consent": True, "age": 30, "sex": "female", "concerns": [concern]}
    result = consult.evaluate(shipped, {**answers, "pregnant_or_breastfeeding": True}).to_dict()
    scoped = {e["procedure"] for e in result["excluded"] if e["in_scope"]}
    assert in_scope <= scoped
    assert "prp_scalp" not in scoped
    assert len(result["excluded"]) > len(scoped)


def test_every_procedure_has_a_patient_text_at_reading_grade_8_or_below(
    shipped: KnowledgeBase,
) -> None:
    import textstat

    rule_ids = {r.id for r in shipped.rules} | set(shipped.references)
    for procedure in shipped.procedures.values():
        assert procedure.patient is not None, procedure.id
        text = " ".join(
            getattr(procedure.patient, field)
            for field in ("what", "sessions", "downtime", "common_risks", "serious_risks", "before")
        )
        grade = textstat.flesch_kincaid_grade(text)
        assert grade <= 8, (procedure.id, grade)
        words = set(text.replace(".", " ").replace(",", " ").split())
        assert not words & rule_ids, procedure.id


def test_every_referral_says_why_to_the_patient_at_reading_grade_8_or_below(
    shipped: KnowledgeBase,
) -> None:
    import textstat

    for referral in shipped.referrals.values():
        assert referral.patient, referral.id
        assert textstat.flesch_kincaid_grade(referral.patient) <= 8, referral.id
        assert "[R" not in referral.patient


def test_every_step_before_treatment_is_worded_for_the_patient_at_grade_8_or_below(
    shipped: KnowledgeBase,
) -> None:
    import textstat

    steps = [rule for rule in shipped.rules if rule.before]
    assert steps
    for rule in steps:
        assert rule.patient, rule.id
        assert textstat.flesch_kincaid_grade(rule.patient) <= 8, rule.id
        assert "[R" not in rule.patient
