"""Where output goes wrong: a full or closed stdout, `-o` onto links, missing, read-only
or full folders, and two runs (or two intakes) on the same target.

Each case runs the installed command as a user would and checks the one-line
message, the exit status, and that nothing is left but the old file (or none).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.conftest import DATA, mount_tmpfs

CONSULT = Path(sys.executable).parent / "consult"
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
ANSWERS = DATA / "answers" / "good-hair-male.yaml"
NO_SPACE = "consult: cannot write the output: no space left on device\n"

pytestmark = pytest.mark.installed
needs_consult = pytest.mark.skipif(not CONSULT.exists(), reason="consult is not installed")
needs_dev_full = pytest.mark.skipif(
    not Path("/dev/full").exists(), reason="this machine has no /dev/full"
)


def run(*args: str, cwd: Path | None = None, stdout: object = subprocess.PIPE) -> tuple[int, str]:
    proc = subprocess.run(
        [str(CONSULT), *args],
        cwd=cwd,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, proc.stderr


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def many(tmp_path: Path) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(40):
        shutil.copy(ANSWERS, folder / f"p{number:03}.yaml")
    return folder


@needs_consult
@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", str(ANSWERS), *BANK],
        ["evaluate", str(ANSWERS), "--format", "json", *BANK],
        ["evaluate", "MANY", "--format", "jsonl", *BANK],
        ["evaluate", "MANY", "--format", "jsonl", "--jobs", "2", *BANK],
        ["evaluate", "MANY", "--format", "csv", *BANK],
        ["validate", *BANK],
        ["--help"],
        ["evaluate", "--help"],
        ["--version"],
    ],
    ids=["text", "json", "jsonl", "jsonl-2-jobs", "csv", "validate", "help", "cmd-help", "version"],
)
def test_a_full_stdout_is_one_line_and_the_output_error_status(args: list[str], many: Path) -> None:
    args = [str(many) if a == "MANY" else a for a in args]
    with Path("/dev/full").open("w") as full:
        status, err = run(*args, stdout=full)
    assert (status, err) == (74, NO_SPACE)


@needs_consult
def test_a_closed_pipe_stops_quietly(many: Path) -> None:
    proc = subprocess.Popen(
        [str(CONSULT), "evaluate", str(many), "--format", "jsonl", "--jobs", "2", *BANK],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert first.startswith(b'{"file":')
    assert err == b""


@needs_consult
def test_output_onto_a_symlink_is_refused_or_replaced_leaving_the_target(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    target.write_text("someone else's file\n")
    link = tmp_path / "summary.md"
    link.symlink_to(target)
    status, err = run("export", str(ANSWERS), "-o", "summary.md", *BANK, cwd=tmp_path)
    assert (status, err) == (2, "summary.md: already exists (use --force to replace it)\n")
    assert link.is_symlink()
    status, err = run("export", str(ANSWERS), "-o", "summary.md", "--force", *BANK, cwd=tmp_path)
    assert (status, err) == (0, "")
    assert not link.is_symlink()
    assert link.read_text().startswith("# Consultation record\n")
    assert target.read_text() == "someone else's file\n"
    assert oct(link.stat().st_mode & 0o777) == oct(0o600)


@needs_consult
@pytest.mark.parametrize("fmt", ["jsonl", "markdown"])
def test_output_into_a_missing_folder(tmp_path: Path, many: Path, fmt: str) -> None:
    target = "nowhere/out.jsonl" if fmt == "jsonl" else "nowhere/sums"
    status, err = run("evaluate", str(many), "--format", fmt, "-o", target, *BANK, cwd=tmp_path)
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith(f"{target}: ")
    assert "nowhere" in err
    assert not (tmp_path / "nowhere").exists()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder that cannot be written: a read-only tmpfs as root, else mode 0500."""
    folder = tmp_path / "locked"
    if mount_tmpfs(folder, "ro,size=64k"):
        try:
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], check=False)
        return
    if os.geteuid() == 0:
        pytest.skip("this machine runs the tests as root and could not mount a tmpfs")
    folder.chmod(0o500)
    try:
        yield folder
    finally:
        folder.chmod(0o700)


