from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult import __version__
from consult.cli.main import app
from tests.conftest import DATA, WriteTree

BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
runner = CliRunner()
GOOD = "consult: 1\nanswers:\n  age: 40\n  sex: male\n  concerns: [hair_loss]\n  hair_loss_pattern: patterned\n  norwood_stage: 3\n  pregnant: false\n  anticoagulants: false\n"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"consult {__version__}\n")


def test_version_fast_path_prints_the_same() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "consult", "--version"], check=False, capture_output=True, text=True
    )
    assert (out.returncode, out.stdout) == (0, f"consult {__version__}\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_has_examples(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert "consult evaluate answers.yaml" in result.stdout


def test_validate_clean_bank() -> None:
    result = runner.invoke(app, ["validate", *BANK])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 8 questions, 6 rules, 2 procedures")


def test_validate_lists_every_problem_and_exits_1(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            "q/a.yaml": "version: '1'\nsections:\n  - id: s\n    title: S\n    questions:\n      - {id: a, text: A, type: integr}\n",
            "r/r.yaml": "rules: []\nprocedure: []\n",
        }
    )
    result = runner.invoke(app, ["validate", "--questions", "q", "--rules", "r"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "q/a.yaml:6:32: question 'a': 'type' must be one of yes_no, one_of, many_of, integer, text; got 'integr'",
        "r/r.yaml:2:1: unknown key 'procedure' (did you mean 'procedures'?)",
        "2 problems found",
    ]
    assert result.stdout == ""
    assert root.exists()


def test_validate_missing_folder_is_usage_error(write_tree: WriteTree) -> None:
    write_tree({})
    result = runner.invoke(app, ["validate", "--questions", "nope", "--rules", "nope"])
    assert (result.exit_code, result.stderr) == (2, "nope: no such folder (the questions folder)\n")


def test_evaluate_json_is_the_contract_result(write_tree: WriteTree) -> None:
    write_tree({"a.yaml": GOOD})
    result = runner.invoke(app, ["evaluate", "a.yaml", "--format", "json", *BANK])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["procedure"] for c in data["candidates"]] == ["prp_scalp", "micrograft_scalp"]


def test_evaluate_reads_stdin(write_tree: WriteTree) -> None:
    write_tree({})
    result = runner.invoke(app, ["evaluate", "-", "--format", "json", *BANK], input=GOOD)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["candidates"][0]["procedure"] == "prp_scalp"


def test_evaluate_text_view(write_tree: WriteTree) -> None:
    write_tree({"a.yaml": GOOD.replace("anticoagulants: false", "anticoagulants: true")})
    result = runner.invoke(app, ["evaluate", "a.yaml", *BANK])
    assert result.exit_code == 0
    assert "PRP into the scalp" in result.stdout
    assert "More bruising and bleeding on anticoagulants." in result.stdout
    assert "Decision support only" in result.stdout


def test_evaluate_bad_file_alone_exits_2_with_located_error(write_tree: WriteTree) -> None:
    write_tree({"a.yaml": GOOD.replace("age: 40", "age: 400")})
    result = runner.invoke(app, ["evaluate", "a.yaml", *BANK])
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[0]
        == "a.yaml:3:8: 'age': expected a whole number from 0 to 120; got 400"
    )
    assert result.stdout == ""


def test_evaluate_missing_file(write_tree: WriteTree) -> None:
    write_tree({})
    result = runner.invoke(app, ["evaluate", "missing.yaml", *BANK])
    assert result.exit_code == 2
    assert "missing.yaml" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_no_traceback_and_no_patient_data_on_error(write_tree: WriteTree) -> None:
    write_tree(
        {
            "a.yaml": GOOD.replace("hair_loss_pattern: patterned", "hair_loss_pattern: [oops]")
            + "  notes: SECRET-NOTE\n"
        }
    )
    result = runner.invoke(app, ["evaluate", "a.yaml", *BANK])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "SECRET-NOTE" not in result.stderr + result.stdout


def test_scenarios_pass_and_fail(write_tree: WriteTree) -> None:
    scenario = "description: x\nanswers:\n  age: 40\n  sex: male\n  concerns: [hair_loss]\n  hair_loss_pattern: patterned\n  norwood_stage: 3\n  pregnant: false\n  anticoagulants: false\nexpect:\n  candidates: [prp_scalp, micrograft_scalp]\n"
    write_tree(
        {
            "s/good.yaml": scenario,
            "s/bad.yaml": scenario.replace("[prp_scalp, micrograft_scalp]", "[prp_scalp]"),
        }
    )
    result = runner.invoke(app, ["test", "s", *BANK])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL s/bad.yaml",
        "  s/bad.yaml:11:15: candidates: unexpected micrograft_scalp",
        "ok   s/good.yaml",
        "1 passed, 1 failed",
    ]


def test_scenario_coverage_lists_unfired_rules(write_tree: WriteTree) -> None:
    scenario = (
        "answers:\n  age: 40\n  concerns: [scars]\n  pregnant: false\nexpect:\n  candidates: []\n"
    )
    write_tree({"s/one.yaml": scenario})
    result = runner.invoke(app, ["test", "s", "--coverage", *BANK])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "ok   s/one.yaml",
        "1 passed, 0 failed",
        "coverage: 0/6 rules fired, 3/8 questions answered",
    ]
    assert any("rule 'hair-pattern' fires in no scenario" in line for line in lines)


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(GOOD)
    command = f"{sys.executable} -m consult evaluate {answers} --format json {' '.join(BANK)} | head -c 10"
    out = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)
    assert "Traceback" not in out.stderr
    assert "Broken pipe" not in out.stderr


def test_a_bug_prints_one_line_without_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import consult.cli.main

    def broken() -> None:
        raise ValueError("patient said SECRET-ANSWER")

    monkeypatch.setattr(consult.cli.main, "app", broken)
    monkeypatch.delenv("CONSULT_DEBUG", raising=False)
    monkeypatch.setattr(consult.cli.main.gc, "freeze", lambda: None)  # not the test process
    with pytest.raises(SystemExit) as info:
        consult.cli.main.run()
    assert info.value.code == 70
    err = capsys.readouterr().err
    assert err.startswith("consult: internal error (ValueError at test_cli.py:")
    assert "SECRET" not in err
    assert "Traceback" not in err
