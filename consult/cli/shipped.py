"""What ships with consult beside the code, found from any folder, and its files' short names.

Installed, the sample answer files, the bank's scenarios and the
documentation are package data (`consult/samples`, `consult/scenarios`,
`consult/docs`); in a source checkout (or an editable install) they are
`consult/samples`, `tests/scenarios` and `docs` of the repository. A shipped
file is named relative to the folder that holds the shipped bank
(`rules/20-safety.yaml`, `scenarios/scar-keloid-refer.yaml`), as the bank's
authors name them, never by its full install path.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
# Where each kind lives: installed (inside the package), then in a source checkout.
PLACES = {
    "samples": (PACKAGE / "samples",),
    "scenarios": (PACKAGE / "scenarios", PACKAGE.parent / "tests" / "scenarios"),
    "docs": (PACKAGE / "docs", PACKAGE.parent / "docs"),
}


def shipped(kind: str) -> Path | None:
    """The folder of the sample answer files, the scenarios or the docs; None if missing."""
    return next((place for place in PLACES[kind] if place.is_dir()), None)


def shipped_file(kind: str, name: str) -> str:
    """A shipped file's full path, or where it would be in the source (`docs/intake.md`)."""
    folder = shipped(kind)
    return str(folder / name) if folder is not None else f"{kind}/{name}"


def samples() -> list[Path]:
    """The sample answer files installed with consult, by name."""
    folder = shipped("samples")
    return sorted(folder.glob("*.yaml")) if folder is not None else []


def short_name(text: str) -> str:
    """A text naming shipped files with their short names (`rules/20-safety.yaml:6:5`)."""
    for base in (PACKAGE, PACKAGE.parent):
        if (base / "questions").is_dir():
            return text.replace(f"{base}{os.sep}", "")
    return text
