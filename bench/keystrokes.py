"""Intake keystrokes: three scripted consultations typed at an 80x24 terminal.

    python bench/keystrokes.py                     # this checkout; prints the table
    python bench/keystrokes.py --before REV        # also a commit's code, side by side
    python bench/keystrokes.py --before REV --record   # and write bench/keystrokes.md

A scripted clinician reads the screen (a pyte terminal fed by `consult intake`
in a pseudo-terminal) and answers each prompt with the fewest keys that prompt
offers: `y`/`n`, typed numbers, a number key in a numbered list, `n` for "none
of these", arrows (the shorter way round) and Space/Enter otherwise, and "No to
all" on a run of yes/no questions whose answers are all No. It counts the keys
and the screens (prompts answered) from the first prompt up to and including
Finish on the review screen. Nothing is timed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pexpect
import pyte

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "keystrokes.md"
ROWS, COLUMNS = 24, 80
DOWN, UP, ENTER, SPACE = "\x1b[B", "\x1b[A", "\r", " "

NO_MEDICAL = {
    "pregnant_or_breastfeeding": False,
    "anticoagulant_or_antiplatelet": False,
    "nsaid_last_48h": False,
    "platelet_or_bleeding_disorder": False,
    "low_haemoglobin": False,
    "sepsis_or_haemodynamic_instability": False,
    "recent_fever_or_illness": False,
    "active_infection_at_site": False,
    "active_cancer": False,
    "systemic_corticosteroids_last_2_weeks": False,
    "steroid_injection_at_site_last_month": False,
    "chronic_systemic_disease": False,
    "immunosuppressed": False,
    "keloid_tendency": False,
    "active_keloid_in_area": False,
    "isotretinoin_last_6_months": False,
    "allergy_local_anaesthetic": False,
    "smoker": False,
    "suspicious_lesion_in_area": False,
}
CLOSING = {
    "expectations_realistic": True,
    "accepts_risks": True,
    "preoccupation_minimal_defect": False,
    "notes": None,
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "a clear screen (man, 38, patterned hair loss, nothing in the safety screen)": {
        "consent": True, "age": 38, "sex": "male", "concerns": ["hair_loss"],
        "cell_product_interest": ["none"], "hair_loss_pattern": "patterned",
        "norwood_stage": 3, "hair_loss_months": 24, "hair_loss_other_signs": ["none"],
        **NO_MEDICAL, "fitzpatrick_type": 3, **CLOSING, "downtime_tolerance": "few_days",
    },
    "hair loss on aspirin (woman, 45, patterned hair loss and acne scars)": {
        "consent": True, "age": 45, "sex": "female", "concerns": ["hair_loss", "acne_scarring"],
        "cell_product_interest": ["none"], "hair_loss_pattern": "patterned", "ludwig_grade": 2,
        "hair_loss_months": 18, "hair_loss_other_signs": ["none"], "acne_active": False,
        "acne_scar_grade": 3, **NO_MEDICAL, "anticoagulant_or_antiplatelet": True,
        "nsaid_last_48h": True, "fitzpatrick_type": 2, **CLOSING,
        "downtime_tolerance": "few_days",
    },
    "burns with red flags (man, 30, acute burn of face and hands, inhalation)": {
        "consent": True, "age": 30, "sex": "male", "concerns": ["burns"],
        "cell_product_interest": ["none"], "burn_status": "acute",
        "burn_depth": "partial_thickness", "burn_tbsa_percent": 12,
        "burn_special_areas": ["face", "hands"], "burn_special_mechanism": ["inhalation"],
        "burn_complicating_factors": True, **NO_MEDICAL, "fitzpatrick_type": 4, **CLOSING,
        "downtime_tolerance": "week_or_more",
    },
}  # fmt: skip


@dataclass
class Count:
    """Keys and screens of one consultation."""

    keys: int = 0
    screens: int = 0


class Bank:
    """The question texts, kinds and choice labels of a question bank."""

    def __init__(self, src: Path) -> None:
        import yaml

        self.questions: dict[str, dict[str, Any]] = {}
        for path in sorted((src / "questions").glob("*.yaml")):
            for section in yaml.safe_load(path.read_text())["sections"]:
                for q in section["questions"]:
                    self.questions[q["id"]] = q

    def find(self, text: str) -> str | None:
        """The question whose text the prompt text starts with."""
        said = _squash(text)
        best = None
        for qid, q in self.questions.items():
            own = _squash(q["text"])[:60]
            if said.startswith(own) and (best is None or len(own) > len(best[1])):
                best = (qid, own)
        return best[0] if best else None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class Terminal:
    """`consult intake` of a source tree in an 80x24 pseudo-terminal, read through pyte."""

    def __init__(self, src: Path, home: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        code = (
            "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
            "if 'editable' not in repr(f).lower()]; "
            f"sys.path.insert(0, {str(src)!r}); from consult.__main__ import main; main()"
        )
        bank = ["--questions", str(src / "questions"), "--rules", str(src / "rules")]
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "NO_COLOR": "1",
            "XDG_STATE_HOME": str(home),
        }
        self.child = pexpect.spawn(
            sys.executable,
            ["-c", code, "intake", *bank],
            env=env,
            cwd=str(home),
            dimensions=(ROWS, COLUMNS),
            timeout=20,
        )

    def settle(self, quiet: float = 0.25) -> list[str]:
        """Read until the screen has been still for `quiet` seconds; its lines."""
        last = time.monotonic()
        while time.monotonic() - last < quiet:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                break
            self.stream.feed(data)
            last = time.monotonic()
        return [line.rstrip() for line in self.screen.display]

    def send(self, keys: list[str]) -> None:
        for key in keys:
            self.child.send(key)
            time.sleep(0.03)


def _prompt(lines: list[str], bank: Bank) -> tuple[int, str] | None:
    """The active prompt: the lowest `? ` line that starts a known question."""
    for index in range(len(lines) - 1, -1, -1):
        if not lines[index].startswith("? "):
            continue
        text = _joined(lines[index:])
        if "→" in text or "←" in text:  # an answered question's echo
            continue
        qid = bank.find(text[2:])
        if qid is not None:
            return index, qid
        for marker in ("Review the answers", "No to each of", "Save the answers"):
            if text.startswith("? " + marker):
                return index, marker
    return None


def _joined(lines: list[str]) -> str:
    """Lines of a prompt as one text: a full-width line goes on without a space."""
    out = ""
    for number, line in enumerate(lines[:6]):
        if number and line.startswith("? "):
            break
        out += line if len(line) >= COLUMNS else line + " "
    return out


def _entries(lines: list[str]) -> tuple[list[str], int, bool]:
    """The list under a prompt: entry texts, the pointed entry, numbered or not."""
    entries: list[str] = []
    pointed, numbers = 0, False
    for line in lines:
        found = re.match(r"^ ([» ]) (?:[●○] )?(\d\. )?(\S.*)$", line)
        if not found or line.startswith(("   -----", "   ─")):
            continue
        if found.group(1) == "»":
            pointed = len(entries)
        numbers = numbers or bool(found.group(2))
        entries.append(found.group(3))
    return entries, pointed, numbers


def _moves(start: int, target: int, size: int) -> list[str]:
    down = (target - start) % size
    return [DOWN] * down if down <= size - down else [UP] * (size - down)


def _keys_for(qid: str, value: Any, lines: list[str], bank: Bank) -> list[str]:
    q = bank.questions[qid]
    if q["type"] == "yes_no":
        return ["?" if value is None else "y" if value else "n"]
    if q["type"] in {"integer", "text"}:
        typed = "" if value is None else str(value)
        if len(typed) == 1 and re.search(r"answers\s+at\s+once", "\n".join(lines)):
            return [typed]
        return [*typed, ENTER]
    return _list_keys(q, value, lines)


def _list_keys(q: dict[str, Any], value: Any, lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    entries, pointed, numbered = _entries(lines[1:])

    def index(cid: str | None) -> int:
        if cid is None:
            return next(i for i, e in enumerate(entries) if e.startswith("Not known"))
        label = next(c["label"] for c in q["choices"] if c["id"] == cid)
        return next(i for i, e in enumerate(entries) if label.startswith(e[:20]))

    if value is None and "? not known" in text:
        return ["?"]
    if q["type"] == "one_of":
        if numbered and value is not None:
            return [str(index(value) + 1)]
        return [*_moves(pointed, index(value), len(entries)), ENTER]
    if value == ["none"] and "n none of these" in text:
        return ["n"]
    keys: list[str] = []
    for cid in value if value is not None else [None]:
        target = index(cid)
        if numbered and cid is not None:
            keys.append(str(target + 1))
        else:
            keys += [*_moves(pointed, target, len(entries)), SPACE]
        pointed = target
    return [*keys, ENTER]


def _page_keys(lines: list[str], top: int, bank: Bank, answers: dict[str, Any]) -> list[str]:
    """`n` when every yes/no question listed above the prompt is No here; else Enter."""
    start = max((i + 1 for i in range(top) if lines[i].startswith("? ")), default=0)
    listed: list[str] = []
    for line in lines[start:top]:
        found = re.match(r"^  \s?\d+\. (.*)$", line)
        if found:
            listed.append(found.group(1))
        elif listed and line.startswith("     "):
            listed[-1] += " " + line.strip()
    ids = [bank.find(text) for text in listed]
    all_no = bool(ids) and all(qid is not None and answers.get(qid) is False for qid in ids)
    return ["n"] if all_no else [ENTER]


def consult_once(src: Path, answers: dict[str, Any]) -> Count:
    """One scripted consultation; its keys and screens up to Finish on the review."""
    bank = Bank(src)
    count = Count()
    with tempfile.TemporaryDirectory() as home:
        term = Terminal(src, Path(home))
        try:
            seen = ""
            for _ in range(200):
                lines, found = term.settle(), None
                for _wait in range(40):  # up to 10 s for the next prompt
                    found = _prompt(lines, bank)
                    if found is not None and not (found[1] == seen and seen != "No to each of"):
                        break
                    lines = term.settle()
                if found is None:
                    raise RuntimeError("no prompt on screen:\n" + "\n".join(lines))
                top, what = found
                if what == "Save the answers":
                    return count
                if what == seen and what != "No to each of":
                    raise RuntimeError(f"asked again: {what}\n" + "\n".join(lines))
                if what == "Review the answers":
                    keys = [ENTER]
                elif what == "No to each of":
                    keys = _page_keys(lines, top, bank, answers)
                elif what in answers:
                    keys = _keys_for(what, answers[what], lines[top:], bank)
                else:
                    raise RuntimeError(f"the script has no answer for {what}")
                term.send(keys)
                count.keys += len(keys)
                count.screens += 1
                seen = what
            raise RuntimeError("more than 200 prompts")
        finally:
            term.child.close(force=True)


def checkout(rev: str, into: Path) -> Path:
    """The source tree of a commit, unpacked into a folder."""
    archive = subprocess.run(
        ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _head() -> str:
    """This checkout's commit, marked when its code or bank has local changes."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)

    changed = git("diff", "--quiet", "HEAD", "--", "consult", "questions", "rules").returncode
    return git("describe", "--always").stdout.strip() + ("+changes" if changed else "")


