"""Answer files with treatment areas: the `areas` list, its checks and their places."""

from __future__ import annotations

from pathlib import Path

import pytest

import consult
from consult.answers.check import answers_document, check_mapping
from consult.answers.read import read_file
from consult.bank.model import Items, KnowledgeBase
from consult.errors import InvalidAnswers
from tests.conftest import WriteTree

GOOD = """\
consult: 1
answers:
  concerns: [hair_loss, acne_scarring]
  areas:
    - {site: scalp, active_infection_at_site: true}
    - site: face
      active_infection_at_site: false
      suspicious_lesion_in_area: null
"""


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def problems(kb: KnowledgeBase, write_tree: WriteTree, text: str) -> list[str]:
    write_tree({"a.yaml": text})
    with pytest.raises(InvalidAnswers) as info:
        read_file(kb, Path("a.yaml"))
    return [str(p) for p in info.value.problems]


def test_areas_are_read_in_order_each_with_its_answers(
    shipped: KnowledgeBase, write_tree: WriteTree
) -> None:
    write_tree({"a.yaml": GOOD})
    found = read_file(shipped, Path("a.yaml")).answers["areas"]
    assert isinstance(found, Items)
    assert found.keys() == ("scalp", "face")
    assert found.plain() == [
        {"site": "scalp", "active_infection_at_site": True},
        {"site": "face", "active_infection_at_site": False},  # null: not answered
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "active_infection_at_site: false",
            "active_infection_at_site: maybe",
            "a.yaml:7:33: 'areas[2].active_infection_at_site': expected true or false; "
            'got "maybe"',
            id="bad-value",
        ),
        pytest.param(
            "    - site: face",
            "    - site: scalp",
            "a.yaml:6:13: 'areas[2].site': 'scalp' is given twice (first at a.yaml:5:14)",
            id="site-twice",
        ),
        pytest.param(
            "{site: scalp, active_infection_at_site: true}",
            "{site: scalp, active_infection: true}",
            "a.yaml:5:21: 'areas[1].active_infection': unknown question 'active_infection' in "
            "'areas' (did you mean 'active_infection_at_site'?)",
            id="unknown-question",
        ),
        pytest.param(
            "{site: scalp, active_infection_at_site: true}",
            "{site: scalp, smoker: true}",
            "a.yaml:5:21: 'areas[1].smoker': 'smoker' is not asked per item of 'areas'; give it "
            "outside",
            id="patient-question-in-an-area",
        ),
        pytest.param(
            "{site: scalp, active_infection_at_site: true}",
            '{site: scalp, "active_infection\\u2029at_site": true}',
            "a.yaml:5:21: 'areas[1].active_infection\\u2029at_site': unknown question "
            "'active_infection\\u2029at_site' in 'areas' (did you mean 'active_infection_at_site'?)",
            id="line-separator-in-a-key",  # escaped: the message stays on one line
        ),
        pytest.param(
            "{site: scalp, active_infection_at_site: true}",
            "{active_infection_at_site: true}",
            "a.yaml:5:7: 'areas[1]': missing 'site' (which site these answers are for)",
            id="no-site",
        ),
        pytest.param(
            "{site: scalp, active_infection_at_site: true}",
            "{site: scalpp, active_infection_at_site: true}",
            "a.yaml:5:14: 'areas[1].site': expected one of scalp, face, neck, submental, chest, "
            'abdomen, flanks, back, buttocks, thighs, arms, hands, other; got "scalpp" '
            "(did you mean 'scalp'?)",
            id="unknown-site",
        ),
        pytest.param(
            "  areas:\n",
            "  site: scalp\n  areas:\n",
            "a.yaml:4:9: 'site' names an item of 'areas': give it in each item there",
            id="flat-site",
        ),
    ],
)
def test_problems_name_the_area_and_the_place(
    shipped: KnowledgeBase, write_tree: WriteTree, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    assert expected in problems(shipped, write_tree, GOOD.replace(old, new))


def test_areas_must_be_a_list_of_mappings(shipped: KnowledgeBase, write_tree: WriteTree) -> None:
    text = "consult: 1\nanswers:\n  areas: scalp\n"
    assert problems(shipped, write_tree, text) == [
        "a.yaml:3:10: 'areas': expected a list of mappings, each with 'site'; got \"scalp\""
    ]
    text = "consult: 1\nanswers:\n  areas: [scalp]\n"
    assert problems(shipped, write_tree, text) == [
        "a.yaml:3:11: 'areas[1]': expected a mapping; got \"scalp\""
    ]


def test_a_flat_site_answer_stays_valid(shipped: KnowledgeBase) -> None:
    checked = check_mapping(shipped, {"active_infection_at_site": False})
    assert checked.answers == {"active_infection_at_site": False}


def test_the_python_api_checks_areas_too(shipped: KnowledgeBase) -> None:
    with pytest.raises(InvalidAnswers) as info:
        check_mapping(shipped, {"areas": [{"site": "face"}, {"site": "face"}]})
    assert [p.message for p in info.value.problems] == [
        "'areas[2].site': 'face' is given twice (first at answers)"
    ]


def test_answers_document_writes_areas_back(shipped: KnowledgeBase) -> None:
    given = {"smoker": False, "areas": [{"site": "neck", "active_keloid_in_area": True}]}
    checked = check_mapping(shipped, given)
    doc = answers_document(checked.answers)
    assert doc["answers"] == given
    assert check_mapping(shipped, doc["answers"]).answers == checked.answers
