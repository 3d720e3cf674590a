from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import consult
from consult.answers.check import AnswerSet
from consult.answers.read import read_file
from consult.bank.model import Answer, KnowledgeBase, Question
from consult.engine.result import Result
from consult.errors import InputError
from consult.intake.asking import BACK, Ask, Nav, NoToAll, Reply, ReviewSection
from consult.intake.draft import DraftWriter, fingerprint, new_draft_path, read_draft
from consult.intake.flow import Intake, answer_set, run_intake
from consult.intake.lock import draft_lock
from consult.intake.session import Autosave, begin, offer_saves, render_summary
from tests.conftest import DATA

Step = tuple[str, Any]


class ScriptedAsker:
    """Plays a script of (question id or action, reply) and records what it was shown."""

    def __init__(self, script: Sequence[Step]) -> None:
        self.script = list(script)
        self.asked: list[str] = []
        self.asks: list[Ask] = []
        self.notices: list[str] = []
        self.reviews: list[list[ReviewSection]] = []

    def _next(self, expected: str) -> Any:
        assert self.script, f"script ended; the intake wanted {expected}"
        step, reply = self.script.pop(0)
        assert step == expected, f"the intake wanted {expected}, the script has {step}"
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def ask(self, ask: Ask) -> Reply:
        self.asked.append(ask.question.id)
        self.asks.append(ask)
        reply: Reply = self._next(ask.question.id)
        return reply

    def review(self, sections: Sequence[ReviewSection]) -> str | Nav | None:
        self.reviews.append(list(sections))
        choice: str | Nav | None = self._next("review")
        return choice

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def confirm(self, message: str, default: bool) -> bool:
        self.notices.append(f"confirm: {message} default={default}")
        return bool(self._next("confirm"))

    def no_to_all(self, asks: Sequence[Ask]) -> NoToAll | Nav:
        self.asks.extend(asks)
        reply: NoToAll | Nav = self._next("no_to_all")
        return reply

    def ask_text(self, message: str, default: str, check: Callable[[str], str]) -> str:
        assert message.endswith(":")
        text = self._next("text")
        reply = default if text is None else str(text)
        assert check(reply) == "", check(reply)
        return reply


MALE_HAIR: list[Step] = [
    ("age", 44),
    ("sex", "male"),
    ("concerns", ("hair_loss",)),
    ("hair_loss_pattern", "patterned"),
    ("norwood_stage", 3),
    ("pregnant", False),
    ("anticoagulants", True),
    ("notes", "Patient text [bold]kept[/bold] literally"),
]
MALE_HAIR_ANSWERS = {qid: value for qid, value in MALE_HAIR}


def run(kb: KnowledgeBase, script: Sequence[Step], intake: Intake | None = None) -> Intake:
    state = intake or Intake(kb)
    asker = ScriptedAsker(script)
    saves: list[dict[str, Answer]] = []
    run_intake(state, asker, lambda s: saves.append(dict(s.answers)))
    assert asker.script == [], "the intake stopped before the script ended"
    return state


def test_whole_intake_asks_in_bank_order_and_finishes_at_review(kb: KnowledgeBase) -> None:
    state = run(kb, [*MALE_HAIR, ("review", None)])
    assert state.answers == MALE_HAIR_ANSWERS
    assert list(state.answers) == [q for q, _ in MALE_HAIR]


def test_only_questions_whose_when_holds_are_asked(kb: KnowledgeBase) -> None:
    script: list[Step] = [
        ("age", 30),
        ("sex", "female"),
        ("concerns", ("hair_loss",)),
        ("hair_loss_pattern", "patterned"),  # norwood_stage is for men only
        ("pregnant", False),
        ("anticoagulants", False),
        ("notes", None),
        ("review", None),
    ]
    state = run(kb, script)
    assert "norwood_stage" not in state.answers
    no_hair = run(kb, [("age", 30), ("sex", "female"), ("concerns", ("scars",)), *script[4:]])
    assert not {"hair_loss_pattern", "norwood_stage"} & set(no_hair.answers)


