from __future__ import annotations

import os
import re
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


def test_the_clinician_comes_from_the_environment_before_the_config_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Path("config.yaml").write_text("clinician: Dr From Config\n")
    monkeypatch.setenv("CONSULT_CONFIG", "config.yaml")
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02")
    assert "- Clinician: Dr From Config\n" in out
    assert "clinician: Dr From Config\n" in out  # the metadata block too
    monkeypatch.setenv("CONSULT_CLINICIAN", "Dr From Env")
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02")
    assert "- Clinician: Dr From Env\n" in out
    assert "Clinician: Dr From Env\\\nSignature: " in out  # the attestation


def test_the_config_file_is_found_under_xdg_config_home(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("xdg/consult").mkdir(parents=True)
    Path("xdg/consult/config.yaml").write_text("clinician: Dr Xdg\n")
    monkeypatch.delenv("CONSULT_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(Path("xdg").resolve()))
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02")
    assert "- Clinician: Dr Xdg\n" in out


def test_without_a_clinician_the_record_leaves_the_name_to_be_written() -> None:
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02")
    assert "- Clinician: not recorded\n" in out
    assert "Clinician: ..............................\\\nSignature: " in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clinician: [a, b]\n", "config.yaml: 'clinician' must be a text"),
        ('clinician: "Dr\\tTab"\n', "config.yaml: 'clinician': the clinician's name must be one"),
        ("clinician: [\n", "config.yaml: cannot read the config file:"),
    ],
)
def test_a_bad_config_file_is_refused_before_anything_is_written(
    monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    Path("config.yaml").write_text(text)
    monkeypatch.setenv("CONSULT_CONFIG", "config.yaml")
    status, out, err = export("answers/good-patchy.yaml", "-o", "s.md")
    assert (status, out) == (2, "")
    assert err.startswith(message)
    assert files() == ["answers", "config.yaml"]


def test_time_is_now_without_date_and_given_or_none_with_it() -> None:
    _, out, _ = export("answers/good-patchy.yaml")
    assert re.search(r"\n- Time: \d\d:\d\d\n", out)
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02", "--time", "09:30")
    assert "- Date: 2026-11-02\n- Time: 09:30\n" in out
    _, out, _ = export("answers/good-patchy.yaml", "--date", "2026-11-02")
    assert "- Time: not recorded\n" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time", "9:30"], "'9:30' is not a time like 14:30"),
        (["--time", "24:00"], "'24:00' is not a time like 14:30"),
        (["--for", "doctor"], "'doctor' is not one of record, patient"),
        (["--format", "pdf"], "'pdf' is not one of md, html"),
    ],
)
def test_bad_export_options_are_usage_errors(args: list[str], message: str) -> None:
    status, _, err = export("answers/good-patchy.yaml", "-o", "s.md", *args)
    assert status == 2
    assert message in err
    assert files() == ["answers"]


def test_the_patient_summary_and_html_are_written_owner_only() -> None:
    status, _, _ = export("answers/good-hair-male.yaml", "--for", "patient", "-o", "p.md")
    assert status == 0
    text = Path("p.md").read_text(encoding="utf-8")
    assert text.startswith("# Your consultation summary\n\n- Your reference: P-0042\n")
    status, _, _ = export("answers/good-hair-male.yaml", "--format", "html", "-o", "r.html")
    assert status == 0
    page = Path("r.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h1>Consultation record</h1>" in page
    assert Path("r.html").stat().st_mode & 0o777 == 0o600
