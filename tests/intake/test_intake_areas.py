"""Treatment areas at the intake: add, edit and remove areas; back, review, drafts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import consult
from consult.bank.model import Items, KnowledgeBase
from consult.intake.draft import read_draft
from consult.intake.flow import BACK, Intake, answer_set, run_intake
from consult.intake.session import begin
from tests.intake.test_intake import ScriptedAsker, Step

QUESTIONS = """\
version: "1.0"
sections:
  - id: basics
    title: Basics
    questions:
      - id: age
        text: Age
        type: integer
        min: 0
        max: 120
  - id: areas
    title: Treatment areas
    key: site
    questions:
      - id: site
        text: Which area?
        type: one_of
        required: true
        choices:
          - {id: scalp, label: Scalp}
          - {id: face, label: Face}
          - {id: neck, label: Neck}
      - id: infection
        text: Infection there?
        type: yes_no
      - id: lesion
        text: Lesion there?
        type: yes_no
  - id: end
    title: End
    questions:
      - id: notes
        text: Notes
        type: text
"""
RULES = """\
references:
  - {id: R1, citation: A review.}
procedures:
  - id: prp_scalp
    name: PRP scalp
    description: PRP into the scalp.
    sites: [scalp]
    evidence: {certainty: low, level: 1, summary: Modest., references: [R1]}
    patient: {what: Test., sessions: One., downtime: None., common_risks: Pain., serious_risks: Infection., before: Nothing.}
rules:
  - id: always
    when: {question: age, gte: 0}
    candidate: [prp_scalp]
  - id: infection
    when: {question: infection, equals: true}
    exclude: [prp_scalp]
    text: Infection.
