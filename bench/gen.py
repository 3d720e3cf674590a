"""Generate valid answer sets for a question bank, with a fixed seed.

Questions are walked in bank order and only those that apply (their `when`
does not rule them out) are answered, so every set passes the answer checker
without warnings. The first concern cycles through every choice, so every
branch of the bank is reached; the other values are random. A share of the
sets leaves some optional questions unanswered (the realistic case of an
incomplete screen), which exercises the engine's three-valued logic. Every set
lists one to four treatment areas, each with its own site screen.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consult.bank.model import Answer, KnowledgeBase, Question, Section
from consult.bank.truth import applicability

SEED = 20261121
INCOMPLETE_SHARE = 0.15

# Chance of "yes": most screening answers are "no" so that candidates remain.
_YES = {
    "consent": 0.97,
    "expectations_realistic": 0.92,
    "accepts_risks": 0.92,
}
_YES_SCREEN = 0.04  # an unconditional yes/no question (the safety screen)
_YES_BRANCH = 0.35  # a yes/no question inside a branch
_NOTES = ("", "Prefers afternoon appointments.", "Nervous about needles; née Müller.")
# Where each concern is usually treated: the first areas of a set come from these.
_SITES = {
    "hair_loss": ("scalp",),
    "acne_scarring": ("face", "face", "back", "chest"),
    "skin_laxity": ("face", "neck"),
    "wrinkles": ("face", "neck", "hands"),
    "stretch_marks": ("abdomen", "thighs", "buttocks", "arms"),
    "cellulite": ("thighs", "buttocks"),
    "localized_fat": ("submental", "abdomen", "flanks", "thighs", "arms"),
}


@dataclass
class Generator:
    """Random, valid answer sets for one bank."""

    kb: KnowledgeBase
    seed: int = SEED
    incomplete_share: float = INCOMPLETE_SHARE
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.concerns = self.kb.question("concerns").choice_ids

    def answer_set(self, index: int) -> dict[str, Answer]:
        """The answer set number `index` (deterministic for a given seed and order)."""
        rng = self.rng
        incomplete = rng.random() < self.incomplete_share
        answers: dict[str, Answer] = {}
        applies = applicability(self.kb, answers)
        for question in self.kb.questions:
            if applies(question.id) is False or question.section in self.kb.groups:
                continue
            if incomplete and not question.required and rng.random() < 0.2:
                continue
            value = self._value(question, index)
            if value is not None:
                answers[question.id] = value
        concerns = answers.get("concerns", ())
        for group in self.kb.groups.values():
            items = self._items(group, incomplete, concerns)  # type: ignore[arg-type]
            answers[group.id] = items  # type: ignore[assignment]
        return answers

    def _items(
        self, group: Section, incomplete: bool, concerns: tuple[str, ...]
    ) -> list[dict[str, Answer]]:
        """One to four areas: where the concerns are usually treated, then others."""
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
        choices = self.kb.question(group.key).choice_ids
        usual = [rng.choice(_SITES[c]) for c in concerns if c in _SITES]
        sites = list(dict.fromkeys(usual))[:count]
        sites += rng.sample([c for c in choices if c not in sites], count - len(sites))
        items = []
        for site in sites:
            item: dict[str, Answer] = {group.key: site}
            for qid in group.questions:
                if qid == group.key or (incomplete and rng.random() < 0.2):
                    continue
                value = self._value(self.kb.question(qid), 0)
                if value is not None:
                    item[qid] = value
            items.append(item)
        return items

    def answer_sets(self, count: int) -> Iterator[dict[str, Answer]]:
        """`count` answer sets."""
        for index in range(count):
            yield self.answer_set(index)

    def _value(self, question: Question, index: int) -> Answer | None:
        kind = question.kind
        rng = self.rng
        if question.id == "concerns":
            return self._concerns(index)
        if kind == "yes_no":
            default = _YES_BRANCH if question.when is not None else _YES_SCREEN
            return rng.random() < _YES.get(question.id, default)
        if kind == "integer":
            return self._integer(question)
        if kind == "one_of":
            return rng.choice(question.choice_ids)
        if kind == "many_of":
            return self._many(question)
        note = rng.choice(_NOTES)
        return note or None

    def _concerns(self, index: int) -> tuple[str, ...]:
        first = self.concerns[index % len(self.concerns)]
        extra = self.rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]
        picked = {first, *self.rng.sample(self.concerns, extra)}
        return tuple(c for c in self.concerns if c in picked)

    def _integer(self, question: Question) -> int:
        lo = question.minimum if question.minimum is not None else 0
        hi = question.maximum if question.maximum is not None else lo + 100
        rng = self.rng
        if question.id == "age" and rng.random() < 0.9:
            return rng.randint(18, 75)
        if hi - lo > 60 and rng.random() < 0.5:
            return rng.randint(lo, min(hi, lo + 36))
        return rng.randint(lo, hi)

    def _many(self, question: Question) -> tuple[str, ...]:
        rng = self.rng
        exclusive = [c.id for c in question.choices if c.exclusive]
        others = [c.id for c in question.choices if not c.exclusive]
        if exclusive and rng.random() < 0.5:
            return (rng.choice(exclusive),)
        picked = set(rng.sample(others, rng.choices((1, 2, 3), weights=(60, 30, 10))[0]))
        return tuple(c for c in question.choice_ids if c in picked)


def plain(answers: dict[str, Answer]) -> dict[str, Any]:
    """Answers as JSON-ready data (lists for many_of)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}


