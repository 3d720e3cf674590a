"""Answer files that look like clinic data: findings present, written by `yaml.safe_dump`.

The benchmark's own sets (`gen.py`) are mostly complete and mostly clear. Real
consultations come with findings (red flags that refer, contraindications that
exclude, medications that add caveats) and, from pre-consultation forms and
clinic exports, often without the safety screen. Two corpora are made from the
same consultations:

- complete: every question that applies is answered, the screen with a finding
  in most sets;
- incomplete: the same consultations with the safety screen half (a random half
  of its questions) or wholly unanswered.

Files are written by `yaml.safe_dump` with its defaults (block style, sorted
keys, ASCII only, long text folded over lines), as a clinic's export script
would write them.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from gen import Generator, document

from consult.answers import applicability
from consult.conditions import questions_of
from consult.model import Answer, KnowledgeBase

SCREEN = "medical_history"
_YES_SCREEN = 0.12  # a finding on most screens: ~2 of 19 questions
_YES_BRANCH = 0.4
_NOTES = (
    "Referred by her GP after six months of increased shedding; brought photos from last year.",
    "Anxious about needles; asked for numbing cream. Née Müller, prefers to be called Anna.",
    "Wants to start before the summer holidays, travelling abroad for three weeks in July.",
    "Previous treatment elsewhere (two sessions, product unknown); no records available today.",
)


class ClinicGenerator(Generator):
    """Consultations with findings, and the same with the screen unanswered."""

    def answer_set(self, index: int) -> dict[str, Answer]:
        """A complete consultation: every question that applies answered."""
        rng = self.rng
        answers: dict[str, Answer] = {}
        applies = applicability(self.kb, answers)
        for question in self.kb.questions:
            if applies(question.id) is False:
                continue
            if question.kind == "yes_no" and question.id not in _KEEP_YES:
                rate = _YES_SCREEN if question.section == SCREEN else _YES_BRANCH
                answers[question.id] = rng.random() < rate
                continue
            if question.kind == "text":
                answers[question.id] = " ".join(rng.sample(_NOTES, rng.randint(1, 3)))
                continue
            value = self._value(question, index)
            if value is not None:
                answers[question.id] = value
        return answers

    def without_screen(self, answers: dict[str, Answer]) -> dict[str, Answer]:
        """The same consultation with the screen half (random half) or wholly unanswered."""
        screen = [q.id for q in self.kb.questions if q.section == SCREEN and q.id in answers]
        rng = self.rng
        dropped = set(screen if rng.random() < 0.5 else rng.sample(screen, len(screen) // 2))
        # A question whose `when` reads a dropped answer is dropped too.
        for question in self.kb.questions:
            if question.when is not None and dropped & set(questions_of(question.when)):
                dropped.add(question.id)
        return {k: v for k, v in answers.items() if k not in dropped}


_KEEP_YES = {"consent", "expectations_realistic", "accepts_risks"}


def corpora(kb: KnowledgeBase, count: int, seed: int = 14) -> tuple[list[dict[str, Answer]], ...]:
    """`count` complete consultations and the same with the screen unanswered."""
    generator = ClinicGenerator(kb, seed=seed)
    complete = list(generator.answer_sets(count))
    return complete, [generator.without_screen(a) for a in complete]


def write_safe_dump(sets: list[dict[str, Answer]], folder: Path) -> None:
    """One file per set, by `yaml.safe_dump` with its default style."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, answers in enumerate(sets):
        text = yaml.safe_dump(document(answers))
        (folder / f"c{index:06d}.yaml").write_text(text, encoding="utf-8")


def findings(kb: KnowledgeBase, sets: list[dict[str, Answer]]) -> dict[str, float]:
    """The share of sets with a referral, an exclusion, a caveat and an undetermined procedure."""
    import consult

    seen = {"referral": 0, "exclusion": 0, "caveat": 0, "undetermined": 0}
    for answers in sets:
        result = consult.evaluate(kb, answers)
        seen["referral"] += bool(result.referrals)
        seen["exclusion"] += bool(result.excluded)
        seen["caveat"] += any(c.caveats for c in result.candidates) or any(
            u.caveats for u in result.undetermined
        )
        seen["undetermined"] += bool(result.undetermined)
    return {k: v / max(len(sets), 1) for k, v in seen.items()}


def _check(kb: KnowledgeBase) -> None:  # pragma: no cover - a quick look by hand
    complete, incomplete = corpora(kb, 300)
    print("complete", findings(kb, complete))
    print("incomplete", findings(kb, incomplete))
    print(yaml.safe_dump(document(incomplete[0])))


if __name__ == "__main__":  # pragma: no cover
    import consult

    random.seed(0)
    _check(consult.load())
