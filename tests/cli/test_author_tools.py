"""The bank authors' tools at the command line: `consult schema`, `explain` and `diff`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from consult.cli.main import app
from tests.conftest import DATA

BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
runner = CliRunner()


def test_schema_help_has_examples() -> None:
    result = runner.invoke(app, ["schema", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "consult schema questions -o questions.schema.json" in result.stdout
    assert "yaml-language-server: $schema=" in result.stdout


def test_schema_prints_json_schema_of_each_kind() -> None:
    for kind in ("questions", "rules", "answers", "scenario"):
        result = runner.invoke(app, ["schema", kind, *BANK])
        assert result.exit_code == 0, result.output
        schema = json.loads(result.stdout)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    answers = json.loads(runner.invoke(app, ["schema", "answers", *BANK]).stdout)
    assert set(answers["$defs"]["answers"]["properties"]) >= {"age", "sex", "norwood_stage"}


def test_schema_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "rules.schema.json"
    result = runner.invoke(app, ["schema", "rules", "-o", str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads(out.read_text())["title"] == "consult rules file"


def test_schema_of_an_unknown_kind_is_a_usage_error() -> None:
    result = runner.invoke(app, ["schema", "patients"])
    assert result.exit_code == 2
    assert "questions, rules, answers, scenario" in result.output
