from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli.main import app

DATA = Path(__file__).parent.parent / "data"
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
GOLDEN = DATA / "summary-good-hair-male.md"


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DATA / "answers", tmp_path / "answers")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def export(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["export", *args, *BANK], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def files() -> list[str]:
    return sorted(p.name for p in Path().iterdir())


def test_export_writes_an_owner_only_summary() -> None:
    status, out, err = export("answers/good-hair-male.yaml", "-o", "s.md", "--date", "2026-11-02")
    assert (status, out, err) == (0, "", "")
    assert Path("s.md").read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert Path("s.md").stat().st_mode & 0o777 == 0o600


def test_same_answers_bank_and_date_give_the_same_bytes() -> None:
    export("answers/good-patchy.yaml", "-o", "a.md", "--date", "2026-11-02")
    export("answers/good-patchy.yaml", "-o", "b.md", "--date", "2026-11-02")
    assert Path("a.md").read_bytes() == Path("b.md").read_bytes()


def test_export_to_stdout_and_from_stdin() -> None:
    text = Path("answers/good-hair-male.yaml").read_text()
    status, out, _ = export("-", "-o", "-", "--date", "2026-11-02", stdin=text)
    assert status == 0
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_export_never_replaces_a_file_without_force() -> None:
    Path("s.md").write_text("old")
    status, _, err = export("answers/good-hair-male.yaml", "-o", "s.md")
    assert (status, err) == (2, "s.md: already exists (use --force to replace it)\n")
    assert Path("s.md").read_text() == "old"
    status, _, _ = export("answers/good-hair-male.yaml", "-o", "s.md", "--force")
    assert status == 0
    assert Path("s.md").read_text().startswith("# Consultation record\n")


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_old_file(
    monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    Path("s.md").write_text("old")

    def broken(_fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", broken)
    status, _, err = export("answers/good-hair-male.yaml", "-o", "s.md", "--force")
    if isinstance(failure, OSError):
        assert (status, err) == (2, "s.md: cannot write: No space left on device\n")
    else:
        assert (status, err) == (130, "Interrupted.\n")
    assert Path("s.md").read_text() == "old"
    assert files() == ["answers", "s.md"]


def test_an_interrupted_first_write_leaves_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    status, _, _ = export("answers/good-hair-male.yaml", "-o", "s.md")
    assert status == 2
    assert files() == ["answers"]


def test_bad_answers_are_reported_and_nothing_is_written() -> None:
    status, _, err = export("answers/bad-values.yaml", "-o", "s.md")
    assert status == 2
    assert err.splitlines() == [
        "answers/bad-values.yaml:3:8: 'age': expected a whole number from 0 to 120; got 300",
        "answers/bad-values.yaml:4:8: 'sex': expected one of female, male, other; got \"robot\"",
        "answers/bad-values.yaml:5:12: unknown question 'concern' (did you mean 'concerns'?)",
        "3 problems found",
    ]
    assert files() == ["answers"]


@pytest.mark.parametrize("date", ["2026-13-01", "20261102", "yesterday"])
def test_a_bad_date_is_a_usage_error(date: str) -> None:
    status, _, err = export("answers/good-patchy.yaml", "-o", "s.md", "--date", date)
    assert status == 2
    assert f"{date!r} is not a date like 2026-11-02" in err


def test_the_date_defaults_to_today() -> None:
    import datetime

    _, out, _ = export("answers/good-patchy.yaml", "-o", "-")
    assert f"- Date: {datetime.date.today().isoformat()}\n" in out