def test_answers_hidden_by_a_changed_answer_are_dropped(kb: KnowledgeBase) -> None:
    asker = ScriptedAsker(
        [
            *MALE_HAIR[:5],
            ("pregnant", BACK),  # back to norwood_stage, hair_loss_pattern, concerns
            ("norwood_stage", BACK),
            ("hair_loss_pattern", BACK),
            ("concerns", ("scars",)),
            ("pregnant", False),
            ("anticoagulants", False),
            ("notes", None),
            ("review", None),
        ]
    )
    state = Intake(kb)
    saved: list[dict[str, Answer]] = []
    run_intake(state, asker, lambda s: saved.append(dict(s.answers)))
    assert "hair_loss_pattern" not in state.answers
    assert "norwood_stage" not in state.answers
    assert "norwood_stage" not in saved[4 + 1]  # the draft saved right after the change
    assert asker.notices == [
        (
            "These questions no longer apply; their answers were removed:\n"
            "  - Pattern of hair loss (hair_loss_pattern)\n"
            "  - Norwood stage (norwood_stage)"
        )
    ]
    assert answer_set(state).answers == state.answers


def test_back_returns_to_the_previous_question_then_continues_at_the_first_open_one(
    kb: KnowledgeBase,
) -> None:
    asker = ScriptedAsker(
        [
            ("age", BACK),  # nothing before the first question: asked again
            ("age", 44),
            ("sex", "male"),
            ("concerns", BACK),
            ("sex", "female"),
            ("concerns", ("hair_loss",)),
            ("hair_loss_pattern", "patterned"),
            ("pregnant", BACK),
            ("hair_loss_pattern", BACK),
            ("concerns", ("hair_loss",)),
            ("pregnant", False),  # hair_loss_pattern is answered already
            ("anticoagulants", False),
            ("notes", None),
            ("review", None),
        ]
    )
    state = Intake(kb)
    run_intake(state, asker, lambda _s: None)
    assert [a.can_go_back for a in asker.asks[:2]] == [False, False]
    assert asker.asks[2].can_go_back
    assert asker.asks[4].current == "male"  # the answer so far is offered again
    assert state.answers["sex"] == "female"
    assert state.answers["hair_loss_pattern"] == "patterned"


def test_review_lists_answers_by_section_and_edits_reapply_branching(kb: KnowledgeBase) -> None:
    asker = ScriptedAsker(
        [
            *MALE_HAIR,
            ("review", "sex"),
            ("sex", "female"),  # norwood_stage no longer applies
            ("review", "concerns"),
            ("concerns", ("hair_loss", "scars")),
            ("review", "sex"),
            ("sex", "male"),  # norwood_stage applies again: asked at once
            ("norwood_stage", 5),
            ("review", None),
        ]
    )
    state = Intake(kb)
    run_intake(state, asker, lambda _s: None)
    first = asker.reviews[0]
    assert [s.title for s in first] == ["About the patient", "Hair loss", "Safety screen"]
    assert [line.question.id for line in first[1].lines] == ["hair_loss_pattern", "norwood_stage"]
    after_female = asker.reviews[1]
    assert [line.question.id for line in after_female[1].lines] == ["hair_loss_pattern"]
    assert state.answers["norwood_stage"] == 5
    assert state.answers["concerns"] == ("hair_loss", "scars")
    assert asker.asked[-1] == "norwood_stage"


def test_back_from_review_goes_to_the_last_question(kb: KnowledgeBase) -> None:
    state = run(kb, [*MALE_HAIR, ("review", BACK), ("notes", "changed"), ("review", None)])
    assert state.answers["notes"] == "changed"


