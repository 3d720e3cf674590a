"""Intake keystrokes: three scripted consultations typed at an 80x24 terminal.

    python bench/keystrokes.py                     # this checkout; prints the table
    python bench/keystrokes.py --before REV        # also a commit's code, side by side
    python bench/keystrokes.py --before REV --record   # and write bench/keystrokes.md

The three consultations of the plan-screen issue, with their treatment areas:
a man of 45 with patterned hair loss on daily aspirin; a woman of 30 with acne
scars, Fitzpatrick V, who stopped isotretinoin 3 months ago; a woman of 60 with
a surgical scar on the face and an active keloid on the back.

A scripted clinician reads the screen (a pyte terminal fed by `consult intake`
in a pseudo-terminal) and answers each prompt with the fewest keys that prompt
offers: `y`/`n`, typed numbers, a number key in a numbered list, `n` for "none
of these", a letter (type-ahead) or the arrows, whichever is shorter, and
Space/Enter otherwise; on a run of yes/no questions "No to all", or the numbers
of the Yes answers and Enter where the screen offers it. Prompts inside an area
("Area 2 (Back): ...") take that area's answers. It counts the keys and the
screens (prompts answered) from the first prompt up to the save question
(Finish on the review and the risks accepted under the plan included); the
patient reference, where asked, is counted apart.
Nothing is timed.
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
SITE_CLEAR = {
    "active_infection_at_site": False,
    "suspicious_lesion_in_area": False,
    "active_keloid_in_area": False,
    "steroid_injection_at_site_last_month": False,
}
REF = "P-0042"  # the patient reference, typed once; counted apart from the answers
CLOSING = {
    "expectations_realistic": True,
    "accepts_risks": True,
    "preoccupation_minimal_defect": False,
    "notes": None,
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "man, 45, patterned hair loss on daily aspirin (scalp)": {
        "consent": True, "age": 45, "sex": "male", "concerns": ["hair_loss"],
        "cell_product_interest": ["none"], **NO_MEDICAL, "anticoagulant_or_antiplatelet": True,
        "fitzpatrick_type": 2, **CLOSING, "downtime_tolerance": "week_or_more",
        "areas": [
            {"site": "scalp", "concerns": ["hair_loss"], "hair_loss_pattern": "patterned",
             "norwood_stage": 3, "hair_loss_months": 30, "hair_loss_other_signs": ["none"],
             **SITE_CLEAR},
        ],
    },
    "woman, 30, acne scars, Fitzpatrick V, isotretinoin stopped 3 months ago (face)": {
        "consent": True, "age": 30, "sex": "female", "concerns": ["acne_scarring"],
        "cell_product_interest": ["none"], **NO_MEDICAL, "isotretinoin_last_6_months": True,
        "isotretinoin_months_since_stopped": 3, "fitzpatrick_type": 5, **CLOSING,
        "downtime_tolerance": "week_or_more",
        "areas": [
            {"site": "face", "concerns": ["acne_scarring"], "acne_active": False,
             "acne_scar_grade": 3, **SITE_CLEAR},
        ],
    },
    "woman, 60, surgical scar on the face, active keloid on the back": {
        "consent": True, "age": 60, "sex": "female", "concerns": ["scars"],
        "cell_product_interest": ["none"], **NO_MEDICAL, "fitzpatrick_type": 3, **CLOSING,
        "downtime_tolerance": "week_or_more",
        "areas": [
            {"site": "face", "concerns": ["scars"], "scar_type": "surgical",
             "scar_age_months": 24, **SITE_CLEAR},
            {"site": "back", "concerns": ["scars"], "scar_type": "keloid",
             "scar_age_months": 36, **SITE_CLEAR, "active_keloid_in_area": True},
        ],
    },
}  # fmt: skip


@dataclass
class Count:
    """Keys and screens of one consultation."""

    keys: int = 0
    screens: int = 0
    ref_keys: int = 0


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


AREA = re.compile(r"^Area (\d+)(?: \([^)]*\))?: ")
MARKERS = (
    "Review the answers",
    "No to each of",
    "Save the answers",
    "Patient reference",
    "Treatment areas: add",
)


def _prompt(lines: list[str], bank: Bank) -> tuple[int, str, int] | None:
    """The active prompt: the lowest `? ` line that starts a known question.

    Returns its line, the question id (or a marker) and the area it is asked in
    (0: the patient's).
    """
    for index in range(len(lines) - 1, -1, -1):
        if not lines[index].startswith("? "):
            continue
        text = _joined(lines[index:])
        if "→" in text or "←" in text:  # an answered question's echo
            continue
        said, area = text[2:], 0
        found = AREA.match(said)
        if found:
            said, area = said[found.end() :], int(found.group(1))
        qid = bank.find(said)
        if qid is not None:
            return index, qid, area
        for marker in MARKERS:
            if said.startswith(marker):
                return index, marker, _area_below(lines, index)
    return None


def _area_below(lines: list[str], index: int) -> int:
    """The area named by the progress line under a prompt (0: the patient's)."""
    for line in lines[index + 1 : index + 4]:
        found = re.match(r"^\s+Area (\d+) \(.*\d+/\d+ · ", line)
        if found:
            return int(found.group(1))
    return 0


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


def _jumps(labels: list[str], start: int, target: int) -> list[str] | None:
    """The letter presses that move from `start` to `target` (a letter moves to the next
    choice starting with it), or None."""
    letter, where, presses = labels[target][:1], start, []
    if not letter.isalpha():
        return None
    for _ in labels:
        where = next(
            (i % len(labels) for i in range(where + 1, where + 1 + len(labels))
             if labels[i % len(labels)].startswith(letter)),
            target,
        )  # fmt: skip
        presses.append(letter)
        if where == target:
            return presses
    return None


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
    letters = bool(re.search(r"a\s+letter\s+jumps", text))
    labels = [c["label"].lower() for c in q["choices"]]

    def move(start: int, target: int) -> list[str]:
        arrows = _moves(start, target, len(entries))
        jumps = _jumps(labels, start, target) if letters and target < len(labels) else None
        return jumps if jumps is not None and len(jumps) < len(arrows) else arrows

    if q["type"] == "one_of":
        if numbered and value is not None:
            return [str(index(value) + 1)]
        return [*move(pointed, index(value)), ENTER]
    if value == ["none"] and "n none of these" in text:
        return ["n"]
    keys: list[str] = []
    for cid in value if value is not None else [None]:
        target = index(cid)
        if numbered and cid is not None:
            keys.append(str(target + 1))
        else:
            keys += [*move(pointed, target), SPACE]
        pointed = target
    return [*keys, ENTER]


def _page_keys(lines: list[str], top: int, bank: Bank, answers: dict[str, Any]) -> list[str]:
    """`n` when every yes/no question listed above the prompt is No here.

    Else the numbers of the Yes answers and Enter where the screen offers it
    ("the numbers of the Yes"), or Enter (one by one).
    """
    start = max((i + 1 for i in range(top) if lines[i].startswith("? ")), default=0)
    listed: list[str] = []
    for line in lines[start:top]:
        found = re.match(r"^  \s?\d+\. (.*)$", line)
        if found:
            listed.append(found.group(1))
        elif listed and line.startswith("     "):
            listed[-1] += " " + line.strip()
    ids = [bank.find(AREA.sub("", text)) for text in listed]
    all_no = bool(ids) and all(qid is not None and answers.get(qid) is False for qid in ids)
    if all_no:
        return ["n"]
    numbers = [line for line in lines[start:top] if re.match(r"^  \s?\d+\. ", line)]
    offered = re.search(r"numbers\s+of\s+the\s+Yes", _joined(lines[top:]))
    if not offered or any(qid is None or answers.get(qid) is None for qid in ids):
        return [ENTER]
    yes = [
        line.split(".")[0].strip()
        for line, qid in zip(numbers, ids, strict=True)
        if answers[qid] is True
    ]
    return [*" ".join(yes), ENTER]


def _answers_in(answers: dict[str, Any], area: int) -> dict[str, Any]:
    """The answers of an area (its own over the patient's), or the patient's (area 0)."""
    areas = answers.get("areas", [])
    own = areas[area - 1] if 0 < area <= len(areas) else {}
    return {**answers, **own}


def _area_keys(lines: list[str], answers: dict[str, Any], area: int) -> list[str]:
    """Add an area while the script has more, else Done: by number, or arrows and Enter."""
    more = area < len(answers.get("areas", []))
    entries, pointed, numbered = _entries(lines[1:])
    target = next(i for i, e in enumerate(entries) if e.startswith("Add") == more)
    return [str(target + 1)] if numbered else [*_moves(pointed, target, len(entries)), ENTER]


def consult_once(src: Path, answers: dict[str, Any]) -> Count:
    """One scripted consultation; its keys and screens up to the save question.

    The patient reference, where the version asks it, is typed and counted in
    `ref_keys`, apart from the answers.
    """
    bank = Bank(src)
    count = Count()
    with tempfile.TemporaryDirectory() as home:
        term = Terminal(src, Path(home))
        try:
            seen: tuple[str, int] = ("", 0)  # the last prompt and its area
            listed = 0  # the areas listed so far
            for _ in range(200):
                lines, found = term.settle(), None
                for _wait in range(40):  # up to 10 s for the next prompt
                    found = _prompt(lines, bank)
                    if found is not None and (found[1:] != seen or found[1] == "No to each of"):
                        break
                    lines = term.settle()
                if found is None:
                    raise RuntimeError("no prompt on screen:\n" + "\n".join(lines))
                top, what, area = found
                if what == "Save the answers":
                    return count
                if (what, area) == seen and what != "No to each of":
                    raise RuntimeError(f"asked again: {what}\n" + "\n".join(lines))
                listed = max(listed, area)
                keys = _keys(what, lines, top, bank, answers, area, listed)
                term.send(keys)
                if what == "Patient reference":
                    count.ref_keys += len(keys)
                else:
                    count.keys += len(keys)
                    count.screens += 1
                seen = (what, area)
            raise RuntimeError("more than 200 prompts")
        finally:
            term.child.close(force=True)


def _keys(
    what: str,
    lines: list[str],
    top: int,
    bank: Bank,
    answers: dict[str, Any],
    area: int,
    listed: int,
) -> list[str]:
    """The keys for one prompt, with the answers of the area it is asked in."""
    here = _answers_in(answers, area)
    if what == "Patient reference":
        return [*REF, ENTER]
    if what == "Review the answers":
        return [ENTER]
    if what == "Treatment areas: add":
        return _area_keys(lines[top:], answers, listed)
    if what == "No to each of":
        return _page_keys(lines, top, bank, here)
    if what in here:
        return _keys_for(what, here[what], lines[top:], bank)
    raise RuntimeError(f"the script has no answer for {what}\n" + "\n".join(lines))


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


# The keys the issue measured before it (plan-screen issue, at 80x24), in SCENARIOS order,
# and the answers added since: the isotretinoin follow-up (one digit) for the second.
ISSUE_BEFORE = (39, 37, 45)
ADDED = (0, 1, 0)

NOTES = [
    (
        "A key is one key press (a typed digit is one, Enter is one); a screen is one prompt "
        "answered. Counted from the first prompt to the save question (Finish on the review "
        "screen and the risks accepted, asked under the plan, included); the save questions "
        "are left out. Each version runs its own question bank."
    ),
    (
        f"The patient reference (`{REF}` and Enter, {len(REF) + 1} keys) is asked once at the "
        "start and counted apart, in `+ref`; it is typed text, not a structured answer."
    ),
    (
        "The scripted clinician uses what each version's screen offers: `y`/`n`, typed "
        "numbers, one digit for a grade, a number key in a short list, a letter (type-ahead) "
        'or the arrows, whichever is shorter, in a long one, `n` for "None of these", and on '
        "a run of yes/no questions `n` (No to all) or the numbers of the Yes answers and Enter "
        "(No to the rest) where offered, else Enter and each one by one."
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
                f"| {name} | {was.keys} | {after.keys} +ref {after.ref_keys} "
                f"| {after.keys / was.keys:.2f}× | {was.screens} | {after.screens} |"
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
    nows = [counts[k].keys for k in range(1, len(counts), 2)]
    limits = [was + added for was, added in zip(ISSUE_BEFORE, ADDED, strict=True)]
    met = all(now <= limit for now, limit in zip(nows, limits, strict=True))
    target = (
        "Target: at most the keys the issue measured (39, 37 and 45) plus the answers "
        f"added since ({', '.join(map(str, limits))}): {', '.join(map(str, nows))}, "
        f"{'met' if met else '**missed**'}."
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
