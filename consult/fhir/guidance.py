"""The result of an evaluation as a FHIR R4 GuidanceResponse.

GuidanceResponse is FHIR's record of what a decision-support module returned
for one request. Its `outputParameters` reference a contained Parameters
resource that carries the outcome: one parameter per candidate, exclusion,
undetermined procedure, referral, information note and unknown question, each
with the procedure, referral or question as a coding in consult's code systems,
the rule ids behind it (`rule`, in the rule code system) and its reasons as
text (with their `basis` when the rule states one); and the whole result JSON as an attachment, so nothing is lost to a
reader who wants the evidence and caveats in full. `status` is `success`, or
`data-requested` while unanswered questions would change the outcome.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from consult.fhir.codes import (
    PATIENT_REFS,
    PROCEDURES,
    QUESTIONS,
    REFERRALS,
    RULES,
    RULES_URL,
)
from consult.fhir.questionnaire import DISCLAIMER

JSON = dict[str, Any]


def guidance_response(result: JSON, patient_ref: str = "") -> JSON:
    """A result (the contract's result JSON) as a GuidanceResponse."""
    version = result["knowledge_base"]["version"]
    resource: JSON = {
        "resourceType": "GuidanceResponse",
        "contained": [
            {"resourceType": "Parameters", "id": "result", "parameter": _outcome(result)}
        ],
        "moduleCanonical": f"{RULES_URL}|{version}",
        "status": "data-requested" if result["unknown"] else "success",
    }
    if patient_ref:
        resource["subject"] = {"identifier": {"system": PATIENT_REFS, "value": patient_ref}}
    resource["note"] = [{"text": DISCLAIMER}]
    resource["outputParameters"] = {"reference": "#result"}
    return resource


def _outcome(result: JSON) -> list[JSON]:
    params: list[JSON] = []
    for c in result["candidates"]:
        parts = [_procedure(c), *_rules(c["rules"])]
        parts.append({"name": "certainty", "valueCode": c["evidence"]["certainty"]})
        parts.extend(_reason("caveat", r) for r in c["caveats"])
        params.append({"name": "candidate", "part": parts})
    for e in result["excluded"]:
        parts = [_procedure(e), {"name": "in-scope", "valueBoolean": e["in_scope"]}]
        parts.extend(_reason("reason", r) for r in e["reasons"])
        params.append({"name": "excluded", "part": parts})
    for u in result["undetermined"]:
        parts = [
            _procedure(u),
            *_rules(u["rules"]),
            *_rules(u["candidate_rules"], "candidate-rule"),
        ]
        parts.extend(_question(q, "waiting-for") for q in u["waiting_for"])
        parts.extend(_reason("caveat", r) for r in u["caveats"])
        params.append({"name": "undetermined", "part": parts})
    for r in result["referrals"]:
        reasons = r["reasons"]  # every reason, the first one first
        parts = [_coding("referral", REFERRALS, r["id"], r["name"])]
        parts.extend(_rules(list(dict.fromkeys(x["rule"] for x in reasons))))
        parts.extend(_reason("reason", x) for x in reasons)
        params.append({"name": "referral", "part": parts})
    for i in result["information"]:
        parts = [_procedure(i), *_rules([i["rule"]]), {"name": "text", "valueString": i["text"]}]
        parts.extend(_basis(i))
        params.append({"name": "information", "part": parts})
    for q in result["unknown"]:
        parts = [_question(q["question"], "question", q["text"]), *_rules(q["rules"])]
        parts.extend(_coding("needed-by", PROCEDURES, p) for p in q["needed_by"])
        params.append({"name": "unknown", "part": parts})
    params.extend({"name": "warning", "valueString": w} for w in result["warnings"])
    data = json.dumps(result, ensure_ascii=False, sort_keys=False).encode()
    attachment = {"contentType": "application/json", "data": base64.b64encode(data).decode()}
    params.append({"name": "result-json", "valueAttachment": attachment})
    return params


def _coding(name: str, system: str, code: str, display: str = "") -> JSON:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"name": name, "valueCoding": coding}


def _procedure(record: JSON) -> JSON:
    return _coding("procedure", PROCEDURES, record["procedure"], record["name"])


def _question(question_id: str, name: str, text: str = "") -> JSON:
    return _coding(name, QUESTIONS, question_id, text)


def _rules(rule_ids: list[str], name: str = "rule") -> list[JSON]:
    return [_coding(name, RULES, rule) for rule in rule_ids]


def _reason(name: str, reason: JSON) -> JSON:
    parts = [{"name": "text", "valueString": reason["text"]}, *_rules([reason["rule"]])]
    return {"name": name, "part": [*parts, *_basis(reason)]}


def _basis(record: JSON) -> list[JSON]:
    """What the text rests on (`label`, `expert_opinion`), when its rule says."""
    return [{"name": "basis", "valueCode": record["basis"]}] if record.get("basis") else []
