"""The shipped scenario tests: every scenario passes and together they fire every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import consult
from consult.model import KnowledgeBase
from consult.scenarios import coverage_report, run_all, scenario_files

SCENARIOS = Path(__file__).parent / "scenarios"
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
