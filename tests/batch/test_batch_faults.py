"""Bad entries, odd inputs and odd outputs of a batch: records and one-line errors, never a bug."""

from __future__ import annotations

import errno
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import consult.batch.inputs
import consult.batch.pool
from consult.bank.loader import load
from consult.batch.formats import JsonRecords
from consult.batch.inputs import Item
from consult.batch.pool import evaluate_inputs
from consult.cli.main import app
from tests.conftest import DATA, tmpfs

BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
GOOD = (DATA / "answers" / "good-patchy.yaml").read_text()


def invoke(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["evaluate", *args, *BANK])
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, records, result.stderr


def test_bad_entries_in_a_folder_are_error_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A link loop or a link through a file ended the run with exit 70 and no record.
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a-good.yaml").write_text(GOOD)
    Path("in/b-loop.yaml").symlink_to("b-loop.yaml")
    Path("in/c-through.yaml").symlink_to("a-good.yaml/x.yaml")
    status, records, _ = invoke("in", "-f", "jsonl")
    assert status == 1
    assert [r["file"] for r in records] == ["in/a-good.yaml", "in/b-loop.yaml", "in/c-through.yaml"]
    assert "result" in records[0]
    errors = [str(r["error"]) for r in records[1:]]
    assert errors[0].startswith("in/b-loop.yaml: cannot read: ")
    assert errors[1].startswith("in/c-through.yaml: cannot read: ")


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """An empty folder that is a mount point of its own (root, else skipped)."""
    with tmpfs(tmp_path / "stick", "size=1m") as folder:
        yield folder


def test_summaries_into_a_mount_point(mounted: Path, tmp_path: Path) -> None:
    # The summaries were staged beside the folder: the rename across devices (EXDEV)
    # ended in an internal error.
    (tmp_path / "a.yaml").write_text(GOOD)
    status, _, err = invoke(
        str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"), "-f", "markdown", "-o", str(mounted)
    )
    assert status == 0, err
    assert sorted(p.name for p in mounted.iterdir()) == ["a-2.md", "a.md"]


def test_summaries_into_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    with tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        status, _, err = invoke(
            str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"), "-f", "markdown", "-o", str(folder)
        )
    assert status == 2
    assert err.splitlines() == [f"{folder}: cannot write: Read-only file system"]


def test_an_endless_jsonl_line_is_read_in_bounded_memory() -> None:
    # `--input-format jsonl /dev/zero` grew until the memory ran out.
    status, records, _ = invoke("--input-format", "jsonl", "/dev/zero", "/dev/zero", "-f", "jsonl")
    assert status == 1
    assert [r["error"] for r in records] == [
        "/dev/zero:1:1: line is longer than 1,000,000 bytes; the rest of the file is not read"
    ] * 2


def test_a_jsonl_pipe_with_no_writer_is_bounded_by_the_time_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "sets.jsonl"
    os.mkfifo(fifo)
    started = time.monotonic()
    status, records, _ = invoke(
        "--input-format", "jsonl", str(fifo), str(fifo), "--time-limit", "0.3", "-f", "jsonl"
    )
    assert time.monotonic() - started < 5
    assert status == 1
    assert records[0]["error"] == (f"{fifo}:1:1: no data within 0.3 s (the limit per input)")


def test_a_jsonl_pipe_is_read_when_its_writer_comes(tmp_path: Path) -> None:
    fifo = tmp_path / "sets.jsonl"
    os.mkfifo(fifo)
    line = json.dumps({"age": 30}) + "\n"

    def write() -> None:
        time.sleep(0.2)
        with fifo.open("w") as out:
            out.write(line * 2)

    writer = threading.Thread(target=write)
    writer.start()
    _, records, err = invoke("--input-format", "jsonl", str(fifo), "-f", "jsonl")
    writer.join()
    assert [r.get("line") for r in records] == [1, 2], err


def test_a_pool_that_cannot_start_runs_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A full /dev/shm (where the pool's locks live) failed every `--jobs 2` run.
    def full(_jobs: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(consult.batch.pool, "_start_pool", full)
    kb = load(DATA / "questions", DATA / "rules")
    items = [Item(f"{n}.yaml", data=GOOD.encode()) for n in range(40)]
    results = list(evaluate_inputs(kb, items, JsonRecords(), jobs=2))
    assert [item.name for item, _ in results] == [f"{n}.yaml" for n in range(40)]


def test_a_folder_that_cannot_be_read_is_one_error_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads every folder whatever its mode: the refusal is made by hand here.
    monkeypatch.chdir(tmp_path)
    Path("in/closed").mkdir(parents=True)
    Path("in/z-good.yaml").write_text(GOOD)
    scandir = os.scandir

    def refusing(path: str) -> Iterator[os.DirEntry[str]]:
        if path.endswith("closed"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(consult.batch.inputs.os, "scandir", refusing)
    status, records, _ = invoke("in", "-f", "jsonl")
    assert status == 1
    assert (records[0]["file"], records[0]["error"]) == (
        "in/closed",
        "in/closed: cannot read the folder: Permission denied",
    )
    assert "result" in records[1]
