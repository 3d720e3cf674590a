"""The identities consult gives its FHIR resources: canonical URLs, code systems, extensions.

Also the standard code systems a bank may name in its `code:` fields (see
docs/fhir.md for where each code was verified), and the UCUM units it may give.
"""

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
# Inside a treatment area's group, an item's linkId is its question's id (or its
# section's `section.<id>`) after this prefix: linkIds are unique in a Questionnaire.
AREA = "area."

# The standard code systems a bank's `code:` may name, by the short name it writes.
SYSTEMS = {
    "loinc": "http://loinc.org",
    "snomed": "http://snomed.info/sct",
    "administrative-gender": "http://hl7.org/fhir/administrative-gender",
}
# UCUM, and the units a bank may give a number, with their display (FHIR R4 `ucum-common`).
UCUM = "http://unitsofmeasure.org"
UNITS = {"a": "year", "mo": "month", "%": "percent"}

# Extensions of the FHIR R4 core and of Structured Data Capture (SDC).
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
ENABLE_WHEN_EXPRESSION = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
)
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
CONSTRAINT = "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint"


def answer_system(question_id: str) -> str:
    """The code system of one question's choices (choice ids are unique per question)."""
    return f"{BASE}/CodeSystem/{question_id}"


def canonical(version: str) -> str:
    """The Questionnaire's canonical reference with its version, `url|version`."""
    return f"{QUESTIONNAIRE_URL}|{version}"
