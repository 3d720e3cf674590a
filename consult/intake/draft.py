"""Intake files: the draft saved after every answer, and the answer file at the end.

A draft holds patient data, so it is written atomically with owner-only
permissions (consult.output.files.write_private). It records the bank's version and
sha256 and a fingerprint of every question it has an answer for: on resume, an
answer to a question that was removed or changed is listed and not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from consult.answers.check import AnswerSet, answers_document
from consult.answers.values import check_value
from consult.bank.model import Answer, KnowledgeBase, Question
from consult.bank.yamlsource import MAX_DIGITS, Unreadable
from consult.errors import InputError, display_path
from consult.intake.areas import DONE, parse
from consult.output.files import PRIVATE_MODE, write_private

DRAFT_FORMAT = 1
MAX_DRAFT_BYTES = 5_000_000
MAX_DEPTH = 64  # as for every YAML file (consult.bank.yamlsource)
FOLDER_MODE = 0o700
# The draft's answers a bank did not take: {id: [{"answer": ..., "fingerprint": ...}]}.
ASIDE = "not_kept"


def drafts_folder() -> Path:
    """`$XDG_STATE_HOME/consult/drafts`, or `~/.local/state/consult/drafts`."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "consult" / "drafts"


MAX_SLUG = 32  # characters of a patient reference in a file name


def slug(ref: str) -> str:
    """The reference as a part of a file name: `P-0042`; "" when nothing of it is usable."""
    kept = re.sub(r"[^A-Za-z0-9._-]+", "-", ref.strip()).strip(".-")
    return kept[:MAX_SLUG].rstrip(".-")


def new_draft_path(now: datetime, folder: Path | None = None, *, ref: str = "") -> Path:
    """A fresh draft file in the drafts folder, claimed (created empty, owner-only).

    Named by the patient reference (as far as it can be part of a file name)
    and the time: `intake-P-0042-20261207-174500.json`. The name is claimed
    with O_EXCL, so two intakes started in the same second (another terminal,
    another process) never get the same draft.
    """
    folder = folder or drafts_folder()
    make_private_folder(folder)
    part = slug(ref)
    stem = f"intake-{part}-{now:%Y%m%d-%H%M%S}" if part else f"intake-{now:%Y%m%d-%H%M%S}"
    for number in range(1, 10_000):
        path = folder / (f"{stem}.json" if number == 1 else f"{stem}-{number}.json")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(f"{display_path(path)}: cannot create: {exc.strerror}") from None
        os.close(fd)
        return path
    raise InputError(f"{display_path(folder)}: too many drafts started at {now:%H:%M:%S}")


def make_private_folder(folder: Path) -> None:
    """Create a folder and its missing parents owner-only (0700), whatever the umask."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        for path in reversed(missing):
            try:
                path.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                continue  # made meanwhile by someone else: theirs, left as it is
            path.chmod(FOLDER_MODE)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise InputError(f"{display_path(folder)}: cannot create: {exc.strerror}") from None


def fingerprint(question: Question) -> str:
    """A short hash of what an answer means: text, type, choices and limits.

    Help text and `when` are left out: help does not change an answer's meaning,
    and a changed `when` is handled by branching on resume.
    """
    parts: list[Any] = [question.text, question.kind, question.minimum, question.maximum]
    parts.append(question.max_length)
    parts.append([[c.id, c.label, c.exclusive] for c in question.choices])
    data = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class DraftWriter:
    """Writes one draft file; the bank's fingerprints are computed once."""

    def __init__(
        self, path: Path, kb: KnowledgeBase, aside: Mapping[str, Any] | None = None
    ) -> None:
        self.path = path
        self.kb = kb
        self._prints = {q.id: fingerprint(q) for q in kb.questions}
        # Answers read from the draft that this bank does not take, kept as they
        # were so that a resume with the bank they were given with restores them.
        self.aside = dict(aside or {})

    def _print(self, qid: str) -> str:
        """The fingerprint of a question, or of the question an area's answer is to."""
        found = parse(qid)
        return self._prints[found[2] if found is not None else qid] if "[+]" not in qid else ""

    def create(self) -> None:
        """Write an empty draft, refusing to replace an existing file."""
        self.save({}, (), "", overwrite=False)

    def save(
        self,
        answers: Mapping[str, Answer],
        skipped: Collection[str],
        patient_ref: str,
        *,
        overwrite: bool = True,
    ) -> None:
        """Replace the draft with these answers (atomic, owner-only)."""
        ids = [*answers, *sorted(skipped)]
        doc = {
            "consult_draft": DRAFT_FORMAT,
            "bank": {"version": self.kb.version, "sha256": self.kb.sha256},
            "patient": {"ref": patient_ref},
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()},
            "skipped": sorted(skipped),
            "fingerprints": {qid: self._print(qid) for qid in ids},
        }
        if self.aside:
            doc[ASIDE] = self.aside
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        write_private(self.path, text + "\n", overwrite=overwrite)


