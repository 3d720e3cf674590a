"""Streaming output files that hold patient data: atomic, owner-only, never clobbering.

The streaming counterpart of `consult.files.write_private`, for output too big
to hold in memory: records go to a temporary owner-only file beside the
target, which is renamed into place only when the run finishes. A failure or
an interruption removes the temporary file, so the old file (or none) stays.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from consult.errors import InputError, display_path
from consult.files import PRIVATE_MODE, write_private


def refuse_existing(path: Path, force: bool) -> None:
    """Fail early, before any work, when the target exists and --force is not given."""
    if not force and (path.exists() or path.is_symlink()):
        raise InputError(f"{display_path(path)}: already exists (use --force to replace it)")


@contextlib.contextmanager
def private_output(path: Path, *, force: bool) -> Iterator[BinaryIO]:
    """A binary stream that becomes `path` when the block ends without an error."""
    refuse_existing(path, force)
    shown = display_path(path)
    fd, tmp = _temporary(path, shown)
    try:
        with open(fd, "wb") as handle:  # noqa: PTH123
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _commit(Path(tmp), path, shown, force)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _temporary(path: Path, shown: str) -> tuple[int, str]:
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise InputError(f"{shown}: the folder {display_path(folder)} does not exist") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
    os.fchmod(fd, PRIVATE_MODE)
    return fd, name


def _commit(tmp: Path, path: Path, shown: str, force: bool) -> None:
    try:
        if force:
            tmp.replace(path)
            return
        path.hardlink_to(tmp)  # fails if something appeared meanwhile: no clobbering
    except FileExistsError:
        raise InputError(f"{shown}: already exists (use --force to replace it)") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
    tmp.unlink()


class SummaryFolder:
    """Markdown summaries collected in a hidden staging folder, moved in at the end.

    Summaries are named after their inputs (`p017.yaml` gives `p017.md`, line 12 of
    `batch.jsonl` gives `batch-12.md`); a repeated name gets `-2`, `-3`, ... .
    """

    def __init__(self, folder: Path, *, force: bool) -> None:
        self.folder = folder
        self.force = force
        self.names: set[str] = set()
        shown = display_path(folder)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{shown}: exists and is not a folder")
        parent = folder.parent if str(folder.parent) else Path()
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
        except OSError as exc:
            raise InputError(f"{shown}: cannot write: {exc.strerror}") from None

    def add(self, stem: str, text: bytes) -> None:
        """Stage one summary."""
        name = f"{stem}.md"
        number = 1
        while name in self.names:
            number += 1
            name = f"{stem}-{number}.md"
        self.names.add(name)
        refuse_existing(self.folder / name, self.force)  # fail early, before the work
        write_private(self.staging / name, text)

    def commit(self) -> int:
        """Move the summaries into the folder; return how many there were."""
        if not self.folder.exists():
            self.staging.replace(self.folder)
            return len(self.names)
        for name in sorted(self.names):  # check every name before moving any
            refuse_existing(self.folder / name, self.force)
        for name in sorted(self.names):
            _commit(
                self.staging / name,
                self.folder / name,
                display_path(self.folder / name),
                self.force,
            )
        self.staging.rmdir()
        return len(self.names)

    def discard(self) -> None:
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.staging, ignore_errors=True)
