"""An answer file written for given concerns: blank to fill in, or filled with an example.

Every question the concerns may need is listed by id, in bank order, under a
comment with its text, and with its allowed values as a comment beside it: the
patient's questions first, then `areas`, one per place treated, each with its
site, what is treated there, that lesion's details and the site screen (as in
the README's answer-file section). A question that may apply only after other
answers says so. A question left empty is unknown, never read as no.

Each concern goes to the area of its only site (hair loss: the scalp), or,
with `sites`, to each given site where it can be treated; the other concerns
share one area whose site is left to fill in.

The example fills each question, in bank order, with the answer the installed
samples give it (the samples treating these concerns first), and only where
the question applies to the answers before it: it reads without a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from consult import __version__
from consult.answers.check import AnswerSet
from consult.answers.groups import CONCERNS, area_questions, area_view
from consult.bank.model import Answer, Items, KnowledgeBase, Question, Section
from consult.bank.truth import applicability
from consult.bank.yamlsource import suggest
from consult.errors import InputError

INDENT = "  "
VALUE_COLUMN = 40  # where the allowed values start on a question's line


@dataclass
class Area:
    """One area of the file: its site (None: to fill in) and what is treated there."""

    site: str | None
    concerns: list[str]
    answers: dict[str, Answer] = field(default_factory=dict)


def answer_file(
    kb: KnowledgeBase,
    concerns: Sequence[str],
    sites: Sequence[str] = (),
    samples: Sequence[AnswerSet] | None = None,
) -> str:
    """The answer file for these concerns: blank, or with `samples` an example.

    Raises:
        InputError: a concern or site that the bank does not have, or that do not fit.
    """
    group = _group(kb)
    _check(kb, CONCERNS, concerns, "concern")
    _check(kb, group.key, sites, "site")
    areas = _areas(kb, list(dict.fromkeys(concerns)), list(dict.fromkeys(sites)))
    patient: dict[str, Answer] = {CONCERNS: tuple(dict.fromkeys(concerns))}
    if samples is not None:
        _fill(kb, group, patient, areas, _Pool(group, samples, concerns))
    return "".join(_lines(kb, group, patient, areas, example=samples is not None))


def _group(kb: KnowledgeBase) -> Section:
    group = kb.areas
    if group is None or CONCERNS not in kb.by_id:
        raise InputError("this question bank has no treatment areas and concerns to write")
    return group


def _check(kb: KnowledgeBase, qid: str, given: Iterable[str], what: str) -> None:
    known = kb.by_id[qid].choice_ids
    for value in given:
        if value not in known:
            hint = suggest(value, list(known)) or f" (one of {', '.join(known)})"
            raise InputError(f"{value!r} is not a {what} of the question bank{hint}")


def _areas(kb: KnowledgeBase, concerns: list[str], sites: list[str]) -> list[Area]:
    """The areas of the file: each site given, each concern's only site, then the rest."""
    question = kb.by_id[CONCERNS]
    where = {c: choice.sites for c in concerns if (choice := question.choice(c)) is not None}
    areas = [Area(s, [c for c in concerns if not where[c] or s in where[c]]) for s in sites]
    for area in areas:
        if not area.concerns:
            raise InputError(f"none of {', '.join(concerns)} can be treated at {area.site}")
    placed = {c for area in areas for c in area.concerns}
    only = dict.fromkeys(where[c][0] for c in concerns if c not in placed and len(where[c]) == 1)
    areas += [Area(s, [c for c in concerns if c not in placed and where[c] == (s,)]) for s in only]
    rest = [c for c in concerns if c not in placed and len(where[c]) != 1]
    if any(where[c] for c in rest):
        shown = ", ".join(f"{c} ({' or '.join(where[c])})" for c in rest if where[c])
        raise InputError(f"give a --site where these can be treated: {shown}")
    return [*areas, Area(None, rest)] if rest else areas


# ---- the example ---------------------------------------------------------------------


class _Pool:
    """Example answers from the samples: the patient's, and those of each concern's area."""

    def __init__(
        self,
        group: Section,
        samples: Sequence[AnswerSet],
        concerns: Sequence[str],
    ) -> None:
        def overlap(sample: AnswerSet) -> int:
            return -len(set(_tuple(sample.answers.get(CONCERNS))) & set(concerns))

        ordered = sorted(samples, key=overlap)
        self.patient: dict[str, Answer] = {}
        self.items: list[Mapping[str, Answer]] = []
        for sample in ordered:
            for qid, value in sample.answers.items():
                self.patient.setdefault(qid, value)
            found = sample.answers.get(group.id)
            self.items += found.items if isinstance(found, Items) else []

    def area_value(self, area: Area, qid: str) -> Answer | None:
        """The answer an area of the samples treating these concerns gives, else any area's."""
        for item in sorted(
            self.items, key=lambda i: not set(_tuple(i.get(CONCERNS))) & set(area.concerns)
        ):
            if qid in item:
                return item[qid]
        return None


def _tuple(value: Answer | None) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else ()


