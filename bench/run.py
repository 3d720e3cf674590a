"""Performance of consult, measured side by side in one run, as ratios.

    python bench/run.py            # the full run; writes bench/RESULTS.md
    python bench/run.py --quick    # a small smoke run of the same code paths

Needs the bench extra: pip install -e '.[bench]'. Nothing here is a test: the
targets are reported, never asserted (the exit status is 0 when a target is
missed); only a disagreement between the engines or a failing command stops
the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Row, Section, cores, cpu_model, memory_gib

HISTORY = HERE / "history.md"
NOTES = HERE / "notes.md"
KEYSTROKES = HERE / "keystrokes.md"  # written by keystrokes.py --record (counts, not times)
PACKAGES = ("consult", "typer", "rich", "questionary", "prompt_toolkit", "PyYAML")


def _byte_compile() -> None:
    """Byte-compile consult as `pip install` does, so that no run compiles its source.

    Under `PYTHONDONTWRITEBYTECODE` (set on some machines) an editable install
    never caches bytecode, and every consult process would compile its modules.
    """
    import compileall

    import consult

    compileall.compile_dir(Path(consult.__file__).parent, quiet=1)


def _need_bench_extra() -> None:
    try:
        import json_logic  # noqa: F401
    except ImportError:
        raise SystemExit("bench/run.py needs the bench extra: pip install -e '.[bench]'") from None


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "runs": 5, "sets": 1000, "rounds": 1, "peer": 300, "files": 300, "lines": 3000, "small": 300,
            "batch_rounds": 1, "sessions": 5, "clinic": 300,
        }  # fmt: skip
    return {
        "runs": 15, "sets": 20_000, "rounds": 3, "peer": 20_000, "files": 10_000, "lines": 100_000, "small": 1_000,
        "batch_rounds": 5, "sessions": 100, "clinic": 10_000,
    }  # fmt: skip


def _run(quick: bool, only: set[str]) -> list[Section]:
    import batch
    import engine
    import startup

    size = _sizes(quick)
    sections: list[Section] = []

    def want(name: str) -> bool:
        return not only or name in only

    if want("startup"):
        _progress("start-up")
        sections.append(startup.measure(size["runs"]))
    if want("engine"):
        _progress("engine")
        sections.append(engine.measure(size["sets"], size["rounds"], size["peer"]))
    if want("batch") or want("jsonl"):
        if not batch.supports_batch():
            sections.append(Section("Batch", notes=["This consult has no `--jobs`: skipped."]))
        else:
            with batch.temp_folder() as tmp:
                if want("batch"):
                    _progress("batch: YAML files")
                    sections.append(
                        batch.measure_files(size["files"], size["batch_rounds"], Path(tmp))
                    )
                if want("jsonl"):
                    _progress("batch: JSONL and memory")
                    sections.append(
                        batch.measure_jsonl(
                            size["lines"], size["small"], size["batch_rounds"], Path(tmp)
                        )
                    )
    return sections + _corpus_sections(size, want)


def _corpus_sections(size: dict[str, int], want: Callable[[str], bool]) -> list[Section]:
    """The sections that run whole commands over generated corpora or sessions."""
    import batch
    import intake

    sections: list[Section] = []
    if want("diff") and batch.supports_batch():
        import bankdiff

        _progress("diff")
        with batch.temp_folder() as tmp:
            sections.append(bankdiff.measure(size["files"], size["batch_rounds"], Path(tmp)))
    if want("clinic"):
        import clinic

        _progress("batch: clinic-like YAML files")
        with batch.temp_folder() as tmp:
            sections.append(clinic.measure(size["clinic"], size["batch_rounds"], Path(tmp)))
    if want("intake"):
        _progress("intake")
        with batch.temp_folder() as tmp:
            sections.append(intake.measure(size["sessions"], Path(tmp)))
    return sections


def _progress(what: str) -> None:
    sys.stderr.write(f"bench: {what}...\n")
    sys.stderr.flush()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    import subprocess

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, check=False)

    out = git("describe", "--always")
    if out.returncode != 0:
        return "an unknown commit"
    # Only the code and the bank count: installing rewrites files such as egg-info.
    changed = git("diff", "--quiet", "HEAD", "--", "consult", "questions", "rules").returncode
    return f"commit {out.stdout.strip()}" + (" with local changes" if changed else "")


def _build() -> str:
    """Whether the batch hot path runs compiled (setup.py) in the consult measured."""
    import importlib.util

    spec = importlib.util.find_spec("consult.engine.decide")
    origin = spec.origin if spec is not None else None
    if origin is not None and origin.endswith((".so", ".pyd")):
        return "its hot path compiled with mypyc"
    return "plain Python (not compiled)"


def _verdict(row: Row) -> str:
    if row.ok is None:
        return ""
    return "met" if row.ok else "**missed**"


def table(sections: list[Section]) -> list[str]:
    """The results as one markdown table."""
    lines = [
        "| what | figure | measured against | ratio | target | |",
        "| --- | ---: | --- | ---: | --- | --- |",
    ]
    for section in sections:
        for row in section.rows:
            ratio = f"{row.ratio:.2f}×" if row.ratio is not None else ""
            lines.append(
                f"| {row.what} | {row.figure} | {row.against} | {ratio} | {row.target} "
                f"| {_verdict(row)} |"
            )
    return lines


def report(sections: list[Section], quick: bool, seconds: float) -> str:
    """RESULTS.md: machine, versions, the table, notes, and the before/after history."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    from jsonlogic_peer import PACKAGE

    out = [
        "# consult performance",
        "",
        "Generated by `python bench/run.py`" + (" --quick" if quick else "") + f" on {now} "
        f"in {seconds:.0f} s. Targets are reported, never asserted.",
        "",
        (
            f"- Machine: {cores()} cores ({cpu_model()}), {memory_gib()} memory, "
            f"{platform.system()} {platform.release()}"
        ),
        (
            f"- Python {platform.python_version()} ({sys.executable}); consult at {_commit()}; "
            f"{_build()}"
        ),
        f"- Packages: {versions}, {PACKAGE} {_version(PACKAGE)}",
        "",
        *table(sections),
        "",
    ]
    for section in sections:
        if not section.notes and not section.details:
            continue
        out += [f"## {section.title}", ""]
        if section.details:
            out += [*section.details, ""]
        out += [f"- {note}" for note in section.notes]
        out.append("")
    if KEYSTROKES.exists():
        out += [KEYSTROKES.read_text(encoding="utf-8").rstrip(), ""]
    if NOTES.exists():
        out += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    if HISTORY.exists():
        out += [HISTORY.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(out)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; a smoke run")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the report (default: bench/RESULTS.md; none with --quick)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=["startup", "engine", "batch", "jsonl", "diff", "clinic", "intake"],
        help="run only this part (repeatable)",
    )
    args = parser.parse_args()
    _need_bench_extra()
    _byte_compile()
    start = time.perf_counter()
    sections = _run(args.quick, set(args.only))
    seconds = time.perf_counter() - start
    sys.stdout.write("\n".join(table(sections)) + "\n")
    output = args.output or (None if args.quick else HERE / "RESULTS.md")
    if output is not None:
        output.write_text(report(sections, args.quick, seconds), encoding="utf-8")
        sys.stderr.write(f"bench: wrote {output}\n")


if __name__ == "__main__":
    main()
