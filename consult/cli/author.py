"""The rule authors' review commands: `consult explain` and `consult diff`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from consult.cli.app import (
    JobsOption,
    QuestionsOption,
    RulesOption,
    app,
    exit_on_error,
    load_bank,
    unusable_bank,
)

if TYPE_CHECKING:
    from consult.bank.model import KnowledgeBase
    from consult.batch.diff import Report
    from consult.batch.inputs import Bank
    from consult.engine.explain import Explained


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
    from consult.answers.read import read_bytes, read_file
    from consult.engine.explain import explain as explain_outcomes
    from consult.engine.explain import targets
    from consult.errors import InputError
    from consult.output.explanation import explanation_json, explanation_text

    if output_format not in {"text", "json"}:
        raise typer.BadParameter("expected text or json", param_hint="--format")
    with exit_on_error():
        kb = load_bank(questions, rules)
        known = targets(kb)
        for wanted in outcomes or ():
            if wanted not in known:
                from consult.bank.yamlsource import suggest

                hint = suggest(wanted, list(known))
                raise InputError(f"{wanted!r} is neither a procedure nor a referral{hint}")
        if str(answers) == "-":
            checked = read_bytes(kb, sys.stdin.buffer.read(), "<stdin>", scenario=True)
        else:
            checked = read_file(kb, answers, scenario=True)
        found = explain_outcomes(kb, checked.answers, outcomes or ())
        if questions is None or rules is None:
            found = _short_sources(found)
        render = explanation_json if output_format == "json" else explanation_text
        sys.stdout.write(render(kb, found))


def _short_sources(found: Sequence[Explained]) -> tuple[Explained, ...]:
    """The shipped bank's files named as the bank names them (`rules/20-safety.yaml:6:5`)."""
    from dataclasses import replace

    from consult.cli.shipped import short_name

    return tuple(
        replace(o, rules=tuple(replace(r, source=short_name(r.source)) for r in o.rules))
        for o in found
    )


CorpusArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="CORPUS...",
        help="Answer files (YAML or JSON), folders of them, or - for stdin; "
        "with --input-format jsonl, JSONL files.",
        show_default=False,
    ),
]
BaseQuestionsOption = Annotated[
    Path | None,
    typer.Option(
        "--base-questions",
        metavar="DIR",
        help="Question folder of the bank to compare against (default: --questions).",
        show_default=False,
    ),
]
BaseRulesOption = Annotated[
    Path | None,
    typer.Option(
        "--base-rules",
        metavar="DIR",
        help="Rules folder of the bank to compare against (default: --rules).",
        show_default=False,
    ),
]


@app.command()
def diff(
    corpus: CorpusArgument,
    base_questions: BaseQuestionsOption = None,
    base_rules: BaseRulesOption = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="text, json or jsonl.")
    ] = "text",
    input_format: Annotated[
        str, typer.Option("--input-format", metavar="FORMAT", help="files or jsonl.")
    ] = "files",
    jobs: JobsOption = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Show which answer sets of a corpus change outcome between two banks, and how.

    Every answer set is decided on the base bank and on the bank (--questions
    and --rules, or the shipped one). Changes are grouped by outcome: new or
    lost candidate, new or lost exclusion, changed status, new or lost
    referral, changed certainty, and answers that became valid or invalid,
    each with a count and example inputs. --format jsonl writes one record per
    changed answer set. Exit status 0 when nothing changes; 1 when something
    does or an input cannot be read on either bank, so it can gate a rule
    change in CI.

    \b
    Examples:
      git worktree add /tmp/base main
      consult diff --base-questions /tmp/base/questions --base-rules /tmp/base/rules tests/scenarios
      consult diff --base-rules /tmp/base/rules answers/ --format json --jobs 4
      consult diff --base-rules /tmp/base/rules --input-format jsonl sets.jsonl --format jsonl
    """
    if base_questions is None and base_rules is None:
        raise typer.BadParameter("give --base-questions, --base-rules or both")
    if output_format not in {"text", "json", "jsonl"}:
        raise typer.BadParameter("expected text, json or jsonl", param_hint="--format")
    if input_format not in {"files", "jsonl"}:
        raise typer.BadParameter("expected files or jsonl", param_hint="--input-format")
    from consult.batch.inputs import Bank
    from consult.errors import ExitStatus

    with exit_on_error():
        kb = load_bank(questions, rules)
        base = Bank(_folder(base_questions or questions), _folder(base_rules or rules))
        report = _run_diff(kb, base, corpus, output_format, input_format == "jsonl", jobs)
    raise typer.Exit(ExitStatus.PROBLEMS if report.changed or report.failed else ExitStatus.OK)


def _folder(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _run_diff(
    kb: KnowledgeBase,
    base: Bank,
    corpus: list[str],
    fmt: str,
    jsonl: bool,
    jobs: int | None,
) -> Report:
    import json

    from consult.batch.diff import base_bank, diff_pairs, report_json, report_text
    from consult.batch.inputs import iter_inputs
    from consult.batch.pool import default_jobs
    from consult.batch.run import nothing_found

    with unusable_bank():  # a broken base bank is reported before any work
        base_kb = base_bank(base)
    items = iter_inputs(corpus, jsonl=jsonl, stdin=sys.stdin.buffer)
    from consult.batch.diff import Report

    report = Report()
    for _item, rendered in diff_pairs(kb, base, items, jobs or default_jobs()):
        report.total += 1
        if not rendered.ok:
            for message in rendered.messages:
                sys.stderr.write(message + "\n")
        if rendered.output:
            report.add(json.loads(rendered.output))
            if fmt == "jsonl":
                sys.stdout.write(rendered.output.decode() + "\n")
        elif not rendered.ok:
            report.failed += 1
    if not report.total:
        sys.stderr.write(nothing_found(corpus) + "\n")
    if report.failed:
        sys.stderr.write(f"{report.failed} of {report.total} could not be read on either bank\n")
    if fmt != "jsonl":
        render = report_json if fmt == "json" else report_text
        sys.stdout.write(render(report, kb, base_kb))
    return report
