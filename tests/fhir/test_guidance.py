"""A result as a FHIR R4 GuidanceResponse: the decision with its rule ids."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.guidanceresponse import GuidanceResponse

import consult
from consult.bank.codes import PROCEDURES, REFERRALS, RULES
from consult.bank.model import KnowledgeBase
from consult.engine.decide import evaluate
from consult.fhir.guidance import guidance_response
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"
CONSULT = [sys.executable, "-m", "consult"]
WHEN = "2026-11-02T09:30:00+01:00"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def result_of(kb: KnowledgeBase, scenario: str) -> dict[str, Any]:
    doc = read_yaml((SCENARIOS / f"{scenario}.yaml").read_text(encoding="utf-8"))
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
    resource = guidance_response(shipped, result, "P-3", occurrence=WHEN)
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
    resource = guidance_response(shipped, result, occurrence=WHEN)
    assert resource["status"] == "data-requested"
    (unknown,) = params(resource, "unknown")
    assert codes(unknown, "question") == ["pregnant_or_breastfeeding"]
    undetermined = params(resource, "undetermined")
    assert {c for p in undetermined for c in codes(p, "waiting-for")} == {
        "pregnant_or_breastfeeding"
    }
    clean = guidance_response(
        shipped, result_of(shipped, "hair-male-pattern-clean"), occurrence=WHEN
    )
    assert clean["status"] == "success"
    assert "dataRequirement" not in clean


def test_fhir_result_command(tmp_path: Path) -> None:
    scenario = read_yaml((SCENARIOS / "scar-keloid-refer.yaml").read_text(encoding="utf-8"))
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
        resource = guidance_response(shipped, result, occurrence=WHEN)
        GuidanceResponse.model_validate(resource)
        # The plan per area repeats the reasons of the lists; each is carried once.
        text = json.dumps({k: v for k, v in result.items() if k != "areas"})
        lists = [p for p in resource["contained"][0]["parameter"] if p["name"] != "area"]
        carried = json.dumps(lists[:-1])  # not the attachment
        # A referral repeats its first reason's basis at its top level.
        repeated = sum(1 for r in result["referrals"] if r.get("basis"))
        assert carried.count('"name": "basis"') == text.count('"basis"') - repeated, path.stem
        stated += text.count('"basis"')
    assert stated > 0


def site_codes(part: dict[str, Any]) -> set[str]:
    """The consult site id of a body-site part ("" for the area whose place is not given)."""
    concept = part["valueCodeableConcept"]
    found = {c["code"] for c in concept.get("coding", []) if c["system"].endswith("/site")}
    return found or {""}


def area_parts(param: dict[str, Any], name: str = "area") -> list[str]:
    return sorted(c for p in param["part"] if p["name"] == name for c in site_codes(p))


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("areas-*.yaml")), ids=lambda p: p.stem)
def test_every_reason_keeps_its_area_and_every_area_its_plan(
    shipped: KnowledgeBase, path: Path
) -> None:
    result = result_of(shipped, path.stem)
    resource = guidance_response(shipped, result, occurrence=WHEN)
    GuidanceResponse.model_validate(resource)
    reasons = [r for e in result["excluded"] for r in e["reasons"]]
    reasons += [r for r in [*result["referrals"]] for r in r["reasons"]]
    reasons += [c for c in result["candidates"] for c in c["caveats"]]
    carried = [
        p
        for param in params(resource, "excluded")
        + params(resource, "referral")
        + params(resource, "candidate")
        for p in param["part"]
        if p["name"] in ("reason", "caveat")
    ]
    assert [r.get("area", "") for r in reasons] == ["".join(area_parts(p)) for p in carried], (
        "a reason lost its area"
    )
    for record, param in zip(result["excluded"], params(resource, "excluded"), strict=True):
        assert area_parts(param) == sorted(a or "" for a in record["areas"])
    for record, param in zip(result["candidates"], params(resource, "candidate"), strict=True):
        assert area_parts(param) == sorted(a or "" for a in record["areas"])
        assert area_parts(param, "excluded-in") == sorted(a or "" for a in record["excluded_in"])
    plans = params(resource, "area")
    assert len(plans) == len(result["areas"])
    for plan, area in zip(plans, result["areas"], strict=True):
        (site,) = [p for p in plan["part"] if p["name"] == "site"]
        assert site_codes(site) == {area["site"] or ""}
        assert codes(plan, "candidate") == area["candidates"]
        assert codes(plan, "referral") == area["referrals"]
        assert codes(plan, "unknown") == area["unknown"]
        excluded = [codes(p, "procedure") for p in plan["part"] if p["name"] == "excluded"]
        assert excluded == [[e["procedure"]] for e in area["excluded"]]


def test_areas_are_body_sites_in_snomed_ct_where_the_bank_names_the_code(
    shipped: KnowledgeBase,
) -> None:
    result = result_of(shipped, "areas-scalp-folliculitis-face-clear")
    resource = guidance_response(shipped, result, occurrence=WHEN)
    (scalp,) = [
        p["valueCodeableConcept"]
        for plan in params(resource, "area")
        for p in plan["part"]
        if p["name"] == "site" and "scalp" in site_codes(p)
    ]
    assert scalp["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "43067004",
        "display": "Skin structure of scalp",
    }
    assert scalp["text"] == "Scalp"


def test_open_questions_are_the_data_requirement(shipped: KnowledgeBase) -> None:
    result = result_of(shipped, "hair-female-pregnancy-unanswered")
    resource = guidance_response(shipped, result, occurrence=WHEN)
    GuidanceResponse.model_validate(resource)
    assert resource["status"] == "data-requested"
    wanted = [
        [c["code"] for f in r["codeFilter"] for c in f["code"]] for r in resource["dataRequirement"]
    ]
    assert wanted == [["pregnant_or_breastfeeding", "82810-3"]]
    assert {r["type"] for r in resource["dataRequirement"]} == {"QuestionnaireResponse"}


def test_the_command_dates_the_guidance(tmp_path: Path) -> None:
    scenario = read_yaml((SCENARIOS / "scar-keloid-refer.yaml").read_text(encoding="utf-8"))
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump({"consult": 1, "answers": scenario["answers"]}), encoding="utf-8"
    )
    given = [*CONSULT, "fhir", "result", "a.yaml", "--date", WHEN]
    proc = subprocess.run(given, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["occurrenceDateTime"] == WHEN
    now = subprocess.run(given[:-2], cwd=tmp_path, capture_output=True, text=True, check=True)
    stamp = json.loads(now.stdout)["occurrenceDateTime"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)", stamp)
    bad = subprocess.run(
        [*given[:-1], "yesterday"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "--date" in bad.stderr
