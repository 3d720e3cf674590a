"""The plan at the save question of `consult intake`, read from an 80x24 terminal.

The three consultations of the plan-screen issue: a man of 45 with patterned
hair loss on daily aspirin; a woman of 30 with acne scars, Fitzpatrick V, who
stopped isotretinoin 3 months ago; a woman of 60 with a face scar and a keloid
on the back. Their answers are given with `--answers`, so the intake goes
straight to the review; what is asserted is the last screen before anything is
saved: every referral, every positive safety answer, every candidate under its
area, and the steps before treatment.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from consult.answers.read import read_file
from consult.bank.loader import load
from consult.engine.decide import evaluate
from consult.engine.result import Result
from consult.output.plan import area_name, positive_findings
from tests.conftest import read_yaml
from tests.intake.test_screen import Screen
from tests.intake.test_tty import DOWN, ENTER, pty

ROWS, COLUMNS = 24, 80
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CTRL_B = "\x02"
SAVE = "Save the answers to an answer file?"


def aspirin() -> dict[str, Any]:
    """Man, 45, patterned hair loss on daily aspirin; the hair loss placed on the scalp."""
    answers = scenario("before-aspirin-hair-loss")
    scalp = answers["areas"][0]
    for key in ("hair_loss_pattern", "norwood_stage", "hair_loss_months", "hair_loss_other_signs"):
        scalp[key] = answers.pop(key)
    scalp["concerns"] = ["hair_loss"]
    return answers


def isotretinoin() -> dict[str, Any]:
    """Woman, 30, acne scars, Fitzpatrick V, isotretinoin stopped 3 months ago."""
    return scenario("before-isotretinoin-acne-fitzpatrick5")


def keloid() -> dict[str, Any]:
    """Woman, 60, a surgical scar on the face and an active keloid on the back."""
    return scenario("areas-face-scar-back-keloid")


def scenario(name: str) -> dict[str, Any]:
    data = read_yaml((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    answers: dict[str, Any] = data["answers"]
    return {**answers, "notes": "Seen in clinic."}


class Terminal(Screen):
    """`consult intake --answers FILE` in an 80x24 pseudo-terminal, read through pyte."""

    def __init__(self, home: Path, answers: dict[str, Any] | None) -> None:
        path = home / "known.yaml"
        path.write_text(yaml.safe_dump({"consult": 1, "answers": answers}), encoding="utf-8")
        super().__init__(home, *(["--answers", str(path)] if answers is not None else []))
        self.path = path

    def send(self, *keys: str) -> None:
        for key in keys:
            self.child.send(key)
            time.sleep(0.02)

    def pick_in_review(self, words: str) -> None:
        """Move the review screen's pointer to the line that has `words`, and pick it."""
        for _ in range(80):
            pointed = [line for line in self.lines() if line.startswith(" » ")]
            if pointed and words in pointed[0]:
                self.send(ENTER)
                return
            self.send(DOWN)
            self.wait("Review the answers")
        raise AssertionError(f"no review line with {words!r}")

    def close(self) -> None:
        self.child.close(force=True)


def squashed(lines: list[str]) -> str:
    """The screen as one line of words: what wraps across lines still matches."""
    return " ".join(" ".join(lines).split())


def words(text: str) -> str:
    return " ".join(text.split())


def expected(answers: dict[str, Any], home: Path) -> Result:
    kb = load()
    path = home / "expected.yaml"
    path.write_text(yaml.safe_dump({"consult": 1, "answers": answers}), encoding="utf-8")
    return evaluate(kb, read_file(kb, path))


def plan_screen(home: Path, answers: dict[str, Any]) -> tuple[Terminal, list[str]]:
    run = Terminal(home, answers)
    run.wait("Treatment areas: add another area?")
    run.send("1")  # Done: the areas are those of the file
    run.wait("Review the answers")
    run.send(ENTER)  # Finish: show the result
    return run, run.wait(SAVE)


