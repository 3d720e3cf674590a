"""The installed `consult intake` at 80x24, read from the screen a terminal shows.

A pyte terminal is fed everything the intake writes to its pseudo-terminal, so
the assertions are about what a clinician sees: no line reaches the right edge
(where the terminal would break a word), the choices picked are echoed, and
the progress counter never goes back.
"""

from __future__ import annotations

import json
import os
import re
import time
from itertools import pairwise
from pathlib import Path

import pexpect
import pyte

from consult.bank.loader import load
from tests.intake.test_tty import CONSULT, DOWN, ENTER, SPACE, pty

ROWS, COLUMNS = 24, 80
PROGRESS = re.compile(r"^  (\S.*?) (\d+)/(\d+) · (\d+) of (\d+) sections done")
MEDICAL = [q.id for q in load().questions if q.section == "medical_history" and q.kind == "yes_no"]


class Screen:
    """`consult intake` (the shipped bank) in an 80x24 pseudo-terminal.

    `options` go to the command before `--draft` (such as `--answers FILE`).
    """

    def __init__(self, home: Path, *options: str) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "NO_COLOR": "1",
            "XDG_STATE_HOME": str(home / "state"),
            "PAGER": "cat",  # the full details, paged with d, are printed
        }
        assert CONSULT is not None
        self.child = pexpect.spawn(
            CONSULT,
            ["intake", *options, "--draft", "d.json"],
            env=env,
            cwd=str(home),
            dimensions=(ROWS, COLUMNS),
            timeout=10,
        )
        self.screens: list[list[str]] = []  # every screen a key was sent to
        self.written = bytearray()  # everything the intake wrote
        self.keys = 0  # the keys pressed (an arrow key is one)
        self.wait("Patient reference")
        self.child.send("P-0042" + ENTER)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def wait(self, text: str) -> list[str]:
        """Read until the screen shows `text` and has been still for a moment."""
        deadline, still = time.monotonic() + 15, 0
        while time.monotonic() < deadline:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.05)
                self.stream.feed(data)
                self.written += data
                still = 0
            except pexpect.TIMEOUT:
                still += 1
                if still >= 3 and text in "\n".join(self.lines()):
                    return self.lines()
        raise AssertionError(f"never shown: {text!r}\n" + "\n".join(self.lines()))

    def answer(self, text: str, *keys: str) -> None:
        self.screens.append(self.wait(text))
        for key in keys:
            self.child.send(key)
            self.keys += 1 if key.startswith("\x1b") else len(key)
            time.sleep(0.02)

    def text(self) -> str:
        """Everything written so far, without the terminal's control sequences."""
        plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.written.decode("utf-8", "replace"))
        return plain.replace("\r", "")

    def prompt(self) -> str:
        """The prompt waiting for a key: from its `? ` line to its hint line."""
        lines = self.lines()
        hint = max(i for i, line in enumerate(lines) if PROGRESS.match(line))
        top = max(i for i, line in enumerate(lines[:hint]) if line.startswith("? "))
        return " ".join(line.strip() for line in lines[top : hint + 1])


def progress_never_goes_back(run: Screen) -> set[str]:
    """Check that sections done, and the place in a section, never go back; the sections seen."""
    counters = [[m for m in map(PROGRESS.match, screen) if m][-1:] for screen in run.screens]
    seen = [(m.group(1), int(m.group(2)), int(m.group(4))) for found in counters for m in found]
    for (section, place, done), (then, later, done_then) in pairwise(seen):
        assert done_then >= done
        assert then != section or later >= place
    return {section for section, _, _ in seen}


def cut_lines(lines: list[str]) -> list[str]:
    """Lines that reach the right edge: there the terminal would break a word."""
    return [line for line in lines if len(line) >= COLUMNS]


def medical_in_one_step(run: Screen, yes: set[str], texts: dict[str, str]) -> None:
    """The safety screen, a screenful at a time: the numbers of the Yes, or n for No to all."""
    while True:
        lines = run.wait("sections done")
        if "No to each of" not in "\n".join(lines):
            return
        listed: dict[int, str] = {}
        for line in lines:
            found = re.match(r"^\s+(\d+)\. (.*)$", line)
            if found:
                listed[int(found.group(1))] = found.group(2)
        numbers = [
            str(number)
            for number, start in listed.items()
            for qid in yes
            if texts[qid].startswith(start.strip()[:30])
        ]
        if numbers:
            run.answer("No to each of", " ".join(numbers), ENTER)
        else:
            run.answer("No to each of", "n")
        time.sleep(0.3)


@pty
def test_hair_loss_on_aspirin_at_80_columns(tmp_path: Path) -> None:
    run = Screen(tmp_path)
    kb = load()
    texts = {qid: " ".join(kb.question(qid).text.split()) for qid in MEDICAL}
    run.answer("Does the patient agree", "y")
    run.answer("Age in years", "45", ENTER)
    run.answer("1. Female", "1")
    run.answer("What does the patient want treated", DOWN, DOWN, SPACE, DOWN, SPACE, ENTER)
    run.answer("→ Hair loss or thinning; Acne scars", "n")  # no cell products
    run.answer("Treatment areas: add an area?", "2")  # Done: no areas to list
    run.answer("1. Patterned thinning", "1")
    run.answer("Ludwig grade", "2")
    run.answer("For how many months", "18", ENTER)
    run.answer("Any of these findings", "n")
    run.answer("Is the acne still active", "n")
    run.answer("Goodman & Baron", "3")
    medical_in_one_step(run, {"anticoagulant_or_antiplatelet", "nsaid_last_48h"}, texts)
    run.answer("Fitzpatrick skin phototype", "2")
    run.answer("results vary", "y")
    run.answer("markedly preoccupied", "n")
    run.answer("How much downtime", "2")
    run.answer("Notes from the patient", ENTER)
    run.answer("Review the answers", ENTER)
    run.answer("accept the risks", "y")  # asked under the plan, once it is shown
    run.answer("Save the answers to an answer file?", "n")
    run.answer("Save a markdown summary?", "n")
    run.child.expect(pexpect.EOF)

    # No prompt reaches the right edge, so none is cut in the middle of a word.
    for screen in run.screens[:-2]:
        assert cut_lines(screen) == [], "\n".join(screen)
    shown = "\n".join("\n".join(screen) for screen in run.screens)
    assert "? Has the patient asked about any stem-cell" in shown
    assert "→ None of these" in shown
    # The hint is a line of its own under the question, with the section's progress
    # (with no area listed, the details of each concern are asked for the patient).
    assert re.search(r"\n  Hair loss 2/4 · 3 of 8 sections done · 1-3 answers at once", shown)

    assert len(progress_never_goes_back(run)) == 8

    # Every safety answer is recorded on its own, the fast ones included.
    answers = json.loads((tmp_path / "d.json").read_text())["answers"]
    assert answers["anticoagulant_or_antiplatelet"] is True
    assert answers["nsaid_last_48h"] is True
    rest = [
        qid for qid in MEDICAL if qid not in {"anticoagulant_or_antiplatelet", "nsaid_last_48h"}
    ]
    assert {qid: answers[qid] for qid in rest} == dict.fromkeys(rest, False)


def test_the_screen_helper_finds_cut_lines() -> None:
    assert cut_lines(["x" * COLUMNS, "short"]) == ["x" * COLUMNS]
