"""Files that hold patient data: atomic, owner-only, never replaced by accident.

Data goes to a temporary owner-only file beside the target, is flushed to disk,
and only then is moved into place, so a failure or an interruption at any point
leaves the old file (or none), never a partial one. Without `force` an existing
file is never replaced, even one that appears while the data is being written.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from consult.errors import OUTPUT_ERRNOS, InputError, display_path

PRIVATE_MODE = 0o600
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def refuse_existing(path: Path, force: bool) -> None:
    """Fail early, before any work, when the target exists and `force` is not given.

    A target that is not a regular file (a device such as /dev/null, a link to
    one such as /dev/stdout, a pipe, a folder) is refused even with `force`:
    replacing it with a file of patient data would break it for everyone.
    """
    refuse_special(path)
    if not force and (path.exists() or path.is_symlink()):
        raise InputError(f"{display_path(path)}: already exists (use --force to replace it)")


def refuse_special(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (or a link to one)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # nothing there, or a dangling link: a file may take its place
    if stat.S_ISREG(mode) and not _system_name(path):
        return
    what = "a folder" if stat.S_ISDIR(mode) else "a device or other special file"
    raise InputError(f"{display_path(path)}: is {what}, not a regular file; not replaced")


@contextlib.contextmanager
def private_output(path: Path, *, force: bool) -> Iterator[BinaryIO]:
    """A binary stream that becomes `path` when the block ends without an error.

    Raises:
        InputError: the file exists (without `force`) or cannot be written.
    """
    refuse_existing(path, force)
    shown = display_path(path)
    tmp: Path | None = None
    try:
        with _stop_signals_held():  # the file is made and named at once: no leak between
            tmp = _temporary(path, shown)
        with tmp.open("wb") as handle:
            yield handle
            _sync(handle, shown)
        move_into_place(tmp, path, force=force)
    except OSError as exc:
        _remove(tmp)
        if exc.errno in OUTPUT_ERRNOS:  # a full disk under the output: say so, in one line
            raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
        raise
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path | None) -> None:
    if tmp is not None:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold Ctrl-C and stop signals back for a moment; they arrive when it ends.

    A signal landing after the temporary file is made but before its name is
    known would leave the file behind; held, it arrives where cleanup can see it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are handled on the main thread only
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def write_private(path: Path, data: str | bytes, *, overwrite: bool = False) -> None:
    """Write a whole file atomically with owner-only permissions.

    Raises:
        InputError: the file exists and `overwrite` is false, or it cannot be written.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with private_output(path, force=overwrite) as handle:
        try:
            handle.write(payload)
        except OSError as exc:
            raise InputError(f"{display_path(path)}: cannot write: {exc.strerror}") from None


def _system_name(path: Path) -> bool:
    """Whether the path is (or leads) into /dev or /proc, as /dev/stdout does.

    /dev/stdout leads to whatever stdout is, a regular file when redirected:
    replacing the link would still break /dev for every program.
    """
    places = (path.absolute().parent, path.resolve())
    return any(p.parts[1:2] in {("dev",), ("proc",)} for p in places)


def move_into_place(tmp: Path, path: Path, *, force: bool) -> None:
    """Rename a finished temporary file to `path`; without `force`, only if nothing is there."""
    shown = display_path(path)
    try:
        if force:
            refuse_special(path)  # one may have appeared while the data was written
            tmp.replace(path)
            return
        path.hardlink_to(tmp)  # fails if something appeared meanwhile: no clobbering
    except FileExistsError:
        raise InputError(f"{shown}: already exists (use --force to replace it)") from None
    except OSError as exc:
        if force or path.exists() or path.is_symlink():
            raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
        # A filesystem without hard links: a checked rename instead.
        tmp.replace(path)
        return
    tmp.unlink()


def _temporary(path: Path, shown: str) -> Path:
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise InputError(f"{shown}: the folder {display_path(folder)} does not exist") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
    os.fchmod(fd, PRIVATE_MODE)
    os.close(fd)
    return Path(name)


def _sync(handle: BinaryIO, shown: str) -> None:
    try:
        handle.flush()
        os.fsync(handle.fileno())
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
