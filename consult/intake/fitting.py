"""Help that fits the treatment area a question is asked in.

The questions asked in every area whatever is treated there (its site, what is
treated there, its site screen) may carry help about one concern only, such as
"Scalp disease noted with the hair loss counts too." A sentence of help that
names the details of a concern (a section answered per area with a `when`, by
its title: "Hair loss") is shown only in an area where at least one section it
names applies, and so is a choice's help. Nothing is hidden while it is not
known whether the section applies. A choice's help goes with its choice: a
concern that cannot be treated at a site is not offered there, nor its help.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from consult.bank.model import Answer, Applicability, KnowledgeBase, Question, Test
from consult.bank.truth import compile_condition

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


class Fitter:
    """Fits the help of an area's questions to the area."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.sections: list[tuple[re.Pattern[str], Test]] = [
            (re.compile(rf"\b{re.escape(section.title)}\b", re.IGNORECASE), compile_condition(when))
            for section in kb.sections
            if (when := section.when) is not None
            and not section.key
            and all(kb.by_id[qid].per_area for qid in section.questions)
        ]

    def fit(
        self, question: Question, view: Mapping[str, Answer], applies: Applicability
    ) -> Question:
        """The question with the help (its own and its choices') that fits this view."""
        choices = tuple(
            replace(c, help=self._text(c.help, view, applies)) if c.help else c
            for c in question.choices
        )
        return replace(question, help=self._text(question.help, view, applies), choices=choices)

    def _text(self, text: str, view: Mapping[str, Answer], applies: Applicability) -> str:
        """The help without the sentences that do not fit (unchanged when all do)."""
        lines, cut = [], False
        for line in text.splitlines():
            lead = line[: len(line) - len(line.lstrip())]
            said = _SENTENCE_END.split(line.strip())
            kept = [s for s in said if self._fits(s, view, applies)]
            cut = cut or len(kept) < len(said)
            if kept or not line.strip():
                lines.append(lead + " ".join(kept))
        return "\n".join(lines).strip("\n") if cut else text

    def _fits(self, sentence: str, view: Mapping[str, Answer], applies: Applicability) -> bool:
        named = [test for pattern, test in self.sections if pattern.search(sentence)]
        return not named or any(test(view, applies) is not False for test in named)
