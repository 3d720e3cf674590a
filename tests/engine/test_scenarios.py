"""The shipped scenario tests: every scenario passes and together they fire every rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import consult
from consult.bank.model import KnowledgeBase
from consult.cli.main import app
from consult.engine.scenarios import coverage_report, run_all, scenario_files
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SCENARIO_FILES = sorted(scenario_files([SCENARIOS]))


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 40


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_scenario(shipped: KnowledgeBase, path: Path) -> None:
    outcome = run_all(shipped, [path])
    assert outcome.ok, "\n".join(outcome.lines)


def test_scenarios_fire_every_rule(shipped: KnowledgeBase) -> None:
    lines, dead = coverage_report(shipped, run_all(shipped, [SCENARIOS]))
    assert dead == 0, "\n".join(lines)


def _ids(items: list[dict[str, object]], key: str) -> set[object]:
    return {item[key] for item in items}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_the_command_line_gives_the_expected_result(path: Path, tmp_path: Path) -> None:
    """`consult evaluate --format json` on the scenario's answers, as a user would run it."""
    scenario = read_yaml(path.read_text(encoding="utf-8"))
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"consult": 1, "answers": scenario["answers"]}))
    run = CliRunner().invoke(app, ["evaluate", str(answers), "--format", "json"])
    assert run.exit_code == 0, run.stderr
    result = json.loads(run.stdout)
    keys = {
        "candidates": ("candidates", "procedure"),
        "excluded": ("excluded", "procedure"),
        "undetermined": ("undetermined", "procedure"),
        "referrals": ("referrals", "id"),
        "information": ("information", "procedure"),
        "unknown": ("unknown", "question"),
    }
    for name, (section, key) in keys.items():
        if name in scenario["expect"]:
            assert _ids(result[section], key) == set(scenario["expect"][name]), name
    for candidate in result["candidates"]:
        assert candidate["evidence"]["certainty"]
        assert candidate["evidence"]["references"]