def document(answers: dict[str, Answer]) -> dict[str, Any]:
    """An answer-file document in the contract's format."""
    return {"consult": 1, "answers": plain(answers)}


def write_yaml_files(sets: list[dict[str, Answer]], folder: Path) -> list[Path]:
    """One YAML answer file per set; returns the paths in order."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, answers in enumerate(sets):
        path = folder / f"p{index:06d}.yaml"
        text = yaml.dump(document(answers), Dumper=dumper, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_jsonl(sets: list[dict[str, Answer]], path: Path) -> None:
    """One answer-file document per line."""
    with path.open("w", encoding="utf-8") as handle:
        for answers in sets:
            handle.write(json.dumps(document(answers), ensure_ascii=False) + "\n")


@dataclass
class Coverage:
    """What a collection of answer sets reaches in the bank."""

    questions_missed: list[str]
    choices_missed: list[str]
    rules_never_fired: list[str]
    rules_never_open: int
    sets: int
    complete: int

    def lines(self) -> list[str]:
        """A short report."""
        return [
            (
                f"{self.sets:,} answer sets ({self.complete:,} complete, "
                f"{self.sets - self.complete:,} with optional questions left unanswered)"
            ),
            f"questions never answered: {', '.join(self.questions_missed) or 'none'}",
            f"choices never picked: {', '.join(self.choices_missed) or 'none'}",
            f"rules that never fired: {', '.join(self.rules_never_fired) or 'none'}",
        ]


def coverage(kb: KnowledgeBase, sets: list[dict[str, Answer]]) -> Coverage:
    """Which questions, choices and rules the sets reach (rules evaluated by consult)."""
    from consult.answers.check import check_mapping
    from consult.engine.decide import evaluate_traced

    answered: set[str] = set()
    picked: set[tuple[str, object]] = set()
    fired: set[str] = set()
    complete = 0
    for answers in sets:
        answered.update(answers)
        for qid, value in _flat(answers):
            answered.add(qid)
            values = value if isinstance(value, tuple) else (value,)
            picked.update((qid, v) for v in values)
        _result, rules = evaluate_traced(kb, check_mapping(kb, answers))
        fired |= rules
        complete += is_complete(kb, answers)
    missed_choices = [
        f"{q.id}={c}" for q in kb.questions for c in q.choice_ids if (q.id, c) not in picked
    ]
    return Coverage(
        questions_missed=[q.id for q in kb.questions if q.id not in answered],
        choices_missed=missed_choices,
        rules_never_fired=[r.id for r in kb.rules if r.id not in fired],
        rules_never_open=0,
        sets=len(sets),
        complete=complete,
    )


def _flat(answers: dict[str, Answer]) -> Iterator[tuple[str, Any]]:
    """Every (question, answer), the answers of each area included."""
    for qid, value in answers.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                yield from item.items()
        else:
            yield qid, value


def is_complete(kb: KnowledgeBase, answers: dict[str, Answer]) -> bool:
    """Every question that applies (other than free text) has an answer, in every area."""
    applies = applicability(kb, answers)
    for group in kb.groups.values():
        items: Any = answers.get(group.id) or []
        if not items or any(set(group.questions) - set(item) for item in items):
            return False
    return all(
        q.id in answers or q.kind == "text" or applies(q.id) is False or q.section in kb.groups
        for q in kb.questions
    )
