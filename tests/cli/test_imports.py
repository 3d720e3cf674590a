"""Start-up guard: what the command line imports before any command runs.

Counts modules, not milliseconds: timings belong to bench/run.py. Each case
runs in a fresh interpreter with `-X importtime`, which lists every module
actually imported (cached or not).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Loaded only by the commands that need them.
HEAVY = (
    "questionary",
    "prompt_toolkit",
    "yaml",
    "rich",
    "pydantic",
    "fhir",
    "consult.fhir",
    "consult.engine.decide",
    "consult.engine.result",
    "consult.bank.loader",
    "consult.bank.rules",
    "consult.answers.check",
    "consult.bank.conditions",
    "consult.intake.flow",
    "consult.batch.pool",
)


def imported(code: str, *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def heavy_in(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


def test_importtime_lists_modules() -> None:
    # Guards the guard: the parser must see the modules that are imported.
    assert {"consult", "consult.cli.main", "typer"} <= imported("import consult.cli.main")


def test_importing_the_cli_stays_light() -> None:
    assert heavy_in(imported("import consult.cli.main")) == []


@pytest.mark.parametrize(
    "argv", [["--help"], ["evaluate", "--help"], ["fhir", "--help"], ["--version"]]
)
def test_help_and_version_stay_light(argv: list[str]) -> None:
    code = "import sys; from consult.__main__ import main; sys.argv[0] = 'consult'; main()"
    try:
        names = imported(code, *argv)
    except subprocess.CalledProcessError as exc:  # pragma: no cover - shows why
        raise AssertionError(exc.stderr) from None
    assert heavy_in(names) == []


def test_version_imports_only_the_package() -> None:
    # `consult --version` answers before typer, typing or anything else is imported.
    code = "import sys; from consult.__main__ import main; main()"
    extra = imported(code, "--version") - imported("import sys")
    assert extra == {"consult", "consult.__main__"}


def test_a_batch_run_leaves_the_intake_and_the_terminal_libraries_alone(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('{"consult": 1, "answers": {"age": 40, "concerns": ["hair_loss"]}}')
    code = "import sys; from consult.__main__ import main; sys.argv[0] = 'consult'; main()"
    try:
        names = imported(code, "evaluate", str(answers), "--format", "jsonl")
    except subprocess.CalledProcessError as exc:  # pragma: no cover - shows why
        raise AssertionError(exc.stderr) from None
    # It did evaluate: the engine was loaded.
    assert "consult.engine.decide" in names
    assert "consult.batch.formats" in names
    assert not {n for n in names if n.split(".")[0] in {"questionary", "prompt_toolkit", "rich"}}
    assert "consult.intake.flow" not in names
