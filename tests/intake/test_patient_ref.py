"""Whose consultation: the patient reference in the draft, the files and their names."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path

from consult.cli.main import resume_without_path
from consult.intake.draft import new_draft_path, slug
from consult.intake.patient import file_stem, list_drafts, ref_error
from tests.conftest import read_yaml
from tests.intake.test_tty import (
    CTRL_C,
    ENTER,
    REF,
    Intake,
    finish_and_save,
    first_half,
    pty,
    second_half,
)

NOW = datetime(2026, 12, 7, 17, 45, 12)


def test_a_reference_names_the_files_by_its_safe_characters() -> None:
    assert slug("P-0042") == "P-0042"
    assert slug(" ../x y/ ") == "x-y"
    assert slug("///") == ""
    assert file_stem("P-0042", NOW) == "consult-P-0042-20261207-1745"
    assert file_stem("", NOW) == "consult-20261207-1745"


def test_a_typed_reference_is_short_and_printable_or_empty() -> None:
    assert ref_error("P-0042") == ""
    assert ref_error("") == ""  # none: the answer file's `patient` is optional
    assert "64 characters" in ref_error("x" * 65)
    assert "control character" in ref_error("P\x1b[31m")


def test_drafts_are_listed_by_reference_and_date_newest_first(tmp_path: Path) -> None:
    older = new_draft_path(NOW, tmp_path, ref="P-0001")
    older.write_text(json.dumps({"consult_draft": 1, "patient": {"ref": "P-0001"}, "answers": {}}))
    newer = new_draft_path(NOW, tmp_path, ref="P-0002")
    doc = {"consult_draft": 1, "patient": {"ref": "P-0002"}, "answers": {"age": 30}}
    newer.write_text(json.dumps(doc))
    (tmp_path / "other.json").write_text("[]")  # not a draft
    (tmp_path / "broken.json").write_text("{")
    stamp = NOW.timestamp()
    os.utime(older, (stamp, stamp))
    os.utime(newer, (stamp + 60, stamp + 60))
    found = list_drafts(tmp_path)
    assert [d.path.name for d in found] == [
        "intake-P-0002-20261207-174512.json",
        "intake-P-0001-20261207-174512.json",
    ]
    assert found[0].label() == "P-0002 · 2026-12-07 17:46 · 1 answer"


def test_resume_without_a_path_asks_which_draft() -> None:
    assert resume_without_path(["intake", "--resume"]) == ["intake", "--resume", ""]
    assert resume_without_path(["intake", "--resume", "--questions", "q"]) == [
        "intake",
        "--resume",
        "",
        "--questions",
        "q",
    ]
    assert resume_without_path(["intake", "--resume", "d.json"]) == ["intake", "--resume", "d.json"]
    assert resume_without_path(["evaluate", "--resume"]) == ["evaluate", "--resume"]


@pty
def test_the_reference_is_in_every_file_the_consultation_writes(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    run.wait("Draft autosaved to: ")
    first_half(run)
    second_half(run)
    run.wait("Review the answers")
    run.child.send(ENTER)
    run.wait("Save the answers to an answer file?")
    run.child.send("y")
    run.wait("Answer file (.yaml or .json):")
    run.child.send(ENTER)  # the name offered
    run.wait("Save a markdown summary?")
    run.child.send("y")
    run.wait("Summary file:")
    run.child.send(ENTER)
    assert run.end() == 0
    drafts = re.findall(r"intake-(\S+?)-\d{8}-\d{6}\.json", run.seen)
    assert drafts and drafts[0] == REF
    (answers,) = tmp_path.glob(f"consult-{REF}-*.yaml")
    assert read_yaml(answers.read_text())["patient"] == {"ref": REF}
    (summary,) = tmp_path.glob(f"consult-{REF}-*.md")
    assert f"patient_ref: {REF}" in summary.read_text()


@pty
def test_resume_alone_offers_the_drafts_by_reference(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    first_half(run)
    run.answer("Hair loss 2/2", CTRL_C)
    assert run.end() == 130
    again = Intake(tmp_path, "--resume")
    again.answer(f"1) {REF} · ", ENTER)
    again.wait(f"Resuming the consultation of patient {REF}, last saved ")
    second_half(again)
    finish_and_save(again)
    assert again.end() == 0
    saved = read_yaml((tmp_path / "answers.yaml").read_text())
    assert saved["patient"] == {"ref": REF}
