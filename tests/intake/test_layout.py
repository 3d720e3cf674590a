"""Plain-text layout of the prompts: wrapping at word boundaries within the width."""

from __future__ import annotations

from dataclasses import replace

import pytest

import consult
from consult.intake.flow import Ask
from consult.intake.layout import block, help_lines, hint, numbered, pick_keys, wrap


@pytest.mark.parametrize("width", [40, 80, 120])
def test_every_question_wraps_at_words_inside_the_width(width: int) -> None:
    for question in consult.load().questions:
        lines = wrap(question.text, width, first=2, indent=2)
        assert all(2 + len(line) < width for line in lines), lines
        assert " ".join(lines).split() == question.text.split()  # no word cut or lost
        for line in help_lines(question.help, width) if question.help else []:
            assert len(line) < width, line


def test_a_word_longer_than_the_line_is_the_only_thing_broken() -> None:
    text = "see /a/very/long/path/to/a/draft.json now"
    lines = wrap(text, 20)
    assert all(len(line) < 20 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert lines[-1] == "now"


def test_help_lines_join_continued_lines_and_keep_entries_apart() -> None:
    text = "1: first grade\n   still the first\n2: second grade, with\nmore of it\nA. Next."
    assert help_lines(text, 80) == [
        "  1: first grade still the first",
        "  2: second grade, with more of it",
        "  A. Next.",
    ]


def test_hint_and_list_entries_wrap_under_themselves() -> None:
    keys = ["y/n", "? not known", "Ctrl-B back"]
    where = "Medical history and safety screen 2/19 · 4 of 7 sections done"
    assert hint(80, where, keys).split("\n") == [
        "Medical history and safety screen 2/19 · 4 of 7 sections done · y/n, ? not",
        "  known, Ctrl-B back",
    ]
    entry = numbered("Signs of scarring (lost follicular openings, redness or scale)", 4, 40, 3)
    assert entry.split("\n") == [
        "4. Signs of scarring (lost",
        "      follicular openings, redness or",
        "      scale)",
    ]
    assert block("a b", 80) == "a b"


def test_a_list_of_one_choice_names_its_one_key() -> None:
    scars = consult.load().question("concerns").choices[:1]
    question = replace(consult.load().question("concerns"), choices=scars, required=True)
    ask = Ask(
        question, "Area 1 (Face)", None, was_skipped=False, can_go_back=True, position=2, total=8
    )
    assert pick_keys(ask, tick=True)[0] == "1 or Space ticks"
