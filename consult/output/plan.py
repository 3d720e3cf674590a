"""The plan per treatment area as the views show it (the terminal and the summary alike).

An area is named by its site's label in the bank ("Face area"; a site is
listed once, as the answer checks hold); the area whose place is not given is
"Not placed". A result whose only area is the one not placed (an answer file
without areas) shows no plan per area: the views are then what they were
before areas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from consult.bank.model import Answer, Evidence, Items, KnowledgeBase
from consult.bank.truth import finding_questions
from consult.engine.result import AreaPlan, Candidate, Exclusion, Result, Site, Undetermined

NOT_PLACED = "Not placed (no area given)"
CONCERNS = "concerns"


def area_name(kb: KnowledgeBase | None, site: Site) -> str:
    """An area as a clinician reads it: its site's label and "area", or `NOT_PLACED`."""
    if site is None:
        return NOT_PLACED
    label = site.capitalize()
    group = kb.areas if kb is not None else None
    key = kb.by_id.get(group.key) if kb is not None and group is not None else None
    choice = key.choice(site) if key is not None else None
    if choice is not None:
        label = choice.label
    return label if label.lower().endswith("area") else f"{label} area"


def area_lead(kb: KnowledgeBase | None, site: str) -> str:
    """`Face area: ` before the text of a finding of one area; "" for one about the patient."""
    return f"{area_name(kb, site)}: " if site else ""


def shows_areas(result: Result) -> bool:
    """Whether the result has a place to name: an area listed in the answers."""
    return any(plan.site is not None for plan in result.areas)


@dataclass(frozen=True, slots=True)
class AreaView:
    """What one area's plan shows: what is treated, fits, is ruled out and why, and waits."""

    name: str
    treated: str
    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]  # those serving a concern, with their reasons
    others: tuple[str, ...]  # the names of those ruled out serving no concern
    undetermined: tuple[Undetermined, ...]
    referrals: tuple[str, ...]  # names
    open: tuple[str, ...]  # open questions (ids) that hold no procedure of the area back


def area_views(kb: KnowledgeBase | None, result: Result) -> list[AreaView]:
    """The plan of each area, in the order of the answer file, the area not placed last."""
    fits = {c.procedure.id: c for c in result.candidates}
    referrals = {r.id: r.name for r in result.referrals}
    return [
        AreaView(
            name=area_name(kb, plan.site),
            treated=_treated(kb, plan.concerns),
            candidates=tuple(fits[pid] for pid in plan.candidates if pid in fits),
            excluded=tuple(e for e in plan.excluded if e.in_scope),
            others=tuple(e.procedure.name for e in plan.excluded if not e.in_scope),
            undetermined=plan.undetermined,
            referrals=tuple(referrals.get(rid, rid) for rid in plan.referrals),
            open=_open(plan),
        )
        for plan in result.areas
    ]


def evidence_of(candidate: Candidate) -> Evidence:
    """The evidence a candidate is shown with: its first indication's, else the procedure's."""
    found = candidate.indications[0].evidence if candidate.indications else None
    return found or candidate.procedure.evidence


def _treated(kb: KnowledgeBase | None, concerns: tuple[str, ...] | None) -> str:
    if concerns is None:
        return "not known"
    if not concerns:
        return "none of the patient's concerns"
    question = kb.by_id.get(CONCERNS) if kb is not None else None
    labels = []
    for concern in concerns:
        choice = question.choice(concern) if question is not None else None
        labels.append(choice.label if choice is not None else concern)
    return ", ".join(labels)


def _open(plan: AreaPlan) -> tuple[str, ...]:
    waited = {q for u in plan.undetermined for q in u.waiting_for}
    return tuple(q for q in plan.unknown if q not in waited)


def standing(kb: KnowledgeBase | None, result: Result, procedure: str) -> list[str]:
    """Where a procedure stands in each area: `["Face area: candidate", ...]`.

    An area where it serves none of the concerns treated there is left out, as the
    views leave such exclusions to one line.
    """
    found = ((area_name(kb, plan.site), _stands(plan, procedure)) for plan in result.areas)
    return [f"{name}: {words}" for name, words in found if words]


def _stands(plan: AreaPlan, procedure: str) -> str:
    if procedure in plan.candidates:
        return "candidate"
    if any(u.procedure.id == procedure for u in plan.undetermined):
        return "not yet assessed"
    if any(e.procedure.id == procedure and e.in_scope for e in plan.excluded):
        return "ruled out"
    return ""


def area_answers(
    kb: KnowledgeBase, answers: Mapping[str, Answer]
) -> Iterator[tuple[str, Mapping[str, Answer]]]:
    """Each listed area's name and own answers, in the order given."""
    group = kb.areas
    found = answers.get(group.id) if group is not None else None
    if not isinstance(found, Items):
        return
    for site, item in zip(found.keys(), found.items, strict=True):
        yield area_name(kb, site), item


def positive_findings(result: Result, kb: KnowledgeBase | None) -> list[str]:
    """The yes answers that are findings, as question texts.

    A finding is a yes that a rule excluding, cautioning or referring looks for
    (`equals: true`, not under a `not`); a reassuring yes (consent, accepted
    risks) is not one.
    """
    if kb is None:
        return []
    wanted = finding_questions(kb)
    given = [
        ("", result.answers),
        *((f"{name}: ", own) for name, own in area_answers(kb, result.answers)),
    ]
    return [
        f"{where}{q.text}"
        for where, answers in given
        for q in kb.questions
        if q.id in wanted and answers.get(q.id) is True
    ]
