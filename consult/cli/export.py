"""`consult export`: the consultation record, or the patient's summary, for one answer file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from consult.cli.app import (
    QuestionsOption,
    RulesOption,
    app,
    exit_on_error,
    load_bank,
    stop_on_signals,
)
from consult.cli.batch import answers_item, consultation_date, one_of

if TYPE_CHECKING:
    from consult.answers.check import AnswerSet
    from consult.bank.model import KnowledgeBase
    from consult.engine.result import Result


AudienceOption = Annotated[
    str,
    typer.Option(
        "--for",
        metavar="record|patient",
        help="The clinic's record entry, or the patient's own summary in plain words.",
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="md|html",
        help="Markdown, or one self-contained printable HTML page.",
    ),
]
TimeOption = Annotated[
    str | None,
    typer.Option(
        "--time",
        metavar="HH:MM",
        help="Consultation time (default: now when --date is not given, else none).",
        show_default=False,
    ),
]


@app.command()
def export(
    answers: Annotated[
        Path,
        typer.Argument(
            metavar="ANSWERS",
            help="Answer file (YAML or JSON), or - for stdin.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file to write (owner-only, atomic) instead of stdout; - for stdout.",
            show_default=False,
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Consultation date (default: today, with the time now).",
            show_default=False,
        ),
    ] = None,
    audience: AudienceOption = "record",
    output_format: FormatOption = "md",
    time: TimeOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Write the consultation record, or the patient's summary, for one answer file.

    \b
    The record (the default) is the entry a clinic files: patient reference,
    date and time, clinician, safety findings, the plan per treatment area with
    the steps before treatment, referrals, what was ruled out, open questions,
    examination and notes, the answers, every cited reference and an
    attestation line; rule ids, the bank's identity and the machine-readable
    metadata are in its appendix. --for patient writes the patient's summary
    in plain words. The clinician is named by CONSULT_CLINICIAN or the
    `clinician` key of ~/.config/consult/config.yaml. The same answers, bank,
    clinician, --date and --time give the same file.

    \b
    Examples:
      consult export answers.yaml > record.md
      consult export answers.yaml -o record.md --date 2026-11-02 --time 14:30
      consult export answers.yaml --for patient --format html -o summary.html
    """
    from consult.cli.clinician import clinician
    from consult.output.files import refuse_existing, write_private

    one_of(audience, AUDIENCES, "--for")
    one_of(output_format, ("md", "html"), "--format")
    target = output if output is not None and str(output) != "-" else None
    with exit_on_error(), stop_on_signals():
        stamp = Stamp(consultation_date(date), _consultation_time(time, date), "")
        if target is not None:
            refuse_existing(target, force)  # before any work
        stamp = stamp._replace(clinician=clinician(os.environ))
        kb = load_bank(questions, rules)
        text = _rendered(kb, answers, audience, stamp)
        if output_format == "html":
            text = _page(text, audience, stamp.date)
        if target is not None:
            write_private(target, text, overwrite=force)
        else:
            sys.stdout.write(text)


AUDIENCES = ("record", "patient")


class Stamp(NamedTuple):
    """When and by whom: the date, the time ("" if none) and the clinician ("" if none)."""

    date: str
    time: str
    clinician: str


def _rendered(kb: KnowledgeBase, path: Path, audience: str, stamp: Stamp) -> str:
    """The record or the patient's summary, in markdown, for the answers at `path`."""
    from consult.batch.inputs import read_input
    from consult.batch.run import scenario_note
    from consult.engine.decide import evaluate

    item = answers_item(path)
    answers, scenario = read_input(kb, item)
    if scenario:
        sys.stderr.write(scenario_note(item.name) + "\n")
    return _document(kb, answers, evaluate(kb, answers), audience, stamp)


def _document(
    kb: KnowledgeBase, answers: AnswerSet, result: Result, audience: str, stamp: Stamp
) -> str:
    if audience == "patient":
        from consult.output.patient import render_patient

        return render_patient(kb, answers, result, date=stamp.date, clinician=stamp.clinician)
    from consult.output.markdown import render_markdown

    return render_markdown(
        kb, answers, result, date=stamp.date, time=stamp.time, clinician=stamp.clinician
    )


def _page(text: str, audience: str, date: str) -> str:
    """The markdown as a printable page; the title names no patient (it shows in tab lists)."""
    from consult.output.html import render_html

    kind = "Consultation summary" if audience == "patient" else "Consultation record"
    return render_html(text, title=f"{kind} {date}")


def _consultation_time(text: str | None, date: str | None) -> str:
    """The time as HH:MM: the one given, now when no date was given either, else ""."""
    import datetime
    import re

    if text is None:
        return "" if date is not None else datetime.datetime.now().strftime("%H:%M")
    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        return text
    raise typer.BadParameter(f"{text!r} is not a time like 14:30", param_hint="'--time'")
