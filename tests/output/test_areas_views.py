"""Every view names the treatment area of a finding raised by one area."""

from __future__ import annotations

from rich.console import Console

import consult
from consult.bank.model import KnowledgeBase
from consult.engine.answers import check_mapping
from consult.engine.result import Result
from consult.output.markdown import render_markdown
from consult.output.terminal import render_result
from tests.engine.test_areas import CLEAR_SITE, FACE_CLEAR, PATIENT, SCALP_INFECTED


def screen(result: Result, kb: KnowledgeBase) -> str:
    console = Console(record=True, width=300, color_system=None)
    console.print(render_result(result, kb=kb))
    return console.export_text()


def test_the_screen_leads_each_reason_with_its_area() -> None:
    kb = consult.load()
    face = {**FACE_CLEAR, "suspicious_lesion_in_area": True}
    scalp = {**SCALP_INFECTED, "steroid_injection_at_site_last_month": True}
    text = screen(consult.evaluate(kb, {**PATIENT, "areas": [scalp, face]}), kb)
    assert "Dermatology: Face area: Changing, bleeding, growing or undiagnosed lesion" in text
    assert "✗ Scalp area: Infection or active skin disease where treatment would go" in text
    assert "✗ Face area: Changing, bleeding" in text


def test_the_screen_of_flat_answers_names_no_area() -> None:
    kb = consult.load()
    answers = {**PATIENT, **CLEAR_SITE, "active_infection_at_site": True}
    text = screen(consult.evaluate(kb, answers), kb)
    assert "✗ Infection or active skin disease" in text
    assert " area: " not in text


def test_the_summary_names_the_area_and_lists_each_area() -> None:
    kb = consult.load()
    scalp = {**SCALP_INFECTED, "steroid_injection_at_site_last_month": True}
    checked = check_mapping(kb, {**PATIENT, "areas": [scalp, FACE_CLEAR]})
    text = render_markdown(kb, checked, consult.evaluate(kb, checked), date="2026-12-05")
    assert "Caveat: Scalp area: Corticosteroid injection" not in text  # scalp is excluded
    assert "- PRP injections into the scalp: Scalp area: Infection or active skin" in text
    assert "### Treatment areas" in text
    assert "- Face: Infection or active skin disease" in text
