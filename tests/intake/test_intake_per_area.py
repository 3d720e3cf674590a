"""The intake area by area on the shipped bank: what is treated where, and its details."""

from __future__ import annotations

from pathlib import Path

import pytest

import consult
from consult.bank.model import Answer, Items, KnowledgeBase
from consult.engine.result import Result
from consult.intake.flow import BACK, Intake, NoToAll, answer_set, run_intake
from consult.intake.session import begin
from tests.intake.test_intake import ScriptedAsker, Step


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


PATIENT: list[Step] = [
    ("consent", True),
    ("age", 60),
    ("sex", "female"),
    ("concerns", ("scars",)),
    ("cell_product_interest", ("none",)),
]
FACE: list[Step] = [
    ("areas[+]", "add_area"),
    ("areas[1].site", "face"),
    ("areas[1].concerns", ("scars",)),
    ("areas[1].scar_type", "surgical"),
    ("areas[1].scar_age_months", 24),
    ("no_to_all", NoToAll(4, all_no=True)),  # the face's site screen: clear
]
BACK_AREA: list[Step] = [
    ("areas[+]", "add_area"),
    ("areas[2].site", "back"),
    ("areas[2].concerns", ("scars",)),
    ("areas[2].scar_type", "keloid"),
    ("areas[2].scar_age_months", 36),
    ("no_to_all", NoToAll(4, all_no=False)),  # one by one
    ("areas[2].active_infection_at_site", False),
    ("areas[2].suspicious_lesion_in_area", False),
    ("areas[2].active_keloid_in_area", True),
    ("areas[2].steroid_injection_at_site_last_month", False),
    ("areas[+]", "done"),
]
REST: list[Step] = [
    ("no_to_all", NoToAll(15, all_no=True)),  # the medical history: all no
    ("fitzpatrick_type", 2),
    ("expectations_realistic", True),
    ("accepts_risks", True),
    ("preoccupation_minimal_defect", False),
    ("downtime_tolerance", "week_or_more"),
    ("notes", None),
]
FACE_AND_BACK = [*PATIENT, *FACE, *BACK_AREA, *REST]


def run(state: Intake, script: list[Step]) -> ScriptedAsker:
    asker = ScriptedAsker(script)
    run_intake(state, asker, lambda _s: None)
    assert asker.script == [], "the intake stopped before the script ended"
    return asker


def areas_of(state: Intake) -> list[dict[str, object]]:
    checked = answer_set(state)
    assert checked.warnings == ()
    found = checked.answers.get("areas")
    assert isinstance(found, Items)
    return found.plain()


