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
from batch import FLOOR, Timed, _check_floor, _check_output, _evaluate, _medians, _to
from common import PYTHON, Row, Section, rate
from gen import Generator, document

from consult.bank.model import Answer, KnowledgeBase
from consult.bank.truth import applicability, questions_of

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
            if applies(question.id) is False or question.section in self.kb.groups:
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
        concerns: tuple[str, ...] = answers.get("concerns", ())  # type: ignore[assignment]
        for group in self.kb.groups.values():  # the treatment areas, each with its own screen
            answers[group.id] = self._items(group, False, concerns)  # type: ignore[assignment]
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
        kept = {k: v for k, v in answers.items() if k not in dropped}
        for group in self.kb.groups.values():  # the areas' screen goes with the rest
            if dropped and isinstance(kept.get(group.id), list):
                items: list[dict[str, object]] = kept[group.id]  # type: ignore[assignment]
                kept[group.id] = [{group.key: item[group.key]} for item in items]  # type: ignore[assignment]
        return kept


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


ONE_JOB_TARGET = 0.8
INCOMPLETE_TARGET = 1.5


def measure(count: int, rounds: int, tmp: Path) -> Section:
    """Clinic-like YAML files, complete and with the screen unanswered, against their floors."""
    import consult

    kb = consult.load()
    complete, incomplete = corpora(kb, count)
    folders = {"complete": tmp / "clinic-complete", "incomplete": tmp / "clinic-incomplete"}
    write_safe_dump(complete, folders["complete"])
    write_safe_dump(incomplete, folders["incomplete"])
    out = tmp / "clinic-out"
    out.mkdir(exist_ok=True)
    commands: dict[str, Timed] = {}
    for name, folder in folders.items():
        floor = [PYTHON, FLOOR, "yaml", str(folder)]
        _check_floor(floor, count)
        _check_output(_evaluate(folder, 1), count)
        commands[f"floor {name}"] = _to(floor, None)
        commands[name] = _to(_evaluate(folder, 1), out / f"{name}.jsonl")
    times = _medians(commands, rounds)
    section = Section("Batch: clinic-like YAML files")
    for name in folders:
        ratio = times[f"floor {name}"] / times[name]
        section.rows.append(
            Row(
                f"`consult evaluate --format jsonl --jobs 1`, {count:,} clinic-like YAML files, "
                f"screen {'complete' if name == 'complete' else 'half or wholly unanswered'}",
                rate(count, times[name]),
                f"CSafeLoader read + parse only {rate(count, times[f'floor {name}'])}",
                ratio,
                f"≥ {ONE_JOB_TARGET}×",
                ratio >= ONE_JOB_TARGET,
            )
        )
    slower = times["incomplete"] / times["complete"]
    section.rows.append(
        Row(
            "the same, incomplete sets against complete ones: time for the run",
            f"{times['incomplete']:.2f} s",
            f"complete {times['complete']:.2f} s",
            slower,
            f"≤ {INCOMPLETE_TARGET}×",
            slower <= INCOMPLETE_TARGET,
        )
    )
    shares = {
        k: findings(kb, v[:500]) for k, v in (("complete", complete), ("incomplete", incomplete))
    }
    section.notes += [
        (
            "Generated by `bench/clinic.py`: the same consultations twice, once with every "
            "question that applies answered (a finding on most safety screens) and once with "
            "the safety screen half or wholly unanswered; free-text notes of one to three "
            "sentences; written by `yaml.safe_dump` with its defaults (block style, sorted keys, "
            "ASCII with escapes, long text folded over lines). Findings in the first 500 sets: "
            + "; ".join(
                f"{k}: " + ", ".join(f"{n} {v:.0%}" for n, v in share.items())
                for k, share in shares.items()
            )
            + "."
        ),
        (
            f"Wall time of whole processes, median of {rounds} interleaved rounds, as in the "
            "YAML section above; the floor reads and parses the same files. The settled-outcome "
            "check (exact enumeration where three-valued logic is not exact) is inside these "
            "figures."
        ),
    ]
    return section


def _check(kb: KnowledgeBase) -> None:  # pragma: no cover - a quick look by hand
    complete, incomplete = corpora(kb, 300)
    print("complete", findings(kb, complete))
    print("incomplete", findings(kb, incomplete))
    print(yaml.safe_dump(document(incomplete[0])))


if __name__ == "__main__":  # pragma: no cover
    import consult

    random.seed(0)
    _check(consult.load())
