"""`consult template`: an answer file to fill in for given concerns, and the installed samples."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from consult.cli.app import QuestionsOption, RulesOption, app, exit_on_error, load_bank

ConcernsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[CONCERN]...",
        help="The patient's concerns: ids of the question 'concerns' (hair_loss, scars, ...).",
        show_default=False,
    ),
]
SiteOption = Annotated[
    list[str] | None,
    typer.Option(
        "--site",
        metavar="SITE",
        help="A treatment area (face, back, ...); repeat for each. Default: each concern's "
        "only site (hair_loss: scalp), and one area whose site is to fill in for the rest.",
        show_default=False,
    ),
]
ExampleOption = Annotated[
    bool,
    typer.Option("--example", help="Fill every answer with an example from the installed samples."),
]
SamplesOption = Annotated[
    bool,
    typer.Option(
        "--samples", help="Print the path of each sample answer file installed with consult."
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the answer file here (owner-only, atomic) instead of stdout.",
        show_default=False,
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace an existing file.")]


@app.command()
def template(
    concerns: ConcernsArgument = None,
    sites: SiteOption = None,
    example: ExampleOption = False,
    list_samples: SamplesOption = False,
    output: OutputOption = None,
    force: ForceOption = False,
    questions: QuestionsOption = None,
    rules: RulesOption = None,
) -> None:
    """Write a blank or example answer file for given concerns; list the installed samples.

    \b
    Every question the concerns may need is listed by id, in bank order, with
    its text and its allowed values as comments; the treatment areas follow,
    each with its site, what is treated there, that lesion's details and the
    site screen. Fill in what is known: a question left empty is unknown,
    never read as no. --example fills every answer from the sample answer
    files installed with consult (an example, not a patient).

    \b
    Examples:
      consult template hair_loss -o answers.yaml      hair loss, on the scalp
      consult template scars --site face --site back  a scar area each
      consult template acne_scarring --example        an example to start from
      consult template --samples                      the installed samples
      consult evaluate "$(consult template --samples | head -n 1)"
    """
    from consult.cli.shipped import samples

    if list_samples:
        for path in samples():
            sys.stdout.write(f"{path}\n")
        return
    if not concerns:
        raise typer.BadParameter("give one concern or more (or --samples)", param_hint="CONCERN")
    from consult.cli.answerfile import answer_file, read_samples
    from consult.output.files import refuse_existing, write_private

    with exit_on_error():
        if output is not None:
            refuse_existing(output, force)  # before any work
        kb = load_bank(questions, rules)
        found = read_samples(kb, samples()) if example else None
        text = answer_file(kb, concerns, sites or (), found)
        if output is None:
            sys.stdout.write(text)
        else:
            write_private(output, text, overwrite=force)
