"""The consultation record in markdown: the entry a clinic files, pure and deterministic.

The same answers, bank, date, time and clinician give the same bytes. The
record reads as a clinic reads it, in any CommonMark renderer: who, when and by
whom; the positive safety findings; the plan per treatment area with its steps
before treatment; the referrals; what was ruled out for the patient's own
concerns; the open questions; examination and notes; the answers; every cited
reference; the attestation. Rule ids, the bank's identity and the
machine-readable metadata (a fenced YAML block, see `read_metadata`) are in the
appendix at the end. Every piece of text from the answers or the bank is escaped
(`consult.output.text`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from consult.answers.check import AnswerSet, answer_words
from consult.bank.model import Answer, Evidence, KnowledgeBase
from consult.engine.result import Action, Candidate, Reason, Result
from consult.output.answerlist import answers_part, notes_part
from consult.output.appendix import (
    SCHEMA,
    Header,
    appendix_part,
    clinician_of,
    names,
    one_line,
    read_metadata,
    referral_reasons,
)
from consult.output.plan import (
    AreaView,
    area_lead,
    area_views,
    evidence_of,
    positive_findings,
    shows_areas,
    standing,
)
from consult.output.text import cited, escape, paragraph

__all__ = ["DISCLAIMER", "SCHEMA", "Header", "escape", "paragraph", "read_metadata"]

DISCLAIMER = (
    "Decision support only, not a prescription: candidates are options to discuss, "
    "not recommendations. The clinician decides."
)
ATTESTATION = (
    "I reviewed these answers with the patient, examined the treatment areas and "
    "made the decisions recorded here."
)
NOT_RECORDED = "not recorded"


def render_markdown(
    kb: KnowledgeBase,
    answers: AnswerSet,
    result: Result,
    *,
    date: str,
    time: str = "",
    clinician: str = "",
) -> str:
    """The consultation record a clinician files, as markdown text."""
    header = Header(date, one_line(time), clinician_of(answers, clinician))
    clinical = [
        *_safety(kb, result),
        *_plan(kb, result),
        *_referrals(kb, result),
        *_candidates(kb, result),
        *_undetermined(kb, result),
        *_excluded(kb, result),
        *_information(kb, result),
        *_unknown(kb, result),
    ]
    parts = [
        "# Consultation record",
        _identity(answers, header),
        *clinical,
        "## Examination",
        escape("Not part of the questionnaire: to be written by the clinician."),
        *notes_part(answers),
        *answers_part(kb, answers),
        *_references(kb, clinical),
        *_attestation(header),
        "## Disclaimer",
        escape(DISCLAIMER),
        *appendix_part(kb, answers, result, header),
    ]
    return "\n\n".join(parts) + "\n"


def _identity(answers: AnswerSet, header: Header) -> str:
    lines = [
        ("Patient reference", one_line(answers.patient_ref) or NOT_RECORDED),
        ("Date", header.date),
        ("Time", header.time or NOT_RECORDED),
        ("Clinician", header.clinician or NOT_RECORDED),
    ]
    return _bullets(escape(f"{title}: {value}") for title, value in lines)


def _section(title: str, items: list[str], empty: str) -> Iterator[str]:
    yield f"## {escape(title)}"
    yield _bullets(items) if items else escape(empty)


def _bullets(items: Iterable[str], indent: str = "") -> str:
    return "\n".join(f"{indent}- {item}" for item in items)


def _safety(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Every yes that a rule excluding, cautioning or referring looks for, with its area."""
    items = [escape(f"{finding}: yes") for finding in positive_findings(result, kb)]
    yield from _section("Safety findings", items, "No positive safety answer.")


