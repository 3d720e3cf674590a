"""Start-up: `consult --version` and `consult --help` against bare Python and `import typer`."""

from __future__ import annotations

from common import CONSULT, PYTHON, Row, Section, interleaved_medians, ms

VERSION_TARGET = 2.0
HELP_TARGET = 1.3


def measure(runs: int) -> Section:
    """Median of `runs` fresh processes each, interleaved."""
    commands = {
        "pass": [PYTHON, "-c", "pass"],
        "typer": [PYTHON, "-c", "import typer"],
        "version": [CONSULT, "--version"],
        "help": [CONSULT, "--help"],
        "validate": [CONSULT, "validate"],
    }
    t = interleaved_medians(commands, runs)
    section = Section("Start-up")
    v_ratio = t["version"] / t["pass"]
    h_ratio = t["help"] / t["typer"]
    section.rows += [
        Row(
            f"`consult --version` (median of {runs})",
            ms(t["version"]),
            f"`python -c pass` {ms(t['pass'])}",
            v_ratio,
            f"≤ {VERSION_TARGET}×",
            v_ratio <= VERSION_TARGET,
        ),
        Row(
            f"`consult --help` (median of {runs})",
            ms(t["help"]),
            f"`python -c 'import typer'` {ms(t['typer'])}",
            h_ratio,
            f"≤ {HELP_TARGET}×",
            h_ratio <= HELP_TARGET,
        ),
        Row(
            f"`consult validate`: loads the shipped bank (median of {runs})",
            ms(t["validate"]),
            f"`python -c pass` {ms(t['pass'])}",
            t["validate"] / t["pass"],
        ),
    ]
    section.notes.append(
        "Each command runs in a fresh process with the venv's interpreter and console "
        "script (no shell, no shim), after 2 warm-up rounds; the commands are interleaved "
        "round-robin so that machine noise hits them alike. consult's modules are "
        "byte-compiled first, as `pip install` does: this machine sets "
        "`PYTHONDONTWRITEBYTECODE`, under which an editable install would compile consult's "
        "source again in every process (about 40 ms of each command)."
    )
    return section
