"""Whose consultation: the patient reference in file names, and the drafts listed by it.

The reference is pseudonymous (`P-0042`), asked at the start of an intake and
never taken from the command line (argv shows in `ps` and in shell history). It
goes into the draft, the answer file (`patient: {ref: ...}`), the summary and
the names of the files, where only letters, digits, `.`, `_` and `-` are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from consult.answers.check import patient_ref_error
from consult.intake.draft import drafts_folder, slug

REF_PROMPT = "Patient reference (pseudonymous, such as P-0042):"


def ref_error(text: str) -> str:
    """Why a typed reference cannot be used, or "" (an empty one means none)."""
    text = text.strip()
    return patient_ref_error(text) if text else ""


def file_stem(ref: str, now: datetime) -> str:
    """`consult-P-0042-20261207-1745`, or `consult-20261207-1745` without a reference."""
    part = slug(ref)
    return f"consult-{part}-{now:%Y%m%d-%H%M}" if part else f"consult-{now:%Y%m%d-%H%M}"


@dataclass(frozen=True, slots=True)
class DraftEntry:
    """A draft as offered to `consult intake --resume`: whose, when, how far."""

    path: Path
    ref: str
    saved: datetime
    answered: int

    def label(self) -> str:
        """`P-0042 · 2026-12-07 17:45 · 23 answers`."""
        who = self.ref or "(no reference)"
        count = f"{self.answered} answer{'s' * (self.answered != 1)}"
        return f"{who} · {self.saved:%Y-%m-%d %H:%M} · {count}"


def list_drafts(folder: Path | None = None) -> list[DraftEntry]:
    """The drafts in the drafts folder, newest first; files that are not drafts are left out."""
    folder = folder or drafts_folder()
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            saved = datetime.fromtimestamp(path.stat().st_mtime)
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or "consult_draft" not in doc:
            continue
        patient, answers = doc.get("patient"), doc.get("answers")
        ref = patient.get("ref") if isinstance(patient, dict) else ""
        count = len(answers) if isinstance(answers, dict) else 0
        found.append(DraftEntry(path, ref if isinstance(ref, str) else "", saved, count))
    return sorted(found, key=lambda d: d.saved, reverse=True)