def _fill(
    kb: KnowledgeBase, group: Section, patient: dict[str, Answer], areas: list[Area], pool: _Pool
) -> None:
    """Each question's example answer, in bank order, where it applies to the answers so far."""
    for question in _patient_questions(kb, group):
        value = pool.patient.get(question.id)
        if value is None or question.id in patient:
            continue
        if applicability(kb, patient)(question.id) is True:
            patient[question.id] = value
    used = {area.site for area in areas}
    for area in areas:
        if area.site is None:
            area.site = _site_of(pool, area, kb.by_id[group.key].choice_ids, group.key, used)
            used.add(area.site)
        area.answers = {group.key: area.site, CONCERNS: tuple(area.concerns)}
        for question in area_questions(kb, group)[1:]:
            value = pool.area_value(area, question.id)
            if value is not None and question.id not in area.answers:
                view = area_view(patient, area.answers)
                if applicability(kb, view, applicability(kb, patient))(question.id) is True:
                    area.answers[question.id] = value


def _site_of(pool: _Pool, area: Area, sites: Sequence[str], key: str, used: set[str | None]) -> str:
    """The site a sample treats these concerns at, else the first one free (`other` last)."""
    found = [str(i[key]) for i in pool.items if set(_tuple(i.get(CONCERNS))) & set(area.concerns)]
    return next(s for s in [*found, sites[-1], *sites] if s not in used)


# ---- the text ------------------------------------------------------------------------


def _patient_questions(kb: KnowledgeBase, group: Section) -> list[Question]:
    """The questions answered once for the patient (and the patient's concerns)."""
    return [
        q
        for q in kb.questions
        if q.id == CONCERNS or (q.id not in kb.per_area and q.section != group.id)
    ]


def _lines(
    kb: KnowledgeBase,
    group: Section,
    patient: dict[str, Answer],
    areas: list[Area],
    *,
    example: bool,
) -> list[str]:
    concerns = ", ".join(_tuple(patient[CONCERNS]))
    kind = "an EXAMPLE (not a patient)" if example else "blank: fill in what is known"
    lines = [
        f"# consult answer file for {concerns}: {kind}.\n",
        f"# Written by consult {__version__} for question bank {kb.version}.\n",
        "# A question left empty (or deleted) is unknown, never read as no.\n",
        "# Check it and see what fits: consult evaluate FILE\n",
        "consult: 1\n",
        "# patient:\n",
        "#   ref: P-0042                 # optional, pseudonymous: never a name\n",
        "answers:\n",
    ]
    applies = applicability(kb, patient)
    for question in _patient_questions(kb, group):
        if applies(question.id) is not False:
            lines += _question(question, patient.get(question.id), INDENT, applies(question.id))
    lines.append(
        f"{INDENT}{group.id}:{' ' * (VALUE_COLUMN - len(group.id) - 3)}# one per place treated\n"
    )
    for area in areas:
        lines += _area(kb, group, patient, area)
    return lines


def _area(kb: KnowledgeBase, group: Section, patient: dict[str, Answer], area: Area) -> list[str]:
    own: dict[str, Answer] = {CONCERNS: tuple(area.concerns), **area.answers}
    if area.site is not None:
        own[group.key] = area.site
    view = area_view(patient, own)
    applies = applicability(kb, view, applicability(kb, patient))
    lines: list[str] = []
    for question in area_questions(kb, group):
        if question.id in (group.key, CONCERNS) or applies(question.id) is not False:
            lead = f"{INDENT * 2}- " if not lines else INDENT * 3
            lines += _question(question, own.get(question.id), lead, applies(question.id))
    return lines


def _question(
    question: Question, value: Answer | None, lead: str, applies: bool | None
) -> list[str]:
    """A question's comment line (its text) and its `id: value  # allowed values` line."""
    text = " ".join(question.text.split())
    comment_lead = lead.removesuffix("- ")
    written = f"{lead}{question.id}: {_yaml(value)}".rstrip()
    note = _allowed(question) + ("; asked only after some answers" if applies is None else "")
    return [f"{comment_lead}# {text}\n", f"{written.ljust(VALUE_COLUMN - 1)} # {note}\n"]


def _yaml(value: Answer | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return f"[{', '.join(value)}]"
    if (isinstance(value, str) and not _PLAIN.fullmatch(value)) or value in _YAML_WORDS:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# A choice id written as it is: YAML reads it back as the same text.
_PLAIN = re.compile(r"[a-z][a-z0-9_]*")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _allowed(question: Question) -> str:
    required = " (required)" if question.required else ""
    if question.kind == "yes_no":
        return f"true or false{required}"
    if question.kind == "one_of":
        return f"one of: {', '.join(question.choice_ids)}{required}"
    if question.kind == "many_of":
        return f"a list of: {', '.join(question.choice_ids)}{required}"
    if question.kind == "integer":
        low = "" if question.minimum is None else f" from {question.minimum}"
        high = "" if question.maximum is None else f" to {question.maximum}"
        return f"a whole number{low}{high}{required}"
    return f"text, up to {question.max_length} characters{required}"


def read_samples(kb: KnowledgeBase, paths: Iterable[Path]) -> list[AnswerSet]:
    """The installed samples, read and checked against the bank."""
    from consult.answers.read import read_file

    return [read_file(kb, path) for path in paths]
