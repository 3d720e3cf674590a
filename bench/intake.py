"""Intake latency: `consult intake` in a pseudo-terminal, from a key sent to the next prompt drawn.

Each session answers every question the shipped bank asks, as a clinician
would type it: `y`/`n` for yes/no, a number and Enter, Enter for the first
choice, Space and Enter to tick the first box. The prompt on screen is told
apart by its text, found in the bank. A reply's latency runs from the moment
its keys are written to the terminal until the progress line of the next
prompt (`Section k/n`) has been drawn; it includes checking the answer,
branching, saving the draft and drawing the prompt.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pexpect

from consult.bank.model import KnowledgeBase, Question

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(r"[A-Za-z][^\r\n]*? \d+/\d+")
QUIET = 0.05  # seconds without output: the prompt is drawn
YES = {"consent", "expectations_realistic", "accepts_risks"}


def latencies(consult: str, kb: KnowledgeBase, sessions: int) -> list[float]:
    """Seconds from each reply's keys to the next prompt, over whole sessions."""
    texts = [(" ".join(q.text.split())[:50], q) for q in kb.questions]
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="consult-intake-") as home:
        for n in range(sessions):
            times += _session(consult, Path(home), texts, yes_every=n % 3 + 4)
    return times


def _session(
    consult: str, home: Path, texts: list[tuple[str, Question]], yes_every: int
) -> list[float]:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor-position requests
        "NO_COLOR": "1",
        "XDG_STATE_HOME": str(home / "state"),
    }
    child = pexpect.spawn(
        consult, ["intake"], env=env, cwd=str(home), dimensions=(24, 80), encoding="utf-8"
    )
    child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
    times: list[float] = []
    try:
        child.expect("Patient reference", timeout=30)  # asked first, not timed
        _settle(child)
        child.send("P-0042\r")
        child.expect(PROGRESS, timeout=30)
        screen = _settle(child)[1]
        for turn in range(200):
            keys = _keys(screen[screen.rfind(" ? ") + 3 :], texts, turn % yes_every == 0)
            start = time.perf_counter()
            child.send(keys)
            if child.expect([PROGRESS, "Review the answers"], timeout=10) == 1:
                break
            drawn, screen = _settle(child)
            times.append(drawn - start)
    finally:
        child.terminate(force=True)
    return times


def _settle(child: pexpect.spawn) -> tuple[float, str]:
    """Read the rest of the prompt until the screen is quiet: when it was drawn, and the text."""
    drawn, text = time.perf_counter(), f"{child.before}{child.after}"
    while True:
        try:
            text += child.read_nonblocking(65536, timeout=QUIET)
        except pexpect.TIMEOUT:
            return drawn, " ".join(ANSI.sub("", text).split())
        drawn = time.perf_counter()


def _keys(prompt: str, texts: list[tuple[str, Question]], yes: bool) -> str:
    """The keys that answer the prompt on screen (its text, from the prompt's `?` on)."""
    prompt = re.sub(r"^Area \d+( \([^)]*\))?: ", "", prompt)
    question = next((q for text, q in texts if prompt.startswith(text)), None)
    if question is None:  # the tool's own: add an area, a page of site questions, ...
        return "\r"
    if question.kind in ("one_of", "text"):
        return "\r"
    if question.kind == "yes_no":
        return "y" if question.id in YES or yes else "n"
    if question.kind == "integer":
        return f"{question.minimum or 1}\r"
    return " \r"  # many_of: the first box
