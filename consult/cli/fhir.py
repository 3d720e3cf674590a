"""`consult fhir`: the bank, an answer file and a result as HL7 FHIR R4 resources.

Every resource is checked with the `fhir.resources` models (the optional `fhir`
extra) before it is written; they are imported only when one of these commands runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from consult.cli.app import (
    QuestionsOption,
    RulesOption,
    app,
    exit_on_error,
    load_bank,
    stop_on_signals,
)

if TYPE_CHECKING:
    from consult.answers.check import AnswerSet
    from consult.bank.model import KnowledgeBase

fhir_app = typer.Typer(
    name="fhir",
    help="Write the question bank, an answer file or a result as HL7 FHIR R4 resources.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(fhir_app)

AnswersArgument = Annotated[
    Path,
    typer.Argument(
        metavar="ANSWERS",
        help="Answer file (YAML or JSON, or a QuestionnaireResponse), or - for stdin.",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the resource here (atomic, owner-only) instead of stdout.",
        show_default=False,
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing file.")]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        metavar="WHEN",
        help=(
            "When the answers were recorded or the result made: a date (2026-11-02) or a "
            "date and time with its offset (2026-11-02T09:30:00+01:00); default: now."
        ),
        show_default=False,
    ),
]


@fhir_app.command("questionnaire")
def questionnaire(
    output: OutputOption = None,
    force: ForceOption = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Write the question bank as one FHIR R4 Questionnaire (JSON).

    \b
    Sections are groups, questions items (linkId = question id), each `when`
    an enableWhen (or an SDC enableWhenExpression when enableWhen cannot say
    it: listed on stderr).

    \b
    Examples:
      consult fhir questionnaire > questionnaire.json
      consult fhir questionnaire -o questionnaire.json --force
    """
    from consult.fhir.questionnaire import questionnaire as build

    with exit_on_error():
        _refuse(output, force)
        export = build(load_bank(questions, rules))
        _write(export.resource, output, force)
    for note in export.notes:
        sys.stderr.write(f"note: {note}\n")


@fhir_app.command("response")
def response(
    answers: AnswersArgument,
    output: OutputOption = None,
    force: ForceOption = False,
    date: DateOption = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Write an answer file as a FHIR R4 QuestionnaireResponse (JSON).

    \b
    It answers the Questionnaire of `consult fhir questionnaire` (url|version);
    status is completed when every required question that applies is answered,
    else in-progress; authored is --date (default: now). `consult evaluate`
    reads it back.

    \b
    Examples:
      consult fhir response answers.yaml -o response.json
      consult evaluate response.json
    """
    from consult.fhir.response import response as build

    when = _when(date)
    with exit_on_error(), stop_on_signals():
        _refuse(output, force)
        kb, checked = _read(answers, questions, rules)
        _write(build(kb, checked.answers, checked.patient_ref, authored=when), output, force)
    _warn(checked.warnings)


@fhir_app.command("result")
def result(
    answers: AnswersArgument,
    output: OutputOption = None,
    force: ForceOption = False,
    date: DateOption = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Evaluate an answer file and write the result as a FHIR R4 GuidanceResponse (JSON).

    \b
    Candidates, exclusions, undetermined procedures, referrals, information
    notes and unknown questions, each with the rule ids behind it, and the
    plan per treatment area (areas as body sites), in a contained Parameters
    resource; the full result JSON rides along. The open questions are its
    dataRequirement; occurrenceDateTime is --date (default: now).

    \b
    Examples:
      consult fhir result answers.yaml -o guidance.json
      consult fhir result response.json
    """
    from consult.engine.decide import evaluate
    from consult.fhir.guidance import guidance_response

    when = _when(date)
    with exit_on_error(), stop_on_signals():
        _refuse(output, force)
        kb, checked = _read(answers, questions, rules)
        outcome = evaluate(kb, checked).to_dict()
        resource = guidance_response(kb, outcome, checked.patient_ref, occurrence=when)
        _write(resource, output, force)
    _warn(checked.warnings)


def _when(text: str | None) -> str:
    """A FHIR dateTime: the --date given (a date, or a date-time with its offset), or now."""
    import datetime

    if text is None:
        return datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        if "T" not in text:
            return datetime.date.fromisoformat(text).isoformat()
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        example = "2026-11-02 or 2026-11-02T09:30:00+01:00"
        raise typer.BadParameter(f"{text!r} is not a date like {example}", param_hint="'--date'")
    return moment.isoformat(timespec="seconds")


def _read(
    path: Path, questions: Path | None, rules: Path | None
) -> tuple[KnowledgeBase, AnswerSet]:
    from consult.bank.yamlsource import MAX_BYTES
    from consult.batch.inputs import STDIN, Item, read_item
    from consult.errors import display_path

    kb = load_bank(questions, rules)
    if str(path) == "-":
        item = Item(STDIN, data=sys.stdin.buffer.read(MAX_BYTES + 1))
    else:
        item = Item(display_path(path), path=str(path))
    return kb, read_item(kb, item)


def _refuse(output: Path | None, force: bool) -> None:
    from consult.output.files import refuse_existing

    if output is not None:
        refuse_existing(output, force)  # before any work


def _write(resource: dict[str, Any], output: Path | None, force: bool) -> None:
    import json

    from consult.fhir.validate import validate
    from consult.output.files import write_private

    validate(resource)
    text = json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_private(output, text, overwrite=force)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
