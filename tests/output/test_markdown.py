from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from consult.answers.check import AnswerSet
from consult.answers.read import read_file
from consult.bank.loader import load
from consult.bank.model import KnowledgeBase
from consult.engine.decide import evaluate
from consult.output.markdown import escape, paragraph, read_metadata, render_markdown
from consult.output.patient import render_patient
from tests.conftest import examples

DATA = Path(__file__).parent.parent / "data"
GOLDEN = DATA / "summary-good-hair-male.md"
DATE = "2026-11-02"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(DATA / "questions", DATA / "rules")


def summary(kb: KnowledgeBase, answers: AnswerSet) -> str:
    return render_markdown(kb, answers, evaluate(kb, answers), date=DATE)


def split(text: str) -> tuple[dict[str, Any], str]:
    """The metadata block (parsed) and the record before it."""
    assert text.startswith("# Consultation record\n")
    return read_metadata(text), text[: text.index("```yaml consult-record\n")]


def tokens(body: str) -> list[Token]:
    found: list[Token] = []
    for token in MarkdownIt("commonmark").enable("table").parse(body):
        found.append(token)
        found.extend(token.children or [])
    return found


def headings(body: str) -> list[str]:
    stream = MarkdownIt("commonmark").enable("table").parse(body)
    return [
        f"{'#' * int(t.tag[1])} {''.join(c.content for c in stream[i + 1].children or [])}"
        for i, t in enumerate(stream)
        if t.type == "heading_open"
    ]


ALLOWED = {
    "heading_open",
    "heading_close",
    "paragraph_open",
    "paragraph_close",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
    "inline",
    "text",
    "softbreak",
    "hardbreak",
}


