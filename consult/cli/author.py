"""The rule authors' review command: `consult explain`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from consult.cli.app import QuestionsOption, RulesOption, app, exit_on_error


@app.command()
def explain(
    answers: Annotated[
        Path,
        typer.Argument(metavar="ANSWERS", help="An answer file or scenario file; - for stdin."),
    ],
    outcomes: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[PROCEDURE|REFERRAL]...",
            help="Procedure or referral ids to explain (default: all).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="text (default) or json.")
    ] = "text",
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Explain why each outcome is what it is on one set of answers.

    For each procedure or referral: its outcome, the rules that decided it,
    every rule that names it with the truth (true, false, unknown) of each
    condition and the answers it read, and for an outcome that did not happen
    the smallest change of answers found that would make it happen (checked by
    the engine). For checking the rules: it explains, it does not advise.

    \b
    Examples:
      consult explain answers.yaml                     every procedure and referral
      consult explain answers.yaml prp_scalp           one procedure
      consult explain tests/scenarios/safety-pregnant-all-excluded.yaml prp_face
      consult explain answers.yaml refer_dermatology --format json | jq .outcomes[0].why_not
    """
    from consult.bank.loader import load
    from consult.bank.yamlsource import decode
    from consult.engine.explain import explain as explain_outcomes
    from consult.engine.explain import read_answers, read_answers_file, targets
    from consult.errors import InputError
    from consult.output.explanation import explanation_json, explanation_text

    if output_format not in {"text", "json"}:
        raise typer.BadParameter("expected text or json", param_hint="--format")
    with exit_on_error():
        kb = load(questions, rules)
        known = targets(kb)
        for wanted in outcomes or ():
            if wanted not in known:
                from consult.bank.yamlsource import suggest

                hint = suggest(wanted, list(known))
                raise InputError(f"{wanted!r} is neither a procedure nor a referral{hint}")
        if str(answers) == "-":
            checked = read_answers(kb, decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
        else:
            checked = read_answers_file(kb, answers)
        found = explain_outcomes(kb, checked.answers, outcomes or ())
        render = explanation_json if output_format == "json" else explanation_text
        sys.stdout.write(render(kb, found))
