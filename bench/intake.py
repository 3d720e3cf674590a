"""Intake: the tool's own time per question transition, with the draft saved each time."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common import Row, Section
from gen import Generator

import consult
from consult.bank.model import Answer

TARGET_MS = 5.0


class ScriptedAsker:
    """Answers from a prepared answer set at once; "not known" for the rest.

    Treatment areas are added one by one ("add an area"), each answered from the
    set's `areas`, then "done".
    """

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers: dict[str, object] = {}
        self.areas: dict[str, int] = {}
        for qid, value in answers.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                self.areas[qid] = len(value)
                for number, item in enumerate(value, start=1):
                    self.answers.update({f"{qid}[{number}].{q}": v for q, v in item.items()})
            else:
                self.answers[qid] = value
        self.asked = 0

    def ask(self, ask: object) -> Answer | None:
        self.asked += 1
        qid: str = ask.question.id  # type: ignore[attr-defined]
        if qid.endswith("[+]"):  # add another area, or done
            left = self.areas.get(qid[:-3], 0)
            self.areas[qid[:-3]] = left - 1
            return "add_area" if left > 0 else "done"
        return self.answers.get(qid)  # type: ignore[return-value]

    def review(self, sections: Sequence[object]) -> None:
        return None

    def notice(self, text: str) -> None:
        pass

    def confirm(self, message: str, default: bool) -> bool:
        return default

    def ask_text(self, message: str, default: str, check: Callable[[str], str]) -> str:
        return default

    def no_to_all(self, asks: Sequence[object]) -> object:
        """Every question one by one, so that each is a transition of its own."""
        from consult.intake.flow import NoToAll

        return NoToAll(len(asks), all_no=False)


def measure(sessions: int, tmp: Path) -> Section:
    """Run `sessions` scripted consultations; time per question asked."""
    from consult.intake.draft import DraftWriter
    from consult.intake.flow import Intake, run_intake

    kb = consult.load()
    sets = list(Generator(kb, seed=5, incomplete_share=0.0).answer_sets(sessions))
    asked = 0
    worst = 0.0
    start = time.perf_counter()
    for index, answers in enumerate(sets):
        writer = DraftWriter(tmp / f"draft-{index}.json", kb)
        state = Intake(kb)
        asker = ScriptedAsker(answers)
        one = time.perf_counter()
        run_intake(state, asker, lambda s, w=writer: w.save(s.answers, s.skipped, s.patient_ref))
        worst = max(worst, (time.perf_counter() - one) / max(asker.asked, 1))
        asked += asker.asked
    per = (time.perf_counter() - start) / asked
    section = Section("Intake")
    section.rows.append(
        Row(
            f"intake: one question transition, {sessions} scripted sessions",
            f"{per * 1000:.3f} ms",
            f"mean over {asked:,} transitions; worst session's mean {worst * 1000:.3f} ms",
            per * 1000 / TARGET_MS,
            f"≤ {TARGET_MS:g} ms",
            per * 1000 <= TARGET_MS,
        )
    )
    section.notes.append(
        "A transition is what the tool does between two prompts: check the reply with the "
        "answer validator, record it and re-apply branching (answers to questions that no "
        "longer apply are dropped), write the draft file (atomic, owner-only), find the next "
        "open question and prepare its prompt. The scripted asker answers at once, so the "
        "figure is the tool's own time; the ratio column is the time over the target."
    )
    return section
