from __future__ import annotations

import errno
from pathlib import Path

import pytest

from consult.errors import InputError
from consult.output.files import private_output, write_private
from tests.conftest import WriteTree


def test_written_owner_only_and_nothing_else_left(write_tree: WriteTree) -> None:
    root = write_tree({})
    write_private(Path("a.yaml"), "answers: {}\n")
    assert Path("a.yaml").read_text() == "answers: {}\n"
    assert Path("a.yaml").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in root.iterdir()] == ["a.yaml"]


def test_never_replaces_without_overwrite(write_tree: WriteTree) -> None:
    write_tree({"a.yaml": "old"})
    with pytest.raises(
        InputError, match=r"^a\.yaml: already exists \(use --force to replace it\)$"
    ):
        write_private(Path("a.yaml"), "new")
    assert Path("a.yaml").read_text() == "old"
    write_private(Path("a.yaml"), "new", overwrite=True)
    assert Path("a.yaml").read_text() == "new"


def test_a_file_that_appears_meanwhile_is_not_replaced(write_tree: WriteTree) -> None:
    root = write_tree({})
    with (
        pytest.raises(InputError, match="already exists"),
        private_output(Path("a.md"), force=False) as out,
    ):
        out.write(b"mine")
        Path("a.md").write_text("someone else's")
    assert Path("a.md").read_text() == "someone else's"
    assert sorted(p.name for p in root.iterdir()) == ["a.md"]


def test_an_error_in_the_block_leaves_no_file(write_tree: WriteTree) -> None:
    root = write_tree({})
    with pytest.raises(RuntimeError), private_output(Path("a.md"), force=False) as out:
        out.write(b"half")
        raise RuntimeError
    assert list(root.iterdir()) == []


def test_missing_folder(write_tree: WriteTree) -> None:
    write_tree({})
    with pytest.raises(InputError, match=r"^nowhere/a\.md: the folder nowhere does not exist$"):
        write_private(Path("nowhere/a.md"), "x")


def test_filesystem_without_hard_links(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree({})

    def no_links(_self: Path, _target: Path) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(Path, "hardlink_to", no_links)
    write_private(Path("a.md"), "x")
    assert Path("a.md").read_text() == "x"
    assert [p.name for p in root.iterdir()] == ["a.md"]
