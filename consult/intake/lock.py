"""One intake at a time on a draft: an advisory lock beside it, never through a link."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from consult.errors import InputError, display_path
from consult.output.files import PRIVATE_MODE


@contextlib.contextmanager
def draft_lock(path: Path) -> Iterator[None]:
    """Hold a draft for one intake: a second intake on the same draft is refused.

    The lock is an advisory `flock` on `.NAME.lock` beside the draft (the draft
    itself is replaced on every save, so it cannot carry a lock). The system
    releases it when the process ends, however it ends; the file is removed
    when the intake ends normally.

    Raises:
        InputError: another intake holds the draft.
    """
    lock = path.with_name(f".{path.name}.lock")
    fd = _take_lock(lock, display_path(path))
    try:
        yield
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                lock.unlink()
            os.close(fd)


def _take_lock(lock: Path, shown: str) -> int | None:
    while True:
        fd = _open_lock(lock, shown)
        if fd is None:
            return None  # no folder to lock in: reading or writing the draft says why
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(f"{shown}: in use by another consult intake") from None
        try:
            if os.path.samestat(os.fstat(fd), lock.lstat()):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the holder removed the file as we opened it: take the new one


def _open_lock(lock: Path, shown: str) -> int | None:
    """The lock file, made afresh (O_EXCL) or one left by an intake that ended badly.

    Never through a symbolic link (O_NOFOLLOW), and only a regular file of this
    user: a link planted in a shared folder must not make consult open, create
    or truncate a file elsewhere.
    """
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(lock, flags | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        fd = os.open(lock, flags | os.O_NONBLOCK)
    except FileNotFoundError:
        return _open_lock(lock, shown)  # removed meanwhile: make it afresh
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(
                f"{shown}: its lock {lock.name} is a symbolic link; not followed"
            ) from None
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        os.close(fd)
        raise InputError(f"{shown}: its lock {lock.name} is not a regular file of this user")
    return fd
