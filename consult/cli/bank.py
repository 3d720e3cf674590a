"""The bank authors' commands: `consult validate` and `consult test`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from consult.cli.app import QuestionsOption, RulesOption, app, exit_on_error


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
            metavar="[PATH]...", help="Scenario files or folders (default: tests/scenarios)."
        ),
    ] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="List rules and questions no scenario reaches.")
    ] = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Run scenario tests: answer sets with their expected results.

    \b
    Examples:
      consult test
      consult test tests/scenarios/hair-male-pattern-clean.yaml
      consult test --coverage
    """
    from consult.bank.loader import load
    from consult.engine.scenarios import coverage_report, run_all
    from consult.errors import ExitStatus

    with exit_on_error():
        kb = load(questions, rules)
        outcome = run_all(kb, paths or [Path("tests/scenarios")])
    for line in outcome.lines:
        sys.stdout.write(line + "\n")
    status = ExitStatus.OK if outcome.ok else ExitStatus.PROBLEMS
    if coverage:
        lines, dead_rules = coverage_report(kb, outcome)
        for line in lines:
            sys.stdout.write(line + "\n")
        if dead_rules:
            status = ExitStatus.PROBLEMS
    raise typer.Exit(status)
