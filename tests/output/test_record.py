"""The consultation record and the patient's summary on the shipped bank, read as rendered."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import consult
from consult.answers.check import AnswerSet
from consult.answers.read import read_file
from consult.bank.model import KnowledgeBase
from consult.bank.rules import CITATION
from consult.batch.inputs import Item, read_input
from consult.engine.decide import evaluate
from consult.engine.result import Result
from consult.output.html import render_html
from consult.output.markdown import read_metadata, render_markdown
from consult.output.patient import render_patient
from consult.output.text import cited

ROOT = Path(__file__).parent.parent
CONSULTATIONS = ROOT / "data" / "consultations"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SAMPLES = sorted((ROOT.parent / "consult" / "samples").glob("*.yaml"))
DATE, TIME, CLINICIAN = "2026-11-02", "10:15", "Dr Ana Silva"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


class _Text(HTMLParser):
    """The text a reader sees: no style, no title, blocks on their own lines."""

    BLOCKS = frozenset({"h1", "h2", "h3", "p", "li", "pre", "ul", "br"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.headings: list[str] = []
        self.heading: list[str] | None = None

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        self.hidden += tag in ("style", "title", "script")
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in ("h1", "h2", "h3"):
            self.heading = []

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "title", "script")
        if tag in ("h1", "h2", "h3") and self.heading is not None:
            self.headings.append("".join(self.heading).strip())
            self.heading = None

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
            if self.heading is not None:
                self.heading.append(data)


def seen(page: str) -> tuple[str, list[str]]:
    """The visible text of an HTML page (lines joined by newlines) and its headings."""
    parser = _Text()
    parser.feed(page)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line), parser.headings


def record(kb: KnowledgeBase, name: str) -> str:
    answers = read_file(kb, CONSULTATIONS / f"{name}.yaml")
    result = evaluate(kb, answers)
    return render_markdown(kb, answers, result, date=DATE, time=TIME, clinician=CLINICIAN)


def summary(kb: KnowledgeBase, name: str) -> str:
    answers = read_file(kb, CONSULTATIONS / f"{name}.yaml")
    return render_patient(kb, answers, evaluate(kb, answers), date=DATE, clinician=CLINICIAN)


ASPIRIN = (
    "anticoagulant or antiplatelet drug (warfarin, a DOAC, a heparin, clopidogrel, "
    "regular aspirin)?: yes"
)
KELOID = (
    "Back area: Is there an active keloid or hypertrophic scar (growing, red, itchy or "
    "painful) in the area to be treated?: yes"
)
ATTESTATION = (
    "I reviewed these answers with the patient, examined the treatment areas and made the "
    "decisions recorded here."
)


# What each consultation's record shows: reference, findings, areas and plan.
RECORDS = {
    "man-45-hair-loss-aspirin": (
        "P-1045",
        [ASPIRIN],
        {
            "Scalp area": [
                "Treated here: Hair loss or thinning",
                "Before treatment: Discuss the anticoagulant or antiplatelet with its prescriber",
                "Candidate: PRP injections into the scalp (low certainty)",
                "Candidate: Autologous micrografts for hair loss (very low certainty)",
                "Candidate: Mesotherapy for hair loss (low certainty)",
            ]
        },
    ),
    "woman-30-acne-scars-isotretinoin": (
        "P-2030",
        ["Isotretinoin (or another oral retinoid) in the last 6 months?: yes"],
        {
            "Face area": [
                "Treated here: Acne scars",
                "Before treatment: Decide the timing after isotretinoin with the clinician",
                "Candidate: PRP with microneedling (low certainty)",
                "Candidate: PRP with fractional laser (low certainty)",
                "Candidate: PRP injections alone for atrophic acne scars (low certainty)",
            ]
        },
    ),
    "woman-60-face-scar-back-keloid": (
        "P-3060",
        [KELOID],
        {
            "Face area": [
                "Candidate: PRP injections for scar revision (not acne scars) (very low certainty)",
                "Candidate: Autologous micrografts for scars, healed burns and wounds",
            ],
            "Back area": [
                "Refer first: Dermatology",
                "No candidate here.",
                "Ruled out: PRP injections for scar revision (not acne scars): Active keloid",
            ],
        },
    ),
}  # fmt: skip


def section(text: str, title: str) -> str:
    """The lines of one section of the rendered text, up to the next heading of its level."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    ends = [i for i in range(start, len(lines)) if lines[i] in TOPS]
    return "\n".join(lines[start : ends[0] if ends else len(lines)])


