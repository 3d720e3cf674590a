"""Writing files that hold patient data: atomic, owner-only, never clobbering by accident."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from consult.errors import InputError, display_path

PRIVATE_MODE = 0o600


def write_private(path: Path, data: str | bytes, *, overwrite: bool = False) -> None:
    """Write a file atomically with owner-only permissions.

    The data goes to a temporary file in the same folder, is flushed to disk and
    then renamed over the target, so a failure at any point leaves the old file
    (or none), never a partial one.

    Raises:
        InputError: the file exists and `overwrite` is false, or it cannot be written.
    """
    shown = display_path(path)
    if not overwrite and path.exists():
        raise InputError(f"{shown}: already exists (use --force to replace it)")
    folder = path.parent if str(path.parent) else Path()
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise InputError(f"{shown}: the folder {display_path(folder)} does not exist") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            tmp.replace(path)
        else:
            _link_new(tmp, path, shown)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise InputError(f"{shown}: cannot write: {exc.strerror}") from None
        raise


def _link_new(tmp: Path, path: Path, shown: str) -> None:
    """Move the finished file into place only if nothing is there yet (no race)."""
    try:
        path.hardlink_to(tmp)
    except FileExistsError:
        raise InputError(f"{shown}: already exists (use --force to replace it)") from None
    except OSError:
        # Filesystems without hard links: fall back to a checked rename.
        if path.exists():
            raise InputError(f"{shown}: already exists (use --force to replace it)") from None
        tmp.replace(path)
        return
    tmp.unlink()
