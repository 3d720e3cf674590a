from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from consult.errors import InputError
from consult.output.files import private_output, refuse_existing, write_private
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


def _device(path: Path) -> None:
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a second /dev/null
    except PermissionError:
        pytest.skip("this machine cannot make a device node (needs root)")


@pytest.mark.parametrize(
    ("make", "what"),
    [
        pytest.param(_device, "a device or other special file", id="device"),
        pytest.param(os.mkfifo, "a device or other special file", id="fifo"),
        pytest.param(
            lambda p: p.symlink_to("/dev/null"), "a device or other special file", id="link"
        ),
        pytest.param(Path.mkdir, "a folder", id="folder"),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_a_device_or_special_file_is_never_replaced(
    write_tree: WriteTree, make: Callable[[Path], None], what: str, force: bool
) -> None:
    # `-o /dev/null --force` replaced the device with a 0600 file of patient data.
    write_tree({})
    target = Path("out.json")
    make(target)
    before = os.lstat(target)
    with pytest.raises(InputError) as caught:
        write_private(target, "patient data", overwrite=force)
    assert str(caught.value) == f"out.json: is {what}, not a regular file; not replaced"
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


@pytest.mark.parametrize("name", ["/dev/null", "/dev/full", "/dev/stdout"])
def test_system_devices_are_refused_before_any_write(name: str) -> None:
    with pytest.raises(InputError, match=r"not a regular file; not replaced$"):
        refuse_existing(Path(name), force=True)
