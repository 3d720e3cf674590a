"""The plan on one screen (`consult.output.brief`), and `consult evaluate` opening with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import consult
from consult.answers.check import check_mapping
from consult.bank.model import KnowledgeBase
from consult.cli.main import app
from consult.engine.decide import evaluate
from consult.output.brief import DETAILS_TITLE, PLAN_TITLE, render_plan
from consult.output.terminal import render_result
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def answers(name: str, **changes: Any) -> dict[str, Any]:
    data = read_yaml((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    return {**data["answers"], **changes}


def shown(kb: KnowledgeBase, name: str, *, plan: bool = True, **changes: Any) -> str:
    result = evaluate(kb, check_mapping(kb, answers(name, **changes)))
    console = Console(record=True, width=80, color_system=None)
    console.print(render_plan(result, kb=kb) if plan else render_result(result, kb=kb))
    return console.export_text()


def test_the_plan_of_the_keloid_fits_one_screen(shipped: KnowledgeBase) -> None:
    text = shown(shipped, "areas-face-scar-back-keloid")
    lines = text.splitlines()
    assert len(lines) <= 20
    assert lines[0] == PLAN_TITLE
    assert lines[1] == "REFER FIRST: Dermatology (Back area)"
    words = " ".join(text.split())
    assert "Positive safety answers: ! Back area: Is there an active keloid" in words
    face, back = words.split("Face area:")[1].split("Back area: Scars")
    assert "VERY LOW PRP injections for scar revision (not acne scars)" in face
    assert "Refer first: Dermatology" in back
    assert "Ruled out: PRP injections for scar revision (not acne scars); Autologous" in back


def test_the_steps_before_treatment_say_what_was_recorded(shipped: KnowledgeBase) -> None:
    words = " ".join(shown(shipped, "before-isotretinoin-acne-fitzpatrick5").split())
    before = words.split("Before treatment:")[1]
    assert before.startswith(" • Decide the timing after isotretinoin")
    assert "No wait is set here." in before
    assert "Recorded: How many months ago was it stopped? (0 if still taking it) → 3" in before


def test_a_step_of_several_areas_is_said_once(shipped: KnowledgeBase) -> None:
    given = answers("areas-face-scar-back-keloid", active_infection_at_site=True)
    for area in given["areas"]:
        del area["active_infection_at_site"]  # answered once for the patient
    result = evaluate(shipped, check_mapping(shipped, given))
    console = Console(record=True, width=80, color_system=None)
    console.print(render_plan(result, kb=shipped))
    text = console.export_text()
    assert text.count("Treat the infection") == 1
    assert "Face area, Back area: Treat the infection" in " ".join(text.split())


def test_the_plan_without_areas_lists_the_candidates(shipped: KnowledgeBase) -> None:
    words = " ".join(shown(shipped, "hair-male-pattern-clean").split())
    assert "LOW PRP injections into the scalp" in words
    assert "area" not in words.split("THE PLAN")[1].split("LOW")[0]


def test_a_caveat_of_several_candidates_is_said_once(shipped: KnowledgeBase) -> None:
    text = shown(shipped, "before-aspirin-hair-loss", plan=False)
    assert text.count("Infection control: single-use closed kits") == 1
    shared = text.split("Caveats for several candidates (")[1]
    assert "For: PRP injections into the scalp, Autologous micrografts" in " ".join(shared.split())
    assert "Before treatment (1)" in text


def test_evaluate_opens_with_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    doc = {"consult": 1, "answers": answers("before-aspirin-hair-loss")}
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", str(path)], env={"COLUMNS": "80"})
    assert out.exit_code == 0, out.stderr
    assert out.stdout.startswith(PLAN_TITLE + "\n")
    plan, details = out.stdout.split(DETAILS_TITLE)
    assert "Discuss the anticoagulant or antiplatelet with its prescriber" in plan
    assert "Candidate procedures (3)" in details
