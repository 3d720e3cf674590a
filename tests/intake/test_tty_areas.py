"""End-to-end: treatment areas in the installed `consult intake`, in a pseudo-terminal."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import read_yaml
from tests.intake import test_tty
from tests.intake.test_intake_areas import QUESTIONS, RULES
from tests.intake.test_tty import CTRL_B, CTRL_U, DOWN, ENTER, pty


class AreasIntake(test_tty.Intake):
    """`consult intake` on a small bank with a treatment-areas group."""

    def __init__(self, home: Path) -> None:
        (home / "q").mkdir()
        (home / "r").mkdir()
        (home / "q" / "q.yaml").write_text(QUESTIONS, encoding="utf-8")
        (home / "r" / "r.yaml").write_text(RULES, encoding="utf-8")
        saved, test_tty.BANK = test_tty.BANK, ["--questions", "q", "--rules", "r"]
        try:
            super().__init__(home)
        finally:
            test_tty.BANK = saved


def two_areas(run: AreasIntake) -> None:
    run.answer("Age (0-120)", "40" + ENTER)
    run.answer("Treatment areas: add an area?", ENTER)  # Add an area
    run.answer("Area 1: Which area?", ENTER)  # Scalp
    run.answer("Area 1 (Scalp): Infection there?", "y")
    run.answer("Area 1 (Scalp): Lesion there?", "n")
    run.answer("Treatment areas: add another area?", DOWN + ENTER)  # Add another area
    run.answer("Area 2: Which area?", ENTER)  # Face: the scalp is taken
    run.answer("Area 2 (Face): Infection there?", "n")
    run.answer("Area 2 (Face): Lesion there?", CTRL_B)  # back inside the area
    run.answer("Area 2 (Face): Infection there?", "n")
    run.answer("Area 2 (Face): Lesion there?", "n")
    run.answer("Treatment areas: add another area?", ENTER)  # Done: the first choice now
    run.answer("Notes", "none" + ENTER)


def save(run: AreasIntake) -> None:
    run.answer("Save the answers to an answer file?", "y")
    run.answer("Answer file (.yaml or .json):", CTRL_U + "a.yaml" + ENTER)
    run.answer("Save a markdown summary?", "n")


def saved_areas(path: Path) -> object:
    return read_yaml(path.read_text(encoding="utf-8"))["answers"].get("areas")


@pty
def test_two_areas_and_a_finding_named_by_its_area(tmp_path: Path) -> None:
    run = AreasIntake(tmp_path)
    two_areas(run)
    run.answer("Review the answers", ENTER)  # Finish
    run.wait("Ruled out (1)")
    run.wait("✗ Scalp area: Infection.")
    save(run)
    assert run.end() == 0
    assert saved_areas(tmp_path / "a.yaml") == [
        {"site": "scalp", "infection": True, "lesion": False},
        {"site": "face", "infection": False, "lesion": False},
    ]


@pty
def test_an_area_removed_from_the_review_screen(tmp_path: Path) -> None:
    run = AreasIntake(tmp_path)
    two_areas(run)
    run.answer("Review the answers", DOWN + DOWN + ENTER)  # Area 1 (Scalp): Which area?: Scalp
    run.answer("Area 1 (Scalp) 1/3", DOWN + DOWN + ENTER)  # Remove this area
    run.answer("Treatment areas: add another area?", ENTER)  # Done
    run.answer("Review the answers", ENTER)
    run.wait("Cannot be assessed yet (1)")  # no scalp area: its screen is unknown
    save(run)
    assert run.end() == 0
    assert saved_areas(tmp_path / "a.yaml") == [
        {"site": "face", "infection": False, "lesion": False}
    ]
    assert "Scalp area" not in run.seen
