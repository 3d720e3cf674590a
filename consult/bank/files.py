"""A bank file as the loader needs it: read if regular, else a reason; parsed once.

A questions or rules file that cannot be read (a dangling link to an unmounted
share, a link loop, a pipe, a device, a folder named `x.yaml`) is a problem of
the bank, never an entry silently left out: its rules would be missing.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from pathlib import Path

from consult.bank.yamlsource import MAX_BYTES, Node, decode, parse


def read_bank_file(path: Path) -> bytes:
    """A bank file's bytes (at most MAX_BYTES + 1), refusing anything but a regular file.

    Opened without blocking (a pipe never waits for a writer) and checked with
    `fstat` before reading, so a device such as /dev/zero is never read.

    Raises:
        OSError: the entry cannot be opened (a dangling link, a loop).
        NotARegularFile: it is a folder, a pipe, a device or a socket.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(_kind_of(mode))
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    finally:
        os.close(fd)


def parse_bank_file(data: bytes, name: str) -> Node | None:
    """A bank file's positioned nodes (None when empty).

    A process that loads the bank again (a test run, a program calling
    `consult.load` for each request) parses only the files that changed: nodes
    are remembered by content and name, at most 32 files of bank size, so a
    long run over generated banks stays within a few MB. The checks and the
    build run every time. Nodes are never changed once parsed, so sharing them
    is safe; a file that fails to parse is not remembered.

    Raises:
        YamlProblem: the file is not UTF-8 or not YAML, located.
    """
    if len(data) > _REMEMBERED_BYTES:
        return _parse(data, name)
    return _remembered(data, name)


def _parse(data: bytes, name: str) -> Node | None:
    return parse(decode(data, name), name, aliases=True)


_REMEMBERED_BYTES = 128 * 1024
_remembered = functools.lru_cache(maxsize=32)(_parse)


class NotARegularFile(Exception):
    """A bank entry that is not a regular file; its argument says what it is."""


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def os_reason(exc: OSError, path: Path) -> str:
    """Why a bank file could not be opened, in words."""
    if isinstance(exc, FileNotFoundError) and path.is_symlink():
        return "a symbolic link to a file that does not exist"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return exc.strerror or type(exc).__name__
