"""Treatment areas at the intake: a repeating group, asked once per area.

While the intake runs, an area's answers are kept under path ids such as
`areas[2].active_infection_at_site`, so that every prompt, Back, the review
screen and "not known" work on them as on any other question. Each area
starts with its key question (the site, with "Remove this area" among the
choices), and after the last area one more prompt asks "add another area, or
done". `gather` turns the path ids back into the `areas` list of an answer
file; `spread` does the reverse for a prefilled answer file or a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace

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


def parse(path: str) -> tuple[str, int, str] | None:
    """(group, number, question id) of a path id, or None for any other id."""
    found = _PATH.fullmatch(path)
    return None if found is None else (found[1], int(found[2]), found[3])


def is_slot(qid: str) -> bool:
    """Whether an id belongs to an area (a path id or an add/done prompt)."""
    return "[" in qid


class Areas:
    """The areas of one intake: how many each group has, and their prompts."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.counts: dict[str, int] = dict.fromkeys(kb.groups, 0)

    def spread(self, answers: Mapping[str, Answer]) -> dict[str, Answer]:
        """Answers with each group's items under path ids (the rest as given)."""
        spread: dict[str, Answer] = {}
        for qid, value in answers.items():
            if isinstance(value, Items) and qid in self.counts:
                for number, item in enumerate(value.items, start=1):
                    spread.update({item_id(qid, number, q): v for q, v in item.items()})
                self.counts[qid] = max(self.counts[qid], len(value.items))
            else:
                spread[qid] = value
        for path in spread:
            found = parse(path)
            if found is not None and found[0] in self.counts:
                self.counts[found[0]] = max(self.counts[found[0]], found[1])
        return spread

    def gather(self, answers: Mapping[str, Answer]) -> dict[str, Answer]:
        """Answers with each group's path ids gathered into its items (those with a site)."""
        gathered: dict[str, Answer] = {}
        for question in self.kb.questions:
            group = self._group_of_key(question.id)
            if group is not None:
                items = tuple(self._items(group, answers))
                if items:
                    gathered[group.id] = Items(items, group.key)
            elif question.id in answers:
                gathered[question.id] = answers[question.id]
        return gathered

    def _items(self, group: Section, answers: Mapping[str, Answer]) -> Iterator[dict[str, Answer]]:
        for number in range(1, self.counts[group.id] + 1):
            item = {
                q: answers[item_id(group.id, number, q)]
                for q in group.questions
                if item_id(group.id, number, q) in answers
            }
            if group.key in item:
                yield item

    def _group_of_key(self, qid: str) -> Section | None:
        for group in self.kb.groups.values():
            if group.key == qid:
                return group
        return None

    def prompts_for(
        self, question: Question, answers: Mapping[str, Answer], skipped: set[str]
    ) -> list[Question]:
        """The prompts a group's question stands for: every area at its key question.

        An answer given once for every area (the flat form of a prefilled answer
        file) stays, shown as such and not asked.
        """
        group = self.kb.groups[question.section]
        if question.id == group.key:
            return self.prompts(group, answers)
        if question.id in answers or question.id in skipped:
            return [replace(question, text=f"Every area: {question.text}")]
        return []

    def prompts(self, group: Section, answers: Mapping[str, Answer]) -> list[Question]:
        """The prompts of a group: each area's site and questions, then add-or-done."""
        found: list[Question] = []
        for number in range(1, self.counts[group.id] + 1):
            found.append(self._site(group, number, answers))
            site = answers.get(item_id(group.id, number, group.key))
            label = f"Area {number}" + (f" ({self._label(group, site)})" if site else "")
            for qid in group.questions:
                if qid != group.key:
                    question = self.kb.by_id[qid]
                    slot = item_id(group.id, number, qid)
                    found.append(replace(question, id=slot, text=f"{label}: {question.text}"))
        found.append(self._next(group))
        return found

    def _site(self, group: Section, number: int, answers: Mapping[str, Answer]) -> Question:
        key = self.kb.by_id[group.key]
        taken = {
            answers.get(item_id(group.id, n, group.key))
            for n in range(1, self.counts[group.id] + 1)
            if n != number
        }
        choices = [c for c in key.choices if c.id not in taken]
        choices.append(Choice(id=REMOVE, label="Remove this area"))
        text = f"Area {number}: {key.text}"
        return replace(
            key, id=item_id(group.id, number, group.key), text=text, choices=tuple(choices)
        )

    def _label(self, group: Section, site: Answer | None) -> str:
        choice = self.kb.by_id[group.key].choice(str(site))
        return choice.label if choice is not None else str(site)

    def _next(self, group: Section) -> Question:
        """Add an area, or done; once there is an area, "Done" comes first (Enter)."""
        more = self.counts[group.id] > 0
        add = Choice(id=ADD, label=f"Add {'another' if more else 'an'} area")
        done = Choice(id=DONE, label="Done" if more else "Done: no areas to list")
        return Question(
            id=next_id(group.id),
            text=f"{group.title}: add {'another' if more else 'an'} area?",
            kind="one_of",
            section=group.id,
            choices=(done, add) if more else (add, done),
            required=True,
            source=self.kb.by_id[group.key].source,
        )

    def record(self, question: Question, value: Answer | None, answers: dict[str, Answer]) -> str:
        """Handle a reply that adds or removes an area; return the prompt to ask next, or ""."""
        found = parse(question.id)
        if question.id.endswith("[+]") and value == ADD:
            group = question.section
            self.counts[group] += 1
            answers.pop(question.id, None)
            return item_id(group, self.counts[group], self.kb.groups[group].key)
        if found is not None and value == REMOVE:
            self.remove(found[0], found[1], answers)
            answers.pop(next_id(found[0]), None)
            return next_id(found[0])
        return ""

    def remove(self, group: str, number: int, answers: dict[str, Answer]) -> None:
        """Remove one area; the later ones move up."""
        moved: dict[str, Answer] = {}
        for path in list(answers):
            found = parse(path)
            if found is None or found[0] != group or found[1] < number:
                continue
            value = answers.pop(path)
            if found[1] > number:
                moved[item_id(group, found[1] - 1, found[2])] = value
        answers.update(moved)
        self.counts[group] -= 1

    def renumber(self, skipped: set[str], group: str, number: int) -> set[str]:
        """The "not known" ids after removing an area (the later ones move up)."""
        kept: set[str] = set()
        for qid in skipped:
            found = parse(qid)
            if found is None or found[0] != group or found[1] < number:
                kept.add(qid)
            elif found[1] > number:
                kept.add(item_id(group, found[1] - 1, found[2]))
        return kept