def assert_the_plan_is_on_screen(lines: list[str], result: Result) -> None:
    """Every referral, positive safety answer and candidate by area, above the save question."""
    kb = load()
    screen = squashed(lines)
    assert lines[-1].startswith("? " + SAVE), lines
    assert "THE PLAN" in screen
    for referral in result.referrals:
        assert f"REFER FIRST: {referral.name}" in screen
    findings = positive_findings(result, kb)
    assert findings
    for finding in findings:
        assert words(finding) in screen
    for plan in result.areas:
        place = screen.index(area_name(kb, plan.site) + ":")
        names = {c.procedure.id: c.procedure.name for c in result.candidates}
        for pid in plan.candidates:
            assert screen.index(words(names[pid]), place) > place
    assert all(len(line) < COLUMNS for line in lines)  # nothing cut at the right edge


@pty
@pytest.mark.parametrize("consultation", [aspirin, isotretinoin, keloid])
def test_the_plan_is_on_the_screen_at_the_save_question(tmp_path: Path, consultation: Any) -> None:
    answers = consultation()
    run, lines = plan_screen(tmp_path, answers)
    try:
        assert_the_plan_is_on_screen(lines, expected(answers, tmp_path))
    finally:
        run.close()


@pty
def test_aspirin_the_step_before_treatment_is_to_ask_the_prescriber(tmp_path: Path) -> None:
    run, lines = plan_screen(tmp_path, aspirin())
    run.close()
    screen = squashed(lines)
    assert "Positive safety answers" in screen and "regular aspirin" in screen
    assert "Scalp area: Hair loss or thinning LOW PRP injections into the scalp" in screen
    before = screen.split("Before treatment:")[1]
    assert "Discuss the anticoagulant or antiplatelet with its prescriber" in before
    assert "never stopped on this tool's word" in before


@pty
def test_isotretinoin_the_step_before_treatment_and_when_it_was_stopped(tmp_path: Path) -> None:
    run, lines = plan_screen(tmp_path, isotretinoin())
    run.close()
    before = squashed(lines).split("Before treatment:")[1]
    assert "Decide the timing after isotretinoin" in before
    assert "No wait is set here." in before
    assert re.search(r"Recorded: How many months ago was it stopped\?.* → 3", before)


@pty
def test_keloid_the_back_is_referred_and_the_face_keeps_its_candidates(tmp_path: Path) -> None:
    run, lines = plan_screen(tmp_path, keloid())
    run.close()
    screen = squashed(lines)
    assert "REFER FIRST: Dermatology (Back area)" in screen
    face, back = screen.split("Face area:")[1].split("Back area:")
    assert "PRP injections for scar revision" in face
    assert "Refer first: Dermatology" in back and "Ruled out: PRP injections" in back


@pty
def test_an_answer_changed_from_the_result_screen_before_saving(tmp_path: Path) -> None:
    run, lines = plan_screen(tmp_path, aspirin())
    try:
        assert "Before treatment:" in squashed(lines)
        run.send(CTRL_B)  # back to the review
        run.wait("Review the answers")
        run.pick_in_review("anticoagulant or antiplatelet")
        run.wait("y/n")
        run.send("n")
        run.wait("Review the answers")
        run.send(ENTER)  # Finish: the new result
        after = squashed(run.wait(SAVE))
        assert "Before treatment:" not in after
        assert "Positive safety answers" not in after
        run.send("y")
        run.wait("Answer file")
        run.send("\x15", "a.yaml", ENTER)
        run.wait("Save a markdown summary?")
        run.send("n")
        run.child.expect(pexpect.EOF)
    finally:
        run.close()
    saved = read_yaml((tmp_path / "a.yaml").read_text(encoding="utf-8"))
    assert saved["answers"]["anticoagulant_or_antiplatelet"] is False


@pty
def test_the_full_details_are_paged_from_the_save_question(tmp_path: Path) -> None:
    run, _ = plan_screen(tmp_path, keloid())
    try:
        run.send("d")  # PAGER=cat: the details go by, then the plan and the question again
        lines = run.wait(SAVE)
        assert "THE PLAN" in squashed(lines)
        assert lines[-1].startswith("? " + SAVE)
    finally:
        run.close()


