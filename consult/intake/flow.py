"""The interactive intake loop, independent of any terminal.

The loop talks to the clinician only through an `Asker` (questionary in
`consult.intake.prompts`, a script in the tests). After every answer it re-applies
branching, drops answers to questions that no longer apply and hands the state
to a `save` callback (the draft file). The rule for hidden answers is written
down in docs/intake.md, "Branching and hidden answers".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from consult.answers.check import AnswerSet, answer_words, check_mapping
from consult.answers.groups import CONCERNS
from consult.answers.values import check_value
from consult.bank.model import Answer, KnowledgeBase, Question, plain_answer
from consult.bank.truth import finding_questions
from consult.intake.areas import REMOVE, Areas, parse
from consult.intake.asking import (
    BACK,
    Ask,
    Asker,
    Interrupted,
    Nav,
    NoToAll,
    ReviewLine,
    ReviewSection,
)
from consult.intake.branching import walk
from consult.intake.fitting import Fitter

# Questions the terminal intake asks after the plan is on screen, not before: the
# patient accepts the risks of the procedures once they have been shown.
AFTER_PLAN = frozenset({"accepts_risks"})
MIN_RUN = 3  # the fewest open yes/no questions offered "No to all of these"


class Intake:
    """The answers so far, with branching applied: what applies, what is done."""

    def __init__(
        self,
        kb: KnowledgeBase,
        answers: Mapping[str, Answer] | None = None,
        skipped: Sequence[str] = (),
        patient_ref: str = "",
    ) -> None:
        self.kb = kb
        self.areas = Areas(kb)
        self.fitter = Fitter(kb)
        self.answers: dict[str, Answer] = self.areas.spread(answers or {})
        self.skipped: set[str] = set(skipped)
        self.jump = ""  # set by `record` when a reply moves to another prompt (a new area)
        self.patient_ref = patient_ref
        self.visible: tuple[Question, ...] = ()
        self._prompts: dict[str, Question] = {}
        self._position: dict[str, int] = {}
        self._sure: frozenset[str] = frozenset()  # applies for certain, not only maybe
        self._titles: Mapping[str, str] = {}
        self.one_by_one: set[str] = set()  # shown together, then asked one by one
        self._findings = finding_questions(kb)
        # Asked after the plan is shown, not in the loop (see `AFTER_PLAN`).
        self.after_plan: frozenset[str] = frozenset()
        self.dropped_at_start = self.refresh()

    def refresh(self) -> list[str]:
        """Re-apply branching; drop answers to questions that no longer apply.

        Returns the ids of the questions whose answers were dropped. A walk in
        bank order (`consult.intake.branching`) is repeated until it drops
        nothing more: an answer dropped late may have counted earlier.
        """
        dropped: list[str] = []
        while True:
            found = walk(self.kb, self.areas, self.fitter, self.answers, self.skipped)
            self.answers, self.skipped = found.answers, found.skipped
            dropped += found.dropped
            if not found.dropped:
                break
        self.visible = found.prompts
        self._prompts = {q.id: q for q in found.prompts}
        self._position = {q.id: i for i, q in enumerate(found.prompts)}
        self._sure = found.sure
        self._titles = found.titles
        return dropped

    def lookup(self, qid: str) -> Question:
        """The question or area prompt with this id."""
        return self._prompts.get(qid) or self.kb.by_id[qid]

    def is_done(self, qid: str) -> bool:
        """The question has an answer or was answered "not known"."""
        return qid in self.answers or qid in self.skipped

    def record(self, question: Question, value: Answer | None) -> list[str]:
        """Store an answer (None: not known) and re-apply branching; return dropped ids."""
        found = parse(question.id)
        self.jump = self.areas.record(question, value, self.answers)
        if self.jump:
            if found is not None and value == REMOVE:
                self.skipped = self.areas.renumber(self.skipped, found[1])
            return self.refresh()
        self.answers.pop(question.id, None)
        self.skipped.discard(question.id)
        if value is None:
            self.skipped.add(question.id)
        else:
            self.answers[question.id] = value
        return self.refresh()

    def next_open(self, after: Question | None = None) -> Question | None:
        """The first question that applies and is not done, after `after` if given."""
        start = 0 if after is None else self._position.get(after.id, -1) + 1
        for question in self.visible[start:]:
            if not self.is_done(question.id) and question.id not in self.after_plan:
                return question
        return None if after is None else self.next_open()

    def open_after_plan(self) -> list[Question]:
        """The questions kept for after the plan that apply and are still open."""
        return [q for q in self.visible if q.id in self.after_plan and not self.is_done(q.id)]

    def previous(self, question: Question) -> Question | None:
        """The question that applies just before this one, if any."""
        index = self._position.get(question.id, 0)
        return self.visible[index - 1] if index > 0 else None

    def ask_for(self, question: Question) -> Ask:
        """The prompt data for one question."""
        index = self._position.get(question.id, 0)
        mates = [q for q in self.visible if q.section == question.section]
        # Sections that apply: those with a question that applies for certain (a
        # section that depends on an answer not given yet is not counted yet).
        sure = {q.section for q in self.visible if q.id in self._sure or self.is_done(q.id)}
        sections = sure | {question.section}
        open_sections = {q.section for q in self.visible if not self.is_done(q.id)}
        return Ask(
            question=question,
            section=self._titles.get(question.section, question.section),
            current=self.current(question.id),
            was_skipped=question.id in self.skipped,
            can_go_back=index > 0,
            position=index + 1,
            total=len(self.visible),
            section_position=next((i for i, q in enumerate(mates, 1) if q.id == question.id), 1),
            section_total=max(len(mates), 1),
            sections_done=len(sections - open_sections),
            sections_total=max(len(sections), 1),
        )

    def current(self, qid: str) -> Answer | None:
        """The answer so far; in an area, an answer given for every area stands for it."""
        if qid in self.answers or qid in self.skipped:
            return self.answers.get(qid)
        found = parse(qid)
        every = found is not None and found[2] not in {self.areas.key, CONCERNS}
        return self.answers.get(found[2]) if found is not None and every else None

    def yes_no_run(self, question: Question) -> list[Question]:
        """The open yes/no questions that end `question`'s section, from it on.

        They can be shown together and answered in one step: "No to all of
        these", or Yes to some and No to the rest. Empty unless `question` is
        open and every question after it in its section is a yes/no question
        (or a follow-up that applies only maybe); questions already shown
        together and then asked one by one, and questions answered before, are
        left out.
        """
        if self.is_done(question.id) or question.id in self.one_by_one:
            return []
        rest = [
            q
            for q in self.visible[self._position.get(question.id, 0) :]
            if q.section == question.section
        ]
        # A question of another kind that applies only maybe (a follow-up of a
        # question in the run, such as how long ago isotretinoin was stopped) is
        # asked after the run, once the answer that switches it on is given.
        if any(q.kind != "yes_no" and (q.id in self._sure or self.is_done(q.id)) for q in rest):
            return []
        run = [
            q
            for q in rest
            if q.kind == "yes_no"
            and not self.is_done(q.id)
            and q.id not in self.one_by_one
            and q.id not in self.after_plan
        ]
        return run if len(run) >= MIN_RUN else []

    def review(self) -> list[ReviewSection]:
        """Every question that applies, with its answer, by section and area by area.

        An area's section is named after it (`Area 2 (Back)`), so its lines give
        the questions' own text.
        """
        sections: list[ReviewSection] = []
        lines: list[ReviewLine] = []
        for question in self.visible:
            if question.id in self.after_plan and not self.is_done(question.id):
                continue  # not asked yet: it comes after the plan
            if lines and lines[-1].question.section != question.section:
                sections.append(self._section(lines))
                lines = []
            found = parse(question.id)
            shown = replace(question, text=self.kb.by_id[found[2]].text) if found else question
            value = self.answers.get(question.id)
            finding = value is True and (found[2] if found else question.id) in self._findings
            lines.append(ReviewLine(shown, value, finding))
        if lines:
            sections.append(self._section(lines))
        return sections

    def _section(self, lines: list[ReviewLine]) -> ReviewSection:
        sid = lines[0].question.section
        return ReviewSection(self._titles.get(sid, sid), tuple(lines))


def run_intake(intake: Intake, asker: Asker, save: Callable[[Intake], None]) -> None:
    """Ask until every question that applies is done and the review is finished."""
    question = intake.next_open()
    while True:
        if question is None:
            question = _review(intake, asker)
            if question is None:
                return
        question = _step(intake, asker, save, question)


def _review(intake: Intake, asker: Asker) -> Question | None:
    choice = asker.review(intake.review())
    if choice is None:
        return None
    if choice is BACK:
        return intake.visible[-1] if intake.visible else None
    return intake.lookup(choice)


def _step(
    intake: Intake, asker: Asker, save: Callable[[Intake], None], question: Question
) -> Question | None:
    run = intake.yes_no_run(question)
    if run:
        return _no_to_all(intake, asker, save, run)
    try:
        reply = asker.ask(intake.ask_for(question))
    except Interrupted as stop:
        keep_typed(intake, question, stop.text, save)
        raise
    if reply is BACK:
        return intake.previous(question) or question
    assert not isinstance(reply, Nav)
    checked, error = check_reply(question, reply)
    if error:
        asker.notice(f"{question.text}: {error}")
        return question
    dropped = intake.record(question, checked)
    if dropped:
        asker.notice(dropped_message(intake.kb, dropped))
    save(intake)
    if intake.jump:  # an area added (its site next) or removed (add-or-done next)
        return intake.lookup(intake.jump)
    return intake.next_open(question)


def ask_one(
    intake: Intake, asker: Asker, save: Callable[[Intake], None], question: Question
) -> bool:
    """Ask one question until it is answered (a question kept for after the plan).

    Returns False when the clinician goes back (Ctrl-B) instead.
    """
    while True:
        reply = asker.ask(intake.ask_for(question))
        if reply is BACK:
            return False
        assert not isinstance(reply, Nav)
        checked, error = check_reply(question, reply)
        if error:
            asker.notice(f"{question.text}: {error}")
            continue
        dropped = intake.record(question, checked)
        if dropped:
            asker.notice(dropped_message(intake.kb, dropped))
        save(intake)
        return True


def keep_typed(
    intake: Intake, question: Question, text: str, save: Callable[[Intake], None]
) -> None:
    """A half-typed text answer (a note) stopped by Ctrl-C: kept in the draft if valid."""
    if question.kind != "text" or not text.strip():
        return
    checked, error = check_reply(question, text)
    if not error:
        intake.record(question, checked)
        save(intake)


def _no_to_all(
    intake: Intake, asker: Asker, save: Callable[[Intake], None], run: Sequence[Question]
) -> Question | None:
    """Offer a run of yes/no questions together; record each No one by one."""
    reply = asker.no_to_all([intake.ask_for(q) for q in run])
    if reply is BACK:
        return intake.previous(run[0]) or run[0]
    assert isinstance(reply, NoToAll)
    shown = run[: max(reply.shown, 1)]
    if not reply.all_no and not reply.yes:
        intake.one_by_one.update(q.id for q in shown)
        return run[0]
    before = intake.previous(shown[0])
    numbers = {q.id: intake.ask_for(q).section_position for q in shown}
    for question in shown:
        if question.id not in {q.id for q in intake.visible}:  # switched off meanwhile
            continue
        dropped = intake.record(question, numbers[question.id] in reply.yes)
        if dropped:
            asker.notice(dropped_message(intake.kb, dropped))
        save(intake)
    # From the start of the run: a question that a Yes switched on is asked next.
    return intake.next_open(before)


def answer_set(intake: Intake) -> AnswerSet:
    """The finished answers, checked again as an answer file would be."""
    gathered = intake.areas.gather(intake.answers)
    plain = {qid: plain_answer(value) for qid, value in gathered.items()}
    checked = check_mapping(intake.kb, plain, "intake")
    return AnswerSet(checked.answers, intake.patient_ref, checked.warnings, "intake")


def check_reply(question: Question, value: Answer | None) -> tuple[Answer | None, str]:
    """The reply as stored, and why it cannot be ("" if it can); None is "not known".

    The same validator as answer files, so a prompt and a file cannot disagree.
    """
    if value is None:
        return None, "an answer is required" if question.required else ""
    return check_value(question, value)


def reply_error(question: Question, value: Answer | None) -> str:
    """Why a reply cannot be stored, or ""."""
    return check_reply(question, value)[1]


def dropped_message(kb: KnowledgeBase, dropped: Sequence[str]) -> str:
    """The notice shown when answers are dropped because their questions no longer apply."""
    lines = [f"  - {_named(kb, qid)} ({qid})" for qid in dropped]
    return "\n".join(["These questions no longer apply; their answers were removed:", *lines])


def _named(kb: KnowledgeBase, qid: str) -> str:
    """A question's text; in an area, led by the area: `Area 2: What kind of scar is it?`."""
    found = parse(qid)
    return f"Area {found[1]}: {kb.by_id[found[2]].text}" if found else kb.by_id[qid].text


def show_answer(question: Question, value: Answer | None) -> str:
    """An answer in words, for the review screen and notices."""
    if value is None:
        return "Not known"
    return answer_words(question, value, sep="; ", nothing="None picked")
