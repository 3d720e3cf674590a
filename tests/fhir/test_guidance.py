"""A result as a FHIR R4 GuidanceResponse: the decision with its rule ids."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.guidanceresponse import GuidanceResponse

import consult
from consult.bank.model import KnowledgeBase
from consult.engine.decide import evaluate
from consult.fhir.codes import PROCEDURES, REFERRALS, RULES
from consult.fhir.guidance import guidance_response

SCENARIOS = Path(__file__).parent.parent / "scenarios"
CONSULT = [sys.executable, "-m", "consult"]


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def result_of(kb: KnowledgeBase, scenario: str) -> dict[str, Any]:
    doc = yaml.safe_load((SCENARIOS / f"{scenario}.yaml").read_text(encoding="utf-8"))
    return evaluate(kb, doc["answers"]).to_dict()


def params(resource: dict[str, Any], name: str) -> list[dict[str, Any]]:
    contained = resource["contained"][0]
    assert resource["outputParameters"] == {"reference": f"#{contained['id']}"}
    return [p for p in contained["parameter"] if p["name"] == name]


def parts(param: dict[str, Any], name: str) -> list[Any]:
    return [p.get("valueCoding", p.get("valueString")) for p in param["part"] if p["name"] == name]


def codes(param: dict[str, Any], name: str) -> list[str]:
    return [c["code"] for c in parts(param, name)]


@pytest.mark.parametrize(
    "scenario",
    ["hair-male-pattern-clean", "safety-pregnant-all-excluded", "hair-patchy-refer-dermatology"],
)
def test_candidates_exclusions_and_referrals_carry_their_rules(
    shipped: KnowledgeBase, scenario: str
) -> None:
    result = result_of(shipped, scenario)
    resource = guidance_response(result, "P-3")
    GuidanceResponse.model_validate(resource)
    assert resource["moduleCanonical"].endswith(f"|{shipped.version}")
    assert resource["subject"]["identifier"]["value"] == "P-3"
    got = [(codes(p, "procedure"), codes(p, "rule")) for p in params(resource, "candidate")]
    assert got == [([c["procedure"]], c["rules"]) for c in result["candidates"]]
    excluded = params(resource, "excluded")
    assert [codes(p, "procedure") for p in excluded] == [
        [e["procedure"]] for e in result["excluded"]
    ]
    for param, record in zip(excluded, result["excluded"], strict=True):
        reasons = [p for p in param["part"] if p["name"] == "reason"]
        assert [codes(r, "rule") for r in reasons] == [[r["rule"]] for r in record["reasons"]]
    referrals = params(resource, "referral")
    assert [(codes(p, "referral"), codes(p, "rule")) for p in referrals] == [
        ([r["id"]], [x["rule"] for x in r["reasons"]]) for r in result["referrals"]
    ]
    for param, record in zip(referrals, result["referrals"], strict=True):
        reasons = [p for p in param["part"] if p["name"] == "reason"]
        assert [parts(r, "text") for r in reasons] == [[x["text"]] for x in record["reasons"]]
    systems = {
        c["system"]
        for p in params(resource, "candidate") + excluded + referrals
        for c in parts(p, "procedure") + parts(p, "rule") + parts(p, "referral")
    }
    assert systems <= {PROCEDURES, RULES, REFERRALS}
    assert result["candidates"] or result["excluded"] or result["referrals"]
    (attachment,) = params(resource, "result-json")
    assert json.loads(base64.b64decode(attachment["valueAttachment"]["data"])) == result


def test_status_asks_for_data_while_answers_are_missing(shipped: KnowledgeBase) -> None:
    result = result_of(shipped, "hair-female-pregnancy-unanswered")
    resource = guidance_response(result)
    assert resource["status"] == "data-requested"
    (unknown,) = params(resource, "unknown")
    assert codes(unknown, "question") == ["pregnant_or_breastfeeding"]
    undetermined = params(resource, "undetermined")
    assert {c for p in undetermined for c in codes(p, "waiting-for")} == {
        "pregnant_or_breastfeeding"
    }
    assert guidance_response(result_of(shipped, "hair-male-pattern-clean"))["status"] == "success"


def test_fhir_result_command(tmp_path: Path) -> None:
    scenario = yaml.safe_load((SCENARIOS / "scar-keloid-refer.yaml").read_text(encoding="utf-8"))
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump({"consult": 1, "answers": scenario["answers"]}), encoding="utf-8"
    )
    proc = subprocess.run(
        [*CONSULT, "fhir", "result", "a.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    model = GuidanceResponse.model_validate_json(proc.stdout)
    assert model.status in ("success", "data-requested")
    resource = json.loads(proc.stdout)
    assert [codes(p, "referral") for p in params(resource, "referral")]


def test_every_scenarios_result_validates_and_keeps_each_stated_basis(
    shipped: KnowledgeBase,
) -> None:
    stated = 0
    for path in sorted(SCENARIOS.glob("*.yaml")):
        result = result_of(shipped, path.stem)
        resource = guidance_response(result)
        GuidanceResponse.model_validate(resource)
        text = json.dumps(result)
        carried = json.dumps(resource["contained"][0]["parameter"][:-1])  # not the attachment
        # A referral repeats its first reason's basis at its top level.
        repeated = sum(1 for r in result["referrals"] if r.get("basis"))
        assert carried.count('"name": "basis"') == text.count('"basis"') - repeated, path.stem
        stated += text.count('"basis"')
    assert stated > 0