def test_not_known_is_kept_apart_and_reported_unknown_by_the_engine(kb: KnowledgeBase) -> None:
    script = [*MALE_HAIR[:5], ("pregnant", None), *MALE_HAIR[6:], ("review", None)]
    state = run(kb, script)
    assert "pregnant" not in state.answers
    assert state.skipped == {"pregnant"}
    result = consult.evaluate(kb, answer_set(state))
    assert [u.question for u in result.unknown] == ["pregnant"]
    review_line = next(line for line in state.review()[2].lines if line.question.id == "pregnant")
    assert review_line.value is None


def test_required_and_invalid_replies_are_refused_and_asked_again(kb: KnowledgeBase) -> None:
    asker = ScriptedAsker(
        [("age", None), ("age", 121), ("age", 44), *MALE_HAIR[1:], ("review", None)]
    )
    run_intake(Intake(kb), asker, lambda _s: None)
    assert asker.notices == [
        "Age in years: an answer is required",
        "Age in years: expected a whole number from 0 to 120; got 121",
    ]


def test_replies_are_stored_as_the_validator_normalises_them(kb: KnowledgeBase) -> None:
    script = [*MALE_HAIR, ("review", "concerns"), ("concerns", ["scars", "hair_loss"])]
    state = run(kb, [*script, ("review", None)])
    assert state.answers["concerns"] == ("hair_loss", "scars")


def test_prefilled_answers_are_not_asked_again(kb: KnowledgeBase, tmp_path: Path) -> None:
    given = tmp_path / "known.yaml"
    given.write_text("consult: 1\nanswers: {age: 44, sex: male, pregnant: false}\n")
    writer, state, notices = begin(kb, prefill=given, draft=tmp_path / "d.json")
    assert notices == []
    rest = [step for step in MALE_HAIR if step[0] not in {"age", "sex", "pregnant"}]
    final = run(kb, [*rest, ("review", None)], state)
    assert final.answers == MALE_HAIR_ANSWERS
    assert json.loads(writer.path.read_text())["answers"] == {
        "age": 44,
        "sex": "male",
        "pregnant": False,
    }


