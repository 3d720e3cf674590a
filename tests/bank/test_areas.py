"""Repeating groups in the bank: the treatment areas, sites per procedure, quantifiers."""

from __future__ import annotations

import pytest

import consult
from consult.bank.model import Compare, Items, Quantified
from consult.bank.truth import holds
from consult.errors import Source
from tests.bank.test_loader import errors_of, load_with
from tests.conftest import WriteTree

QUESTIONS = """
version: "1.0"
sections:
  - id: basics
    title: Basics
    questions:
      - id: concerns
        text: Concerns
        type: many_of
        choices:
          - {id: hair_loss, label: Hair loss}
          - {id: scars, label: Scars}
  - id: areas
    title: Treatment areas
    key: site
    questions:
      - id: site
        text: Which area?
        type: one_of
        choices:
          - {id: scalp, label: Scalp}
          - {id: face, label: Face}
      - id: infection
        text: Infection there?
        type: yes_no
"""

RULES = """
references:
  - {id: R1, citation: A review.}
procedures:
  - id: prp_scalp
    name: PRP scalp
    description: PRP into the scalp.
    sites: [scalp]
    evidence: {certainty: low, level: 1, summary: Modest., references: [R1]}
    patient: {what: Test., sessions: One., downtime: None., common_risks: Pain., serious_risks: Infection., before: Nothing.}
  - id: prp_scar
    name: PRP scar
    description: PRP into a scar.
    sites: any
    evidence: {certainty: low, level: 1, summary: Modest., references: [R1]}
    patient: {what: Test., sessions: One., downtime: None., common_risks: Pain., serious_risks: Infection., before: Nothing.}
rules:
  - id: hair
    when: {question: concerns, contains: hair_loss}
    candidate: [prp_scalp]
  - id: infection
    when: {any_area: {question: infection, equals: true}}
    exclude: [prp_scalp, prp_scar]
    text: Infection.
"""


def test_a_section_with_a_key_is_a_repeating_group(write_tree: WriteTree) -> None:
    kb = load_with(write_tree, QUESTIONS, RULES)
    assert list(kb.groups) == ["areas"]
    assert kb.groups["areas"].key == "site"
    assert kb.procedures["prp_scalp"].sites == frozenset({"scalp"})
    assert kb.procedures["prp_scar"].sites is None  # any site
    when = kb.rules[1].when
    assert isinstance(when, Quantified)
    assert (when.kind, when.group, when.key) == ("any", "areas", "site")
    assert kb.per_area >= {"site", "infection"}  # the group's questions are asked per area


def test_the_shipped_procedures_name_their_sites() -> None:
    kb = consult.load()
    assert kb.groups["areas"].key == "site"
    sites = {pid: proc.sites for pid, proc in kb.procedures.items()}
    assert sites["prp_scalp"] == {"scalp"}
    assert sites["deoxycholic_acid_submental"] == {"submental"}
    assert sites["prp_face"] == {"face", "neck"}
    assert sites["prp_scar"] is None and sites["prp_striae"] is None
    assert "scalp" not in (sites["prp_acne_scar"] or ())
    # The site screen is read in each area directly (the area being decided).
    site = {"active_infection_at_site", "suspicious_lesion_in_area", "active_keloid_in_area"}
    site |= {"steroid_injection_at_site_last_month"}
    site_rules = [r.id for r in kb.rules if site & set(r.questions)]
    assert set(site_rules) >= {
        "active-infection-at-site",
        "suspicious-lesion",
        "active-keloid-in-area",
        "steroid-injection-at-site",
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "{any_area: {question: infection, equals: true}}",
            "{any_area: {question: concerns, contains: scars}}",
            "r/rules.yaml:21:33: rule 'infection': only questions answered per item of 'areas' "
            "can be read inside a quantifier over it, not 'concerns'",
            id="patient-answer-inside-a-quantifier",
        ),
        pytest.param(
            "{any_area: {question: infection, equals: true}}",
            "{any_area: {all_areas: {question: infection, equals: true}}}",
            "r/rules.yaml:21:22: rule 'infection': 'all_areas' cannot be used inside another "
            "quantifier",
            id="nested-quantifiers",
        ),
        pytest.param(
            "    sites: [scalp]\n",
            "    sites: [sclap]\n",
            "r/rules.yaml:7:12: procedure 'prp_scalp': unknown site 'sclap' (did you mean 'scalp'?)",
            id="unknown-site",
        ),
        pytest.param(
            "    sites: [scalp]\n",
            "",
            "r/rules.yaml:4:5: procedure 'prp_scalp': missing key 'sites' (the 'site' values it "
            "treats, or any)",
            id="missing-sites",
        ),
    ],
)
def test_rule_and_procedure_problems_are_located(
    write_tree: WriteTree, old: str, new: str, expected: str
) -> None:
    assert old in RULES
    assert expected in errors_of(write_tree, QUESTIONS, RULES.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    key: site\n",
            "    key: sight\n",
            "q/10-basics.yaml:14:10: section 'areas': 'key' 'sight' is not a question of this "
            "section",
            id="key-not-in-section",
        ),
        pytest.param(
            "    key: site\n",
            "    key: infection\n",
            "q/10-basics.yaml:14:10: section 'areas': 'key' 'infection' must be a one_of question",
            id="key-not-one-of",
        ),
        pytest.param(
            "    key: site\n",
            "    key: site\n    when: {question: concerns, contains: scars}\n",
            "q/10-basics.yaml:15:11: section 'areas': a repeating group (with 'key') cannot "
            "have a 'when'",
            id="group-with-when",
        ),
        pytest.param(
            "        type: yes_no\n",
            "        type: yes_no\n        when: {question: site, equals: face}\n"
            "        always_read: true\n",
            "q/10-basics.yaml:26:22: question 'infection': 'always_read' goes with a 'when', "
            "not 'per_area'",
            id="always-read-per-area",
        ),
    ],
)
def test_group_problems_are_located(
    write_tree: WriteTree, old: str, new: str, expected: str
) -> None:
    assert old in QUESTIONS
    assert expected in errors_of(write_tree, QUESTIONS.replace(old, new), RULES)