@dataclass(frozen=True, slots=True)
class Draft:
    """A draft read back and checked against the current bank."""

    answers: dict[str, Answer]
    skipped: tuple[str, ...]
    patient_ref: str
    bank_version: str
    bank_changed: bool
    not_kept: tuple[str, ...]  # one line per answer that was not kept, and why
    aside: dict[str, list[dict[str, Any]]]  # those answers as the draft held them, kept


def read_draft(path: Path, kb: KnowledgeBase) -> Draft:
    """Read a draft; answers to removed or changed questions are listed, not kept.

    Raises:
        InputError: the file cannot be read or is not an intake draft.
    """
    doc = _load(path)
    bank = doc.get("bank")
    sha = bank.get("sha256") if isinstance(bank, dict) else None
    version = bank.get("version") if isinstance(bank, dict) else None
    prints = doc.get("fingerprints")
    if not isinstance(prints, dict):
        prints = {}
    answers, not_kept, aside = _sorted_answers(kb, doc, prints)
    skipped = _skipped(kb, doc.get("skipped"), prints, not_kept)
    patient = doc.get("patient")
    ref = patient.get("ref") if isinstance(patient, dict) else ""
    return Draft(
        answers=answers,
        skipped=skipped,
        patient_ref=ref if isinstance(ref, str) else "",
        bank_version=str(version or "unknown"),
        bank_changed=sha != kb.sha256,
        not_kept=tuple(not_kept),
        aside=aside,
    )


def _sorted_answers(
    kb: KnowledgeBase, doc: dict[str, Any], prints: Mapping[str, Any]
) -> tuple[dict[str, Answer], list[str], dict[str, list[dict[str, Any]]]]:
    """The answers this bank takes, why the others are not kept, and those set aside.

    An answer this bank does not take (the draft's, or one set aside by an
    earlier resume with another bank) stays aside in the draft, and comes back
    when a bank that takes it is used again.
    """
    answers: dict[str, Answer] = {}
    not_kept: list[str] = []
    aside: dict[str, list[dict[str, Any]]] = {}
    for qid, entries in _candidates(doc, prints).items():
        whys = []
        for entry in entries:
            if qid not in answers:
                checked, why = _answer(kb, qid, entry["answer"], entry["fingerprint"])
                if not why:
                    if checked is not None:
                        answers[qid] = checked
                    continue
                whys.append(why)
            if entry not in aside.setdefault(qid, []):
                aside[qid].append(entry)
        if qid not in answers and whys:
            not_kept.append(whys[0])
    return answers, not_kept, {qid: found for qid, found in aside.items() if found}


