"""End-to-end: the installed `consult intake` driven in a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from consult.cli.main import app
from tests.conftest import DATA, read_yaml


def _installed() -> str | None:
    beside = Path(sys.executable).parent / "consult"
    return str(beside) if beside.exists() else shutil.which("consult")


CONSULT = _installed()
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
DOWN, ENTER, SPACE, CTRL_B, CTRL_C, CTRL_U = "\x1b[B", "\r", " ", "\x02", "\x03", "\x15"
REF = "P-0042"
needs_consult = pytest.mark.skipif(
    CONSULT is None, reason="the consult command is not installed (pip install -e .)"
)


def pty(test: Callable[..., None]) -> Callable[..., None]:
    """A test that drives the installed command in a pseudo-terminal."""
    marked: Callable[..., None] = pytest.mark.tty(needs_consult(test))
    return marked


FINAL = {
    "age": 44,
    "sex": "male",
    "concerns": ["hair_loss"],
    "hair_loss_pattern": "patterned",
    "norwood_stage": 3,
    "pregnant": False,
    "anticoagulants": True,
    "notes": "Says [bold]hi[/bold] & <b>",
}


class Intake:
    """One `consult intake` run in a 50x200 pseudo-terminal."""

    def __init__(self, home: Path, *args: str) -> None:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor-position requests
            "NO_COLOR": "1",
            "XDG_STATE_HOME": str(home / "state"),
        }
        assert CONSULT is not None
        self.child = pexpect.spawn(
            CONSULT,
            ["intake", *BANK, *args],
            env=env,
            cwd=str(home),
            dimensions=(50, 200),
            encoding="utf-8",
            timeout=10,
        )
        self.seen = ""
        if "--resume" not in args:  # a new consultation starts with whose it is
            self.answer("Patient reference", REF + ENTER)

    def wait(self, text: str) -> None:
        self.child.expect_exact(text)
        self.seen += f"{self.child.before}{self.child.after}"

    def answer(self, text: str, keys: str) -> None:
        self.wait(text)
        self.child.send(keys)

    def end(self) -> int:
        self.child.expect(pexpect.EOF)
        self.seen += str(self.child.before)
        self.child.close()
        status = self.child.exitstatus
        return int(status if status is not None else 128 + (self.child.signalstatus or 0))


def first_half(run: Intake) -> None:
    run.answer("About the patient 1/3", "44" + ENTER)
    run.answer("About the patient 2/3", DOWN + ENTER)  # male
    run.answer("About the patient 3/3", SPACE + ENTER)  # hair loss
    run.answer("Hair loss 1/2", ENTER)  # patterned


def second_half(run: Intake) -> None:
    run.answer("Hair loss 2/2", "3" + ENTER)
    run.answer("Safety screen 1/3", "n")
    run.answer("Safety screen 2/3", "y")
    run.answer("Safety screen 3/3", FINAL["notes"] + ENTER)  # type: ignore[operator]


def finish_and_save(
    run: Intake, name: str = "answers.yaml", *, review: bool = True, summary: str = ""
) -> None:
    if review:
        run.wait("Review the answers")
    run.child.send(ENTER)  # Finish: the first entry of the review screen
    run.wait("Candidate procedures (2)")
    run.answer("Save the answers to an answer file?", "y")
    run.answer("Answer file (.yaml or .json):", CTRL_U + name + ENTER)
    run.answer("Save a markdown summary?", "y" if summary else "n")
    if summary:
        run.answer("Summary file:", CTRL_U + summary + ENTER)
        run.wait(f"Saved {summary}")


def saved_answers(path: Path) -> dict[str, object]:
    doc = read_yaml(path.read_text())
    assert doc["consult"] == 1
    return dict(doc["answers"])


@pty
def test_whole_consultation_to_a_saved_answer_file(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    run.wait("Draft autosaved to: ")
    first_half(run)
    run.wait("1: minimal recession ... 7: horseshoe band only")  # help shown with the question
    second_half(run)
    finish_and_save(run, summary="summary.md")
    assert run.end() == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "# Consultation record" in summary
    assert stat.S_IMODE((tmp_path / "summary.md").stat().st_mode) == 0o600
    assert saved_answers(tmp_path / "answers.yaml") == FINAL
    assert stat.S_IMODE((tmp_path / "answers.yaml").stat().st_mode) == 0o600
    assert "REFER" not in run.seen
    assert "⚠ More bruising and bleeding on anticoagulants." in run.seen
    assert "Decision support only" in run.seen
    assert "The draft was removed" in run.seen
    assert list((tmp_path / "state" / "consult" / "drafts").iterdir()) == []


@pty
def test_invalid_entry_shows_the_message_and_keeps_the_question(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    run.answer("About the patient 1/3", "200" + ENTER)
    run.answer("expected a whole number from 0 to 120; got 200", CTRL_U + "44" + ENTER)
    run.answer("About the patient 2/3", CTRL_C)
    assert run.end() == 130


@pty
def test_back_navigation_and_hidden_answers_dropped(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    first_half(run)
    run.answer("Hair loss 2/2", "3" + ENTER)
    run.answer("Safety screen 1/3", CTRL_B)  # back to the Norwood stage
    run.answer("Hair loss 2/2", CTRL_B)  # back to the pattern
    run.answer("Hair loss 1/2", DOWN + ENTER)  # patchy: the Norwood stage no longer applies
    run.wait("  - Norwood stage (norwood_stage)")
    run.answer("Safety screen 1/3", "n")  # pregnant
    run.answer("Safety screen 2/3", "n")
    run.answer("Safety screen 3/3", ENTER)  # notes left empty: not known
    run.answer("Review the answers", ENTER)
    run.wait("REFER FIRST (1)")
    run.answer("Save the answers to an answer file?", "y")
    run.answer("Answer file (.yaml or .json):", CTRL_U + "a.json" + ENTER)
    run.answer("Save a markdown summary?", "n")
    assert run.end() == 0
    answers = json.loads((tmp_path / "a.json").read_text())["answers"]
    assert answers["hair_loss_pattern"] == "patchy"
    assert "norwood_stage" not in answers
    assert "notes" not in answers


@pty
def test_edit_from_the_review_screen(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    first_half(run)
    second_half(run)
    run.answer("Review the answers", DOWN + ENTER)  # the first answer: age
    run.answer("Age in years (0-120)", CTRL_U + "61" + ENTER)
    run.wait("Age in years: 61")  # back on the review screen
    finish_and_save(run, review=False)
    assert run.end() == 0
    assert saved_answers(tmp_path / "answers.yaml") == {**FINAL, "age": 61}


@pty
def test_ctrl_c_then_resume_gives_the_same_answers(tmp_path: Path) -> None:
    run = Intake(tmp_path)
    first_half(run)
    run.answer("Hair loss 2/2", CTRL_C)
    assert run.end() == 130
    assert "Interrupted." in run.seen
    found = re.search(r"Resume with: consult intake --resume (\S+)", run.seen)
    assert found is not None, run.seen
    draft = Path(found.group(1))
    assert stat.S_IMODE(draft.stat().st_mode) == 0o600
    assert stat.S_IMODE(draft.parent.stat().st_mode) == 0o700

    again = Intake(tmp_path, "--resume", str(draft))
    second_half(again)  # starts at the first unanswered question
    finish_and_save(again)
    assert again.end() == 0
    assert saved_answers(tmp_path / "answers.yaml") == FINAL
    assert not draft.exists()


@pty
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signals_keep_the_draft(tmp_path: Path, sig: signal.Signals) -> None:
    draft = tmp_path / "draft.json"
    run = Intake(tmp_path, "--draft", str(draft))
    run.answer("About the patient 1/3", "44" + ENTER)
    run.wait("About the patient 2/3")
    run.child.kill(sig)
    assert run.end() == 128 + sig
    assert json.loads(draft.read_text())["answers"] == {"age": 44}


@pty
def test_prompts_go_to_the_terminal_and_only_the_result_to_stdout(tmp_path: Path) -> None:
    assert CONSULT is not None
    command = " ".join([CONSULT, "intake", *BANK, "> out.txt"])
    run = Intake(tmp_path)
    run.child.close(force=True)
    run.child = pexpect.spawn(
        "/bin/sh",
        ["-c", command],
        env={**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "XDG_STATE_HOME": str(tmp_path)},
        cwd=str(tmp_path),
        dimensions=(50, 200),
        encoding="utf-8",
        timeout=10,
    )
    run.answer("Patient reference", REF + ENTER)
    first_half(run)
    second_half(run)
    run.answer("Review the answers", ENTER)
    run.answer("Save the answers to an answer file?", "n")
    run.answer("Save a markdown summary?", "n")
    assert run.end() == 0
    out = (tmp_path / "out.txt").read_text()
    assert "Candidate procedures (2)" in out
    for prompt_text in ("Age in years", "Review the answers", "Save the answers", "Draft"):
        assert prompt_text not in out
    assert "Age in years" in run.seen


def test_without_a_terminal_exits_2_and_points_to_evaluate() -> None:
    result = CliRunner().invoke(app, ["intake", *BANK], input="")
    assert result.exit_code == 2
    assert result.stderr == (
        "consult intake needs an interactive terminal (stdin is not a terminal).\n"
        "To evaluate answers without prompts: consult evaluate ANSWERS\n"
    )


@pty
def test_the_result_screen_shows_what_is_known_before_the_open_questions(
    tmp_path: Path,
) -> None:
    run = Intake(tmp_path)
    first_half(run)
    run.answer("Hair loss 2/2", "3" + ENTER)
    run.answer("Safety screen 1/3", "?")  # pregnant: not known
    run.answer("Safety screen 2/3", "y")  # on anticoagulants
    run.answer("Safety screen 3/3", ENTER)
    run.wait("Review the answers")
    run.child.send(ENTER)
    run.answer("Save the answers to an answer file?", "n")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.seen)
    screen = plain[plain.index("Finish: show the result") :]
    # The positive safety answer near the top, before the candidates.
    top = screen.index("Positive safety answers: Anticoagulants or antiplatelets?")
    assert top < screen.index("Candidate procedures (0)")
    # The known caveat under each pending procedure, before the open questions.
    pending = screen.index("Cannot be assessed yet (2)")
    caveat = screen.index("⚠ More bruising and bleeding on anticoagulants.", pending)
    assert caveat < screen.index("Unanswered questions that matter")
    # Each open question once, by its text, with the procedures by name.
    assert screen.count("? Pregnant or breastfeeding?") == 1
    assert "would settle: PRP into the scalp, Micrografts for hair" in screen
    run.child.sendcontrol("c")
    run.end()


@pty
def test_ctrl_c_keeps_a_half_typed_note_in_the_draft(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    run = Intake(tmp_path, "--draft", str(draft))
    first_half(run)
    run.answer("Hair loss 2/2", "3" + ENTER)
    run.answer("Safety screen 1/3", "n")
    run.answer("Safety screen 2/3", "y")
    run.answer("Safety screen 3/3", "Wants to think about")
    run.wait("Wants to think about")
    run.child.send(CTRL_C)
    assert run.end() == 130
    assert "Interrupted." in run.seen
    assert json.loads(draft.read_text())["answers"]["notes"] == "Wants to think about"
