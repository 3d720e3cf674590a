"""The result of an evaluation as a FHIR R4 GuidanceResponse.

GuidanceResponse is FHIR's record of what a decision-support module returned
for one request. Its `outputParameters` reference a contained Parameters
resource that carries the outcome: one parameter per candidate, exclusion,
undetermined procedure, referral, information note, step before treatment
(`action`, with the procedures it comes `before`) and unknown question, each
with the procedure, referral or question as a coding in consult's code systems,
the rule ids behind it (`rule`, in the rule code system), its reasons as text
(with their `basis` when the rule states one, and the treatment area whose
finding raised them) and the areas it holds in; one `area` parameter per
treatment area with its plan (the site as a body site, its concerns,
candidates, exclusions, undetermined procedures, referrals and open questions);
and the whole result JSON as an attachment, so nothing is lost to a reader who
wants the evidence and caveats in full. `status` is `success`, or
`data-requested` while unanswered questions would change the outcome, and then
`dataRequirement` names them. `occurrenceDateTime` is when the evaluation ran,
given by the caller (the command reads the clock).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from consult.bank.codes import (
    PATIENT_REFS,
    PROCEDURES,
    QUESTIONS,
    REFERRALS,
    RULES,
    RULES_URL,
    answer_system,
)
from consult.bank.model import KnowledgeBase, choice_coding
from consult.fhir.questionnaire import DISCLAIMER

JSON = dict[str, Any]
UNPLACED = "Place not given"  # the area whose site the answers do not give


def guidance_response(
    kb: KnowledgeBase, result: JSON, patient_ref: str = "", *, occurrence: str
) -> JSON:
    """A result (the contract's result JSON) as a GuidanceResponse."""
    version = result["knowledge_base"]["version"]
    outcome = _Outcome(kb)
    resource: JSON = {
        "resourceType": "GuidanceResponse",
        "contained": [
            {"resourceType": "Parameters", "id": "result", "parameter": outcome.params(result)}
        ],
        "moduleCanonical": f"{RULES_URL}|{version}",
        "status": "data-requested" if result["unknown"] else "success",
    }
    if patient_ref:
        resource["subject"] = {"identifier": {"system": PATIENT_REFS, "value": patient_ref}}
    resource["occurrenceDateTime"] = occurrence
    resource["note"] = [{"text": DISCLAIMER}]
    resource["outputParameters"] = {"reference": "#result"}
    if result["unknown"]:
        resource["dataRequirement"] = outcome.requirements(result["unknown"])
    return resource


class _Outcome:
    """The result as Parameters, with the bank's codes for sites, concerns and questions."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def params(self, result: JSON) -> list[JSON]:
        params = [*self._candidates(result), *self._excluded(result)]
        params += self._undetermined(result) + self._referrals(result)
        for i in result["information"]:
            parts = [
                _procedure(i),
                *_rules([i["rule"]]),
                {"name": "text", "valueString": i["text"]},
            ]
            params.append({"name": "information", "part": parts + _basis(i) + self._area(i)})
        for q in result["unknown"]:
            parts = [_question(q["question"], "question", q["text"]), *_rules(q["rules"])]
            parts += [_coding("needed-by", PROCEDURES, p) for p in q["needed_by"]]
            params.append({"name": "unknown", "part": parts + self._area(q)})
        for a in result["actions"]:
            reason = self._reason("action", a)
            reason["part"] += [_coding("before", PROCEDURES, p) for p in a["procedures"]]
            params.append(reason)
        params.extend(self._plan(area) for area in result["areas"])
        params.extend({"name": "warning", "valueString": w} for w in result["warnings"])
        data = json.dumps(result, ensure_ascii=False, sort_keys=False).encode()
        attachment = {"contentType": "application/json", "data": base64.b64encode(data).decode()}
        params.append({"name": "result-json", "valueAttachment": attachment})
        return params

    def requirements(self, unknown: list[JSON]) -> list[JSON]:
        """One data requirement per open question: its answer in a QuestionnaireResponse."""
        found = []
        for question_id in dict.fromkeys(q["question"] for q in unknown):
            codes = [{"system": QUESTIONS, "code": question_id}]
            code = self.kb.by_id[question_id].code
            if code is not None:
                codes.append({"system": code.system, "code": code.code, "display": code.display})
            found.append(
                {
                    "type": "QuestionnaireResponse",
                    "codeFilter": [{"path": "item.linkId", "code": codes}],
                }
            )
        return found

    def _candidates(self, result: JSON) -> list[JSON]:
        params = []
        for c in result["candidates"]:
            parts = [_procedure(c), *_rules(c["rules"])]
            parts.append({"name": "certainty", "valueCode": c["evidence"]["certainty"]})
            parts.extend(self._reason("caveat", r) for r in c["caveats"])
            parts += self._sites("area", c["areas"]) + self._sites("excluded-in", c["excluded_in"])
            parts += self._sites("undetermined-in", c["undetermined_in"])
            params.append({"name": "candidate", "part": parts})
        return params

    def _excluded(self, result: JSON) -> list[JSON]:
        params = []
        for e in result["excluded"]:
            parts = [_procedure(e), {"name": "in-scope", "valueBoolean": e["in_scope"]}]
            parts.extend(self._reason("reason", r) for r in e["reasons"])
            params.append({"name": "excluded", "part": parts + self._sites("area", e["areas"])})
        return params

    def _undetermined(self, result: JSON) -> list[JSON]:
        params = []
        for u in result["undetermined"]:
            parts = [_procedure(u), *_rules(u["rules"])]
            parts += _rules(u["candidate_rules"], "candidate-rule")
            parts.extend(_question(q, "waiting-for") for q in u["waiting_for"])
            parts.extend(self._reason("caveat", r) for r in u["caveats"])
            params.append({"name": "undetermined", "part": parts + self._sites("area", u["areas"])})
        return params

    def _referrals(self, result: JSON) -> list[JSON]:
        params = []
        for r in result["referrals"]:
            reasons = r["reasons"]  # every reason, the first one first
            parts = [_coding("referral", REFERRALS, r["id"], r["name"])]
            parts.extend(_rules(list(dict.fromkeys(x["rule"] for x in reasons))))
            parts.extend(self._reason("reason", x) for x in reasons)
            params.append({"name": "referral", "part": parts})
        return params

    def _plan(self, area: JSON) -> JSON:
        """One treatment area's plan; the reasons are those of the lists above."""
        parts = [*self._sites("site", [area["site"]])]
        parts.append({"name": "number", "valueInteger": area["number"]})
        parts.extend(self._concern(c) for c in area["concerns"] or ())
        parts.extend(_coding("candidate", PROCEDURES, p) for p in area["candidates"])
        for e in area["excluded"]:
            excluded = [_coding("procedure", PROCEDURES, e["procedure"]), *_rules(e["rules"])]
            parts.append({"name": "excluded", "part": excluded})
        for u in area["undetermined"]:
            waiting = [_question(q, "waiting-for") for q in u["waiting_for"]]
            procedure = _coding("procedure", PROCEDURES, u["procedure"])
            parts.append({"name": "undetermined", "part": [procedure, *waiting]})
        parts.extend(_coding("referral", REFERRALS, r) for r in area["referrals"])
        parts.extend(_question(q, "unknown") for q in area["unknown"])
        return {"name": "area", "part": parts}

    def _reason(self, name: str, reason: JSON) -> JSON:
        parts = [{"name": "text", "valueString": reason["text"]}, *_rules([reason["rule"]])]
        return {"name": name, "part": [*parts, *_basis(reason), *self._area(reason)]}

    def _area(self, record: JSON) -> list[JSON]:
        """The treatment area whose finding raised a reason, or holds an open question."""
        return self._sites("area", [record["area"]]) if record.get("area") else []

    def _sites(self, name: str, sites: list[str | None]) -> list[JSON]:
        """Treatment areas as body sites: the bank's code for the site, and consult's."""
        key = self.kb.areas.key if self.kb.areas is not None else ""
        return [
            {"name": name, "valueCodeableConcept": _concept(self.kb, key, site)} for site in sites
        ]

    def _concern(self, concern: str) -> JSON:
        return {"name": "concern", "valueCodeableConcept": _concept(self.kb, "concerns", concern)}


def _concept(kb: KnowledgeBase, question_id: str, choice_id: str | None) -> JSON:
    """A choice (a site, a concern) as a CodeableConcept; a site not given as text only."""
    question = kb.by_id.get(question_id)
    choice = question.choice(choice_id) if question is not None and choice_id else None
    if question is None or choice is None:
        return {"text": choice_id or UNPLACED}
    coding = _codings(question.id, choice_coding(question, choice), choice.id)
    return {"coding": coding, "text": choice.label}


def _codings(question_id: str, coding: tuple[str, str, str], choice_id: str) -> list[JSON]:
    """A choice's coding, the standard one first, and consult's own when they differ."""
    system, code, display = coding
    found = [{"system": system, "code": code, "display": display}]
    if system != answer_system(question_id):
        found.append({"system": answer_system(question_id), "code": choice_id})
    return found


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


def _basis(record: JSON) -> list[JSON]:
    """What the text rests on (`label`, `expert_opinion`), when its rule says."""
    return [{"name": "basis", "valueCode": record["basis"]}] if record.get("basis") else []
