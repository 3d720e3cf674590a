"""What ships with consult works from any folder: scenarios, short bank names, help and docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli.app import summary
from consult.cli.main import app
from consult.cli.shipped import PACKAGE, shipped, short_name

runner = CliRunner()
SAMPLE = PACKAGE / "samples" / "hair-loss-male.yaml"
COMMANDS = ["intake", "template", "evaluate", "export", "fhir", "validate", "test"]
COMMANDS += ["explain", "diff", "schema"]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside the repository."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_consult_test_runs_the_shipped_scenarios_from_any_folder(elsewhere: Path) -> None:
    del elsewhere
    folder = shipped("scenarios")
    assert folder is not None
    count = len(list(folder.glob("*.yaml")))
    result = runner.invoke(app, ["test", "--coverage"])
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert f"{count} passed, 0 failed" in lines
    ran = [line for line in lines if line.startswith("ok   ")]
    assert len(ran) == count
    # Named as the bank's authors name them, never by their full path.
    prefix = "ok   tests/scenarios/" if folder.parent.name == "tests" else "ok   scenarios/"
    assert all(line.startswith(prefix) for line in ran)
    assert str(PACKAGE.parent) not in result.stdout


def test_consult_test_with_paths_names_them_as_given(tmp_path: Path) -> None:
    folder = shipped("scenarios")
    assert folder is not None
    (tmp_path / "one.yaml").write_text((folder / "scar-keloid-refer.yaml").read_text())
    result = runner.invoke(app, ["test", str(tmp_path / "one.yaml")])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"ok   {tmp_path / 'one.yaml'}"


def test_explain_names_the_shipped_banks_files_as_the_bank_does(elsewhere: Path) -> None:
    del elsewhere
    result = runner.invoke(app, ["explain", str(SAMPLE), "prp_scalp"])
    assert result.exit_code == 0
    sources = re.findall(r"   (\S+\.yaml:\d+:\d+)$", result.stdout, re.MULTILINE)
    assert sources
    assert all(re.fullmatch(r"rules/[\w-]+\.yaml:\d+:\d+", s) for s in sources), sources
    data = runner.invoke(app, ["explain", str(SAMPLE), "prp_scalp", "--format", "json"]).stdout
    assert '"source": "rules/30-hair.yaml:' in data
    assert str(PACKAGE) not in data


def test_short_names_leave_other_files_alone() -> None:
    shipped_rule = f"{PACKAGE.parent}/rules/30-hair.yaml:4:5"
    assert short_name(f"x {shipped_rule}") in {"x rules/30-hair.yaml:4:5", f"x {shipped_rule}"}
    assert short_name("/elsewhere/rules/r.yaml:1:1") == "/elsewhere/rules/r.yaml:1:1"


def test_export_writes_to_stdout_by_default(elsewhere: Path) -> None:
    result = runner.invoke(app, ["export", str(SAMPLE), "--date", "2026-11-02"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Consultation record\n")
    assert "consultation_date: '2026-11-02'" in result.stdout
    assert list(elsewhere.iterdir()) == []
    dash = runner.invoke(app, ["export", str(SAMPLE), "--date", "2026-11-02", "-o", "-"])
    assert dash.stdout == result.stdout


def test_export_says_a_scenario_file_was_read_for_its_answers() -> None:
    folder = shipped("scenarios")
    assert folder is not None
    result = runner.invoke(app, ["export", str(folder / "scar-keloid-refer.yaml")])
    assert result.exit_code == 0
    assert result.stderr.startswith("note: ")
    assert "is a scenario file: its answers were evaluated" in result.stderr


def test_the_top_level_help_shows_each_command_whole() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    assert "..." not in listed
    assert max(map(len, listed.splitlines())) <= 80
    words = " ".join(listed.split())
    for name in COMMANDS:
        command = runner.invoke(app, [name, "--help"]).stdout
        first = summary(command.split("\n\n", 1)[1])  # the help's first paragraph
        assert f"{name} {first}" in words, name


def test_the_help_names_exit_status_78() -> None:
    result = runner.invoke(app, ["--help"])
    assert "78 the question bank cannot be loaded" in " ".join(result.stdout.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_documents_named_in_help_are_installed(command: str) -> None:
    text = runner.invoke(app, [command, "--help"], terminal_width=200).stdout
    named = re.findall(r"\S+\.md\b", text)
    for name in named:
        if name in {"summary.md", "SUMMARY.md", "one.md", "record.md"}:
            continue  # a file the command writes, not a document
        assert Path(name).is_absolute() and Path(name).is_file(), f"{command}: {name}"


def test_intake_help_names_the_installed_guide() -> None:
    text = runner.invoke(app, ["intake", "--help"], terminal_width=200).stdout
    guide = re.search(r"Keys, drafts and the hidden-answer rule:\s+(\S+)", text)
    assert guide is not None
    assert Path(guide.group(1)).read_text().startswith("# ")
    assert Path(guide.group(1)).name == "intake.md"
