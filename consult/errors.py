"""Exceptions of consult. They never print; only the CLI does."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """Exit codes of the public contract."""

    OK = 0
    PROBLEMS = 1
    INVALID = 2
    # The output cannot be written (a full disk, an I/O error): sysexits' EX_IOERR.
    OUTPUT_ERROR = 74
    # The question bank cannot be loaded by a command that uses it (every command but
    # `validate`, whose finding it is): nothing was done. sysexits' EX_CONFIG.
    CONFIG_ERROR = 78
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """A place in a file: 1-based line and column."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


class ConsultError(Exception):
    """Base of every expected error; carries the exit status the CLI uses."""

    status: ExitStatus = ExitStatus.INVALID


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One located problem in a file: `path:line:col: message`."""

    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class ProblemsError(ConsultError):
    """A set of located problems, reported together and sorted."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems), key=_problem_key))
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_key(problem: Problem) -> tuple[str, int, int, str]:
    source = problem.source
    return (source.path, source.line, source.column, problem.message)


class InvalidDefinitions(ProblemsError):
    """The question bank or the rules have problems (`consult validate`)."""

    status = ExitStatus.PROBLEMS


class InvalidAnswers(ProblemsError):
    """An answer file or answer set has problems."""

    status = ExitStatus.INVALID


class InputError(ConsultError):
    """A file or argument cannot be used at all (missing, too big, unreadable)."""


class UnusableBank(ConsultError):
    """The question bank cannot be loaded for a command that needs it: nothing was done.

    `lines` are the problems, one `file:line:col: message` each (or the folder
    that is missing), as `consult validate` reports them.
    """

    status = ExitStatus.CONFIG_ERROR

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("\n".join(self.lines))


# Write errors that are the output's, not the tool's: no space, quota, size, device.
# On stdout they end the run with ExitStatus.OUTPUT_ERROR; an `-o` file that
# cannot be written is an unusable argument, named in the message (status 2).
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def display_path(path: Path | str) -> str:
    """Path as the user gave it, or relative to the working folder when inside it."""
    text = str(path)
    p = Path(text)
    if p.is_absolute():
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return text
    return text


class Stopped(KeyboardInterrupt):
    """A run was stopped by a signal (a closed terminal, SIGTERM).

    A KeyboardInterrupt, so that the prompt library and asyncio let it through
    wherever the signal lands, exactly as they do for Ctrl-C.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum
