"""A question bank that cannot be loaded: every command but `validate` exits 78, not 1 or 2."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from consult.cli.main import app
from consult.errors import ExitStatus
from tests.conftest import DATA

runner = CliRunner()
SAMPLE = Path(__file__).parent.parent.parent / "consult" / "samples" / "hair-loss-male.yaml"
PROBLEMS = ["bank/rules/rules.yaml:1:1: unknown key 'rulez' (did you mean 'rules'?)"]
LAST = "the question bank cannot be loaded (consult validate checks it)"


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A bank whose rules file is broken, and the options naming it; the working folder beside it."""
    shutil.copytree(DATA / "questions", tmp_path / "bank" / "questions")
    (tmp_path / "bank" / "rules").mkdir()
    (tmp_path / "bank" / "rules" / "rules.yaml").write_text("rulez: []\n")
    shutil.copy(DATA / "answers" / "good-patchy.yaml", tmp_path / "a.yaml")
    monkeypatch.chdir(tmp_path)
    return ["--questions", "bank/questions", "--rules", "bank/rules"]


def test_config_error_is_78() -> None:
    assert ExitStatus.CONFIG_ERROR == 78 == os.EX_CONFIG


COMMANDS = [
    ["evaluate", "a.yaml"],
    ["evaluate", "a.yaml", "a.yaml", "-f", "csv"],
    ["export", "a.yaml"],
    ["test"],
    ["explain", "a.yaml"],
    ["template", "hair_loss"],
    ["schema", "answers"],
    ["fhir", "questionnaire"],
    ["diff", "--base-rules", "bank/rules", "a.yaml"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_broken_bank_exits_78_with_its_problems(broken: list[str], command: list[str]) -> None:
    if command[0] == "diff":  # the bank compared against is the broken one
        result = runner.invoke(app, command)
    else:
        result = runner.invoke(app, [*command, *broken])
    assert result.exit_code == 78, result.output
    lines = result.stderr.splitlines()
    assert sorted(lines[:-1]) == sorted(PROBLEMS)
    assert lines[-1] == LAST
    assert result.stdout == ""


def test_validate_keeps_exit_1_for_the_same_bank(broken: list[str]) -> None:
    result = runner.invoke(app, ["validate", *broken])
    assert result.exit_code == 1
    assert sorted(result.stderr.splitlines()[:-1]) == sorted(PROBLEMS)
    assert result.stderr.splitlines()[-1] == "1 problem found"


def test_a_missing_bank_folder_is_78_for_a_command_and_2_for_validate(broken: list[str]) -> None:
    del broken
    missing = ["--questions", "nowhere", "--rules", "bank/rules"]
    result = runner.invoke(app, ["evaluate", "a.yaml", *missing])
    assert result.exit_code == 78
    assert result.stderr == f"nowhere: no such folder (the questions folder)\n{LAST}\n"
    assert runner.invoke(app, ["validate", *missing]).exit_code == 2


def test_a_bad_input_is_not_78(broken: list[str]) -> None:
    del broken
    bank = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
    Path("bad.yaml").write_text("consult: 1\nanswers: {age: 300}\n")
    assert runner.invoke(app, ["evaluate", "bad.yaml", *bank]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "bad.yaml", "a.yaml", *bank]).exit_code == 1


CONSULT = Path(sys.executable).with_name("consult")


@pytest.mark.tty
@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
def test_intake_at_a_terminal_exits_78_on_a_broken_bank(broken: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "XDG_STATE_HOME": str(tmp_path)}
    child = pexpect.spawn(str(CONSULT), ["intake", *broken], env=env, encoding="utf-8", timeout=20)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 78
    assert LAST in child.before