@needs_consult
@pytest.mark.parametrize("fmt", ["jsonl", "markdown"])
def test_output_into_a_read_only_folder(read_only: Path, many: Path, fmt: str) -> None:
    target = read_only / ("out.jsonl" if fmt == "jsonl" else "sums")
    status, err = run("evaluate", str(many), "--format", fmt, "-o", str(target), *BANK)
    assert status == 2
    assert err.count("\n") == 1
    assert "cannot write" in err
    assert listing(read_only) == []


@needs_consult
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "markdown"])
def test_a_full_disk_under_the_output_leaves_nothing(
    small_disk: Path, many: Path, fmt: str
) -> None:
    for number in range(40, 400):  # enough CSV rows to fill 16 KiB
        (many / f"p{number:03}.yaml").hardlink_to(many / "p000.yaml")
    target = small_disk / ("out" if fmt == "markdown" else f"out.{fmt}")
    status, err = run("evaluate", str(many), "--format", fmt, "-o", str(target), *BANK)
    assert status == 2
    assert err.count("\n") == 1
    assert err.endswith(": cannot write: No space left on device\n")
    assert err.startswith(str(target))
    assert listing(small_disk) == []


@needs_consult
def test_a_full_disk_keeps_the_old_summary(small_disk: Path) -> None:
    old = small_disk / "s.md"
    old.write_text("the old summary\n")
    (small_disk / "filler").write_bytes(b"\0" * (12 * 1024))
    status, err = run("export", str(ANSWERS), "-o", str(old), "--force", *BANK)
    assert (status, err) == (2, f"{old}: cannot write: No space left on device\n")
    assert old.read_text() == "the old summary\n"
    assert listing(small_disk) == ["filler", "s.md"]


@needs_consult
def test_two_runs_into_one_summary_folder(tmp_path: Path, many: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    for number in range(40):
        shutil.copy(ANSWERS, other / f"q{number:03}.yaml")
    args = ["evaluate", "--format", "markdown", "-o", "sums", "--date", "2026-12-01", *BANK]
    runs = [
        subprocess.Popen([str(CONSULT), *args, str(folder)], cwd=tmp_path, stderr=subprocess.PIPE)
        for folder in (many, other, many)
    ]
    results = [(p.wait(timeout=60), p.stderr.read().decode() if p.stderr else "") for p in runs]
    # Distinct names from both runs arrive whole; a repeated name is never overwritten.
    names = listing(tmp_path / "sums")
    assert names == sorted([f"p{n:03}.md" for n in range(40)] + [f"q{n:03}.md" for n in range(40)])
    assert results[1] == (0, "wrote 40 summaries to sums\n")
    assert sorted(status for status, _ in (results[0], results[2])) == [0, 2]
    refused = next(err for status, err in results if status == 2)
    assert refused.count("\n") == 1 and "already exists (use --force to replace it)" in refused
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def spawn_intake(home: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "XDG_STATE_HOME": str(home / "state")}
    return pexpect.spawn(
        str(CONSULT),
        ["intake", *BANK, *args],
        env=env,
        cwd=str(home),
        dimensions=(40, 160),
        encoding="utf-8",
        timeout=15,
    )


def stop(child: pexpect.spawn) -> int | None:
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


@needs_consult
@pytest.mark.tty
def test_two_intakes_on_one_draft(tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    first = spawn_intake(tmp_path, "--draft", str(draft))
    first.expect_exact("Patient reference")
    first.send("P-0042\r")
    first.expect_exact("Draft autosaved")
    second = spawn_intake(tmp_path, "--resume", str(draft))
    second.expect(pexpect.EOF)
    second.close()
    assert second.exitstatus == 2
    assert second.before.strip() == "draft.json: in use by another consult intake"
    assert stop(first) == 130
    # Once the first intake has stopped, the draft can be resumed.
    third = spawn_intake(tmp_path, "--resume", str(draft))
    third.expect_exact("Draft autosaved")
    time.sleep(0.2)
    assert stop(third) == 130
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".lock")] == []
    assert (tmp_path / "draft.json").exists()
