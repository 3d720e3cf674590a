"""Start-up cost of a dependency's version: the same consult under two environments.

    python bench/deps.py PYTHON_A PYTHON_B [--runs N]

PYTHON_A and PYTHON_B are the interpreters of two virtual environments that
differ only in the version of one dependency (say typer 0.28 and 0.29). Both
run this tree's consult (put first on sys.path) for `--help`, `validate` and
`evaluate FILE --format json`, interleaved, median of N runs each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import interleaved_medians

ANSWERS = """\
consult: 1
answers:
  consent: true
  age: 52
  sex: male
  concerns: [hair_loss]
  hair_loss_pattern: patterned
  norwood_stage: 3
"""


def _version(python: str, package: str) -> str:
    code = f"from importlib.metadata import version; print(version({package!r}))"
    return subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    """Compare two environments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--package", default="typer")
    args = parser.parse_args()
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv[0] = 'consult'; "
        "from consult.__main__ import main; main()"
    )
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.yaml"
        answers.write_text(ANSWERS, encoding="utf-8")
        cases = {
            "`python -c pass`": ["-c", "pass"],
            "`consult --help`": ["-c", code, "--help"],
            "`consult validate`": ["-c", code, "validate"],
            "`consult evaluate FILE --format json`": [
                "-c", code, "evaluate", str(answers), "--format", "json",
            ],
        }  # fmt: skip
        commands = {
            f"{label} {side}": [python, *argv]
            for label, argv in cases.items()
            for side, python in (("a", args.a), ("b", args.b))
        }
        t = interleaved_medians(commands, args.runs)
    va, vb = _version(args.a, args.package), _version(args.b, args.package)
    lines = [
        (
            f"| command (median of {args.runs}) | {args.package} {va} | {args.package} {vb} "
            "| difference |"
        ),
        "| --- | ---: | ---: | ---: |",
    ]
    for label in cases:
        a, b = t[f"{label} a"], t[f"{label} b"]
        lines.append(f"| {label} | {a * 1e3:.1f} ms | {b * 1e3:.1f} ms | {(b - a) * 1e3:+.1f} ms |")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