def test_summary_matches_the_golden_file(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-hair-male.yaml")
    text = summary(kb, answers)
    if os.environ.get("CONSULT_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


PATIENT_GOLDEN = DATA / "patient-good-hair-male.md"


def test_the_patient_summary_matches_its_golden_file(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-hair-male.yaml")
    result = evaluate(kb, answers)
    text = render_patient(kb, answers, result, date=DATE, clinician="Dr Ana Silva")
    if os.environ.get("CONSULT_UPDATE_GOLDEN"):
        PATIENT_GOLDEN.write_text(text, encoding="utf-8")
    assert text == PATIENT_GOLDEN.read_text(encoding="utf-8")
    assert {t.type for t in tokens(text)} <= ALLOWED


def test_summary_is_deterministic(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-patchy.yaml")
    assert summary(kb, answers) == summary(kb, answers)


def test_the_metadata_block_holds_the_metadata(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-hair-male.yaml")
    result = evaluate(kb, answers)
    text = render_markdown(kb, answers, result, date=DATE, time="09:05", clinician="Dr A. Silva")
    meta, body = split(text)
    assert "- Time: 09:05\n- Clinician: Dr A. Silva\n" in body
    assert meta == {
        "schema": "consult-record/1",
        "patient_ref": "P-0042",
        "consultation_date": DATE,
        "consultation_time": "09:05",
        "clinician": "Dr A. Silva",
        "tool": "consult",
        "tool_version": "0.1.0",
        "bank_version": kb.version,
        "bank_sha256": kb.sha256,
    }


def test_the_metadata_block_is_the_end_of_the_appendix_not_a_heading(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-hair-male.yaml")
    text = summary(kb, answers)
    assert not text.startswith("---")
    assert headings(text)[-1] == "## Appendix: rules and knowledge bank"
    assert text.endswith("bank_sha256: " + kb.sha256 + "\n```\n")
    assert all("schema" not in h and "sha256" not in h for h in headings(text))


@pytest.mark.parametrize("ref", ["no", "2026-01-02", "---", "a: b", "0123", "Jane <Doe> #1", ""])
def test_the_metadata_block_keeps_patient_refs_as_text(kb: KnowledgeBase, ref: str) -> None:
    meta, _ = split(summary(kb, AnswerSet({"age": 30}, patient_ref=ref)))
    assert meta["patient_ref"] == (ref or None)


def test_sections_come_in_order_safety_first(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-patchy.yaml")
    _, body = split(summary(kb, answers))
    assert headings(body) == [
        "# Consultation record",
        "## Safety findings",
        "## Before treatment",
        "## Referrals",
        "## Candidate procedures",
        "## Ruled out for the patient's concerns",
        "## Open questions",
        "## Examination",
        "## Notes",
        "## Answers",
        "### About the patient",
        "### Hair loss",
        "### Safety screen",
        "## References",
        "## Attestation",
        "## Disclaimer",
        "## Appendix: rules and knowledge bank",
    ]
    assert "- Dermatology: Patchy hair loss needs a diagnosis first.\n" in body
    assert "- Referral Dermatology: hair-patchy\n" in body


def test_undetermined_procedures_name_the_questions(kb: KnowledgeBase) -> None:
    answers = AnswerSet({"age": 40, "sex": "male", "concerns": ("hair_loss",)})
    _, body = split(summary(kb, answers))
    assert "## Cannot be assessed yet" in body
    assert "### PRP into the scalp\n" in body
    assert "- Pattern of hair loss: would settle PRP into the scalp" in body
    assert body.count("Pattern of hair loss") == 1


def test_a_pending_procedure_shows_its_known_caveats_before_the_open_questions(
    kb: KnowledgeBase,
) -> None:
    answers = AnswerSet(
        {
            "age": 40,
            "sex": "male",
            "concerns": ("hair_loss",),
            "hair_loss_pattern": "patterned",
            "norwood_stage": 3,
            "anticoagulants": True,
        }
    )
    _, body = split(summary(kb, answers))
    pending = body.index("## Cannot be assessed yet")
    caveat = body.index("- Caveat: More bruising and bleeding on anticoagulants", pending)
    assert caveat < body.index("## Open questions")
    assert body.count("Pregnant or breastfeeding?") == 1
    assert "Pregnant or breastfeeding?: would settle PRP into the scalp, Micrografts" in body


HOSTILE = [
    "# Heading",
    "Line1\n===",
    "Line1\n---",
    "---",
    "    indented code",
    "```\nfenced\n```",
    "- list\n* list\n+ list\n1. list\n2) list",
    "> quote",
    "[x](javascript:alert(1))",
    "![img](http://e.x/i.png)",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<!-- comment -->",
    "&lt;b&gt; &#x3C; &amp;",
    "<https://evil.example> www.example.com",
    "[ref]: http://e.x\n[ref]",
    "**bold** __b__ *em* _em_ `code` ~~strike~~",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "x\na | b\n:-- | --\n1 | 2",
    "x *em* y _em_ z ~~s~~ &amp &copy;",
    "trailing backslash \\",
    "\x1b[31mred\x1b[0m and \x07 bell",
    "1.0 mL (Juvéderm®) — 100% *",
    "<div>\n\nblock\n\n</div>",
    "\n\n\nblank lines\n\n\n",
]


def literal(note: str) -> str:
    """What the reader must see: each line's words, controls dropped."""
    clean = re.sub(r"\x1b|[\x00-\x08\x0b-\x1f\x7f]", "", note)
    return "\n".join(" ".join(line.split()) for line in clean.split("\n") if line.strip())


def notes_text(body: str) -> str:
    stream = MarkdownIt("commonmark").enable("table").parse(body)
    start = next(i for i, t in enumerate(stream) if t.type == "inline" and t.content == "Notes")
    inline = stream[start + 3]
    assert inline.type == "inline"
    return "".join("\n" if c.type == "hardbreak" else c.content for c in inline.children or [])


@pytest.mark.parametrize("note", HOSTILE)
def test_hostile_notes_stay_literal_text(kb: KnowledgeBase, note: str) -> None:
    answers = AnswerSet({"age": 30, "notes": note}, patient_ref="P-1")
    _, body = split(summary(kb, answers))
    _, plain = split(summary(kb, AnswerSet({"age": 30, "notes": "plain"})))
    assert {t.type for t in tokens(body)} <= ALLOWED
    assert headings(body) == headings(plain)
    assert notes_text(body) == literal(note)


def test_all_hostile_notes_at_once(kb: KnowledgeBase) -> None:
    note = "\n".join(HOSTILE)
    _, body = split(summary(kb, AnswerSet({"age": 30, "notes": note})))
    assert {t.type for t in tokens(body)} <= ALLOWED
    assert notes_text(body) == literal(note)


def hostile_bank(tmp_path: Path) -> KnowledgeBase:
    """The test bank with markdown and HTML in every piece of text the summary shows."""
    shutil.copytree(DATA / "questions", tmp_path / "questions")
    shutil.copytree(DATA / "rules", tmp_path / "rules")
    swaps = {
        "questions/20-hair.yaml": [("Hair loss", "# Hair <b>loss</b>"), ("Patterned", "[P](x:y)")],
        "questions/10-basics.yaml": [("Age in years", "| Age | years |")],
        "rules/rules.yaml": [
            ("PRP into the scalp", "<img src=x onerror=alert(1)> PRP"),
            ("Density improves on average.", "![i](http://e.x) `code`"),
            ('"Review of PRP for pattern hair loss."', "<https://e.x> **R1**"),
            ("More bruising and bleeding on anticoagulants.", "> quoted\n---"),
        ],
    }
    for name, pairs in swaps.items():
        path = tmp_path / name
        text = path.read_text()
        for old, new in pairs:
            assert old in text
            text = text.replace(old, json.dumps(new))
        path.write_text(text)
    return load(tmp_path / "questions", tmp_path / "rules")


def test_bank_text_is_escaped_too(tmp_path: Path) -> None:
    kb = hostile_bank(tmp_path)
    answers = AnswerSet(
        {
            "age": 30,
            "sex": "male",
            "concerns": ("hair_loss",),
            "hair_loss_pattern": "patterned",
            "pregnant": False,
            "anticoagulants": True,
        }
    )
    _, body = split(summary(kb, answers))
    assert {t.type for t in tokens(body)} <= ALLOWED
    assert "### <img src=x onerror=alert(1)> PRP" in headings(body)
    assert "### # Hair <b>loss</b>" in headings(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a [b](c)", "a \\[b\\](c)"),
        ("  two\nlines  ", "two lines"),
        ("tab\there", "tab here"),
        ("bell\x07", "bell"),
        ("Juvéderm®", "Juvéderm®"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_paragraph_uses_hard_breaks_and_drops_blank_lines() -> None:
    assert paragraph("one\n\n    two\r\nthree") == "one\\\ntwo\\\nthree"


def test_a_referral_raised_twice_is_one_item_with_both_reasons(kb: KnowledgeBase) -> None:
    answers = read_file(kb, DATA / "answers" / "good-patchy.yaml")
    result = evaluate(kb, answers)
    first = result.referrals[0]
    second = replace(first, reason=replace(first.reason, text="Second reason.", rule="other"))
    out_of_scope = replace(result.excluded[1], in_scope=False)
    result = replace(result, referrals=(first, second), excluded=(result.excluded[0], out_of_scope))
    _, body = split(render_markdown(kb, answers, result, date=DATE))
    assert ("- Dermatology: Patchy hair loss needs a diagnosis first; Second reason.\n\n") in body
    assert "- Referral Dermatology: hair-patchy, other\n" in body
    assert "Also ruled out" not in body
    assert "Ruled out Micrografts for hair" not in body


PROSE = [
    "Follow-up: 3-4 weeks.",
    "Prefers morning appointments; husband drives (lives 40 km away).",
    "Dose 1.0 mL, 2 sessions, 100% sure? Yes! Ratio 3/4 and a < b, 5 > 2 = true.",
    "Allergic to penicillin - rash, 2019. Email: j.doe@example.com",
    "Took isotretinoin_20mg; snake_case stays, 2 * 3 stays, e.g. 'quoted' \"text\".",
]


@pytest.mark.parametrize("note", PROSE)
def test_ordinary_prose_reads_unchanged_in_the_raw_file(kb: KnowledgeBase, note: str) -> None:
    _, body = split(summary(kb, AnswerSet({"age": 30, "notes": note})))
    assert f"## Notes\n\n{note}\n" in body
    assert notes_text(body) == note


# Text with every markdown-significant character, words, spaces, line breaks,
# controls and the openings of links, entities and lists, in any order.
MARKDOWN_TEXT = st.lists(
    st.sampled_from(
        list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
        + list("aZ09 \n\t\r\x00\x07\x1b\x7f")
        + ["é", "—", "\u00a0", "www.", "http://", "&amp;", "&#35;", "<a>", "1.", "2)", "---"]
    ),
    max_size=30,
).map("".join)
INLINE = {"paragraph_open", "paragraph_close", "inline", "text"}
PLACES = {
    "{}": INLINE,
    "- {}": INLINE | {"bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close"},
    "### {}": INLINE | {"heading_open", "heading_close"},
    "- A: {} (rule x)": INLINE
    | {"bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close"},
    "{}: b": INLINE,
}


def parse(text: str) -> tuple[set[str], str]:
    """The token types of `text` and the literal text a reader sees."""
    stream = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)
    children = [c for t in stream for c in t.children or []]
    seen = "".join("\n" if c.type == "hardbreak" else c.content for c in children)
    return {t.type for t in stream} | {c.type for c in children}, seen


def one_line(text: str) -> str:
    clean = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text.replace("\r\n", " ").replace("\r", " "))
    return " ".join(clean.split())


@settings(max_examples=examples(100), deadline=None)
@given(MARKDOWN_TEXT, st.sampled_from(sorted(PLACES)))
def test_escaped_text_is_literal_wherever_it_stands(text: str, place: str) -> None:
    assume(one_line(text))
    types, seen = parse(place.format(escape(text)))
    assert types <= PLACES[place]
    assert seen == place.removeprefix("- ").removeprefix("### ").format(one_line(text))


@settings(max_examples=examples(60), deadline=None)
@given(MARKDOWN_TEXT)
def test_a_paragraph_round_trips_its_lines(text: str) -> None:
    types, seen = parse(paragraph(text))
    assert types <= INLINE | {"hardbreak"}
    lines = [one_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    assert seen == "\n".join(line for line in lines if line)


def test_a_clinician_answered_in_the_consultation_comes_before_the_configured_one(
    kb: KnowledgeBase,
) -> None:
    answers = AnswerSet({"age": 30, "clinician": "Dr Asked\tAt Intake"}, patient_ref="P-1")
    result = evaluate(kb, answers)
    text = render_markdown(kb, answers, result, date=DATE, clinician="Dr Configured")
    assert "- Clinician: Dr Asked At Intake\n" in text
    assert read_metadata(text)["clinician"] == "Dr Asked At Intake"
    patient = render_patient(kb, answers, result, date=DATE, clinician="Dr Configured")
    assert "- Your clinician: Dr Asked At Intake\n" in patient
    plain = AnswerSet({"age": 30})
    text = render_markdown(kb, plain, evaluate(kb, plain), date=DATE, clinician="Dr Configured")
    assert "- Clinician: Dr Configured\n" in text
