"""Treatment areas at the intake: one area at a time, each with what is treated there.

While the intake runs, an area's answers are kept under path ids such as
`areas[2].scar_type`, so that every prompt, Back, the review screen and "not
known" work on them as on any other question. An area starts with its site
(with "Remove this area" among the choices), then what is treated there (its
`concerns`, offered from the patient's), that concern's details and the site
screen; after the last area one more prompt asks "add another area, or done".
`gather` turns the path ids back into the `areas` list of an answer file;
`spread` does the reverse for a prefilled answer file or a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace

from consult.answers.groups import CONCERNS, area_questions
from consult.bank.model import Answer, Choice, Items, KnowledgeBase, Question, Section

ADD = "add_area"
DONE = "done"
REMOVE = "remove_area"
_PATH = re.compile(r"([a-z][a-z0-9_]*)\[(\d+)\]\.([a-z][a-z0-9_]*)")


def item_id(group: str, number: int, qid: str) -> str:
    """The path id of one area's answer: `areas[2].active_infection_at_site` (from 1)."""
    return f"{group}[{number}].{qid}"


def next_id(group: str) -> str:
    """The id of the "add another area, or done" prompt of a group."""
    return f"{group}[+]"


def section_id(group: str, number: int) -> str:
    """The section an area's prompts belong to: `areas[2]`."""
    return f"{group}[{number}]"


def parse(path: str) -> tuple[str, int, str] | None:
    """(group, number, question id) of a path id, or None for any other id."""
    found = _PATH.fullmatch(path)
    return None if found is None else (found[1], int(found[2]), found[3])


def is_slot(qid: str) -> bool:
    """Whether an id belongs to an area (a path id or an add/done prompt)."""
    return "[" in qid


def treatable(choice: Choice, site: object) -> bool:
    """Whether a concern can be treated at a site (no site yet: anywhere)."""
    return site is None or not choice.sites or site in choice.sites


