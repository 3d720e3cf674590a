"""Outcomes of the shipped bank a clinician checked, in every view.

Each case is run through `consult evaluate --format json`, the terminal view
(`consult evaluate FILE`) and the markdown summary (`consult export`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from consult.cli.main import app
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"
ELECTIVE = {
    "prp_scalp",
    "prp_face",
    "prp_microneedling",
    "prp_laser",
    "prp_scar",
    "prp_acne_scar",
    "prp_striae",
    "micrograft_scalp",
    "micrograft_scar",
    "mesotherapy_face",
    "mesotherapy_scalp",
    "mesotherapy_body",
    "deoxycholic_acid_submental",
}


def answer_file(tmp_path: Path, scenario: str, **changes: Any) -> str:
    """The answers of a scenario, with changes (None removes one), as an answer file."""
    data = read_yaml((SCENARIOS / f"{scenario}.yaml").read_text(encoding="utf-8"))
    answers = {**data["answers"], **changes}
    answers = {k: v for k, v in answers.items() if v is not None}
    path = tmp_path / f"{scenario}.yaml"
    path.write_text(yaml.safe_dump({"consult": 1, "answers": answers}), encoding="utf-8")
    return str(path)


def views(path: str) -> tuple[dict[str, Any], str, str]:
    """The result JSON, the terminal view and the markdown summary of one answer file."""
    runner = CliRunner()
    out = runner.invoke(app, ["evaluate", path, "--format", "json"])
    assert out.exit_code == 0, out.stderr
    screen = runner.invoke(app, ["evaluate", path], env={"COLUMNS": "400"})
    assert screen.exit_code == 0, screen.stderr
    summary = runner.invoke(app, ["export", path, "-o", "-", "--date", "2026-12-05"])
    assert summary.exit_code == 0, summary.stderr
    return json.loads(out.stdout), screen.stdout, summary.stdout


def ids(items: list[dict[str, Any]], key: str = "procedure") -> list[str]:
    return [item[key] for item in items]


@pytest.mark.parametrize(
    "scenario",
    ["burn-acute-full-thickness-face-with-wrinkles", "burn-acute-partial-3-percent-with-wrinkles"],
)
def test_an_acute_burn_holds_every_elective_procedure(tmp_path: Path, scenario: str) -> None:
    result, screen, summary = views(answer_file(tmp_path, scenario))
    assert result["candidates"] == result["undetermined"] == []
    assert set(ids(result["excluded"])) == ELECTIVE
    assert "refer_wound_care" in ids(result["referrals"], "id")
    assert "Candidate procedures (0)" in screen
    assert "PRP injections for facial rejuvenation" in screen.split("Ruled out")[1]
    assert "Acute burn and wound care" in screen.split("Candidate procedures")[0]
    assert "## Candidate procedures\n\nNone on these answers" in summary
    excluded = summary.split("## Ruled out for the patient's concerns")[1]
    assert "- Mesotherapy for the face: Acute burn" in excluded


def test_a_referral_raised_by_two_rules_is_listed_once_with_both(tmp_path: Path) -> None:
    path = answer_file(tmp_path, "burn-acute-full-thickness-face-with-wrinkles")
    result, screen, summary = views(path)
    assert ids(result["referrals"], "id") == ["refer_wound_care", "refer_burn_centre"]
    centre = result["referrals"][1]
    rules = ["burn-centre-full-thickness", "burn-centre-special-area"]
    assert [r["rule"] for r in centre["reasons"]] == rules
    assert (centre["rule"], centre["reason"]) == (rules[0], centre["reasons"][0]["text"])
    assert centre["answers"] == centre["reasons"][0]["answers"]
    panel = screen.split("Candidate procedures")[0]
    assert "REFER FIRST (2)" in panel
    assert panel.count("Burn centre:") == 1
    assert "Full-thickness burn of any size" in panel and "Deep partial- or full" in panel
    referrals = summary.split("## Referrals")[1].split("##")[0]
    assert referrals.count("- Burn centre:") == 1
    assert "Full-thickness burn of any size" in referrals and "; Deep partial" in referrals
    rules = "- Referral Burn centre: burn-centre-full-thickness, burn-centre-special-area\n"
    assert rules in summary.split("## Appendix")[1]


def test_a_wound_of_unknown_care_status_holds_micrografts(tmp_path: Path) -> None:
    result, screen, summary = views(answer_file(tmp_path, "wound-care-status-unanswered"))
    assert result["candidates"] == []
    assert ids(result["undetermined"]) == ["micrograft_scar"]
    assert result["undetermined"][0]["waiting_for"] == ["wound_under_medical_care"]
    unknown = result["unknown"][0]
    assert unknown["question"] == "wound_under_medical_care"
    assert unknown["needed_by"] == ["micrograft_scar", "refer_wound_care"]
    # Shown as waiting for the answer, never among the candidates.
    assert "Candidate procedures (0)" in screen
    assert "Is the wound being managed" in screen.split("Candidate procedures (0)")[1]
    after = summary.split("## Candidate procedures\n\nNone on these answers")[1]
    assert "Autologous micrografts" in after and "wound-care team" in after


def test_a_wound_not_under_care_is_referred_before_micrografts(tmp_path: Path) -> None:
    result, screen, summary = views(answer_file(tmp_path, "wound-not-under-care-refer"))
    assert result["candidates"] == []
    assert ids(result["excluded"]) == ["micrograft_scar"]
    assert ids(result["referrals"], "id") == ["refer_wound_care"]
    assert "REFER FIRST (1)" in screen
    assert "[wound-not-under-care]" in screen.split("FULL DETAILS")[1].split("Ruled out")[1]
    assert "- Autologous micrografts" in summary.split("## Ruled out for the patient's concerns")[1]


@pytest.mark.parametrize("sex", ["male", "female", "other"])
def test_the_pregnancy_screen_does_not_depend_on_the_recorded_sex(tmp_path: Path, sex: str) -> None:
    path = answer_file(tmp_path, "safety-pregnant-recorded-male", sex=sex)
    result, screen, summary = views(path)
    assert result["warnings"] == []
    assert result["candidates"] == []
    assert set(ids(result["excluded"])) == ELECTIVE
    assert "[pregnancy-or-breastfeeding]" in screen.split("FULL DETAILS")[1].split("Ruled out")[1]
    assert "- Mesotherapy for the face: Pregnancy or breastfeeding" in summary


def test_pregnancy_is_not_asked_of_a_man_and_nothing_waits_for_it(tmp_path: Path) -> None:
    result, _, summary = views(answer_file(tmp_path, "safety-pregnancy-not-asked-male"))
    scalp = ["prp_scalp", "micrograft_scalp", "mesotherapy_scalp"]
    assert ids(result["candidates"]) == scalp
    assert result["unknown"] == [] and result["undetermined"] == []
    assert "Is the patient pregnant or breastfeeding" not in summary


@pytest.mark.parametrize("sex", ["female", "other", None])
def test_an_unanswered_pregnancy_screen_holds_the_procedures_of_anyone_else(
    tmp_path: Path, sex: str | None
) -> None:
    path = answer_file(tmp_path, "safety-pregnancy-not-asked-male", sex=sex)
    result, _, summary = views(path)
    assert result["candidates"] == []
    assert set(ids(result["undetermined"])) == {
        "prp_scalp",
        "micrograft_scalp",
        "mesotherapy_scalp",
    }
    assert "pregnant_or_breastfeeding" in ids(result["unknown"], "question")
    assert "Is the patient pregnant or breastfeeding" in summary


@pytest.mark.parametrize(
    ("scenario", "offered"),
    [
        ("minor-acne-scars-age-12", ["prp_microneedling", "prp_laser", "prp_acne_scar"]),
        ("minor-wrinkles-age-10", ["prp_face", "prp_microneedling", "mesotherapy_face"]),
    ],
)
def test_minors_keep_their_candidates_with_an_expert_caution(
    tmp_path: Path, scenario: str, offered: list[str]
) -> None:
    result, screen, summary = views(answer_file(tmp_path, scenario))
    assert ids(result["candidates"]) == offered
    for candidate in result["candidates"]:
        minor = [c for c in candidate["caveats"] if c["rule"] == "minor-elective-caution"]
        assert [c["basis"] for c in minor] == ["expert_opinion"]
        assert "Patient under 18" in minor[0]["text"]
    device = result["candidates"][offered.index("prp_microneedling")]["caveats"]
    assert [c["basis"] for c in device if c["rule"] == "microneedling-device-adults"] == ["label"]
    # Said once for the three candidates, not once under each.
    assert screen.count("⚠ (expert opinion) Patient under 18") == 1
    shared = screen.split("Caveats for several candidates (")[1]
    assert shared.index("Patient under 18") < shared.index("For: ")
    assert screen.count("⚠ (label) Device clearance") == 1
    appendix = summary.split("## Appendix")[1]
    assert appendix.count(": minor-elective-caution\n") == 3
    assert appendix.count(": microneedling-device-adults\n") == 1
    assert "(rule " not in summary


def test_an_adult_has_no_age_caution(tmp_path: Path) -> None:
    result, screen, _ = views(answer_file(tmp_path, "minor-wrinkles-age-10", age=30))
    rules = {c["rule"] for candidate in result["candidates"] for c in candidate["caveats"]}
    assert "minor-elective-caution" not in rules and "microneedling-device-adults" not in rules
    assert "Patient under 18" not in screen


def test_the_label_age_limit_stays_an_exclusion_marked_label(tmp_path: Path) -> None:
    result, screen, summary = views(answer_file(tmp_path, "fat-submental-minor"))
    assert ids(result["excluded"]) == ["deoxycholic_acid_submental"]
    reason = result["excluded"][0]["reasons"][0]
    assert (reason["rule"], reason["basis"]) == ("deoxycholic-adults-only", "label")
    assert "✗ (label) Deoxycholic acid is approved for adults only" in screen
    assert "adults only" in summary.split("## Ruled out for the patient's concerns")[1]
    assert ": deoxycholic-adults-only\n" in summary.split("## Appendix")[1]
