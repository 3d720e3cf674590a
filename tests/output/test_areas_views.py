"""Every view shows the plan per treatment area and names the area of a finding raised by one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

import consult
from consult.answers.check import AnswerSet, check_mapping
from consult.bank.model import KnowledgeBase
from consult.engine.explain import explain
from consult.engine.result import Result
from consult.output.explanation import explanation_text
from consult.output.markdown import render_markdown
from consult.output.terminal import render_result
from tests.conftest import read_yaml
from tests.engine.test_areas import CLEAR_SITE, FACE_CLEAR, PATIENT, SCALP_INFECTED

ROOT = Path(__file__).parent.parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"
FACE_AND_BACK = "areas-face-scar-back-keloid"
DATE = "2026-12-05"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def scenario(kb: KnowledgeBase, name: str, **changes: Any) -> AnswerSet:
    data = read_yaml((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    return check_mapping(kb, {**data["answers"], **changes})


def screen(result: Result, kb: KnowledgeBase, width: int = 300) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(render_result(result, kb=kb))
    return console.export_text()


def summary(kb: KnowledgeBase, answers: AnswerSet) -> str:
    return render_markdown(kb, answers, consult.evaluate(kb, answers), date=DATE)


def record_body(text: str) -> str:
    """The record without its machine-readable metadata block."""
    return text[: text.index("```yaml consult-record\n")]


def between(text: str, start: str, end: str) -> str:
    """The text from `start` up to `end` (both must be there, in that order)."""
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def test_the_screen_leads_each_reason_with_its_area(shipped: KnowledgeBase) -> None:
    face = {**FACE_CLEAR, "suspicious_lesion_in_area": True}
    scalp = {**SCALP_INFECTED, "steroid_injection_at_site_last_month": True}
    text = screen(consult.evaluate(shipped, {**PATIENT, "areas": [scalp, face]}), shipped)
    assert "Dermatology: Face area: Changing, bleeding, growing or undiagnosed lesion" in text
    assert "✗ Scalp area: Infection or active skin disease where treatment would go" in text
    assert "✗ Face area: Changing, bleeding" in text


def test_the_screen_of_flat_answers_names_no_area(shipped: KnowledgeBase) -> None:
    answers = {**PATIENT, **CLEAR_SITE, "active_infection_at_site": True}
    text = screen(consult.evaluate(shipped, answers), shipped)
    assert "✗ Infection or active skin disease" in text
    assert " area: " not in text
    assert "Plan per treatment area" not in text


def test_the_summary_names_the_area_and_lists_each_area(shipped: KnowledgeBase) -> None:
    scalp = {**SCALP_INFECTED, "steroid_injection_at_site_last_month": True}
    text = summary(shipped, check_mapping(shipped, {**PATIENT, "areas": [scalp, FACE_CLEAR]}))
    assert "Caveat: Scalp area: Corticosteroid injection" not in text  # scalp is excluded
    assert "- PRP injections into the scalp: Scalp area: Infection or active skin" in text
    assert "  - Scalp area: ruled out\n" in between(
        text, "## Ruled out for the patient's concerns", "## Open questions"
    )
    areas = between(text, "### Treatment areas", "\n### ")
    assert "- Face area\n  - Infection or active skin disease" in areas
    assert "- Scalp area\n  - Infection or active skin disease" in areas


# The face-scar / back-keloid patient: what a clinician sees.


def face_and_back(text: str, start: str, end: str) -> tuple[str, str]:
    """The face part and the back part of the plan per area."""
    plan = between(text, start, end)
    return between(plan, "Face area", "Back area"), plan[plan.index("Back area") :]


def test_the_screen_shows_the_plan_per_area(shipped: KnowledgeBase) -> None:
    text = screen(consult.evaluate(shipped, scenario(shipped, FACE_AND_BACK).answers), shipped)
    order = ["REFER FIRST (1)", "Positive safety answers", "Plan per treatment area (2)"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    assert text.index("Plan per treatment area") < text.index("Candidate procedures (2)")
    face, back = face_and_back(text, "Plan per treatment area (2)", "Candidate procedures (2)")
    scars = "Scars (surgical, traumatic, hypertrophic, keloid or atrophic, not from acne)"
    assert face.startswith(f"Face area  treated here: {scars}\n")
    assert "     VERY LOW  PRP injections for scar revision (not acne scars)\n" in face
    assert "     VERY LOW  Autologous micrografts for scars, healed burns and wounds\n" in face
    for absent in ("Dermatology", "Active keloid", "✗", "No candidate here"):
        assert absent not in face
    assert back.startswith(f"Back area  treated here: {scars}\n")
    assert "    Refer first: Dermatology\n" in back
    assert "    No candidate here.\n" in back
    assert "VERY LOW" not in back
    ruled_out = between(back, "✗ PRP injections for scar revision", "✗ Autologous micrografts")
    assert "(expert opinion) Active keloid or hypertrophic scar in the treatment area" in ruled_out
    assert "[active-keloid-in-area]" in ruled_out
    assert "[scar-keloid-specialist]" in ruled_out
    assert "Also ruled out, for other concerns: PRP with microneedling" in back


def test_the_screen_names_the_back_for_the_keloid_and_its_referral(shipped: KnowledgeBase) -> None:
    text = screen(consult.evaluate(shipped, scenario(shipped, FACE_AND_BACK).answers), shipped)
    referrals = between(text, "REFER FIRST", "Positive safety answers")
    assert "Dermatology: Back area: (expert opinion) Active keloid" in referrals
    assert "Face area" not in referrals
    assert "Positive safety answers: Back area: Is there an active keloid" in text
    ruled_out = text[text.index("Ruled out (2)") :]
    assert "✗ Back area: (expert opinion) Active keloid" in ruled_out
    assert "Face area: Active keloid" not in text


def test_the_detailed_sections_name_the_areas_of_each_procedure(shipped: KnowledgeBase) -> None:
    text = screen(consult.evaluate(shipped, scenario(shipped, FACE_AND_BACK).answers), shipped)
    details = between(text, "Candidate procedures (2)", "Ruled out (2)")
    for name in ("PRP injections for scar revision", "Autologous micrografts for scars"):
        block = details[details.index(name) :]
        assert block.split("\n")[1] == "    Face area: candidate; Back area: ruled out"
        assert "    Evidence: " in block
    ruled_out = text[text.index("Ruled out (2)") :]
    assert "  PRP injections for scar revision (not acne scars)\n    Face area: candidate;" in (
        ruled_out
    )


def test_the_summary_has_the_plan_per_area(shipped: KnowledgeBase) -> None:
    text = summary(shipped, scenario(shipped, FACE_AND_BACK))
    body = record_body(text)
    tops = [line for line in body.splitlines() if line.startswith("## ")]
    assert tops[:3] == ["## Safety findings", "## Plan per treatment area", "## Referrals"]
    face, back = face_and_back(body, "## Plan per treatment area", "## Referrals")
    assert face.startswith("Face area\n\n- Treated here: Scars (surgical, traumatic,")
    assert (
        "- Candidate: PRP injections for scar revision (not acne scars) (very low certainty)\n"
        in (face)
    )
    assert (
        "- Candidate: Autologous micrografts for scars, healed burns and wounds (very low" in face
    )
    for absent in ("Dermatology", "Active keloid", "Ruled out", "No candidate here"):
        assert absent not in face
    assert "- Refer first: Dermatology\n- No candidate here.\n" in back
    assert (
        "- Ruled out: PRP injections for scar revision (not acne scars): Active keloid or "
        "hypertrophic scar in the treatment area"
    ) in back
    assert "active-keloid-in-area" not in back
    assert "scar-keloid-specialist" not in back
    appendix = text[text.index("## Appendix") :]
    assert "- Referral Dermatology: active-keloid-in-area, scar-keloid-specialist\n" in appendix


def test_the_summary_names_the_back_for_the_keloid_and_the_areas_of_each_candidate(
    shipped: KnowledgeBase,
) -> None:
    text = summary(shipped, scenario(shipped, FACE_AND_BACK))
    referrals = between(text, "## Referrals", "## Candidate procedures")
    assert "- Dermatology: Back area: Active keloid" in referrals
    assert "Face area" not in referrals
    candidates = between(text, "## Candidate procedures", "## Ruled out for")
    heading = "### PRP injections for scar revision (not acne scars)\n\n"
    assert f"{heading}- Face area: candidate; Back area: ruled out\n- Evidence" in candidates
    excluded = between(text, "## Ruled out for the patient's concerns", "## Open questions")
    assert (
        "- PRP injections for scar revision (not acne scars): Back area: Active keloid" in excluded
    )
    assert "  - Face area: candidate; Back area: ruled out\n" in excluded


def test_the_summary_lists_each_area_s_answers_under_it(shipped: KnowledgeBase) -> None:
    text = summary(shipped, scenario(shipped, FACE_AND_BACK))
    scars = between(text, "### Scars\n", "\n### ")
    assert scars == (
        "### Scars\n\n"
        "- Face area\n"
        "  - What kind of scar is it?: Surgical scar\n"
        "  - How old is the scar, in months?: 24\n"
        "- Back area\n"
        "  - What kind of scar is it?: Keloid (raised, spreading beyond the original wound)\n"
        "  - How old is the scar, in months?: 36\n"
    )
    areas = between(text, "### Treatment areas\n", "\n### ")
    face, back = between(areas, "- Face area", "- Back area"), areas[areas.index("- Back area") :]
    assert "in the area to be treated?: No" in face and ": Yes" not in face
    assert "  - Is there an active keloid or hypertrophic scar" in back
    assert "(growing, red, itchy or painful) in the area to be treated?: Yes\n" in back


def test_the_summary_with_areas_is_deterministic_and_plain_markdown(shipped: KnowledgeBase) -> None:
    answers = scenario(shipped, FACE_AND_BACK)
    text = summary(shipped, answers)
    assert text == summary(shipped, answers)
    body = record_body(text)
    found = {t.type for t in MarkdownIt("commonmark").parse(body)}
    assert found <= {
        "heading_open",
        "heading_close",
        "paragraph_open",
        "paragraph_close",
        "bullet_list_open",
        "bullet_list_close",
        "list_item_open",
        "list_item_close",
        "inline",
    }


def test_a_concern_not_placed_has_its_own_area(shipped: KnowledgeBase) -> None:
    answers = scenario(shipped, "areas-wound-and-hair-only-scalp-listed")
    text = screen(consult.evaluate(shipped, answers.answers), shipped)
    plan = between(text, "Plan per treatment area (2)", "Candidate procedures")
    assert "  Scalp area  treated here: Hair loss or thinning\n" in plan
    placed = plan[plan.index("Not placed (no area given)") :]
    assert placed.startswith("Not placed (no area given)  treated here: A slow-healing")
    assert "… Autologous micrografts for scars, healed burns and wounds: waiting for " in placed
    markdown = summary(shipped, answers)
    assert "### Not placed (no area given)\n" in markdown
    assert "- Not yet assessed: Autologous micrografts for scars, healed burns and wounds" in (
        markdown
    )


# A flat answer file (no areas) renders as before: the same sections and no area named.
# The sections are those `consult` gave before answers had areas.
FLAT = "scar-active-keloid-in-area-refer"
FLAT_SUMMARY_HEADINGS = [
    "# Consultation record",
    "## Safety findings",
    "## Before treatment",
    "## Referrals",
    "## Candidate procedures",
    "## Ruled out for the patient's concerns",
    "## Open questions",
    "## Examination",
    "## Notes",
    "## Answers",
    "### Consent and about the patient",
    "### Concerns",
    "### Scars",
    "### Medical history and safety screen",
    "### Treatment areas",
    "### Skin type, expectations and downtime",
    "## References",
    "## Attestation",
    "## Disclaimer",
    "## Appendix: rules and knowledge bank",
]


def test_a_flat_file_shows_the_screen_as_before(shipped: KnowledgeBase) -> None:
    text = screen(consult.evaluate(shipped, scenario(shipped, FLAT).answers), shipped)
    headings = [line for line in text.splitlines() if line.endswith(")") and line[:1].isalpha()]
    assert headings == ["Candidate procedures (0)", "Ruled out (2)"]
    assert text.index("REFER FIRST (1)") < text.index("Candidate procedures (0)")
    assert "  PRP injections for scar revision (not acne scars)\n    ✗ (expert opinion) Active" in (
        text
    )
    for absent in (
        "Plan per treatment area",
        "Not placed",
        ": candidate\n",
        ": candidate;",
        ": ruled out\n",
        "Back area",
    ):
        assert absent not in text


def test_a_flat_file_shows_the_summary_as_before(shipped: KnowledgeBase) -> None:
    text = summary(shipped, scenario(shipped, FLAT))
    assert [line for line in text.splitlines() if line.startswith("#")] == FLAT_SUMMARY_HEADINGS
    assert "- PRP injections for scar revision (not acne scars): Active keloid" in text
    areas = between(text, "### Treatment areas\n\n", "\n### ")
    assert areas.startswith("### Treatment areas\n\n- Infection or active skin disease")
    for absent in ("Plan per treatment area", "Not placed", ": candidate\n", "Back area", "  - "):
        assert absent not in text


# Area names come from the bank and are shown as literal text in every view.


def bank_with_face_label(tmp_path: Path, label: str) -> KnowledgeBase:
    shutil.copytree(ROOT / "questions", tmp_path / "questions")
    path = tmp_path / "questions" / "80-medical.yaml"
    text = path.read_text(encoding="utf-8")
    face = "- id: face\n            label: Face\n"
    assert face in text
    path.write_text(
        text.replace(face, f"- id: face\n            label: {json.dumps(label)}\n"),
        encoding="utf-8",
    )
    return consult.load(questions=tmp_path / "questions", rules=ROOT / "rules")


HOSTILE_LABEL = "# [bold]Face[/] <b>x</b> [y](z) *"


def test_area_names_are_never_markup_on_screen(tmp_path: Path) -> None:
    kb = bank_with_face_label(tmp_path, HOSTILE_LABEL)
    text = screen(consult.evaluate(kb, scenario(kb, FACE_AND_BACK).answers), kb)
    assert f"  {HOSTILE_LABEL} area  treated here: Scars" in text


def test_area_names_are_escaped_in_the_summary(tmp_path: Path) -> None:
    kb = bank_with_face_label(tmp_path, HOSTILE_LABEL)
    body = record_body(summary(kb, scenario(kb, FACE_AND_BACK)))
    stream = MarkdownIt("commonmark").parse(body)
    found = {t.type for t in stream} | {c.type for t in stream for c in t.children or []}
    assert found.isdisjoint({"link_open", "html_inline", "html_block", "em_open", "strong_open"})
    seen = ["".join(c.content for c in t.children or []) for t in stream if t.type == "inline"]
    headings = [seen_text for seen_text, t in zip(seen, inline_parents(stream), strict=True) if t]
    assert headings.count(f"{HOSTILE_LABEL} area") == 1
    assert f"{HOSTILE_LABEL} area: candidate; Back area: ruled out" in seen
    assert f"{HOSTILE_LABEL} area" in seen  # its answers, under it


def inline_parents(stream: list[Any]) -> list[bool]:
    """For each inline token, whether it is a heading's text."""
    return [
        stream[i - 1].type == "heading_open" for i, t in enumerate(stream) if t.type == "inline"
    ]


# consult explain names the area of each outcome when the answers have more than one.


def test_explain_names_the_area_of_each_outcome(shipped: KnowledgeBase) -> None:
    answers = scenario(shipped, FACE_AND_BACK).answers
    text = explanation_text(shipped, explain(shipped, answers, ["prp_scar", "refer_dermatology"]))
    heads = [line for line in text.splitlines() if line and not line.startswith(" ")]
    prp = "PRP injections for scar revision (not acne scars) (procedure prp_scar)"
    assert heads[:4] == [
        f"Face area: {prp}: CANDIDATE",
        f"Back area: {prp}: EXCLUDED",
        "Face area: Dermatology (referral refer_dermatology): NOT RAISED",
        "Back area: Dermatology (referral refer_dermatology): RAISED",
    ]


def test_explain_of_flat_answers_names_no_area(shipped: KnowledgeBase) -> None:
    answers = scenario(shipped, FLAT).answers
    text = explanation_text(shipped, explain(shipped, answers, ["prp_scar"]))
    assert text.startswith("PRP injections for scar revision (not acne scars) (procedure prp_scar)")
    assert "area:" not in text.split("\n", 1)[0]