def _referrals(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """One item per referral, with every reason that raised it."""
    items = [
        f"{escape(name)}: {_joined(_reason(kb, why) for why in reasons)}"
        for name, reasons in referral_reasons(result).values()
    ]
    items += [escape(note) for note in _settled(kb, result, "refer")]
    yield from _section("Referrals", items, "None raised.")


def _settled(kb: KnowledgeBase, result: Result, kind: str, target: str = "") -> list[str]:
    """Lines saying that an outcome stands whatever the open questions' answers."""
    return [
        "Settled whatever the answers to: " + "; ".join(_question_text(kb, q) for q in s.questions)
        for s in result.settled
        if s.outcome == kind and s.verdict and (not target or s.target == target)
    ]


def _reason(kb: KnowledgeBase, reason: Reason, after: str = "") -> str:
    """The reason's text, escaped, led by its area and followed by its basis in words."""
    said = reason.basis_words.lower() in reason.text.lower()
    basis = f" (basis: {reason.basis_words})" if reason.basis and not said else ""
    return escape(area_lead(kb, reason.area) + reason.text + basis + after)


def _joined(texts: Iterable[str]) -> str:
    """Texts in one line, `; ` between them (a text's own closing full stop dropped there)."""
    found = list(texts)
    return "; ".join([t.removesuffix(".") for t in found[:-1]] + found[-1:])


def _plan(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """The plan in each listed area; without areas, the steps before treatment alone."""
    if not shows_areas(result):
        items = [_action(kb, a) for a in result.actions]
        yield from _section("Before treatment", items, "No step before treatment.")
        return
    yield f"## {escape('Plan per treatment area')}"
    for plan, view in zip(result.areas, area_views(kb, result), strict=True):
        site = plan.site or ""
        actions = [
            a
            for a in result.actions
            if a.reason.rule in plan.actions and a.reason.area in ("", site)
        ]
        yield f"### {escape(view.name)}"
        yield _bullets(_area_lines(kb, view, actions))


def _action(kb: KnowledgeBase, action: Action, here: Iterable[str] | None = None) -> str:
    """A step before treatment, with the procedures it comes before (those `here`, if given)."""
    shown = [p for p in action.procedures if here is None or p in here]
    return _reason(kb, action.reason, f" (before {names(kb, shown)})" if shown else "")


def _area_lines(kb: KnowledgeBase, view: AreaView, actions: list[Action]) -> Iterator[str]:
    yield escape(f"Treated here: {view.treated}")
    here = {c.procedure.id for c in view.candidates} | {u.procedure.id for u in view.undetermined}
    for action in actions:
        yield f"Before treatment: {_action(kb, action, here)}"
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
        reasons = _joined(escape(r.text) for r in e.reasons)
        yield f"{escape(f'Ruled out: {e.procedure.name}')}: {reasons}"
    if view.open:
        yield escape(f"Also open here: {'; '.join(_question_text(kb, q) for q in view.open)}")


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
        yield _evidence(label, note)
    for caveat in candidate.caveats:
        yield f"Caveat: {_reason(kb, caveat)}"
    for title, text in (("Protocol", proc.protocol), ("Downtime", proc.downtime)):
        if text:
            yield f"{title}: {escape(text)}"
    if proc.regulatory:
        yield f"Regulatory: {escape(proc.regulatory)}"
    yield f"Answers behind it: {_answer_list(kb, candidate.answers)}"


def _evidence(label: str, note: Evidence) -> str:
    about = f" ({label})" if label else ""
    certainty = note.certainty.replace("_", " ")
    refs = f" [{', '.join(note.references)}]" if note.references else ""
    return escape(
        f"Evidence{about}: {certainty} certainty, OCEBM level {note.level}. {note.summary}{refs}"
    )


def _answer_list(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> str:
    shown = [
        f"{_question_text(kb, q)}: {answer_words(kb.by_id.get(q), v)}" for q, v in answers.items()
    ]
    return escape("; ".join(shown)) if shown else escape("none")


def _question_text(kb: KnowledgeBase, qid: str) -> str:
    question = kb.by_id.get(qid)
    return question.text if question else qid


def _undetermined(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Each procedure with what is already known (its caveats); the open questions follow."""
    if not result.undetermined:
        return
    yield f"## {escape('Cannot be assessed yet')}"
    for item in result.undetermined:
        yield f"### {escape(item.procedure.name)}"
        lines = _where(kb, result, item.procedure.id)
        lines += [f"Caveat: {_reason(kb, c)}" for c in item.caveats]
        count = len(item.waiting_for)
        lines.append(escape(f"Not offered until answered: {count} open question(s), listed below"))
        yield _bullets(lines)


def _excluded(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """The procedures for the patient's own concerns that are ruled out, with their reasons.

    With areas, each procedure's standing in every area follows it, one level in.
    """
    items = [
        f"{escape(e.procedure.name)}: "
        + _joined(
            [_reason(kb, r) for r in e.reasons]
            + [escape(n) for n in _settled(kb, result, "exclude", e.procedure.id)]
        )
        + "".join(f"\n  - {line}" for line in _where(kb, result, e.procedure.id))
        for e in result.excluded
        if e.in_scope
    ]
    yield from _section("Ruled out for the patient's concerns", items, "None.")


def _information(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    if result.information:
        items = [f"{escape(i.procedure.name)}: {_reason(kb, i.reason)}" for i in result.information]
        yield from _section("Information", items, "")


def _unknown(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Each open question once, most decisive first, with what it would settle by name."""
    ordered = sorted(result.unknown, key=lambda u: -len(u.needed_by))
    items = [
        escape(f"{area_lead(kb, u.area)}{u.text}: would settle {names(kb, u.needed_by)}")
        for u in ordered
    ]
    yield from _section("Open questions", items, "None.")


def _references(kb: KnowledgeBase, clinical: list[str]) -> Iterator[str]:
    """Every reference the findings above cite, in the order first cited."""
    keys = cited(part.replace("\\", "") for part in clinical)
    items = [
        escape(f"{key}: {kb.references[key].citation}") for key in keys if key in kb.references
    ]
    yield from _section("References", items, "None cited.")


def _attestation(header: Header) -> Iterator[str]:
    yield "## Attestation"
    who = header.clinician or "." * 30
    lines = [ATTESTATION, f"Clinician: {who}", "Signature: " + "." * 30, "Date: " + "." * 20]
    yield "\\\n".join(escape(line) for line in lines)