TOPS = {
    "Safety findings",
    "Plan per treatment area",
    "Before treatment",
    "Referrals",
    "Candidate procedures",
    "Cannot be assessed yet",
    "Ruled out for the patient's concerns",
    "Information",
    "Open questions",
    "Examination",
    "Notes",
    "Answers",
    "References",
    "Attestation",
    "Disclaimer",
    "Appendix: rules and knowledge bank",
}


def rendered_record(kb: KnowledgeBase, name: str) -> tuple[str, list[str]]:
    return seen(render_html(record(kb, name), title="Consultation record"))


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_rendered_record_names_who_when_and_by_whom(shipped: KnowledgeBase, name: str) -> None:
    text, headings = rendered_record(shipped, name)
    ref = RECORDS[name][0]
    assert headings[0] == "Consultation record"
    assert text.splitlines()[1:5] == [
        f"Patient reference: {ref}",
        f"Date: {DATE}",
        f"Time: {TIME}",
        f"Clinician: {CLINICIAN}",
    ]
    attestation = section(text, "Attestation")
    assert attestation.splitlines()[:2] == [
        ATTESTATION,
        f"Clinician: {CLINICIAN}",
    ]
    assert "Signature: ....." in attestation
    assert section(text, "Examination")


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_rendered_record_shows_no_front_matter_and_keeps_the_metadata(
    shipped: KnowledgeBase, name: str
) -> None:
    markdown = record(shipped, name)
    text, headings = rendered_record(shipped, name)
    assert not markdown.startswith("---")
    assert not any(word in h for h in headings for word in ("schema", "sha256", "patient_ref"))
    assert "schema: consult-record/1" not in text.split("Appendix: rules and knowledge bank")[0]
    meta = read_metadata(markdown)
    assert (meta["patient_ref"], meta["clinician"]) == (RECORDS[name][0], CLINICIAN)
    assert (meta["consultation_date"], meta["consultation_time"]) == (DATE, TIME)
    assert meta["bank_sha256"] == shipped.sha256


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_rendered_record_shows_the_findings_and_the_plan_per_area(
    shipped: KnowledgeBase, name: str
) -> None:
    text, headings = rendered_record(shipped, name)
    _, findings, plan = RECORDS[name]
    shown = section(text, "Safety findings")
    for finding in findings:
        assert finding in shown
    assert "agree" not in shown  # consent is no finding
    areas = section(text, "Plan per treatment area")
    assert [h for h in headings if h in plan] == list(plan)
    for area, lines in plan.items():
        block = areas.split(f"{area}\n", 1)[1]
        block = block.split("\n" + next((a for a in plan if a != area), "\0") + "\n")[0]
        for line in lines:
            assert any(shown_line.startswith(line) for shown_line in block.splitlines()), line


def test_the_keloid_is_referred_for_the_back_and_not_the_face(shipped: KnowledgeBase) -> None:
    text, _ = rendered_record(shipped, "woman-60-face-scar-back-keloid")
    referrals = section(text, "Referrals")
    assert referrals.startswith("Dermatology: Back area: Active keloid")
    assert "Face area" not in referrals
    references = section(text, "References")
    assert references.startswith("R37: ")


def test_the_record_names_no_rule_outside_its_appendix(shipped: KnowledgeBase) -> None:
    rules = {rule.id for rule in shipped.rules}
    for name in RECORDS:
        markdown = record(shipped, name)
        body, appendix = markdown.split("## Appendix: rules and knowledge bank")
        words = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", body))
        assert not words & rules, name
        assert "(rule " not in body
        assert words & rules or set(re.findall(r"[a-z0-9-]+", appendix)) & rules


def test_a_suspicious_lesion_of_an_unlisted_place_is_a_finding_and_a_referral(
    shipped: KnowledgeBase,
) -> None:
    path = ROOT / "scenarios" / "areas-flat-suspicious-lesion-face-clear.yaml"
    answers, result = evaluated(shipped, path)
    text, _ = seen(render_html(render_markdown(shipped, answers, result, date=DATE), title="r"))
    findings = section(text, "Safety findings")
    assert findings == (
        "Is there a changing, bleeding, growing or undiagnosed skin lesion in the area to be "
        "treated?: yes"
    )
    referrals = section(text, "Referrals")
    assert referrals.startswith("Dermatology: Changing, bleeding, growing or undiagnosed lesion")
    assert "None raised" not in referrals


