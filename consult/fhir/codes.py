"""The identities consult gives its FHIR resources: canonical URLs, code systems, extensions."""

from __future__ import annotations

# consult's own namespace: `.invalid` can never be registered (RFC 2606), so these
# identifiers cannot collide with anyone else's; they name, they do not resolve.
BASE = "http://consult.invalid/fhir"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/consult"
RULES_URL = f"{BASE}/Library/consult-rules"
PROCEDURES = f"{BASE}/CodeSystem/procedure"
REFERRALS = f"{BASE}/CodeSystem/referral"
RULES = f"{BASE}/CodeSystem/rule"
QUESTIONS = f"{BASE}/CodeSystem/question"
PATIENT_REFS = f"{BASE}/sid/patient-ref"

# Extensions of the FHIR R4 core and of Structured Data Capture (SDC).
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)


def answer_system(question_id: str) -> str:
    """The code system of one question's choices (choice ids are unique per question)."""
    return f"{BASE}/CodeSystem/{question_id}"


def canonical(version: str) -> str:
    """The Questionnaire's canonical reference with its version, `url|version`."""
    return f"{QUESTIONNAIRE_URL}|{version}"