def plans(result: Result) -> dict[str | None, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {a.site: (a.candidates, a.referrals) for a in result.areas}


def test_each_area_asks_its_site_what_is_treated_its_details_then_its_screen(
    shipped: KnowledgeBase,
) -> None:
    state = Intake(shipped)
    asker = run(state, [*FACE_AND_BACK, ("review", None)])
    # The details of a scar are asked in each area, never again for the patient.
    assert "scar_type" not in asker.asked and "scar_age_months" not in asker.asked
    assert asker.asked.index("areas[+]") == asker.asked.index("cell_product_interest") + 1
    assert areas_of(state) == [
        {
            "site": "face",
            "concerns": ["scars"],
            "scar_type": "surgical",
            "scar_age_months": 24,
            "active_infection_at_site": False,
            "suspicious_lesion_in_area": False,
            "active_keloid_in_area": False,
            "steroid_injection_at_site_last_month": False,
        },
        {
            "site": "back",
            "concerns": ["scars"],
            "scar_type": "keloid",
            "scar_age_months": 36,
            "active_infection_at_site": False,
            "suspicious_lesion_in_area": False,
            "active_keloid_in_area": True,
            "steroid_injection_at_site_last_month": False,
        },
    ]
    result = consult.evaluate(shipped, answer_set(state))
    assert plans(result) == {
        "face": (("prp_scar", "micrograft_scar"), ()),
        "back": ((), ("refer_dermatology",)),
    }
    # Each area is a section of its own: its progress, the "No to each" of its
    # screen and its place on the review screen.
    screen = [a for a in asker.asks if a.question.id == "areas[1].active_infection_at_site"]
    assert (screen[0].section, screen[0].section_position, screen[0].section_total) == (
        "Area 1 (Face)",
        5,
        8,
    )
    titles = [s.title for s in asker.reviews[0]]
    assert titles[2:5] == ["Area 1 (Face)", "Area 2 (Back)", "Treatment areas"]
    back = asker.reviews[0][3]
    assert [(line.question.text, line.value) for line in back.lines[2:4]] == [
        ("What kind of scar is it?", "keloid"),
        ("How old is the scar, in months?", 36),
    ]


def test_a_concern_is_offered_only_in_an_area_where_it_can_be_treated(
    shipped: KnowledgeBase,
) -> None:
    state = Intake(shipped, {**dict(PATIENT), "concerns": ("hair_loss", "scars")})
    state.record(state.lookup("areas[+]"), "add_area")
    state.record(state.lookup("areas[1].site"), "face")
    assert state.lookup("areas[1].concerns").choice_ids == ("scars",)  # hair: the scalp only
    state.record(state.lookup("areas[1].site"), "scalp")
    assert state.lookup("areas[1].concerns").choice_ids == ("scars", "hair_loss")
    # A patient with hair loss alone: the scalp is the one site offered.
    alone = Intake(shipped, {**dict(PATIENT), "concerns": ("hair_loss",)})
    alone.record(alone.lookup("areas[+]"), "add_area")
    assert alone.lookup("areas[1].site").choice_ids == ("scalp", "remove_area")


def test_help_about_hair_loss_is_shown_only_where_hair_loss_is_treated(
    shipped: KnowledgeBase,
) -> None:
    given: dict[str, Answer] = {**dict(PATIENT), "concerns": ("hair_loss", "scars")}
    state = Intake(shipped, given)
    for qid, value in [
        ("areas[+]", "add_area"),
        ("areas[1].site", "scalp"),
        ("areas[1].concerns", ("hair_loss",)),
        ("areas[+]", "add_area"),
        ("areas[2].site", "face"),
        ("areas[2].concerns", ("scars",)),
    ]:
        state.record(state.lookup(qid), value)
    infection = shipped.question("active_infection_at_site")
    assert "hair loss" in infection.help
    assert state.lookup("areas[1].active_infection_at_site").help == infection.help
    assert state.lookup("areas[2].active_infection_at_site").help == ""
    # A choice's help comes with its choice: a wound is not among this patient's concerns.
    concerns = shipped.question("concerns")
    assert [c.id for c in concerns.choices if c.help] == ["wounds"]
    for number in (1, 2):
        offered = state.lookup(f"areas[{number}].concerns").choices
        assert "wounds" not in [c.id for c in offered]
        assert [c.help for c in offered if c.help] == []
    # The patient's own questions keep their help whole.
    assert state.lookup("concerns") == concerns


def test_the_details_of_a_concern_no_area_treats_are_asked_for_the_patient(
    shipped: KnowledgeBase,
) -> None:
    state = Intake(shipped, {**dict(PATIENT), "concerns": ("scars", "stretch_marks")})
    script: list[Step] = [
        *FACE[:2],
        ("areas[1].concerns", ("scars",)),
        *FACE[3:],
        ("areas[+]", "done"),
        ("striae_stage", "alba"),  # stretch marks are in no area: asked once, for the patient
        *REST,
        ("review", None),
    ]
    asker = run(state, script)
    more = [a.question for a in asker.asks if a.question.id == "areas[+]"][-1]
    assert more.help == "Not in an area yet: Stretch marks."
    checked = answer_set(state)
    assert checked.warnings == ()
    assert checked.answers["striae_stage"] == "alba"
    result = consult.evaluate(shipped, checked)
    assert [(a.site, a.concerns) for a in result.areas] == [
        ("face", ("scars",)),
        (None, ("stretch_marks",)),
    ]


def test_with_no_area_the_details_are_asked_for_the_patient_as_before(
    shipped: KnowledgeBase,
) -> None:
    script: list[Step] = [
        *PATIENT,
        ("areas[+]", "done"),
        ("scar_type", "surgical"),
        ("scar_age_months", 24),
        *REST,
        ("review", None),
    ]
    state = Intake(shipped)
    run(state, script)
    checked = answer_set(state)
    assert "areas" not in checked.answers and checked.answers["scar_type"] == "surgical"
    assert checked.warnings == ()


def test_a_changed_area_drops_that_area_s_answers_that_no_longer_apply(
    shipped: KnowledgeBase,
) -> None:
    given: dict[str, Answer] = {**dict(PATIENT), "concerns": ("scars", "stretch_marks")}
    state = Intake(shipped, given)
    face = [*FACE[:2], ("areas[1].concerns", ("scars",)), *FACE[3:]]
    back = [*BACK_AREA[:2], ("areas[2].concerns", ("scars", "stretch_marks"))]
    back += [*BACK_AREA[3:5], ("areas[2].striae_stage", "rubra"), *BACK_AREA[5:]]
    script: list[Step] = [
        *face,
        *back,
        *REST,
        ("review", "areas[2].concerns"),
        ("areas[2].concerns", ("stretch_marks",)),  # no scar on the back after all
        ("review", None),
    ]
    asker = run(state, script)
    assert asker.notices[-1] == (
        "These questions no longer apply; their answers were removed:\n"
        "  - Area 2: What kind of scar is it? (areas[2].scar_type)\n"
        "  - Area 2: How old is the scar, in months? (areas[2].scar_age_months)"
    )
    assert areas_of(state)[1] == {
        "site": "back",
        "concerns": ["stretch_marks"],
        "striae_stage": "rubra",
        "active_infection_at_site": False,
        "suspicious_lesion_in_area": False,
        "active_keloid_in_area": True,
        "steroid_injection_at_site_last_month": False,
    }
    assert areas_of(state)[0]["scar_type"] == "surgical"  # the face keeps its own


def test_a_concern_the_patient_no_longer_has_is_asked_again_in_each_area(
    shipped: KnowledgeBase,
) -> None:
    given: dict[str, Answer] = {**dict(PATIENT), "concerns": ("scars", "stretch_marks")}
    state = Intake(shipped, given)
    face = [*FACE[:2], ("areas[1].concerns", ("stretch_marks",))]
    face += [("areas[1].striae_stage", "alba"), FACE[-1], ("areas[+]", "done")]
    script: list[Step] = [
        *face,
        ("scar_type", "traumatic"),  # the scars are in no area
        ("scar_age_months", 5),
        *REST,
        ("review", "concerns"),
        ("concerns", ("scars",)),
        ("areas[1].concerns", ("scars",)),  # what the face has is asked again
        ("areas[1].scar_type", "surgical"),
        ("areas[1].scar_age_months", 24),
        ("review", None),
    ]
    asker = run(state, script)
    assert asker.notices[0] == (
        "These questions no longer apply; their answers were removed:\n"
        "  - Area 1: What does the patient want treated? (pick all that apply) "
        "(areas[1].concerns)\n"
        "  - Area 1: Stage of the stretch marks (areas[1].striae_stage)"
    )
    # The scar's details given for the patient were offered in the face, then gave way.
    offered = {a.question.id: a.current for a in asker.asks}
    assert offered["areas[1].scar_type"] == "traumatic"
    assert [n.splitlines()[1] for n in asker.notices[1:]] == [
        "  - What kind of scar is it? (scar_type)",
        "  - How old is the scar, in months? (scar_age_months)",
    ]
    assert areas_of(state)[0]["scar_type"] == "surgical"
    assert "scar_type" not in answer_set(state).answers


def test_back_goes_from_one_area_to_the_last_answer_of_the_one_before(
    shipped: KnowledgeBase,
) -> None:
    script: list[Step] = [
        *PATIENT,
        *FACE,
        ("areas[+]", BACK),  # into the face's screen, answered as a run
        ("areas[1].steroid_injection_at_site_last_month", True),
        ("areas[+]", "add_area"),
        ("areas[2].site", BACK),  # from a new area back into the one before
        ("areas[1].steroid_injection_at_site_last_month", False),
        *BACK_AREA[1:],
        *REST,
        ("review", None),
    ]
    state = Intake(shipped)
    run(state, script)
    assert [a["steroid_injection_at_site_last_month"] for a in areas_of(state)] == [False, False]


def test_an_answer_file_with_areas_prefills_what_is_treated_and_the_details(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    done = Intake(shipped)
    run(done, [*FACE_AND_BACK, ("review", None)])
    given = tmp_path / "given.yaml"
    given.write_text(
        "consult: 1\nanswers:\n  concerns: [scars]\n  areas:\n"
        "    - {site: face, concerns: [scars], scar_type: surgical, scar_age_months: 24}\n"
        "    - {site: back, concerns: [scars], scar_type: keloid}\n",
        encoding="utf-8",
    )
    _, state, notices = begin(shipped, draft=tmp_path / "d.json", prefill=given)
    assert notices == []
    script = [
        *[step for step in PATIENT if step[0] != "concerns"],
        ("no_to_all", NoToAll(4, all_no=True)),
        ("areas[2].scar_age_months", 36),
        *BACK_AREA[5:],
        *REST,
        ("review", None),
    ]
    asker = run(state, script)
    assert "areas[1].scar_type" not in asker.asked
    assert areas_of(state) == areas_of(done)


def test_an_older_answer_file_with_flat_details_still_works(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    given = tmp_path / "older.yaml"
    given.write_text(
        "consult: 1\nanswers:\n  concerns: [scars]\n  scar_type: keloid\n  scar_age_months: 36\n"
        "  areas:\n    - {site: back, active_keloid_in_area: true}\n",
        encoding="utf-8",
    )
    _, state, notices = begin(shipped, draft=tmp_path / "d.json", prefill=given)
    assert notices == []
    before = consult.evaluate(shipped, answer_set(state))
    assert plans(before)["back"][1] == ("refer_dermatology",)
    script: list[Step] = [
        *[step for step in PATIENT if step[0] != "concerns"],
        ("areas[1].concerns", ("scars",)),
        ("areas[1].scar_type", "keloid"),  # offered as the answer given for every area
        ("areas[1].scar_age_months", 36),
        ("no_to_all", NoToAll(3, all_no=True)),  # the screen's open questions
        ("areas[+]", "done"),
        *REST,
        ("review", None),
    ]
    asker = run(state, script)
    offered = {a.question.id: a.current for a in asker.asks}
    assert offered["areas[1].scar_type"] == "keloid"
    assert offered["areas[1].scar_age_months"] == 36
    assert areas_of(state)[0]["scar_type"] == "keloid"
    assert "scar_type" not in answer_set(state).answers  # now the area's own
    assert plans(consult.evaluate(shipped, answer_set(state)))["back"][1] == ("refer_dermatology",)


def test_a_draft_resumes_inside_an_area(shipped: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    writer, state, _ = begin(shipped, draft=path)
    stop = [*PATIENT, *FACE, *BACK_AREA[:3], ("areas[2].scar_type", KeyboardInterrupt())]
    with pytest.raises(KeyboardInterrupt):
        run_intake(state, ScriptedAsker(stop), lambda s: writer.save(s.answers, s.skipped, ""))
    _, resumed, notices = begin(shipped, resume=path)
    assert notices == []
    asker = run(resumed, [*BACK_AREA[3:], *REST, ("review", None)])
    assert asker.asked[0] == "areas[2].scar_type"
    whole = Intake(shipped)
    run(whole, [*FACE_AND_BACK, ("review", None)])
    assert areas_of(resumed) == areas_of(whole)


def test_an_area_where_none_of_the_patient_s_concerns_is_treated_is_asked_again(
    shipped: KnowledgeBase,
) -> None:
    state = Intake(shipped, {**dict(PATIENT), "concerns": ("hair_loss", "scars")})
    for qid, value in [
        ("areas[+]", "add_area"),
        ("areas[1].site", "face"),
        ("areas[1].concerns", ("scars",)),
        ("areas[1].scar_type", "keloid"),
        ("areas[1].active_infection_at_site", False),
    ]:
        state.record(state.lookup(qid), value)
    dropped = state.record(state.lookup("concerns"), ("hair_loss",))
    # The face treats nothing now: its place, its screen and what it held are asked again.
    assert dropped == [
        "areas[1].site",
        "areas[1].active_infection_at_site",
        "areas[1].concerns",
        "areas[1].scar_type",
    ]
    assert state.next_open() == state.lookup("areas[1].site")
    assert state.lookup("areas[1].site").choice_ids == ("scalp", "remove_area")


def test_the_details_keep_their_help_and_grades_in_an_area(shipped: KnowledgeBase) -> None:
    state = Intake(shipped, {**dict(PATIENT), "concerns": ("burns",)})
    for qid, value in [
        ("areas[+]", "add_area"),
        ("areas[1].site", "hands"),
        ("areas[1].concerns", ("burns",)),
        ("areas[1].burn_status", "acute"),
    ]:
        state.record(state.lookup(qid), value)
    depth = state.lookup("areas[1].burn_depth")
    assert "often scars" in depth.help  # names scars, yet it is the burn's own help
    assert depth.help == shipped.question("burn_depth").help


def test_not_known_in_an_area_leaves_that_area_s_question_open(shipped: KnowledgeBase) -> None:
    face = [*FACE[:3], ("areas[1].scar_type", None), *FACE[4:]]
    state = Intake(shipped)
    run(state, [*PATIENT, *face, ("areas[+]", "done"), *REST, ("review", None)])
    assert state.skipped == {"areas[1].scar_type", "notes"}
    assert "scar_type" not in areas_of(state)[0]
    result = consult.evaluate(shipped, answer_set(state))
    assert [(u.question, u.area) for u in result.unknown if u.question == "scar_type"] == [
        ("scar_type", "face")
    ]
