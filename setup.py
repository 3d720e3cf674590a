"""Build: the batch hot path compiled to C with mypyc, the rest plain Python.

Everything else about the package is in `pyproject.toml`. The modules listed
in `COMPILED` are the ones every evaluated answer set goes through (reading the
file, checking the answers, the bank's data model and compiled conditions, the
decision, the result record). mypyc compiles
the same source, already checked by `mypy --strict`, so there is no second
copy of the rules' logic: the plain-Python modules stay in the package and
are what runs wherever the compiled ones are not there.

Compiled code enforces the annotations at run time (a value of another type
than declared raises TypeError), so CI runs the suite both ways (`.ci/run`).

The build falls back to plain Python, with a warning, when there is no C
compiler or the compilation fails, and never compiles with
`CONSULT_PURE_PYTHON=1` set (for work on these modules: an editable install
puts the compiled modules beside the sources, and they, not the edited
sources, are what Python imports until the next `pip install -e .`; the test
suite refuses to run on compiled modules older than their sources).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "consult/bank/codegen.py",
    "consult/bank/model.py",
    "consult/bank/quickscan.py",
    "consult/bank/quickyaml.py",
    "consult/bank/truth.py",
    "consult/batch/reader.py",
    "consult/engine/answers.py",
    "consult/engine/areas.py",
    "consult/engine/decide.py",
    "consult/engine/decideopen.py",
    "consult/engine/items.py",
    "consult/engine/result.py",
    "consult/engine/ruleindex.py",
    "consult/engine/settle.py",
    "consult/engine/values.py",
    "consult/output/resultjson.py",
]
GROUP = "consult_native"  # the shared library: consult_native__mypyc


class OptionalBuildExt(build_ext):
    """Builds the compiled modules, or leaves the package in plain Python if it cannot."""

    def run(self) -> None:
        """Build; on any failure remove what was built and go on in plain Python."""
        try:
            super().run()
        except Exception as error:  # noqa: BLE001 - no compiler, no headers, a failed compile
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            if self.inplace or getattr(self, "editable_mode", False):
                _remove_built()  # what the failed build left beside the sources
            print(
                f"consult: the compiled modules could not be built ({error}); "
                "installing plain Python (slower batch runs, same results)",
                file=sys.stderr,
            )


# The commands that build the package; the metadata ones (egg_info, dist_info,
# sdist), which pip runs first, need no compiling.
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop"}
EDITABLE = {"editable_wheel", "develop"}  # the builds that put compiled modules in the sources


def extensions() -> list[object]:
    """The mypyc extensions, or none when asked for plain Python."""
    if BUILDS.isdisjoint(sys.argv[1:]):
        return []
    if not EDITABLE.isdisjoint(sys.argv[1:]):
        _remove_built()  # a wheel is built elsewhere: it leaves an editable install alone
    if os.environ.get("CONSULT_PURE_PYTHON", "") not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify

        return list(mypycify(COMPILED, opt_level="3", group_name=GROUP))
    except (Exception, SystemExit) as error:  # noqa: BLE001 - no mypyc, or it refused the code
        print(f"consult: not compiled ({error!r}); installing plain Python", file=sys.stderr)
        return []


def _remove_built() -> None:
    """Compiled modules an earlier editable install left beside the sources, removed.

    Python would import them instead of the sources, even once a module is no
    longer compiled or the build falls back to plain Python.
    """
    here = Path(__file__).resolve().parent
    for built in [*here.glob("consult/**/*.so"), *here.glob(f"{GROUP}__mypyc.*.so")]:
        built.unlink()


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
