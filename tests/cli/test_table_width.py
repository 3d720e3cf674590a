"""The batch table at a terminal: every id and every problem shown whole, at 80 columns too."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
from rich.console import Console
from typer.testing import CliRunner

from consult.cli.main import app
from consult.cli.shipped import shipped
from consult.cli.table import show_table

SCENARIOS = shipped("scenarios") or Path()
# Long ids side by side: deoxycholic_acid_submental, cultured_epidermal_autograft, ...
PICKED = [
    "fat-submental-clean.yaml",
    "burn-acute-major-refer.yaml",
    "cell-products-svf-and-fat-grafting.yaml",
    "safety-pregnant-all-excluded.yaml",
    "areas-three-sites-keloid-on-back.yaml",
]
SHOWN = ("referrals", "candidates", "excluded", "undetermined")


@pytest.fixture
def batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Five scenarios with long ids, and an answer file with a long problem."""
    folder = tmp_path / "answers"
    folder.mkdir()
    for name in PICKED:
        shutil.copy(SCENARIOS / name, folder / name)
    (folder / "zz-bad.yaml").write_text(
        "consult: 1\nanswers:\n  age: 300\n  concerns: [hair_loss]\n  hair_loss_pattern: sometimes\n"
    )
    monkeypatch.chdir(tmp_path)
    return Path("answers")


def rows_of(folder: Path) -> tuple[list[str], list[list[str]]]:
    """The rows the screen's table is made of (the plain table a pipe gets)."""
    out = CliRunner().invoke(app, ["evaluate", str(folder), "-f", "table"]).stdout
    rows = list(csv.reader(io.StringIO(out), delimiter="\t"))
    return rows[0], rows[1:]


def words_of(names: list[str], rows: list[list[str]]) -> list[str]:
    """Every id and every word of every problem the screen must show whole."""
    found = []
    for row in rows:
        cells = dict(zip(names, row, strict=True))
        for key in SHOWN:
            found += [f"{word}," for word in cells[key].split()[:-1]]
            found += cells[key].split()[-1:]
        found += cells["error"].split()
        found.append(cells["file"])
    return found


def screen_words(screen: str) -> set[str]:
    return {w.strip("│┃") for w in screen.split()}


def test_the_words_to_show_are_found(batch: Path) -> None:
    # Guards the checks below: the ids are long, and one input failed.
    names, rows = rows_of(batch)
    words = words_of(names, rows)
    assert "deoxycholic_acid_submental" in words
    assert "'hair_loss_pattern':" in words


@pytest.mark.parametrize("width", [80, 100, 200])
def test_every_cell_is_shown_whole_at_any_width(batch: Path, width: int) -> None:
    names, rows = rows_of(batch)
    console = Console(file=io.StringIO(), width=width, color_system=None)
    show_table(console, names, rows)
    screen = console.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in screen.splitlines()) <= width
    missing = [w for w in words_of(names, rows) if w not in screen_words(screen)]
    assert missing == []
    assert ("┃ input" in screen) == (width == 200)  # a table where it fits, else blocks


def test_blocks_name_each_input_then_its_values_under_their_labels(batch: Path) -> None:
    names, rows = rows_of(batch)
    console = Console(file=io.StringIO(), width=80, color_system=None)
    show_table(console, names, rows)
    screen = console.file.getvalue()  # type: ignore[attr-defined]
    block = screen.split("answers/fat-submental-clean.yaml\n", 1)[1].split("\n\n", 1)[0]
    assert [line.split()[0] for line in block.splitlines()] == [
        "referrals",
        "candidates",
        "excluded",
        "not",
    ]
    assert "  candidates          deoxycholic_acid_submental" in block
    bad = screen.split("answers/zz-bad.yaml\n", 1)[1]
    assert bad.startswith("  error  answers/zz-bad.yaml:3:8: 'age': expected a whole number")


CONSULT = Path(sys.executable).with_name("consult")


@pytest.mark.tty
@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
def test_a_real_80_column_terminal_shows_every_cell_whole(batch: Path) -> None:
    names, rows = rows_of(batch)
    child = pexpect.spawn(
        str(CONSULT),
        ["evaluate", str(batch)],
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "", "LINES": ""},
        dimensions=(50, 80),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    screen = re.sub(r"\x1b\[[0-9;]*m", "", child.before.replace("\r\n", "\n"))
    table = screen.split("answers/cell-products", 1)[1].split("\nnote: ", 1)[0]
    assert max(len(line) for line in table.splitlines()) <= 80
    missing = [w for w in words_of(names, rows) if w not in screen_words(screen)]
    assert missing == []
