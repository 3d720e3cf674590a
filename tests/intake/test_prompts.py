"""The questionary prompts, driven in-process through a prompt_toolkit pipe."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pyte
import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from consult.bank.model import KnowledgeBase
from consult.intake.asking import BACK, NoToAll, Reply, ReviewSection
from consult.intake.flow import Intake
from consult.intake.prompts import QuestionaryAsker

DOWN, ENTER, SPACE, CTRL_B, BACKSPACE = "\x1b[B", "\r", " ", "\x02", "\x7f"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


WAIT = "\x00"  # in a key script: WAIT + text + WAIT waits until the screen shows the text


def until(text: str) -> str:
    """Keys after this wait until the screen shows `text` (e.g. an error message)."""
    return WAIT + text + WAIT


@contextmanager
def terminal(keys: str, columns: int = 160) -> Iterator[tuple[QuestionaryAsker, io.StringIO]]:
    """An asker reading `keys` and rendering to a wide in-memory terminal.

    Keys sent at once are handled before the next redraw, so a script pauses
    where the screen should show something (an error message) in between.
    """
    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=columns), enable_cpr=False)
    with create_pipe_input() as pipe:
        first, *rest = keys.split(WAIT)
        pipe.send_text(first)
        steps = list(zip(rest[::2], rest[1::2], strict=True))
        feeder = threading.Thread(target=_feed, args=(pipe, steps, screen), daemon=True)
        feeder.start()
        yield QuestionaryAsker(input=pipe, output=output), screen
        feeder.join()


def _feed(pipe: PipeInput, steps: list[tuple[str, str]], screen: io.StringIO) -> None:
    for text, keys in steps:
        deadline = time.monotonic() + 10.0
        while text not in shown(screen) and time.monotonic() < deadline:
            time.sleep(0.02)
        pipe.send_text(keys)


def shown(screen: io.StringIO) -> str:
    return ANSI.sub("", screen.getvalue())


def on_screen(screen: io.StringIO, columns: int) -> list[str]:
    """The lines a terminal of this width shows for the output (pyte)."""
    display = pyte.Screen(columns, 40)
    display.set_mode(pyte.modes.LNM)  # a newline also returns the carriage, as a tty does
    pyte.Stream(display).feed(screen.getvalue())
    return [line.rstrip() for line in display.display]


def ask(kb: KnowledgeBase, qid: str, keys: str, state: Intake | None = None) -> tuple[Reply, str]:
    state = state or Intake(kb, {"age": 44, "sex": "male", "concerns": ("hair_loss",)})
    with terminal(keys) as (asker, screen):
        reply = asker.ask(state.ask_for(kb.question(qid)))
    return reply, shown(screen)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("abc" + ENTER + until('got "abc"') + BACKSPACE * 3 + "44" + ENTER, 44),
        ("130" + ENTER + until("got 130") + BACKSPACE * 3 + " 7 " + ENTER, 7),
    ],
)
def test_integer_refuses_invalid_entries_with_the_answer_file_message(
    kb: KnowledgeBase, keys: str, expected: int
) -> None:
    reply, screen = ask(kb, "age", keys, Intake(kb))
    assert reply == expected
    assert "expected a whole number from 0 to 120; got" in screen


def test_yes_no_needs_y_or_n_and_enter_alone_does_not_answer(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "pregnant", ENTER + "n")
    assert reply is False
    assert "Pregnant or breastfeeding?" in screen


@pytest.mark.parametrize(("keys", "expected"), [("y", True), ("?", None), (CTRL_B, BACK)])
def test_yes_no_keys(kb: KnowledgeBase, keys: str, expected: Reply) -> None:
    assert ask(kb, "pregnant", keys)[0] == expected


def test_enter_keeps_the_earlier_yes_no_answer(kb: KnowledgeBase) -> None:
    state = Intake(kb, {"age": 44, "concerns": ("scars",), "pregnant": True})
    reply, screen = ask(kb, "pregnant", ENTER, state)
    assert reply is True
    assert "→ Yes" in screen


def test_select_shows_choice_help_and_offers_not_known(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "hair_loss_pattern", DOWN + until("Diagnose first") + ENTER)
    assert reply == "patchy"
    assert "Diagnose first" in screen
    assert ask(kb, "hair_loss_pattern", DOWN + DOWN + ENTER)[0] is None  # Not known
    assert ask(kb, "hair_loss_pattern", CTRL_B)[0] is BACK


def test_required_select_has_no_not_known_choice(kb: KnowledgeBase) -> None:
    required = replace(kb.question("sex"), required=True)
    ask = replace(Intake(kb, {"age": 4}).ask_for(kb.question("sex")), question=required)
    with terminal(DOWN + DOWN + DOWN + ENTER) as (asker, screen):
        assert asker.ask(ask) == "female"  # three moves down wrap round to the first
    assert "Not known" not in shown(screen)


def test_checkbox_exclusive_choice_clears_the_others(kb: KnowledgeBase) -> None:
    keys = SPACE + DOWN + SPACE + DOWN + SPACE + ENTER  # hair loss, scars, then "none"
    assert ask(kb, "concerns", keys, Intake(kb, {"age": 4}))[0] == ("none",)
    keys = DOWN + DOWN + SPACE + DOWN + SPACE + ENTER  # "none", then hair loss (wraps)
    assert ask(kb, "concerns", keys, Intake(kb, {"age": 4}))[0] == ("hair_loss",)


def test_a_list_with_none_of_these_needs_a_tick(kb: KnowledgeBase) -> None:
    reply, screen = ask(
        kb, "concerns", ENTER + until("nothing ticked") + SPACE + ENTER, Intake(kb, {"age": 4})
    )
    assert reply == ("hair_loss",)
    assert "nothing ticked: tick 'None of these' if none apply" in screen


def test_a_required_list_needs_a_choice(kb: KnowledgeBase) -> None:
    plain = replace(kb.question("concerns"), choices=kb.question("concerns").choices[:2])
    ask = replace(Intake(kb, {"age": 4}).ask_for(kb.question("concerns")), question=plain)
    with terminal(ENTER + until("at least one choice") + SPACE + ENTER) as (asker, screen):
        assert asker.ask(ask) == ("hair_loss",)
    assert "expected at least one choice" in shown(screen)


def test_help_is_shown_with_the_question(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "norwood_stage", "3" + ENTER)
    assert reply == 3
    assert "1: minimal recession ... 7: horseshoe band only" in screen
    assert "Hair loss" in screen  # the section heading


def test_text_keeps_patient_text_literal_and_limits_its_length(kb: KnowledgeBase) -> None:
    typed = "[bold]not markup[/bold] <b>"
    assert ask(kb, "notes", typed + ENTER)[0] == typed
    assert ask(kb, "notes", ENTER)[0] is None  # optional: empty means not known
    reply, screen = ask(kb, "notes", "x" * 201 + ENTER + until("text is 201") + BACKSPACE + ENTER)
    assert reply == "x" * 200
    assert "text is 201 characters; at most 200" in screen


def test_back_works_in_text_prompts(kb: KnowledgeBase) -> None:
    assert ask(kb, "notes", "abc" + CTRL_B)[0] is BACK


def review_sections(kb: KnowledgeBase) -> list[ReviewSection]:
    answers = {"age": 44, "sex": "male", "concerns": ("hair_loss",), "notes": "a\nb [x]"}
    return Intake(kb, answers).review()


@pytest.mark.parametrize(
    ("keys", "expected"), [(ENTER, None), (DOWN + ENTER, "age"), (CTRL_B, BACK)]
)
def test_review_picks_an_answer_to_change(kb: KnowledgeBase, keys: str, expected: object) -> None:
    with terminal(keys) as (asker, screen):
        assert asker.review(review_sections(kb)) == expected
    text = shown(screen)
    assert "── Hair loss ──" in text
    assert "Notes: a b [x]" in text


def test_session_prompts() -> None:
    def check(text: str) -> str:
        return "" if text.endswith(".yaml") else "a .yaml name"

    keys = "n" + "x.txt" + ENTER + until("a .yaml name") + BACKSPACE * 3 + "yaml" + ENTER
    with terminal(keys) as (asker, screen):
        assert asker.confirm("Save?", True) is False
        assert asker.ask_text("File:", "", check) == "x.yaml"
    assert "a .yaml name" in shown(screen)


def test_number_keys_pick_and_tick_in_short_lists(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "hair_loss_pattern", "2")  # picks at once
    assert reply == "patchy"
    assert "1. Patterned" in screen
    assert "→ Patchy" in screen
    reply, screen = ask(kb, "concerns", "1" + "2" + ENTER, Intake(kb, {"age": 4}))
    assert reply == ("hair_loss", "scars")
    assert "→ Hair loss; Scars" in screen  # the echo names every choice picked
    assert "done (2 selections)" not in screen


def test_n_ticks_none_of_these_and_question_mark_is_not_known(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "concerns", "1" + "n", Intake(kb, {"age": 4}))
    assert reply == ("none",)
    assert "→ None of these" in screen
    assert ask(kb, "hair_loss_pattern", "?")[0] is None
    assert ask(kb, "sex", "?", Intake(kb, {"age": 4}))[0] is None


def test_one_digit_answers_a_single_digit_scale(kb: KnowledgeBase) -> None:
    reply, screen = ask(kb, "norwood_stage", "4")
    assert reply == 4
    assert "1-7 answers at once" in screen
    assert ask(kb, "norwood_stage", "8" + "5")[0] == 5  # out of range: not a key here


def test_prompts_fit_80_columns_with_the_hint_on_its_own_line(kb: KnowledgeBase) -> None:
    long = "Does the patient take an anticoagulant or antiplatelet drug " * 3
    question = replace(kb.question("anticoagulants"), text=long.strip())
    state = Intake(kb, {"age": 44, "sex": "male", "concerns": ("scars",), "pregnant": False})
    with terminal("n", columns=80) as (asker, screen):
        assert asker.ask(replace(state.ask_for(question), question=question)) is False
    lines = on_screen(screen, 80)  # what stays: the question and its answer
    assert max(map(len, lines)) < 80, lines
    assert lines[2].startswith("? Does the patient take an anticoagulant or antiplatelet drug")
    assert lines[4].endswith("antiplatelet drug → No")
    hint = re.compile(r"\n\s*Safety screen 2/3 · 1 of 2 sections done · y/n, \? not known")
    assert hint.search(shown(screen))  # under the question while it was asked


def test_no_to_all_shows_the_questions_and_answers_with_one_key(kb: KnowledgeBase) -> None:
    state = Intake(kb, {"age": 44, "sex": "male", "concerns": ("scars",)})
    asks = [state.ask_for(kb.question(q)) for q in ("pregnant", "anticoagulants")]
    with terminal("n" + ENTER) as (asker, screen):
        assert asker.no_to_all(asks) == NoToAll(2, all_no=True)
        assert asker.no_to_all(asks) == NoToAll(2, all_no=False)
    text = shown(screen)
    assert "1. Pregnant or breastfeeding?" in text
    assert "2. Anticoagulants or antiplatelets?" in text
    assert "Safety screen 1-2 → No to each" in text
    assert "Safety screen 1-2 → one by one" in text


def test_the_numbers_of_the_yes_answer_a_run_with_no_to_the_rest(kb: KnowledgeBase) -> None:
    state = Intake(kb, {"age": 44, "sex": "male", "concerns": ("scars",)})
    asks = [state.ask_for(kb.question(q)) for q in ("pregnant", "anticoagulants")]
    keys = "2" + ENTER + "3" + ENTER + until("type numbers from 1 to 2") + "\x15" + "1 2" + ENTER
    with terminal(keys) as (asker, screen):
        assert asker.no_to_all(asks) == NoToAll(2, all_no=False, yes=(2,))
        assert asker.no_to_all(asks) == NoToAll(2, all_no=False, yes=(1, 2))
    assert "Safety screen 1-2 → Yes to 2; No to the rest" in shown(screen)


def test_a_letter_moves_to_a_choice_in_a_long_list(kb: KnowledgeBase) -> None:
    long = replace(
        kb.question("sex"),
        choices=tuple(
            replace(kb.question("sex").choices[0], id=f"c{i}", label=label)
            for i, label in enumerate(["Alpha", "Beta", "Bravo", "Charlie", *"DEFGHIJ"])
        ),
    )
    state = Intake(kb, {"age": 44})
    with terminal("b" + "b" + ENTER) as (asker, _screen):
        assert asker.ask(replace(state.ask_for(kb.question("sex")), question=long)) == "c2"


def test_an_empty_grade_asks_once_more_before_not_known(kb: KnowledgeBase) -> None:
    state = Intake(kb, {"age": 44, "sex": "male", "concerns": ("hair_loss",)})
    question = next(q for q in kb.questions if q.kind == "integer" and not q.required)
    keys = ENTER + until("Enter again records Not known") + ENTER
    with terminal(keys) as (asker, screen):
        assert asker.ask(state.ask_for(question)) is None
    assert "Nothing typed: Enter again records Not known" in shown(screen)
