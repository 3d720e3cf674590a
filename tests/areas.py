"""Random treatment areas for the tests that compare the fast and the reference paths."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from consult.bank.model import KnowledgeBase, Question


def is_key(kb: KnowledgeBase, question: Question) -> bool:
    """Whether a question is the key of a repeating group (never answered flat)."""
    return any(g.key == question.id for g in kb.groups.values())


def random_items(
    rng: random.Random,
    kb: KnowledgeBase,
    value: Callable[[random.Random, Question], Any],
    share: float = 0.8,
) -> dict[str, list[dict[str, Any]]]:
    """Each repeating group with none to four items of random answers, as plain data."""
    found: dict[str, list[dict[str, Any]]] = {}
    for group in kb.groups.values():
        key = kb.by_id[group.key]
        sites = rng.sample(key.choice_ids, rng.randint(0, 4))
        items = []
        for site in sites:
            item: dict[str, Any] = {group.key: site}
            for qid in group.questions:
                if qid != group.key and rng.random() < share:
                    item[qid] = value(rng, kb.by_id[qid])
            items.append(item)
        found[group.id] = items
    return found