def test_sites_without_a_group_is_an_error(write_tree: WriteTree) -> None:
    flat = QUESTIONS[: QUESTIONS.index("  - id: areas")]
    rules = (
        RULES[: RULES.index("rules:")]
        + "rules:\n  - id: hair\n    when: {question: concerns, contains: hair_loss}\n    candidate: [prp_scalp]\n"
    )
    found = errors_of(write_tree, flat, rules)
    assert (
        "r/rules.yaml:7:12: procedure 'prp_scalp': 'sites' needs a repeating group in the questions"
        in found
    )


S = Source("t.yaml", 1, 1)
INFECTION = Compare(question="infection", op="equals", value=True, source=S)


def quantified(kind: str) -> Quantified:
    return Quantified(
        kind="any" if kind == "any" else "all",
        group="areas",
        key="site",
        part=INFECTION,
        source=S,
        reads=("infection",),
    )


def areas(*items: dict[str, object], every: dict[str, object] | None = None) -> Items:
    return Items(tuple(items), "site", every or {})  # type: ignore[arg-type]


SCALP_YES = {"site": "scalp", "infection": True}
FACE_NO = {"site": "face", "infection": False}
FACE_UNKNOWN = {"site": "face"}


@pytest.mark.parametrize(
    ("kind", "answers", "expected"),
    [
        ("any", {"areas": areas(SCALP_YES, FACE_NO)}, True),
        ("all", {"areas": areas(SCALP_YES, FACE_NO)}, False),
        ("any", {"areas": areas(FACE_NO)}, False),
        # a missing answer in an area is unknown, never no
        ("any", {"areas": areas(FACE_NO, FACE_UNKNOWN | {"site": "scalp"})}, None),
        ("all", {"areas": areas(FACE_UNKNOWN, SCALP_YES)}, None),
        # an answer given once for every area applies to each; an area's own answer wins
        ("any", {"areas": areas(FACE_UNKNOWN, every={"infection": True})}, True),
        ("any", {"areas": areas(FACE_NO, every={"infection": True})}, False),
        # no areas listed: the answers given for every area, or unknown
        ("any", {"areas": areas()}, None),
        ("any", {"areas": areas(every={"infection": False})}, False),
        ("any", {}, None),
        ("all", {"infection": True}, True),
        # a concern treated at a place no area gives: that place is read too, unscreened
        ("any", {"areas": Items((FACE_NO,), "site", {}, unplaced=True)}, None),  # type: ignore[arg-type]
        ("any", {"areas": Items((FACE_NO,), "site", {"infection": False}, True)}, False),  # type: ignore[arg-type]
    ],
)
def test_quantifiers_are_three_valued(
    kind: str, answers: dict[str, object], expected: object
) -> None:
    assert holds(quantified(kind), answers) is expected  # type: ignore[arg-type]
