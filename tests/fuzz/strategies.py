"""Hypothesis strategies: answer sets drawn from a bank, then mutated the ways real files go wrong.

Valid sets come from the bank's own questions (types, choices, ranges), so the
fuzzing starts where clinic data is and walks out from there: wrong types,
values out of range, unknown keys, deep nesting, YAML 1.1 forms, anchors and
aliases, tags, control characters, bidi marks, BOMs, CRLF, long strings and
lines, truncation and stray bytes.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import yaml
from hypothesis import strategies as st

from consult.bank.model import KnowledgeBase, Question

# Characters that break naive readers and writers: NUL and other C0 controls,
# ESC, DEL, C1, bidi overrides and isolates, BOM, line and paragraph separators.
NASTY_CHARS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u200b\u200e\u202a\u202e\u2066\u2069\ufeff\u2028\u2029"
)
YAML11_FORMS = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "NO",
    "True",
    "~",
    "null",
    "012",
    "0x22",
    "0o17",
    "1_0",
    "1:30",
    "1e3",
    ".inf",
    "-.nan",
    "2026-01-02",
    "'12'",
    '"true"',
    "!!str 5",
    "!!int '7'",
    "!!binary aGk=",
    "!!python/name:os.system",
    "&a [x]",
    "*a",
    "<<: {a: 1}",
    "[",
    "{",
    "]",
    "- - -",
    "? a",
    "|",
    ">",
    "'",
    '"',
    "#",
    "%YAML 1.1",
    "---",
    "...",
]


def value_for(question: Question) -> st.SearchStrategy[Any]:
    """A valid value for one question."""
    ids = list(question.choice_ids)
    if question.kind == "yes_no":
        return st.booleans()
    if question.kind == "one_of":
        return st.sampled_from(ids)
    if question.kind == "many_of":
        plain = [c.id for c in question.choices if not c.exclusive]
        return st.lists(st.sampled_from(plain or ids), unique=True, min_size=1, max_size=4)
    if question.kind == "integer":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 100
        return st.integers(low, high)
    # Text as a clinician or patient writes it: anything but control characters.
    return st.text(
        st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t"), max_size=80
    )


@st.composite
def answer_sets(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Any]:
    """A valid, usually partial, answer set: each question answered or left out."""
    answers: dict[str, Any] = {}
    keys = {g.key for g in kb.groups.values()}
    for question in kb.questions:
        if question.id not in keys and draw(st.booleans()):
            answers[question.id] = draw(value_for(question))
    for group in kb.groups.values():  # treatment areas: distinct sites, each with answers
        if draw(st.booleans()):
            key = kb.by_id[group.key]
            sites = draw(st.lists(st.sampled_from(key.choice_ids), max_size=4, unique=True))
            items = []
            for site in sites:
                item = {group.key: site}
                for qid in group.questions:
                    if qid != group.key and draw(st.booleans()):
                        item[qid] = draw(value_for(kb.by_id[qid]))
                items.append(item)
            answers[group.id] = items
    return answers


def wrong_value() -> st.SearchStrategy[Any]:
    """Values of every wrong shape, size and encoding."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**4300, max_value=10**5000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
        st.text(alphabet=NASTY_CHARS, min_size=1, max_size=10),
        st.just("x" * 100_000),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


@st.composite
def mutated_sets(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Any]:
    """A valid set with one to three values, keys or shapes made wrong."""
    answers = draw(answer_sets(kb))
    ids = [q.id for q in kb.questions]
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["value", "key", "nest", "drop"]))
        if how == "value":
            answers[draw(st.sampled_from(ids))] = draw(wrong_value())
        elif how == "key":
            answers[draw(st.text(min_size=1, max_size=30))] = draw(wrong_value())
        elif how == "nest" and answers:
            key = draw(st.sampled_from(sorted(answers)))
            depth = draw(st.integers(1, 200))
            value: Any = answers[key]
            for _ in range(depth):
                value = [value]
            answers[key] = value
        elif answers:
            answers.pop(draw(st.sampled_from(sorted(answers))))
    return answers


def document(answers: Any, version: Any = 1) -> dict[str, Any]:
    return {"consult": version, "answers": answers}


def dump(doc: Any, form: str) -> str:
    """An answer document as YAML (block or flow) or JSON text."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # the file may hold a 5,000-digit number; the reader must cope
    try:
        if form == "json":
            return json.dumps(doc, ensure_ascii=False, default=str)
        flow = form == "flow"
        return yaml.safe_dump(doc, allow_unicode=True, default_flow_style=flow, width=10**6)
    finally:
        sys.set_int_max_str_digits(limit)


def _yaml11(draw: st.DrawFn, line: str) -> str:
    return line.split(":", 1)[0] + ": " + draw(st.sampled_from(YAML11_FORMS))


def _nasty(draw: st.DrawFn, line: str) -> str:
    cut = draw(st.integers(0, len(line)))
    return line[:cut] + draw(st.text(alphabet=NASTY_CHARS, min_size=1, max_size=3)) + line[cut:]


def _tag(draw: st.DrawFn, line: str) -> str:
    tag = draw(st.sampled_from(["!!str", "!!int", "!!float", "!!set", "!!omap", "!x"]))
    key, _, value = line.partition(":")
    return f"{key}: {tag} {value.strip()}"


def _anchor(_draw: st.DrawFn, line: str) -> str:
    key, _, value = line.partition(":")
    return f"{key}: &x {value.strip()}\n  extra: *x"


def _indent(draw: st.DrawFn, line: str) -> str:
    return " " * draw(st.integers(0, 7)) + line.lstrip()


def _long(draw: st.DrawFn, line: str) -> str:
    return line + "\n  notes: " + "a" * draw(st.integers(2_000, 200_000))


LINE_MUTATIONS = {
    "yaml11": _yaml11,
    "nasty": _nasty,
    "tag": _tag,
    "alias": _anchor,
    "indent": _indent,
    "long": _long,
}


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> str:
    """The text of a file, damaged the way copies, editors and exports damage it."""
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from([*LINE_MUTATIONS, "bom", "crlf", "truncate"]))
        if how == "bom":
            text = "\ufeff" + text
        elif how == "crlf":
            text = text.replace("\n", "\r\n")
        elif how == "truncate":
            text = text[: draw(st.integers(0, len(text)))]
        else:
            lines = text.split("\n")
            at = draw(st.integers(0, len(lines) - 1))
            if how in ("yaml11", "tag", "alias") and ":" not in lines[at]:
                continue
            lines[at] = LINE_MUTATIONS[how](draw, lines[at])
            text = "\n".join(lines)
    return text