class Areas:
    """The areas of one intake: how many there are, and the prompts that are theirs."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.group: Section | None = kb.areas
        self.count = 0
        group = self.group
        # In bank order, the site first (as an answer file lists them).
        self.banked: tuple[Question, ...] = area_questions(kb, group) if group else ()
        own = set(group.questions) if group is not None else set()
        # As asked: the site, what is treated there, its details, then its site screen.
        self.order = (
            *self.banked[:1],
            *(q for q in self.banked[1:] if q.id not in own),
            *(q for q in self.banked[1:] if q.id in own),
        )
        self.screen = frozenset(own - {self.key})  # the group's own questions, the site aside
        concerns = kb.by_id.get(CONCERNS)
        self.concerns = concerns if concerns is not None and concerns.per_area else None

    @property
    def key(self) -> str:
        """The key question of the areas (the site), or "" without a group."""
        return self.group.key if self.group is not None else ""

    def numbers(self) -> range:
        """The numbers of the areas, from 1."""
        return range(1, self.count + 1)

    def own(self, number: int, answers: Mapping[str, Answer]) -> dict[str, Answer]:
        """One area's own answers, by question id."""
        assert self.group is not None
        slots = ((q.id, item_id(self.group.id, number, q.id)) for q in self.order)
        return {qid: answers[slot] for qid, slot in slots if slot in answers}

    def spread(self, answers: Mapping[str, Answer]) -> dict[str, Answer]:
        """Answers with the areas under path ids (the rest as given)."""
        spread: dict[str, Answer] = {}
        group = self.group
        for qid, value in answers.items():
            if isinstance(value, Items) and group is not None and qid == group.id:
                for number, item in enumerate(value.items, start=1):
                    spread.update({item_id(qid, number, q): v for q, v in item.items()})
                self.count = max(self.count, len(value.items))
            else:
                spread[qid] = value
        for path in spread:
            found = parse(path)
            if found is not None and group is not None and found[0] == group.id:
                self.count = max(self.count, found[1])
        return spread

    def gather(self, answers: Mapping[str, Answer]) -> dict[str, Answer]:
        """Answers with the path ids gathered into the areas (those with a site)."""
        gathered: dict[str, Answer] = {}
        group = self.group
        for question in self.kb.questions:
            if group is not None and question.id == group.key:
                items = tuple(self._items(group, answers))
                if items:
                    gathered[group.id] = Items(items, group.key)
            elif question.id in answers:
                gathered[question.id] = answers[question.id]
        return gathered

    def _items(self, group: Section, answers: Mapping[str, Answer]) -> Iterator[dict[str, Answer]]:
        for number in self.numbers():
            own = self.own(number, answers)
            if group.key in own:
                yield {q.id: own[q.id] for q in self.banked if q.id in own}

    def site_label(self, site: Answer | None) -> str:
        """How a site is shown: its label."""
        choice = self.kb.by_id[self.key].choice(str(site)) if self.key else None
        return choice.label if choice is not None else str(site)

    def title(self, number: int, answers: Mapping[str, Answer]) -> str:
        """An area as its prompts name it: `Area 2 (Back)`."""
        assert self.group is not None
        site = answers.get(item_id(self.group.id, number, self.key))
        return f"Area {number}" + (f" ({self.site_label(site)})" if site is not None else "")

    def offered(self, patient: Answer | None, site: Answer | None) -> tuple[Choice, ...]:
        """The concerns an area may treat: the patient's that can be treated at its site."""
        if self.concerns is None:
            return ()
        picked = patient if isinstance(patient, tuple) else None
        return tuple(
            c
            for c in self.concerns.choices
            if (picked is None or c.id in picked) and treatable(c, site)
        )

    def site_prompt(self, number: int, answers: Mapping[str, Answer]) -> Question:
        """An area's site: the sites no other area has and where a concern can be treated."""
        assert self.group is not None
        key = self.kb.by_id[self.key]
        mine = answers.get(item_id(self.group.id, number, self.key))
        taken = {answers.get(item_id(self.group.id, n, self.key)) for n in self.numbers()}
        patient = answers.get(CONCERNS)
        choices = [
            c
            for c in key.choices
            if c.id == mine
            or (c.id not in taken and (self.concerns is None or self.offered(patient, c.id)))
        ]
        choices.append(Choice(id=REMOVE, label="Remove this area"))
        prompt = self.prompt(key, number, answers, tuple(choices))
        return replace(prompt, text=f"Area {number}: {key.text}")  # the site, not yet known

    def prompt(
        self,
        question: Question,
        number: int,
        answers: Mapping[str, Answer],
        choices: tuple[Choice, ...] | None = None,
    ) -> Question:
        """One of an area's questions as asked there: `Area 2 (Back): ...`, in its section."""
        assert self.group is not None
        return replace(
            question,
            id=item_id(self.group.id, number, question.id),
            text=f"{self.title(number, answers)}: {question.text}",
            section=section_id(self.group.id, number),
            choices=question.choices if choices is None else choices,
        )

    def next_prompt(self, unplaced: tuple[str, ...]) -> Question:
        """Add an area, or done; once there is an area, "Done" comes first (Enter).

        Its help names the patient's concerns that no area treats yet.
        """
        assert self.group is not None
        more = self.count > 0
        add = Choice(id=ADD, label=f"Add {'another' if more else 'an'} area")
        done = Choice(id=DONE, label="Done" if more else "Done: no areas to list")
        labels = [c.label for c in self.offered(unplaced, None)]
        help_text = f"Not in an area yet: {'; '.join(labels)}." if more and labels else ""
        return Question(
            id=next_id(self.group.id),
            text=f"{self.group.title}: add {'another' if more else 'an'} area?",
            kind="one_of",
            section=self.group.id,
            choices=(done, add) if more else (add, done),
            required=True,
            help=help_text,
            source=self.kb.by_id[self.group.key].source,
        )

    def record(self, question: Question, value: Answer | None, answers: dict[str, Answer]) -> str:
        """Handle a reply that adds or removes an area; return the prompt to ask next, or ""."""
        found = parse(question.id)
        group = self.group
        if group is None:
            return ""
        if question.id == next_id(group.id) and value == ADD:
            self.count += 1
            answers.pop(question.id, None)
            return item_id(group.id, self.count, group.key)
        if found is not None and value == REMOVE:
            self.remove(found[1], answers)
            answers.pop(next_id(group.id), None)
            return next_id(group.id)
        return ""

    def remove(self, number: int, answers: dict[str, Answer]) -> None:
        """Remove one area; the later ones move up."""
        moved: dict[str, Answer] = {}
        for path in list(answers):
            found = parse(path)
            if found is None or found[1] < number:
                continue
            value = answers.pop(path)
            if found[1] > number:
                moved[item_id(found[0], found[1] - 1, found[2])] = value
        answers.update(moved)
        self.count -= 1

    def renumber(self, skipped: set[str], number: int) -> set[str]:
        """The "not known" ids after removing an area (the later ones move up)."""
        kept: set[str] = set()
        for qid in skipped:
            found = parse(qid)
            if found is None or found[1] < number:
                kept.add(qid)
            elif found[1] > number:
                kept.add(item_id(found[0], found[1] - 1, found[2]))
        return kept
