"""The installed `consult intake` at 80x24, area by area: a scar on the face, a keloid on the back."""

from __future__ import annotations

from pathlib import Path

import pexpect

import consult
from consult.answers.read import read_file
from tests.conftest import read_yaml
from tests.intake.test_screen import Screen, cut_lines, progress_never_goes_back
from tests.intake.test_tty import CTRL_U, DOWN, ENTER, SPACE, pty

FACE = {
    "site": "face",
    "concerns": ["scars"],
    "scar_type": "surgical",
    "scar_age_months": 24,
    "active_infection_at_site": False,
    "suspicious_lesion_in_area": False,
    "active_keloid_in_area": False,
    "steroid_injection_at_site_last_month": False,
}
BACK = {
    **FACE,
    "site": "back",
    "scar_type": "keloid",
    "scar_age_months": 36,
    "active_keloid_in_area": True,
}


def patient(run: Screen) -> None:
    run.answer("Does the patient agree", "y")
    run.answer("Age in years", "60", ENTER)
    run.answer("1. Female", "1")
    run.answer("What does the patient want treated", SPACE, ENTER)  # Scars, the first
    run.answer("Has the patient asked about any stem-cell", "n")  # none of these


def face(run: Screen) -> None:
    run.answer("Treatment areas: add an area?", "1")
    run.answer("Area 1: Which area would be treated?", DOWN, ENTER)  # Face
    run.answer("Area 1 (Face) 2/", "1", ENTER)  # what is treated there: Scars, the one offered
    run.answer("Area 1 (Face): What kind of scar is it?", "4")  # Surgical
    run.answer("Area 1 (Face): How old is the scar", "24", ENTER)
    run.answer("No to each of 5-8?", "n")  # the site screen: clear


def back(run: Screen) -> None:
    run.answer("Treatment areas 1/1", "2")  # Add another area
    run.answer("Area 2: Which area would be treated?", *[DOWN] * 6, ENTER)  # Back
    run.answer("Area 2 (Back) 2/", "1", ENTER)  # Scars
    run.answer("Area 2 (Back): What kind of scar is it?", "3")  # Keloid
    run.answer("Area 2 (Back): How old is the scar", "36", ENTER)
    run.answer("No to each of 5-8?", ENTER)  # one by one
    run.answer("Area 2 (Back) 5/8", "n")
    run.answer("Area 2 (Back) 6/8", "n")
    run.answer("Area 2 (Back) 7/8", "y")  # an active keloid in the area
    run.answer("Area 2 (Back) 8/8", "n")
    run.answer("Treatment areas 1/1", "1")  # Done


def the_rest(run: Screen) -> None:
    while True:  # the medical history: No to each, a screenful at a time
        run.wait("sections done")
        if "Medical history" not in run.prompt():
            break
        run.answer("No to each of", "n")
    run.answer("Fitzpatrick skin phototype", "2")
    run.answer("results vary", "y")
    run.answer("markedly preoccupied", "n")
    run.answer("How much downtime", "3")  # a week or more
    run.answer("Notes from the patient", ENTER)
    run.answer("Review the answers", ENTER)  # Finish
    run.answer("accept the risks", "y")  # asked under the plan, once it is shown


@pty
def test_a_surgical_scar_on_the_face_and_a_keloid_on_the_back(tmp_path: Path) -> None:
    run = Screen(tmp_path)
    patient(run)
    face(run)
    back(run)
    the_rest(run)
    # The keys of every structured answer, from the first prompt to the save prompt
    # (47 at 80x24); `pytest -s` prints them.
    print(f"\nkeys pressed for the face scar and the back keloid: {run.keys}")
    run.answer("Save the answers to an answer file?", "y")
    # At the save question the screen shows the plan: the referral, the finding of
    # the back and the candidates of the face.
    plan = " ".join(" ".join(run.screens[-1]).split())
    assert "REFER FIRST: Dermatology (Back area)" in plan
    assert "! Back area: Is there an active keloid or hypertrophic scar" in plan
    on_face = plan.split("Face area:")[1].split("Back area: Scars")[0]
    assert "PRP injections for scar revision" in on_face
    assert "Autologous micrografts for scars, healed burns and wounds" in on_face
    run.answer("Answer file (.yaml or .json):", CTRL_U, "scars.yaml", ENTER)
    run.answer("Save a markdown summary?", "n")
    run.child.expect(pexpect.EOF)

    # No prompt reaches the right edge, area prompts included.
    for screen in run.screens[:-3]:
        assert cut_lines(screen) == [], "\n".join(screen)
    # Each area is a section of its own; no counter goes back.
    sections = progress_never_goes_back(run)
    assert {"Area 1 (Face)", "Area 2 (Back)", "Treatment areas"} <= sections
    # The help about hair loss is not shown in these areas.
    assert "Scalp disease noted with the hair loss" not in run.text()

    saved = tmp_path / "scars.yaml"
    answers = read_yaml(saved.read_text(encoding="utf-8"))["answers"]
    assert answers["areas"] == [FACE, BACK]
    assert "scar_type" not in answers  # asked in each area, not for the patient
    kb = consult.load()
    checked = read_file(kb, saved)
    assert checked.warnings == ()
    result = consult.evaluate(kb, checked)
    assert {a.site: (a.candidates, a.referrals) for a in result.areas} == {
        "face": (("prp_scar", "micrograft_scar"), ()),
        "back": ((), ("refer_dermatology",)),
    }

    # The result screen: the face's candidates, and the referral named for the back.
    shown = run.text()
    shown = shown[shown.rindex("Finish: show the result") :]
    candidates = shown[shown.index("Candidate procedures") : shown.index("Ruled out")]
    for pid in ("prp_scar", "micrograft_scar"):
        assert kb.procedures[pid].name in candidates
    referral = next(
        line for line in shown.splitlines() if kb.referrals["refer_dermatology"].name in line
    )
    assert "Back area" in referral
