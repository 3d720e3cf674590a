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


ANSWERS = "consult: 1\nanswers:\n  age: 40\n  sex: male\n  concerns: [hair_loss]\n  hair_loss_pattern: patterned\n  pregnant: true\n"


def test_explain_help_has_examples() -> None:
    result = runner.invoke(app, ["explain", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "consult explain answers.yaml prp_scalp" in result.stdout


def test_explain_reads_as_text(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS)
    result = runner.invoke(app, ["explain", str(answers), "prp_scalp", *BANK])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "PRP into the scalp (procedure prp_scalp): EXCLUDED"
    assert "  decided by: pregnancy" in lines
    assert "    pregnant = yes: true   [pregnant = yes]" in lines
    assert "    pregnant = no" in lines


def test_explain_json_for_tools(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS)
    result = runner.invoke(app, ["explain", str(answers), "--format", "json", *BANK])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ids = [o["id"] for o in doc["outcomes"]]
    assert ids == ["prp_scalp", "micrograft_scalp", "refer_dermatology"]
    prp = doc["outcomes"][0]
    assert prp["why_not"] == {
        "wanted": "candidate",
        "reachable": True,
        "change": [{"question": "pregnant", "answer": False}],
    }


def test_explain_reads_stdin_and_refuses_unknown_outcomes() -> None:
    result = runner.invoke(app, ["explain", "-", "refer_dermatology", *BANK], input=ANSWERS)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Dermatology (referral refer_dermatology): NOT RAISED")
    result = runner.invoke(app, ["explain", "-", "prp_scalpp", *BANK], input=ANSWERS)
    assert result.exit_code == 2
    assert (
        "'prp_scalpp' is neither a procedure nor a referral (did you mean 'prp_scalp'?)"
        in result.output
    )


def test_explain_bad_answers_are_located(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS.replace("age: 40", "age: 400"))
    result = runner.invoke(app, ["explain", str(answers), *BANK])
    assert result.exit_code == 2
    assert "a.yaml:3:8: 'age': expected a whole number from 0 to 120; got 400" in result.output