@pty
def test_the_risks_are_accepted_under_the_plan(tmp_path: Path) -> None:
    answers = aspirin()
    del answers["accepts_risks"]
    run = Terminal(tmp_path, answers)
    try:
        run.wait("Treatment areas: add another area?")
        run.send("1")
        review = squashed(run.wait("Review the answers"))
        assert "accept the risks" not in review  # not asked yet: it comes after the plan
        run.send(ENTER)
        lines = run.wait("accept the risks")
        screen = squashed(lines)
        assert "THE PLAN" in screen and "PRP injections into the scalp" in screen
        assert lines[-3].startswith("? Does the patient accept the risks"), lines
        run.send("y")
        assert "THE PLAN" in squashed(run.wait(SAVE))
    finally:
        run.close()
    draft = read_yaml((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert draft["answers"]["accepts_risks"] is True


# The two consultations typed as a clinician would, key by key, at 80x24: each
# step waits for the prompt's text, then sends its keys (the bench counts them).
TYPED_ASPIRIN = [
    ("Does the patient agree", "y"),
    ("Age in years", "45\r"),
    ("1. Female", "2"),
    ("What does the patient want treated", "h \r"),  # type-ahead: Hair loss
    ("stem-cell", "n"),
    ("Treatment areas: add an area?", "1"),
    ("Area 1: Which area", "1"),  # Scalp
    ("Area 1 (Scalp): What does the patient want treated", "1\r"),
    ("Which pattern best describes", "1"),
    ("Norwood", "3"),
    ("For how many months", "30\r"),
    ("Any of these findings", "n"),
    ("No to each of", "n"),  # the scalp's site screen
    ("Treatment areas: add another area?", "1"),
    ("No to each of 1-", "1\r"),  # Yes to 1 (anticoagulant or antiplatelet), No to the rest
    ("No to each of", "n"),
    ("Fitzpatrick", "2"),
    ("results vary", "y"),
    ("markedly preoccupied", "n"),
    ("How much downtime", "3"),
    ("Notes from the patient", "\r"),
    ("Review the answers", "\r"),
    ("accept the risks", "y"),
]
TYPED_ISOTRETINOIN = [
    ("Does the patient agree", "y"),
    ("Age in years", "30\r"),
    ("1. Female", "1"),
    ("What does the patient want treated", "a \r"),  # type-ahead: Acne scars
    ("stem-cell", "n"),
    ("Treatment areas: add an area?", "1"),
    ("Area 1: Which area", "f\r"),  # type-ahead: Face
    ("Area 1 (Face): What does the patient want treated", "1\r"),
    ("still active", "n"),
    ("Goodman & Baron", "3"),
    ("No to each of", "n"),  # the face's site screen
    ("Treatment areas: add another area?", "1"),
    ("No to each of 1-", "n"),
    ("No to each of", "13\r"),  # Yes to 13 (isotretinoin), No to the rest
    ("How many months ago was it stopped", "3"),
    ("Fitzpatrick", "5"),
    ("results vary", "y"),
    ("markedly preoccupied", "n"),
    ("How much downtime", "3"),
    ("Notes from the patient", "\r"),
    ("Review the answers", "\r"),
    ("accept the risks", "y"),
]


@pty
@pytest.mark.parametrize(
    ("typed", "consultation"),
    [(TYPED_ASPIRIN, aspirin), (TYPED_ISOTRETINOIN, isotretinoin)],
    ids=["aspirin", "isotretinoin"],
)
def test_a_typed_consultation_ends_on_its_plan(
    tmp_path: Path, typed: list[tuple[str, str]], consultation: Any
) -> None:
    run = Terminal(tmp_path, None)
    try:
        for text, keys in typed:
            run.wait(text)
            run.send(keys)
            time.sleep(0.2)
        lines = run.wait(SAVE)
    finally:
        run.close()
    draft = read_yaml((tmp_path / "d.json").read_text(encoding="utf-8"))
    answers = consultation()
    given = {k: v for k, v in answers.items() if k != "notes"}
    assert {k: draft["answers"].get(k) for k in given if k != "areas"} == {
        k: v for k, v in given.items() if k != "areas"
    }
    assert_the_plan_is_on_screen(lines, expected(given, tmp_path))
    assert "Before treatment:" in squashed(lines)
