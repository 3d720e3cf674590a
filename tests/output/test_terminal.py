"""The result on screen, rendered to plain text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console

import consult
from consult.bank.model import KnowledgeBase
from consult.engine.result import Result
from consult.output.terminal import DISCLAIMER, render_result

BASE = {"age": 44, "sex": "male", "concerns": ["hair_loss"], "pregnant": False}


def screen(result: Result, kb: KnowledgeBase | None = None) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(render_result(result, kb=kb))
    text = console.export_text()
    assert all(line == line.rstrip() for line in text.splitlines()), "no trailing padding"
    return text


def result_for(kb: KnowledgeBase, answers: Mapping[str, Any]) -> Result:
    return consult.evaluate(kb, answers)


def test_referral_comes_first_and_exclusions_show_their_reasons(kb: KnowledgeBase) -> None:
    text = screen(result_for(kb, {**BASE, "hair_loss_pattern": "patchy"}), kb)
    assert text.index("REFER FIRST (1)") < text.index("Candidate procedures (0)")
    assert "Dermatology: Patchy hair loss needs a diagnosis first." in text
    assert "Ruled out (2)" in text
    assert "✗ Patchy hair loss needs a diagnosis first.  [hair-patchy]" in text


def test_candidates_have_badge_evidence_references_and_caveats(kb: KnowledgeBase) -> None:
    answers = {**BASE, "hair_loss_pattern": "patterned", "norwood_stage": 6}
    text = screen(result_for(kb, {**answers, "anticoagulants": True}), kb)
    assert " LOW  PRP into the scalp" in text
    assert " VERY LOW  Micrografts for hair" in text
    assert "Evidence: Pattern hair loss: Density improves on average." in text
    assert "[R1] Review of PRP for pattern hair loss." in text
    assert "⚠ More bruising and bleeding on anticoagulants." in text
    assert "⚠ Advanced loss responds less." in text
    assert text.rstrip().endswith(f"Knowledge base {kb.version}")
    assert DISCLAIMER in text


def test_pending_outcomes_name_the_questions_that_would_settle_them(kb: KnowledgeBase) -> None:
    answers = {k: v for k, v in BASE.items() if k != "pregnant"}
    text = screen(result_for(kb, {**answers, "hair_loss_pattern": "patterned"}), kb)
    assert "Cannot be assessed yet (2)" in text
    assert "PRP into the scalp\n    Not offered until answered:" in text
    assert "Unanswered questions that matter (3)" in text
    # Each open question once, by its text, with the procedures by name.
    assert text.count("? Pregnant or breastfeeding?") == 1
    assert "  ? Anticoagulants or antiplatelets?\n    would settle: PRP into" in text


def test_known_caveats_of_a_pending_procedure_come_before_its_open_questions(
    kb: KnowledgeBase,
) -> None:
    answers = {k: v for k, v in BASE.items() if k != "pregnant"}
    answers |= {"hair_loss_pattern": "patterned", "anticoagulants": True}
    text = screen(result_for(kb, answers), kb)
    assert "Positive safety answers: Anticoagulants or antiplatelets?" in text
    pending = text.index("Cannot be assessed yet")
    caveat = text.index("⚠ More bruising", pending)
    assert caveat < text.index("Unanswered questions that matter")
    assert text.index("Positive safety answers") < text.index("Candidate procedures")


def test_without_the_knowledge_base_ids_are_shown(kb: KnowledgeBase) -> None:
    answers = {k: v for k, v in BASE.items() if k != "pregnant"}
    text = screen(result_for(kb, {**answers, "hair_loss_pattern": "patterned"}))
    assert "? Pregnant or breastfeeding?" in text
    assert "would settle: PRP into the scalp, Micrografts for hair" in text


def test_long_lines_wrap_under_their_indent(kb: KnowledgeBase) -> None:
    answers = {**BASE, "hair_loss_pattern": "patterned", "anticoagulants": True}
    console = Console(record=True, width=40, color_system=None)
    console.print(render_result(result_for(kb, answers), kb=kb))
    lines = console.export_text().splitlines()
    start = lines.index(next(line for line in lines if "⚠ More bruising" in line))
    assert lines[start + 1].startswith("    ") and lines[start + 1].strip()


def test_text_is_never_read_as_markup(kb: KnowledgeBase) -> None:
    result = result_for(kb, {**BASE, "hair_loss_pattern": "patchy"})
    reason = result.referrals[0].reason
    tricky = type(reason)("[bold red]see [NICE NG226][/]", reason.rule, reason.answers)
    referral = type(result.referrals[0])("refer_dermatology", "Derm [x]", tricky)
    text = screen(
        Result(
            candidates=(),
            excluded=(),
            undetermined=(),
            referrals=(referral,),
            information=(),
            unknown=(),
            warnings=(),
            version="v",
            sha256="",
        )
    )
    assert "Derm [x]: [bold red]see [NICE NG226][/]" in text
