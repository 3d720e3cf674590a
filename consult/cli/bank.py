"""The bank authors' commands: `consult validate`, `consult test` and `consult schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from consult.cli.app import QuestionsOption, RulesOption, app, exit_on_error, load_bank


@app.command()
def validate(questions: QuestionsOption = None, rules: RulesOption = None) -> None:
    """Check the question bank and rules; list every problem as file:line:col: message."""
    from consult.bank.loader import load

    with exit_on_error():
        kb = load(questions, rules)
    sys.stdout.write(
        f"ok: {len(kb.questions)} questions, {len(kb.rules)} rules, "
        f"{len(kb.procedures)} procedures, {len(kb.referrals)} referrals, "
        f"{len(kb.references)} references (bank {kb.version})\n"
    )


@app.command("test")
def run_scenarios(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Scenario files or folders (default: the scenarios installed with consult).",
        ),
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="List rules and questions no scenario reaches.")
    ] = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Run scenario tests: answer sets with their expected results.

    Without a PATH, the scenarios of the shipped bank, installed with consult,
    run from any folder (named scenarios/NAME.yaml).

    \b
    Examples:
      consult test
      consult test my-scenarios/
      consult test --coverage
    """
    from consult.cli.shipped import short_name
    from consult.engine.scenarios import coverage_report, run_all
    from consult.errors import ExitStatus

    with exit_on_error():
        kb = load_bank(questions, rules)
        outcome = run_all(kb, paths or [_shipped_scenarios()])
    shown = str if paths else short_name
    for line in outcome.lines:
        sys.stdout.write(shown(line) + "\n")
    status = ExitStatus.OK if outcome.ok else ExitStatus.PROBLEMS
    if coverage:
        lines, dead_rules = coverage_report(kb, outcome)
        for line in lines:
            sys.stdout.write(shown(line) + "\n")
        if dead_rules:
            status = ExitStatus.PROBLEMS
    raise typer.Exit(status)


def _shipped_scenarios() -> Path:
    from consult.cli.shipped import shipped
    from consult.errors import InputError

    folder = shipped("scenarios")
    if folder is None:
        raise InputError("the shipped scenarios are missing from this installation")
    return folder


SCHEMA_KINDS = ("questions", "rules", "answers", "scenario")


@app.command("schema")
def schema(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND",
            help="questions, rules, answers or scenario.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (default: stdout)."),
    ] = None,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a kind of file, for editors and CI.

    The questions and rules schemas describe the file format; the answers and
    scenario schemas list the questions of the bank (--questions/--rules, or the
    shipped one) with their types, choices and ranges. Schemas for the shipped
    bank are installed in the package folder consult/schemas.

    \b
    Examples:
      consult schema questions -o questions.schema.json
      consult schema answers > answers.schema.json
      consult schema rules -o rules.schema.json
      check-jsonschema --schemafile rules.schema.json rules/*.yaml
    In an editor with the YAML language server, put this first in a file:
      # yaml-language-server: $schema=../consult/schemas/rules.schema.json
    """
    from consult.engine.fileschema import schema_for, schema_text

    if kind not in SCHEMA_KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(SCHEMA_KINDS)}")
    with exit_on_error():
        kb = load_bank(questions, rules) if kind in {"answers", "scenario"} else None
        text = schema_text(schema_for(kind, kb))
        if output is None or str(output) == "-":
            sys.stdout.write(text)
        else:
            _write_schema(output, text)


def _write_schema(path: Path, text: str) -> None:
    """Write a schema file (no patient data: a plain replace through a temporary file)."""
    from consult.errors import InputError, display_path

    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputError(f"{display_path(path)}: cannot write: {exc.strerror}") from None
