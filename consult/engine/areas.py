"""The treatment areas of a consultation: where each concern is treated, and each area's view.

Treatment happens per area, and so do the findings that stop it. Each listed
area (an item of `areas`) says what is treated there (`concerns`), the details
of the lesion or place and its site screen; the rules read an area through its
*view*: the patient's answers, the answers given once for every area, and the
area's own answers over both.

How the forms of an answer file are read:

- An area that names its `concerns` holds those concerns.
- An area that does not (the form that carries only the site screen) holds the
  patient's concerns that can only be treated at its site (a concern whose
  `sites`, in the bank, is that one site: hair loss and the scalp).
- The patient's concerns that no area holds are *not placed*: they are decided
  in one more area whose site is not known, read with the answers given once
  for every area. With no `areas` at all, that is the whole consultation, read
  as before. An area never screened is never cleared by another's screen: a site
  question left unanswered there leaves its procedures undetermined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from consult.bank.model import Answer, Items, KnowledgeBase, Procedure, Test, by_identity
from consult.bank.truth import applicability

CONCERNS = "concerns"


@dataclass(frozen=True, slots=True)
class Area:
    """One place treated: its site (None: not placed), what is treated there, its view."""

    number: int  # its place in the answer file's `areas`, from 1; 0 for the area not placed
    site: str | None
    concerns: tuple[str, ...] | None  # None: the patient's concerns are not known
    own: Mapping[str, Answer]
    view: Mapping[str, Answer]

    @property
    def label(self) -> str:
        """The area as the result names it: its site, or "" when not placed."""
        return self.site or ""

    def treats(self, procedure: Procedure) -> bool:
        """Whether the procedure could be given here (an area not placed: any)."""
        return self.site is None or procedure.sites is None or self.site in procedure.sites


def areas_of(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> tuple[Area, ...]:
    """The areas of a consultation, in the order listed, the area not placed last."""
    group = kb.areas
    found = answers.get(group.id) if group is not None else None
    listed = found.items if isinstance(found, Items) and group is not None else ()
    given = answers.get(CONCERNS)
    concerns = given if isinstance(given, tuple) else None
    switchable = _switchable(kb)
    areas: list[Area] = []
    placed: set[str] = set()
    for number, item in enumerate(listed, start=1):
        site = str(item[group.key]) if group is not None else ""
        held = _held(kb, item, site, concerns)
        placed.update(held or ())
        view = _view(kb, switchable, answers, item, held)
        areas.append(Area(number, site, held, item, view))
    rest = None if concerns is None else tuple(c for c in concerns if c not in placed)
    if not areas or rest is None or rest:
        areas.append(Area(0, None, rest, {}, _view(kb, switchable, answers, {}, rest)))
        if listed and group is not None and isinstance(found, Items):
            # Quantifiers read the place not given too (with the answers for every area).
            marked = replace(found, unplaced=True)
            areas = [replace(a, view={**a.view, group.id: marked}) for a in areas]
    return tuple(areas)


def _held(
    kb: KnowledgeBase, item: Mapping[str, Answer], site: str, concerns: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    """What an area holds: its own concerns, else those only treated at its site."""
    own = item.get(CONCERNS)
    if isinstance(own, tuple):
        return own
    if concerns is None:
        return None
    question = kb.by_id.get(CONCERNS)
    bound = {c.id for c in question.choices if c.sites == (site,)} if question else set()
    return tuple(c for c in concerns if c in bound)


def _view(
    kb: KnowledgeBase,
    switchable: tuple[tuple[str, Test], ...],
    answers: Mapping[str, Answer],
    own: Mapping[str, Answer],
    held: tuple[str, ...] | None,
) -> dict[str, Answer]:
    """What the rules read in an area: the answers for all, the area's own over them.

    An answer given once for every area counts in an area only where its question is
    asked: a scar type given once is not read in an area that treats no scar.
    """
    view = {**answers, **own}
    if held is not None:
        view[CONCERNS] = held
    applies = applicability(kb, view)
    for qid, test in switchable:  # bank order: a `when` reads only earlier answers
        if qid in view and qid not in own and test(view, applies) is False:  # given once
            del view[qid]
    return view


_SWITCHABLE: dict[int, tuple[KnowledgeBase, tuple[tuple[str, Test], ...]]] = {}


def _switchable(kb: KnowledgeBase) -> tuple[tuple[str, Test], ...]:
    """The questions asked per area (but concerns) that a `when` can switch off, in bank order."""
    return by_identity(_SWITCHABLE, kb, _per_area_whens, limit=8)


def _per_area_whens(kb: KnowledgeBase) -> tuple[tuple[str, Test], ...]:
    return tuple(
        (q.id, q.applies)
        for q in kb.questions
        if q.per_area and q.id != CONCERNS and q.applies is not None
    )
