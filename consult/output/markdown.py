"""The consultation summary in markdown: pure and deterministic.

The same answers, bank and date give the same bytes. Metadata goes in YAML
front matter written by `yaml.safe_dump`; every piece of text from the answers
or the bank is escaped, so a note cannot create headings, lists, quotes, links,
images, HTML, entities, code, emphasis or tables. Escaping is by context: a
backslash goes only before a character that could start markdown structure
where it stands (see `escape`), control characters are dropped and line breaks
become spaces, so ordinary prose such as `Follow-up: 3-4 weeks.` reads
unchanged in the raw file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import yaml

from consult import __version__
from consult.answers.check import AnswerSet, answer_words
from consult.bank.model import Answer, Evidence, KnowledgeBase, Section
from consult.engine.result import Candidate, Reason, Result, settled_note
from consult.output.plan import (
    AreaView,
    area_answers,
    area_lead,
    area_views,
    evidence_of,
    shows_areas,
    standing,
)

SCHEMA = "consult-summary/1"
NOTES = "notes"
DISCLAIMER = (
    "Decision support only, not a prescription: candidates are options to discuss, "
    "not recommendations. The clinician decides."
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Always escaped: code spans, links and images, table cells.
_ALWAYS = frozenset("`[]|")
# Emphasis and strikethrough delimiters: literal only with whitespace on both sides.
_DELIMITERS = frozenset("*~")
# A block marker in the first column: headings, quotes, lists, breaks, setext
# underlines, fences, HTML blocks, tables, link reference definitions.
_LINE_START = frozenset("#>-+*=_`~<|[")
_ORDERED = re.compile(r"\d{1,9}[.)]")
# `<` that could open an HTML tag, comment, declaration or autolink (URI or e-mail).
_ANGLE = re.compile(r"<(?=[A-Za-z/!?]|$|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@)")
# `&` that could start an entity or numeric character reference.
_AMP = re.compile(r"&(?=#?[A-Za-z0-9]+(;|$))")


def escape(text: str) -> str:
    """One line of literal text: structure-starting characters escaped, controls dropped.

    Line breaks and runs of whitespace become single spaces. The text may stand
    anywhere on a line (start of a paragraph, list item or heading, or after
    other text), so the start and end of `text` count as neither space nor word.
    """
    text = _CONTROL.sub("", text.replace("\r\n", " ").replace("\r", " "))
    line = " ".join(text.split())
    marks = _marks(line)
    return "".join(f"\\{ch}" if i in marks else ch for i, ch in enumerate(line))


def _marks(line: str) -> set[int]:
    """Positions in `line` that need a backslash before them."""
    marks = {i for i, ch in enumerate(line) if _inline_needs(line, i, ch)}
    marks.update(m.start() for m in _ANGLE.finditer(line))
    marks.update(m.start() for m in _AMP.finditer(line))
    if line and line[0] in _LINE_START:
        marks.add(0)
    ordered = _ORDERED.match(line)
    if ordered:
        marks.add(ordered.end() - 1)
    return marks


def _inline_needs(line: str, i: int, ch: str) -> bool:
    """Whether the character at `i` could act as markdown inline syntax."""
    before = line[i - 1] if i > 0 else ""
    after = line[i + 1] if i + 1 < len(line) else ""
    if ch in _ALWAYS:
        return True
    if ch == "\\":
        return not after or after in _ASCII_PUNCT
    if ch in _DELIMITERS:
        return not (before.isspace() and after.isspace())
    if ch == "_":
        inert = (before.isspace() and after.isspace()) or (before.isalnum() and after.isalnum())
        return not inert
    if ch == "#":
        return not line[:i].rstrip("#") or not line[i:].lstrip("#")
    return False


def paragraph(text: str) -> str:
    """Multi-line text as one literal paragraph with hard line breaks."""
    lines = (escape(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\\\n".join(line for line in lines if line)


def render_markdown(kb: KnowledgeBase, answers: AnswerSet, result: Result, *, date: str) -> str:
    """The consultation summary a clinician would file, as markdown text."""
    parts = [
        _front_matter(answers, result, date),
        "# Consultation summary",
        *_referrals(kb, result),
        *_plan(kb, result),
        *_candidates(kb, result),
        *_undetermined(kb, result),
        *_excluded(kb, result),
        *_information(kb, result),
        *_unknown(kb, result),
        *_answers(kb, answers),
        *_notes(answers),
        "## Disclaimer",
        escape(DISCLAIMER),
    ]
    return "\n\n".join(parts) + "\n"


def _front_matter(answers: AnswerSet, result: Result, date: str) -> str:
    meta = {
        "schema": SCHEMA,
        "patient_ref": _CONTROL.sub(" ", answers.patient_ref) or None,
        "consultation_date": date,
        "tool": "consult",
        "tool_version": __version__,
        "bank_version": result.version,
        "bank_sha256": result.sha256,
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---"


def _section(title: str, items: list[str], empty: str) -> Iterator[str]:
    yield f"## {escape(title)}"
    yield _bullets(items) if items else escape(empty)


def _bullets(items: Iterable[str], indent: str = "") -> str:
    return "\n".join(f"{indent}- {item}" for item in items)


def _referrals(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """One item per referral, with every reason that raised it."""
    reasons: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for r in result.referrals:
        names[r.id] = r.name
        reasons.setdefault(r.id, []).extend(
            f"{_shown(kb, why)} ({_why(why)})" for why in r.every_reason
        )
    items = [f"{escape(names[rid])}: {'; '.join(texts)}" for rid, texts in reasons.items()]
    items += [escape(note) for note in _settled(kb, result, "refer")]
    yield from _section("Referrals", items, "None raised.")


def _settled(kb: KnowledgeBase, result: Result, kind: str, target: str = "") -> list[str]:
    """Lines saying that an outcome stands whatever the open questions' answers."""
    return [
        settled_note(item, lambda q: _question_text(kb, q))
        for item in result.settled
        if item.outcome == kind and item.verdict and (not target or item.target == target)
    ]