def _candidates(doc: dict[str, Any], prints: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each question's answers in the draft: its answer first, then those set aside."""
    found: dict[str, list[dict[str, Any]]] = {}
    raw = doc.get("answers")
    for qid, value in raw.items() if isinstance(raw, dict) else ():
        if value is not None:
            found.setdefault(str(qid), []).append({"answer": value, "fingerprint": prints.get(qid)})
    old = doc.get(ASIDE)
    for qid, entries in old.items() if isinstance(old, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and entry.get("answer") is not None:
                print_ = entry.get("fingerprint")
                found.setdefault(str(qid), []).append(
                    {"answer": entry["answer"], "fingerprint": print_}
                )
    return found


def _load(path: Path) -> dict[str, Any]:
    shown = display_path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DRAFT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_DRAFT_BYTES:
        raise InputError(f"{shown}: too big for an intake draft")
    try:
        text = data.decode("utf-8")
        if _depth(text) > MAX_DEPTH:  # the JSON reader would end in a RecursionError
            raise InputError(
                f"{shown}: not an intake draft (nested deeper than {MAX_DEPTH} levels)"
            )
        doc = json.loads(text, parse_int=_whole_number)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{shown}: not an intake draft (not readable JSON)") from None
    version = doc.get("consult_draft") if isinstance(doc, dict) else None
    # The whole number, not true or 1.0 (which equal it in Python).
    if not isinstance(doc, dict) or version.__class__ is not int or version != DRAFT_FORMAT:
        raise InputError(f"{shown}: not an intake draft of format {DRAFT_FORMAT}")
    return doc


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (not checked for balance)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _whole_number(text: str) -> int | Unreadable:
    """A JSON whole number; one too long for any question is kept to be reported."""
    digits = len(text.removeprefix("-"))
    return Unreadable(f"a number of {digits:,} digits") if digits > MAX_DIGITS else int(text)


def _question(kb: KnowledgeBase, qid: str) -> Question | None:
    """The question an id stands for: a bank question, or one asked per area."""
    found = parse(qid)
    if found is None:
        return kb.by_id.get(qid)
    group = kb.groups.get(found[0])
    return kb.by_id[found[2]] if group is not None and found[2] in kb.per_area else None


def _why_not(kb: KnowledgeBase, qid: str, prints: Mapping[str, Any]) -> str:
    if qid.endswith("[+]"):  # "done with the areas": kept while the group exists
        return "" if qid[:-3] in kb.groups else f"{qid}: removed from the question bank"
    question = _question(kb, qid)
    if question is None:
        return f"{qid}: removed from the question bank"
    if prints.get(qid) != fingerprint(question):
        return f"{qid}: the question has changed since the draft was saved; it will be asked again"
    return ""


def _answer(kb: KnowledgeBase, qid: str, value: Any, print_: Any) -> tuple[Answer | None, str]:
    """One answer of the draft checked against this bank, or why it is not kept."""
    why = _why_not(kb, qid, {qid: print_})
    question = _question(kb, qid)
    if why:
        return None, why
    if question is None:  # "done with the areas"
        return (value if value == DONE else None), ""
    checked, error = check_value(question, value)
    return (None, f"{qid}: {error}; it will be asked again") if error else (checked, "")


def _skipped(
    kb: KnowledgeBase, raw: Any, prints: Mapping[str, Any], not_kept: list[str]
) -> tuple[str, ...]:
    kept: list[str] = []
    for qid in raw if isinstance(raw, list) else []:
        why = _why_not(kb, str(qid), prints)
        question = _question(kb, str(qid))
        if not why and question is not None and question.required:
            why = f"{qid}: now needs an answer; it will be asked again"
        if why:
            not_kept.append(why)
        else:
            kept.append(str(qid))
    return tuple(kept)


def answer_file_text(answers: AnswerSet, path: Path) -> str:
    """The answer file (contract format): JSON for a .json name, YAML otherwise."""
    doc = answers_document(answers.answers, answers.patient_ref)
    if path.suffix.lower() == ".json":
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    import yaml

    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def path_error(text: str) -> str:
    """Why a typed file name cannot be used for saving, or ""."""
    if not text.strip():
        return "enter a file name"
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        return f"{text.strip()} is a folder; enter a file name"
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    return ""
