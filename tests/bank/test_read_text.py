"""Reading an answer or bank file: whole, limited in size, from a pipe, with located errors."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from consult.bank.yamlsource import MAX_BYTES, YamlProblem, read_text
from consult.errors import InputError


def test_a_file_is_read_whole_and_a_byte_order_mark_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfconsult: 1\nanswers:\n  notes: N\xc3\xa9e\n")
    assert read_text(path) == "consult: 1\nanswers:\n  notes: Née\n"


def test_the_size_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"a" * MAX_BYTES)
    assert len(read_text(path)) == MAX_BYTES
    path.write_bytes(b"a" * (MAX_BYTES + 1))
    with pytest.raises(YamlProblem, match="file is larger than 1,000,000 bytes"):
        read_text(path, "a.yaml")


def test_a_named_pipe_is_read_to_its_end(tmp_path: Path) -> None:
    pipe = tmp_path / "p.yaml"
    os.mkfifo(pipe)
    text = "consult: 1\n" + "# padding\n" * 20_000  # more than one pipe buffer

    def write() -> None:
        with pipe.open("w") as handle:
            handle.write(text)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_text(pipe) == text
    finally:
        writer.join()


def test_a_pipe_past_the_limit_is_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "p.yaml"
    os.mkfifo(pipe)

    def write() -> None:
        with pipe.open("wb") as handle, contextlib.suppress(BrokenPipeError):
            handle.write(b"a" * (MAX_BYTES + 5000))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(YamlProblem, match="larger than"):
            read_text(pipe, "p.yaml")
    finally:
        writer.join()


def test_a_folder_or_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^d\.yaml: is a folder, not a file$"):
        (tmp_path / "d.yaml").mkdir()
        read_text(tmp_path / "d.yaml", "d.yaml")
    with pytest.raises(InputError, match=r"^n\.yaml: no such file$"):
        read_text(tmp_path / "n.yaml", "n.yaml")