def _shown(kb: KnowledgeBase, reason: Reason) -> str:
    """The reason's text, escaped, led by its area when one raised it."""
    return escape(area_lead(kb, reason.area) + reason.text)


def _plan(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """The plan in each listed area; nothing when the answers list no area."""
    if not shows_areas(result):
        return
    yield f"## {escape('Plan per treatment area')}"
    for view in area_views(kb, result):
        yield f"### {escape(view.name)}"
        yield _bullets(_area_lines(kb, view))


def _area_lines(kb: KnowledgeBase, view: AreaView) -> Iterator[str]:
    yield escape(f"Treated here: {view.treated}")
    yield from (escape(f"Refer first: {name}") for name in view.referrals)
    for c in view.candidates:
        certainty = evidence_of(c).certainty.replace("_", " ")
        yield escape(f"Candidate: {c.procedure.name} ({certainty} certainty)")
    if not view.candidates:
        yield escape("No candidate here.")
    for u in view.undetermined:
        waits = "; ".join(_question_text(kb, q) for q in u.waiting_for) or "more answers"
        yield escape(f"Not yet assessed: {u.procedure.name}: waiting for {waits}")
    for e in view.excluded:
        reasons = "; ".join(f"{escape(r.text)} ({_why(r)})" for r in e.reasons)
        yield f"{escape(f'Ruled out: {e.procedure.name}')}: {reasons}"
    if view.others:
        yield escape(f"Also ruled out, for other concerns: {', '.join(view.others)}")
    if view.open:
        yield escape(f"Also open here: {'; '.join(_question_text(kb, q) for q in view.open)}")


def _why(reason: Reason) -> str:
    basis = f"; basis: {reason.basis_words}" if reason.basis else ""
    return escape(f"rule {reason.rule}{basis}")


def _candidates(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    yield "## Candidate procedures"
    if not result.candidates:
        yield escape("None on these answers.")
    for candidate in result.candidates:
        yield f"### {escape(candidate.procedure.name)}"
        yield _bullets(_candidate_lines(kb, result, candidate))


def _where(kb: KnowledgeBase, result: Result, procedure: str) -> list[str]:
    """Where a procedure stands in the listed areas, as one line; none without areas."""
    if not shows_areas(result):
        return []
    return [escape("; ".join(standing(kb, result, procedure)))]


def _candidate_lines(kb: KnowledgeBase, result: Result, candidate: Candidate) -> Iterator[str]:
    proc = candidate.procedure
    yield from _where(kb, result, proc.id)
    evidence = [(i.label, i.evidence) for i in candidate.indications] or [("", proc.evidence)]
    for label, note in evidence:
        yield from _evidence(kb, label, note)
    for caveat in candidate.caveats:
        yield f"Caveat: {_shown(kb, caveat)} ({_why(caveat)})"
    for title, text in (("Protocol", proc.protocol), ("Downtime", proc.downtime)):
        if text:
            yield f"{title}: {escape(text)}"
    if proc.regulatory:
        yield f"Regulatory: {escape(proc.regulatory)}"
    yield escape(f"Rules: {', '.join(candidate.rules)}")
    yield f"Answers behind it: {_answer_list(kb, candidate.answers)}"


def _evidence(kb: KnowledgeBase, label: str, note: Evidence) -> Iterator[str]:
    about = f" ({label})" if label else ""
    certainty = note.certainty.replace("_", " ")
    yield escape(
        f"Evidence{about}: {certainty} certainty, OCEBM level {note.level}. {note.summary}"
    )
    for ref in note.references:
        found = kb.references.get(ref)
        yield escape(f"Reference {ref}: {found.citation if found else ref}")


def _answer_list(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> str:
    shown = [
        f"{_question_text(kb, q)}: {answer_words(kb.by_id.get(q), v)}" for q, v in answers.items()
    ]
    return escape("; ".join(shown)) if shown else escape("none")


def _question_text(kb: KnowledgeBase, qid: str) -> str:
    question = kb.by_id.get(qid)
    return question.text if question else qid


def _names(kb: KnowledgeBase, ids: Iterable[str]) -> str:
    found = []
    for pid in ids:
        target = kb.procedures.get(pid) or kb.referrals.get(pid)
        found.append(target.name if target else pid)
    return ", ".join(found)


def _undetermined(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Each procedure with what is already known (its caveats); the open questions follow."""
    if not result.undetermined:
        return
    yield f"## {escape('Cannot be assessed yet')}"
    for item in result.undetermined:
        yield f"### {escape(item.procedure.name)}"
        lines = _where(kb, result, item.procedure.id)
        lines += [f"Caveat: {_shown(kb, c)} ({_why(c)})" for c in item.caveats]
        count = len(item.waiting_for)
        lines.append(escape(f"Not offered until answered: {count} open question(s), listed below"))
        yield _bullets(lines)


def _excluded(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Procedures for the patient's concerns with their reasons; the others on one line.

    With areas, each procedure's standing in every area follows it, one level in.
    """
    items = [
        f"{escape(e.procedure.name)}: "
        + "; ".join(
            [f"{_shown(kb, r)} ({_why(r)})" for r in e.reasons]
            + [escape(n) for n in _settled(kb, result, "exclude", e.procedure.id)]
        )
        + "".join(f"\n  - {line}" for line in _where(kb, result, e.procedure.id))
        for e in result.excluded
        if e.in_scope
    ]
    others = [e.procedure.name for e in result.excluded if not e.in_scope]
    if others:
        items.append(escape(f"Also ruled out, for other concerns: {', '.join(others)}"))
    yield from _section("Excluded procedures", items, "None.")


def _information(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    if result.information:
        items = [
            f"{escape(i.procedure.name)}: {_shown(kb, i.reason)} ({_why(i.reason)})"
            for i in result.information
        ]
        yield from _section("Information", items, "")


def _unknown(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Each open question once, most decisive first, with what it would settle by name."""
    ordered = sorted(result.unknown, key=lambda u: -len(u.needed_by))
    items = [
        escape(f"{area_lead(kb, u.area)}{u.text}: would settle {_names(kb, u.needed_by)}")
        for u in ordered
    ]
    yield from _section("Unanswered questions that matter", items, "None.")


def _answers(kb: KnowledgeBase, answers: AnswerSet) -> Iterator[str]:
    """The answers by section; in each, the answers given for every area, then each area's."""
    yield "## Answers"
    given = answers.answers
    areas = list(area_answers(kb, given))
    for section in kb.sections:
        lines = [
            _answer_line(kb, q, given[q]) for q in section.questions if q in given and q != NOTES
        ]
        lines += [block for name, own in areas if (block := _area_block(kb, section, name, own))]
        if lines:
            yield f"### {escape(section.title)}"
            yield _bullets(lines)
    if not any(q != NOTES for q in given):
        yield escape("No answers given.")


def _answer_line(kb: KnowledgeBase, qid: str, value: Answer) -> str:
    return escape(f"{kb.by_id[qid].text}: {answer_words(kb.by_id[qid], value)}")


def _area_block(kb: KnowledgeBase, section: Section, name: str, own: Mapping[str, Answer]) -> str:
    """An area's answers to a section's questions, under the area's name; "" if none.

    The section of the areas themselves names every area (its site is its answer there).
    """
    lines = [
        _answer_line(kb, q, own[q]) for q in section.questions if q in own and q != section.key
    ]
    if not lines and not section.key:
        return ""
    return "\n".join([escape(name), *(f"  - {line}" for line in lines)])


def _notes(answers: AnswerSet) -> Iterator[str]:
    yield "## Notes"
    note = answers.answers.get(NOTES)
    text = paragraph(note) if isinstance(note, str) else ""
    yield text or escape("None.")