def test_draft_is_written_at_once_owner_only_in_a_private_folder(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    writer, _state, _notices = begin(kb)
    folder = tmp_path / "state" / "consult" / "drafts"
    assert writer.path.parent == folder
    assert writer.path.exists()
    assert stat.S_IMODE(writer.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    second, _, _ = begin(kb)
    assert second.path != writer.path


def test_an_existing_draft_is_never_started_over(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text("{}")
    with pytest.raises(InputError, match=r"already exists \(to continue it: consult intake"):
        begin(kb, draft=tmp_path / "d.json")


def test_interrupted_intake_resumes_at_the_first_unanswered_question(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "draft.json"
    writer, state, _ = begin(kb, draft=path)

    def save(s: Intake) -> None:
        writer.save(s.answers, s.skipped, s.patient_ref)

    first = ScriptedAsker([*MALE_HAIR[:4], ("norwood_stage", KeyboardInterrupt())])
    with pytest.raises(KeyboardInterrupt):
        run_intake(state, first, save)

    writer2, resumed, notices = begin(kb, resume=path)
    assert notices == []
    assert writer2.path == path
    second = ScriptedAsker([*MALE_HAIR[4:], ("review", None)])
    run_intake(resumed, second, save)
    assert second.asked[0] == "norwood_stage"
    assert resumed.answers == run(kb, [*MALE_HAIR, ("review", None)]).answers
    assert read_draft(path, kb).answers == resumed.answers


def copy_bank(tmp_path: Path, edit: Callable[[str], str]) -> KnowledgeBase:
    target = tmp_path / "bank"
    shutil.copytree(DATA, target)
    hair = target / "questions" / "20-hair.yaml"
    hair.write_text(edit(hair.read_text()))
    return consult.load(questions=target / "questions", rules=target / "rules")


def test_draft_from_another_bank_version_lists_answers_it_does_not_keep(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "draft.json"
    DraftWriter(path, kb).save(MALE_HAIR_ANSWERS, (), "")
    changed = copy_bank(
        tmp_path,
        lambda text: (
            text.replace("text: Norwood stage", "text: Norwood-Hamilton stage")
            .replace("max: 7", "max: 6")
            .replace("      - id: notes\n        text: Notes\n        type: text\n", "")
            .replace("max_length: 200\n", "")
        ),
    )
    _writer, state, notices = begin(changed, resume=path)
    changed_line = "the question has changed since the draft was saved; it will be asked again"
    assert notices == [
        f"This draft was saved with question bank {kb.version}; the bank is now {changed.version}.",
        "These answers were not kept:",
        f"  - norwood_stage: {changed_line}",
        "  - notes: removed from the question bank",
        (
            "They stay in the draft, set aside: resuming with the question bank "
            "they were given with brings them back."
        ),
    ]
    assert "norwood_stage" not in state.answers
    asker = ScriptedAsker([("norwood_stage", 2), ("review", None)])
    run_intake(state, asker, lambda _s: None)
    assert asker.asked == ["norwood_stage"]


def test_a_resume_with_the_wrong_bank_loses_no_answer(kb: KnowledgeBase, tmp_path: Path) -> None:
    # The answers this bank did not match were removed from the draft at once,
    # before any key was pressed, and resuming with the right bank did not bring
    # them back.
    path = tmp_path / "draft.json"
    DraftWriter(path, kb).save(MALE_HAIR_ANSWERS, (), "")
    before = path.read_bytes()
    wrong = copy_bank(tmp_path, lambda text: text.replace("text: Norwood stage", "text: Stage"))
    writer, state, _ = begin(wrong, resume=path)
    assert path.read_bytes() == before  # nothing rewritten until the clinician answers
    asker = ScriptedAsker([("norwood_stage", 2), ("review", None)])
    run_intake(state, asker, lambda s: writer.save(s.answers, s.skipped, s.patient_ref))
    # Answered anew under the wrong bank: the draft holds the new answer, and the
    # old one set aside; the right bank takes the old one back.
    draft = json.loads(path.read_text())
    assert draft["answers"]["norwood_stage"] == 2
    old = draft["not_kept"]["norwood_stage"]
    assert [e["answer"] for e in old] == [MALE_HAIR_ANSWERS["norwood_stage"]]
    _, resumed, notices = begin(kb, resume=path)
    assert notices[-1] == "Every answer still matches the current bank."
    assert resumed.answers["norwood_stage"] == MALE_HAIR_ANSWERS["norwood_stage"]


def test_help_text_alone_does_not_change_a_fingerprint(kb: KnowledgeBase, tmp_path: Path) -> None:
    changed = copy_bank(tmp_path, lambda text: text.replace("horseshoe band only", "band"))
    old, new = kb.question("norwood_stage"), changed.question("norwood_stage")
    assert old.help != new.help
    assert fingerprint(old) == fingerprint(new)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not an intake draft (not readable JSON)"),
        ('{"consult": 1}', "not an intake draft of format 1"),
        pytest.param(
            '{"consult_draft": 1, "answers": {"age": ' + "[" * 1000 + "]" * 1000 + "}}",
            "not an intake draft (nested deeper than 64 levels)",
            id="1000-nested-brackets",  # was a RecursionError
        ),
    ],
)
def test_unreadable_drafts_are_refused(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("draft.json").write_text(content)
    with pytest.raises(InputError) as caught:
        read_draft(Path("draft.json"), kb)
    assert str(caught.value) == f"draft.json: {message}"


def test_draft_values_are_checked_again_on_resume(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    DraftWriter(path, kb).save({"age": 44}, (), "")
    doc = json.loads(path.read_text())
    doc["answers"]["age"] = 400
    path.write_text(json.dumps(doc))
    draft = read_draft(path, kb)
    assert draft.answers == {}
    assert draft.not_kept == (
        "age: expected a whole number from 0 to 120; got 400; it will be asked again",
    )


def finished(kb: KnowledgeBase) -> tuple[AnswerSet, Result]:
    answers = answer_set(run(kb, [*MALE_HAIR, ("review", None)]))
    return answers, consult.evaluate(kb, answers)


def test_saving_writes_the_answer_file_and_never_replaces_one_without_asking(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("taken.yaml").write_text("keep me")
    answers, result = finished(kb)
    asker = ScriptedAsker(
        [
            ("confirm", True),
            ("text", "taken.yaml"),
            ("confirm", False),  # do not replace
            ("text", "answers.yaml"),
            ("confirm", True),
            ("text", None),  # the offered name
        ]
    )

    def summary(*_args: object) -> str:
        return "# Summary\n"

    saved = offer_saves(asker, kb, answers, result, stem="c", date="2026-11-02", summarize=summary)
    assert saved == Path("answers.yaml")
    assert Path("taken.yaml").read_text() == "keep me"
    assert read_file(kb, Path("answers.yaml")).answers == MALE_HAIR_ANSWERS
    assert Path("c.md").read_text() == "# Summary\n"
    assert stat.S_IMODE(Path("answers.yaml").stat().st_mode) == 0o600
    assert [n for n in asker.notices if not n.startswith("confirm")] == [
        "Saved answers.yaml",
        "Saved c.md",
    ]
    assert "confirm: taken.yaml already exists. Replace it? default=False" in asker.notices


def test_answer_file_may_be_json(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    answers, result = finished(kb)
    asker = ScriptedAsker([("confirm", True), ("text", "a.json"), ("confirm", False)])
    offer_saves(asker, kb, answers, result, stem="c", date="2026-11-02")
    assert json.loads(Path("a.json").read_text())["answers"]["concerns"] == ["hair_loss"]
    assert read_file(kb, Path("a.json")).answers == MALE_HAIR_ANSWERS


def test_summary_uses_the_export_renderer(kb: KnowledgeBase) -> None:
    answers, result = finished(kb)
    text = render_summary(kb, answers, result, "2026-11-02")
    assert "# Consultation record" in text
    assert "2026-11-02" in text


def test_the_hidden_answer_rule_is_written_down() -> None:
    doc = (Path(__file__).parent.parent.parent / "docs" / "intake.md").read_text(encoding="utf-8")
    section = doc.split("## Branching and hidden answers", 1)[1].split("\n## ", 1)[0]
    assert "Answers to questions that no longer apply are dropped" in section


SHIPPED_BEFORE_MEDICAL: dict[str, Answer] = {
    "consent": True,
    "age": 38,
    "sex": "female",
    "concerns": ("wounds",),
    "cell_product_interest": ("none",),
    "areas[+]": "done",  # no treatment area listed: the wound's details are the patient's
    "wound_under_medical_care": True,
}
CLOSING: list[Step] = [
    ("fitzpatrick_type", 3),
    ("expectations_realistic", True),
    ("accepts_risks", True),
    ("preoccupation_minimal_defect", False),
    ("downtime_tolerance", "none"),
    ("notes", None),
    ("review", None),
]


def test_no_to_all_records_each_answer_and_offers_the_rest_after_one_by_one() -> None:
    kb = consult.load()
    state = Intake(kb, SHIPPED_BEFORE_MEDICAL)
    medical = [q.id for q in yes_no_questions(state)]
    script: list[Step] = [
        ("no_to_all", NoToAll(2, all_no=False)),  # the first two one by one
        (medical[0], False),
        (medical[1], True),
        ("no_to_all", NoToAll(10, all_no=True)),
        ("no_to_all", NoToAll(len(medical) - 12, all_no=True)),  # the rest
        *CLOSING,
    ]
    asker = ScriptedAsker(script)
    saves: list[dict[str, Answer]] = []
    run_intake(state, asker, lambda s: saves.append(dict(s.answers)))
    assert asker.script == []
    assert {q: state.answers[q] for q in medical} == {
        **dict.fromkeys(medical, False),
        medical[1]: True,
    }
    # The first run offered is the whole section; the next starts after the two
    # answered one by one.
    n = len(medical)
    assert [a.question.id for a in asker.asks[:n]] == medical
    assert asker.asks[n + 2].question.id == medical[2]
    assert asker.asks[n + 2].section_position == 3
    # Each No is recorded and saved on its own, in bank order.
    new = [
        next(iter(set(b) - set(a)))
        for a, b in pairwise([SHIPPED_BEFORE_MEDICAL, *saves])
        if set(b) - set(a)
    ]
    assert new[:n] == medical


def test_no_to_all_is_not_offered_when_the_section_goes_on_with_other_questions() -> None:
    kb = consult.load()
    state = Intake(kb, SHIPPED_BEFORE_MEDICAL)
    medical = yes_no_questions(state)
    # The follow-up on isotretinoin applies only after a Yes: it does not end the run.
    assert state.yes_no_run(medical[0]) == medical
    assert state.yes_no_run(kb.question("expectations_realistic")) == []  # downtime follows
    assert state.yes_no_run(kb.question("smoker")) == []  # fewer than three left


def yes_no_questions(state: Intake) -> list[Question]:
    return [q for q in state.visible if q.section == "medical_history" and q.kind == "yes_no"]


def test_pregnancy_is_asked_of_those_who_could_be_pregnant_and_a_recorded_answer_stays() -> None:
    kb = consult.load()
    asked = {
        sex: "pregnant_or_breastfeeding"
        in {q.id for q in Intake(kb, {**SHIPPED_BEFORE_MEDICAL, "sex": sex}).visible}
        for sex in ("female", "other", "male")
    }
    assert asked == {"female": True, "other": True, "male": False}
    # Recorded for a patient then recorded as male: kept, shown at the review, read.
    state = Intake(kb, {**SHIPPED_BEFORE_MEDICAL, "pregnant_or_breastfeeding": True})
    dropped = state.record(kb.by_id["sex"], "male")
    assert dropped == []
    assert state.answers["pregnant_or_breastfeeding"] is True
    assert "pregnant_or_breastfeeding" in {q.id for q in state.visible}
    assert answer_set(state).answers["pregnant_or_breastfeeding"] is True


def test_yes_to_some_and_no_to_the_rest_in_one_step() -> None:
    kb = consult.load()
    state = Intake(kb, SHIPPED_BEFORE_MEDICAL)
    medical = yes_no_questions(state)
    number = {q.id: state.ask_for(q).section_position for q in medical}
    yes = ("anticoagulant_or_antiplatelet", "isotretinoin_last_6_months")
    asker = ScriptedAsker(
        [
            ("no_to_all", NoToAll(len(medical), all_no=False, yes=tuple(number[q] for q in yes))),
            ("isotretinoin_months_since_stopped", 3),  # switched on by the Yes: asked next
            *CLOSING,
        ]
    )
    run_intake(state, asker, lambda _s: None)
    assert asker.script == []
    assert {q.id: state.answers[q.id] for q in medical} == {q.id: q.id in yes for q in medical}
    assert state.answers["isotretinoin_months_since_stopped"] == 3


def test_back_from_no_to_all_goes_to_the_previous_question() -> None:
    kb = consult.load()
    asker = ScriptedAsker(
        [
            ("no_to_all", BACK),
            ("wound_under_medical_care", True),
            ("no_to_all", NoToAll(19, all_no=True)),
            *CLOSING,
        ]
    )
    run_intake(Intake(kb, SHIPPED_BEFORE_MEDICAL), asker, lambda _s: None)
    assert asker.script == []


def test_intakes_started_in_the_same_second_get_their_own_drafts(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second intake of a second used to find the name free, then lose the
    # race to write it: "already exists (use --force ...)", and intake has no --force.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    now = datetime(2026, 11, 2, 9, 30)
    first = new_draft_path(now)
    second = new_draft_path(now)  # the first is claimed on disk before it is written
    assert first.name == "intake-20261102-093000.json"
    assert second.name == "intake-20261102-093000-2.json"
    writer, _, _ = begin(kb, now=now)
    assert writer.path.name == "intake-20261102-093000-3.json"
    assert json.loads(writer.path.read_text())["consult_draft"] == 1


def test_state_folders_are_owner_only_whatever_the_umask(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    old = os.umask(0)
    try:
        begin(kb)
    finally:
        os.umask(old)
    for folder in ("state", "state/consult", "state/consult/drafts"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder


def test_a_full_disk_keeps_the_consultation_going(kb: KnowledgeBase, small_disk: Path) -> None:
    # A full disk ended the consultation and lost the answer just given, after
    # printing "The draft is saved".
    writer, state, _ = begin(kb, draft=small_disk / "d.json")
    filler = small_disk / "filler"
    with filler.open("wb") as out, contextlib.suppress(OSError):
        out.write(b"x" * 64 * 1024)
    notices: list[str] = []
    autosave = Autosave(writer, notices.append)
    asker = ScriptedAsker(MALE_HAIR[:3])
    with pytest.raises(AssertionError, match="script ended"):
        run_intake(state, asker, autosave)
    assert state.answers == dict(MALE_HAIR[:3])  # every answer kept in memory
    assert autosave.behind
    assert len(notices) == 1
    assert notices[0].startswith("The draft could not be saved (")
    assert "No space left on device" in notices[0]
    assert notices[0].endswith("saving is tried again after every answer.")
    filler.unlink()
    asker = ScriptedAsker(MALE_HAIR[3:4])
    with pytest.raises(AssertionError, match="script ended"):
        run_intake(state, asker, autosave)
    assert not autosave.behind
    assert notices[1] == f"The draft is saved again: {writer.path}"
    assert read_draft(writer.path, kb).answers == dict(MALE_HAIR[:4])


def test_the_draft_lock_never_follows_a_symlink(tmp_path: Path) -> None:
    # A link planted in a shared drafts folder made the lock create a file elsewhere.
    target = tmp_path / "elsewhere"
    (tmp_path / ".d.json.lock").symlink_to(target)
    with (
        pytest.raises(InputError, match=r"d\.json: its lock \.d\.json\.lock is a symbolic link"),
        draft_lock(tmp_path / "d.json"),
    ):
        pass
    assert not target.exists()


def test_a_lock_left_by_an_intake_that_ended_badly_is_taken(tmp_path: Path) -> None:
    (tmp_path / ".d.json.lock").write_text("")
    with draft_lock(tmp_path / "d.json"):
        assert (tmp_path / ".d.json.lock").exists()
    assert not (tmp_path / ".d.json.lock").exists()


def test_the_review_marks_a_yes_that_is_a_safety_finding() -> None:
    kb = consult.load()
    state = Intake(
        kb, {**SHIPPED_BEFORE_MEDICAL, "anticoagulant_or_antiplatelet": True, "smoker": False}
    )
    lines = {line.question.id: line for s in state.review() for line in s.lines}
    assert lines["anticoagulant_or_antiplatelet"].finding
    assert not lines["smoker"].finding  # a No is never a finding
    assert not lines["consent"].finding  # a reassuring Yes is not one


def test_a_review_line_wraps_instead_of_being_cut() -> None:
    from consult.intake.widgets import review_title

    kb = consult.load()
    question = kb.question("anticoagulant_or_antiplatelet")
    title = review_title(question, True, 40, finding=True)
    lines = title.split("\n")
    assert lines[0].startswith("! Does the patient take")
    assert all(len(line) < 40 for line in lines)
    assert " ".join(" ".join(lines).split()).endswith("regular aspirin)?: YES")
    assert "…" not in title