"""


def bank(folder: Path, questions: str = QUESTIONS) -> KnowledgeBase:
    (folder / "q").mkdir(parents=True, exist_ok=True)
    (folder / "r").mkdir(parents=True, exist_ok=True)
    (folder / "q" / "q.yaml").write_text(questions, encoding="utf-8")
    (folder / "r" / "r.yaml").write_text(RULES, encoding="utf-8")
    return consult.load(folder / "q", folder / "r")


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    return bank(tmp_path)


TWO_AREAS: list[Step] = [
    ("age", 40),
    ("areas[+]", "add_area"),
    ("areas[1].site", "scalp"),
    ("areas[1].infection", True),
    ("areas[1].lesion", False),
    ("areas[+]", "add_area"),
    ("areas[2].site", "face"),
    ("areas[2].infection", False),
    ("areas[2].lesion", None),  # not known
    ("areas[+]", "done"),
    ("notes", "n"),
]


def run(state: Intake, script: list[Step]) -> ScriptedAsker:
    asker = ScriptedAsker(script)
    run_intake(state, asker, lambda _s: None)
    assert asker.script == []
    return asker


def items(state: Intake) -> list[dict[str, object]]:
    found = answer_set(state).answers.get("areas")
    assert isinstance(found, Items)
    return found.plain()


def test_areas_are_added_one_by_one_each_with_its_questions(kb: KnowledgeBase) -> None:
    state = Intake(kb)
    asker = run(state, [*TWO_AREAS, ("review", None)])
    assert items(state) == [
        {"site": "scalp", "infection": True, "lesion": False},
        {"site": "face", "infection": False},
    ]
    texts = {a.question.id: a.question.text for a in asker.asks}
    assert texts["areas[+]"] == "Treatment areas: add another area?"
    more = [a.question.choice_ids for a in asker.asks if a.question.id == "areas[+]"]
    # the first time "add an area" comes first; once there is one, "done" (Enter) does
    assert more == [("add_area", "done"), ("done", "add_area"), ("done", "add_area")]
    assert texts["areas[2].infection"] == "Area 2 (Face): Infection there?"
    site = next(a.question for a in asker.asks if a.question.id == "areas[2].site")
    assert site.choice_ids == ("face", "neck", "remove_area")  # scalp is taken
    review = asker.reviews[0]
    lines = [(line.question.id, line.value) for s in review for line in s.lines]
    assert ("areas[1].infection", True) in lines and ("areas[2].lesion", None) in lines
    result = consult.evaluate(kb, answer_set(state))
    assert [(e.procedure.id, e.reasons[0].area) for e in result.excluded] == [
        ("prp_scalp", "scalp")
    ]


def test_back_works_inside_and_across_areas(kb: KnowledgeBase) -> None:
    script = [
        *TWO_AREAS[:5],
        ("areas[+]", BACK),  # back into area 1
        ("areas[1].lesion", BACK),
        ("areas[1].infection", False),  # changed; then on to the first open prompt
        ("areas[+]", "add_area"),
        ("areas[2].site", BACK),  # from a new area back to the last answer of area 1
        ("areas[1].lesion", True),
        ("areas[2].site", "neck"),
        ("areas[2].infection", False),
        ("areas[2].lesion", False),
        ("areas[+]", "done"),
        ("notes", "n"),
        ("review", None),
    ]
    state = Intake(kb)
    run(state, script)
    assert items(state) == [
        {"site": "scalp", "infection": False, "lesion": True},
        {"site": "neck", "infection": False, "lesion": False},
    ]


def test_review_edits_adds_and_removes_areas(kb: KnowledgeBase) -> None:
    state = Intake(kb)
    script = [*TWO_AREAS, ("review", "areas[1].site"), ("areas[1].site", "remove_area")]
    # area 2 moves up; the add-or-done prompt is asked again
    run(state, [*script, ("areas[+]", "done"), ("review", None)])
    assert items(state) == [{"site": "face", "infection": False}]
    assert state.skipped == {"areas[1].lesion"}
    run(
        state,
        [
            ("review", "areas[+]"),
            ("areas[+]", "add_area"),
            ("areas[2].site", "neck"),
            ("areas[2].infection", True),
            ("areas[2].lesion", False),
            ("areas[+]", "done"),
            ("review", "areas[1].infection"),
            ("areas[1].infection", True),
            ("review", None),
        ],
    )
    assert items(state) == [
        {"site": "face", "infection": True},
        {"site": "neck", "infection": True, "lesion": False},
    ]


def test_no_areas_leaves_the_site_screen_unknown(kb: KnowledgeBase) -> None:
    state = Intake(kb)
    run(state, [("age", 40), ("areas[+]", "done"), ("notes", "n"), ("review", None)])
    checked = answer_set(state)
    assert "areas" not in checked.answers
    result = consult.evaluate(kb, checked)
    assert [u.procedure.id for u in result.undetermined] == ["prp_scalp"]
    assert [u.question for u in result.unknown] == ["infection"]


def test_a_draft_keeps_the_areas_and_resume_continues_inside_an_area(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "draft.json"
    writer, state, _ = begin(kb, draft=path)
    stop = [*TWO_AREAS[:7], ("areas[2].infection", KeyboardInterrupt())]
    with pytest.raises(KeyboardInterrupt):
        run_intake(state, ScriptedAsker(stop), lambda s: writer.save(s.answers, s.skipped, ""))
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["answers"]["areas[1].infection"] is True
    assert saved["answers"]["areas[2].site"] == "face"
    _, resumed, notices = begin(kb, resume=path)
    assert notices == []
    asker = run(resumed, [*TWO_AREAS[7:], ("review", None)])
    assert asker.asked[0] == "areas[2].infection"
    assert items(resumed) == items(run_whole(kb))


def run_whole(kb: KnowledgeBase) -> Intake:
    state = Intake(kb)
    run(state, [*TWO_AREAS, ("review", None)])
    return state


def test_a_changed_bank_is_detected_per_area(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    writer, state, _ = begin(kb, draft=path)
    run_intake(
        state,
        ScriptedAsker([*TWO_AREAS, ("review", None)]),
        lambda s: writer.save(s.answers, s.skipped, ""),
    )
    changed = bank(tmp_path / "new", QUESTIONS.replace("Infection there?", "Active infection?"))
    found = read_draft(path, changed)
    why = "the question has changed since the draft was saved; it will be asked again"
    assert found.not_kept == (f"areas[1].infection: {why}", f"areas[2].infection: {why}")
    resumed = Intake(changed, found.answers, found.skipped)
    asker = run(
        resumed, [("areas[1].infection", False), ("areas[2].infection", True), ("review", None)]
    )
    assert asker.asked == ["areas[1].infection", "areas[2].infection"]


def test_a_prefilled_answer_file_keeps_its_areas(kb: KnowledgeBase, tmp_path: Path) -> None:
    given = tmp_path / "a.yaml"
    given.write_text(
        "consult: 1\nanswers:\n  age: 40\n  lesion: false\n"
        "  areas:\n    - {site: neck, infection: true}\n",
        encoding="utf-8",
    )
    _, state, _ = begin(kb, draft=tmp_path / "d.json", prefill=given)
    asker = run(
        state,
        [("areas[1].lesion", None), ("areas[+]", "done"), ("notes", "n"), ("review", None)],
    )
    assert asker.asked[0] == "areas[1].lesion"
    lines = [(line.question.text, line.value) for s in asker.reviews[0] for line in s.lines]
    assert ("Every area: Lesion there?", False) in lines  # the flat answer, for every area
    assert answer_set(state).answers["lesion"] is False
    assert items(state) == [{"site": "neck", "infection": True}]


CONCERNED = """\
version: "1.0"
sections:
  - id: about
    title: About
    questions:
      - {id: age, text: Age, type: integer, min: 0, max: 120}
      - id: concerns
        text: What is treated?
        type: many_of
        required: true
        per_area: true
        choices:
          - {id: hair, label: Hair loss, sites: [scalp], help: Thinning or shedding.}
          - {id: scars, label: Scars}
  - id: hair
    title: Hair loss
    per_area: true
    when: {question: concerns, contains: hair}
    questions:
      - id: pattern
        text: Pattern?
        type: one_of
        choices: [{id: patterned, label: Patterned}]
  - id: areas
    title: Treatment areas
    key: site
    questions:
      - id: site
        text: Which area?
        type: one_of
        required: true
        choices:
          - {id: scalp, label: Scalp}
          - {id: face, label: Face}
      - id: infection
        text: Infection there?
        type: yes_no
        help: Scalp disease seen with the hair loss counts too. Look closely.
"""


def test_help_about_one_concern_is_shown_only_in_an_area_that_treats_it(tmp_path: Path) -> None:
    kb = bank(tmp_path, CONCERNED)
    state = Intake(kb, {"concerns": ("hair", "scars")})
    for qid, value in [
        ("areas[+]", "add_area"),
        ("areas[1].site", "scalp"),
        ("areas[1].concerns", ("hair",)),
        ("areas[+]", "add_area"),
        ("areas[2].site", "face"),
        ("areas[2].concerns", ("scars",)),
    ]:
        state.record(state.lookup(qid), value)
    help_text = kb.question("infection").help
    assert state.lookup("areas[1].infection").help == help_text
    assert state.lookup("areas[2].infection").help == "Look closely."
    # A choice's help goes with its choice: hair loss is not offered on the face.
    assert [(c.id, c.help) for c in state.lookup("areas[1].concerns").choices] == [
        ("hair", "Thinning or shedding."),
        ("scars", ""),
    ]
    assert [c.id for c in state.lookup("areas[2].concerns").choices] == ["scars"]
    assert [q.id for q in state.visible if q.id.endswith(".pattern")] == ["areas[1].pattern"]
