"""A folder of consultation summaries, staged and moved in only when the run ends.

Streaming output files are `consult.output.files.private_output`; this module adds the
folder of one summary per answer set (`consult evaluate --format markdown -o DIR`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from consult.errors import ConsultError, InputError, display_path
from consult.output.files import move_into_place, refuse_existing, write_private


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
        try:
            write_private(self.staging / name, text)
        except ConsultError as exc:  # name the summary where it was going, not the staging
            staged = display_path(self.staging / name)
            shown = display_path(self.folder / name)
            raise type(exc)(str(exc).replace(staged, shown, 1)) from None

    def commit(self) -> int:
        """Move the summaries into the folder; return how many there were."""
        if not self.folder.exists():
            try:
                self.staging.rename(self.folder)
                return len(self.names)
            except OSError:
                # Another run made the folder meanwhile: add the summaries one by one,
                # each refused (without --force) if that run wrote the same name.
                self.folder.mkdir(mode=0o700, exist_ok=True)
        for name in sorted(self.names):  # check every name before moving any
            refuse_existing(self.folder / name, self.force)
        for name in sorted(self.names):
            move_into_place(self.staging / name, self.folder / name, force=self.force)
        self.staging.rmdir()
        return len(self.names)

    def discard(self) -> None:
        """Remove the staging folder and everything in it."""
        shutil.rmtree(self.staging, ignore_errors=True)