def every_shipped_consultation(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(name, record) for every shipped scenario and sample answer file."""
    found = []
    for path in [*SCENARIOS, *SAMPLES]:
        answers, result = evaluated(kb, path)
        found.append((path.name, render_markdown(kb, answers, result, date=DATE)))
    return found


def evaluated(kb: KnowledgeBase, path: Path) -> tuple[AnswerSet, Result]:
    """The answers of an answer or scenario file, and their result."""
    answers, _ = read_input(kb, Item(path.name, path=str(path)))
    return answers, evaluate(kb, answers)


def test_every_cited_reference_of_every_shipped_consultation_is_listed(
    shipped: KnowledgeBase,
) -> None:
    checked = 0
    for name, markdown in every_shipped_consultation(shipped):
        body = markdown.split("## Answers\n")[0].replace("\\", "")
        listed = section_lines(markdown, "## References")
        keys = cited([body])
        for key in keys:
            assert key in shipped.references, f"{name}: {key} is no reference of the bank"
            assert f"- {key}: " in listed, f"{name}: {key} is cited but not listed"
        assert len(listed.splitlines()) == len(keys) or keys == [], name
        checked += len(keys)
    assert checked > 100


def section_lines(markdown: str, heading: str) -> str:
    return markdown.split(f"{heading}\n\n", 1)[1].split("\n\n## ", 1)[0]


def test_the_hair_loss_record_lists_the_references_its_caveats_and_protocols_cite(
    shipped: KnowledgeBase,
) -> None:
    listed = section_lines(record(shipped, "man-45-hair-loss-aspirin"), "## References")
    for key in ("R4", "R24", "R26", "R27", "R28", "R29b", "R30c", "R41", "R45b", "R50", "R62"):
        assert f"- {key}: {shipped.references[key].citation}" in listed.replace("\\", "")


# The patient's own summary.

SUMMARY_FIELDS = (
    "What it is: ",
    "How many sessions: ",
    "Recovery time: ",
    "Common side effects: ",
    "Serious risks: ",
    "How sure we are that it works: ",
    "What to do before: ",
)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_the_patient_summary_gives_each_candidate_in_plain_words(
    shipped: KnowledgeBase, name: str
) -> None:
    text, headings = seen(render_html(summary(shipped, name), title="Consultation summary"))
    assert headings[0] == "Your consultation summary"
    assert text.splitlines()[1:4] == [
        f"Your reference: {RECORDS[name][0]}",
        f"Date: {DATE}",
        f"Your clinician: {CLINICIAN}",
    ]
    options = headings[headings.index("Treatments you could talk about") + 1 :]
    candidates = [h for h in options if h.endswith("area)")]
    assert len(candidates) == 3 if name != "woman-60-face-scar-back-keloid" else 2
    for heading in candidates:
        block = text.split(f"\n{heading}\n", 1)[1].split("\n\n")[0].splitlines()[:7]
        assert [line.split(": ", 1)[0] + ": " for line in block] == list(SUMMARY_FIELDS)
    assert " you" in text.lower() and "your " in text.lower()


def test_the_patient_summary_says_how_sure_from_the_certainty(shipped: KnowledgeBase) -> None:
    text = summary(shipped, "woman-60-face-scar-back-keloid")
    assert "How sure we are that it works: We are very unsure whether it works." in text
    text = summary(shipped, "man-45-hair-loss-aspirin")
    assert "How sure we are that it works: We are not very sure how well it works." in text


def test_the_patient_summary_gives_the_steps_before_treatment_in_plain_words(
    shipped: KnowledgeBase,
) -> None:
    text = summary(shipped, "man-45-hair-loss-aspirin")
    steps = text.split("## Before any treatment\n\n", 1)[1].split("\n## ", 1)[0]
    step = (
        "- You take a blood thinner. Talk to the doctor who prescribed it before any planned "
        "treatment. Do not stop it on your own: only that doctor can say if a pause is safe."
    )
    assert steps.splitlines()[2:] == [step]


def test_the_patient_summary_gives_the_referral_and_why(shipped: KnowledgeBase) -> None:
    text = summary(shipped, "woman-60-face-scar-back-keloid")
    referral = text.split("## Please see a specialist first\n", 1)[1].split("\n## ", 1)[0]
    assert referral.endswith(
        "### Dermatology (back area)\n\n- Why: A skin doctor (a dermatologist) needs to check "
        "this first and find the cause. That comes before any treatment to improve your looks.\n"
    )


def test_no_patient_summary_names_a_rule_or_a_reference(shipped: KnowledgeBase) -> None:
    rules = {rule.id for rule in shipped.rules}
    for path in SCENARIOS:
        answers, result = evaluated(shipped, path)
        text = render_patient(shipped, answers, result, date=DATE)
        assert not CITATION.search(text.replace("\\", "")), path.name
        assert not re.search(r"\bR[0-9]+[a-z]?\b", text), path.name
        words = set(re.findall(r"[a-z0-9]+(?:[-_][a-z0-9]+)+", text))
        assert not words & (rules | set(shipped.procedures) | set(shipped.referrals)), path.name
