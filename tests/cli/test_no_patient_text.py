"""The value of `patient.ref` and of a free-text note is never quoted in a message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from consult.cli.main import app
from tests.conftest import WriteTree

runner = CliRunner()
# A reference holding a name, a date of birth and an address: 80 characters.
SECRET = "Jane Doe 1980-01-01 12 Harbour Street Flat 4 Westhaven WH1 2AB ref 0042 extra!"


def _file(ref: str = SECRET, notes: str = "'hello'") -> str:
    return f"consult: 1\npatient:\n  ref: '{ref}'\nanswers:\n  age: 30\n  notes: {notes}\n"


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "a.yaml"],
        ["evaluate", "a.yaml", "--format", "jsonl"],
        ["evaluate", "a.yaml", "a.yaml", "--format", "jsonl"],
        ["export", "a.yaml", "-o", "a.md"],
        ["explain", "a.yaml"],
        ["fhir", "response", "a.yaml"],
    ],
)
def test_a_long_patient_ref_is_never_quoted(write_tree: WriteTree, command: list[str]) -> None:
    write_tree({"a.yaml": _file()})
    result = runner.invoke(app, command)
    assert result.exit_code in {1, 2}
    assert "Jane" not in result.output + result.stderr
    assert "'patient.ref' must be a short text (at most 64 characters); got a text of" in (
        result.stderr + result.stdout
    )


def test_a_note_of_the_wrong_type_is_never_quoted(write_tree: WriteTree) -> None:
    write_tree({"a.yaml": _file(ref="P-1", notes="19800101")})
    result = runner.invoke(app, ["evaluate", "a.yaml", "a.yaml", "--format", "jsonl"])
    assert "19800101" not in result.output + result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    assert "'notes': expected text; got a number" in json.dumps(record)


@pytest.mark.parametrize("tag", ["!!float", "!!int", "!!bool", "!!timestamp"])
def test_a_tagged_note_that_cannot_be_read_is_never_quoted(write_tree: WriteTree, tag: str) -> None:
    write_tree({"a.yaml": _file(ref="P-1", notes=f'{tag} "Jane Doe 1980-01-01"')})
    result = runner.invoke(app, ["evaluate", "a.yaml"])
    assert result.exit_code == 2
    assert "Jane" not in result.output + result.stderr
    assert f"a.yaml:6:10: a text of 19 characters cannot be read as {tag}" in result.stderr