NOTES = [
    (
        "A key is one key press (a typed digit is one, Enter is one); a screen is one prompt "
        "answered. Counted from the first prompt to Finish on the review screen; the save "
        "questions after the result are left out. Each version runs its own question bank."
    ),
    (
        "The scripted clinician uses what each version's screen offers and takes the shorter "
        "way round a list with the arrows, so the older count is its best case, not a typical "
        "one."
    ),
    (
        "Where the keys went (after): `y`/`n` per yes/no question, digits plus Enter for age "
        "and months, one digit for a grade, one number key for a short list, `n` for "
        '"None of these", arrows only in the 11-choice concerns list, `n` per screenful of '
        "the safety screen when all its answers are No (two screens at 80x24), Enter on "
        "each screenful answered one by one."
    ),
]


def measure(before: str | None) -> tuple[list[str], list[Count]]:
    """The markdown table: keys and screens per consultation, before and after."""
    head = _head()
    rows = ["| consultation | keys | screens |" if before is None else
            f"| consultation | keys at {before} | keys at {head} | ratio "
            f"| screens at {before} | screens at {head} |"]  # fmt: skip
    rows.append(
        "| --- | ---: | ---: |" if before is None else "| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    counts: list[Count] = []
    with tempfile.TemporaryDirectory() as tmp:
        old = checkout(before, Path(tmp)) if before else None
        for name, answers in SCENARIOS.items():
            after = consult_once(ROOT, answers)
            if old is None:
                rows.append(f"| {name} | {after.keys} | {after.screens} |")
                continue
            was = consult_once(old, answers)
            counts += [was, after]
            rows.append(
                f"| {name} | {was.keys} | {after.keys} | {after.keys / was.keys:.2f}× "
                f"| {was.screens} | {after.screens} |"
            )
            sys.stderr.write(f"keystrokes: {name}: {was.keys} -> {after.keys}\n")
    return rows, counts


def main() -> None:
    """Measure and print the table; with --record, write bench/keystrokes.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REV", help="also measure this commit's code")
    parser.add_argument("--record", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args()
    rows, counts = measure(args.before)
    print("\n".join(rows))
    if not args.record:
        return
    if not counts:
        raise SystemExit("--record needs --before REV")
    was, now = counts[0].keys, counts[1].keys
    verdict = "met" if now * 2 <= was else "**missed**"
    target = (
        f"Target: the clear screen in at most half the keys it took before: {now} of {was} "
        f"({now / was:.2f}×), {verdict}."
    )
    OUT.write_text(
        "\n".join(
            [
                "## Intake keystrokes at 80x24",
                "",
                (
                    f"Measured by `python bench/keystrokes.py --before {args.before} --record` "
                    f"on {time.strftime('%Y-%m-%d')}; counts, not times."
                ),
                "",
                *rows,
                "",
                f"- {target}",
                *(f"- {note}" for note in NOTES),
                "",
            ]
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
