from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

import consult
from consult.bank.model import KnowledgeBase

DATA = Path(__file__).parent / "data"

# Generated tests (tests/fuzz and the property tests): `ci` is the short run inside
# every `pytest`; `long` runs for minutes: `pytest -m fuzz --hypothesis-profile=long`
# (or the whole suite with `--hypothesis-profile=long`). A test that needs more
# examples than the profile gives asks for `examples(n)`: n in the short run, ten
# times n in the long one. The stress loops (stop signals at random moments of a
# pooled batch) take their rounds from it too.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=12, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("long", max_examples=3_000, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile("ci")


def examples(count: int) -> int:
    """Examples for a generated test: `count` in the short run, ten times more in `long`."""
    return count if settings.get_current_profile_name() != "long" else count * 10


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The small purpose-built bank under tests/data."""
    return consult.load(questions=DATA / "questions", rules=DATA / "rules")


WriteTree = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WriteTree:
    """Write {relative path: dedented text} under tmp_path and chdir there."""
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


def mount_tmpfs(folder: Path, options: str) -> bool:
    """Make `folder` and mount a tmpfs on it; False where that needs root we lack."""
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on a new `folder` for the block, unmounted after; the test is
    skipped, saying why, where this machine cannot mount one (it needs root)."""
    if not mount_tmpfs(folder, options):
        pytest.skip(f"this machine cannot mount a tmpfs ({options}; needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KiB file system (needs root and a tmpfs mount, else the test is skipped)."""
    with tmpfs(tmp_path / "small", "size=16k,mode=0700") as folder:
        yield folder


# In CI (`CONSULT_CI=1`, set by .ci/run) a skipped test is a failure: the tests that
# drive the installed command, a terminal or a browser must run there. The one
# exception is a part this machine cannot give (a mount, a device node); such a
# skip's reason starts with "this machine" and says what is missing.
MACHINE = "this machine"


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.environ.get("CONSULT_CI") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    refused = [r for r in skipped if MACHINE not in str(r.longrepr)]
    if refused:
        for report in refused:
            sys.stderr.write(f"CI: a test was skipped: {report.nodeid}: {report.longrepr}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def no_clinician(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No clinician from the developer's shell or config file: records stay reproducible."""
    monkeypatch.delenv("CONSULT_CLINICIAN", raising=False)
    missing = tmp_path_factory.getbasetemp() / "no-consult-config.yaml"
    monkeypatch.setenv("CONSULT_CONFIG", str(missing))


@pytest.fixture(autouse=True, scope="session")
def _one_command_per_app() -> Iterator[None]:
    """typer's CliRunner builds the click command from the app on every `invoke`
    (about 10 ms of inspecting signatures); the suite's hundreds of in-process
    runs share one command per app, as one process of the installed `consult` does.
    """
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:  # another typer: leave it as it is
        yield
        return
    built: dict[int, Any] = {}

    def command(app: Any) -> Any:
        found = built.get(id(app))
        if found is None:
            found = built[id(app)] = (app, build(app))
        return found[1]

    typer.testing._get_command = command  # type: ignore[attr-defined]
    try:
        yield
    finally:
        typer.testing._get_command = build  # type: ignore[attr-defined]


def read_yaml(text: str) -> Any:
    """A test's own YAML (scenarios, fixtures) read with LibYAML's safe loader where
    installed: the same data as `yaml.safe_load`, ten times faster, which counts for
    the hundreds of scenario reads in a run."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test in a pseudo-terminal (`tty`) drives the installed command: `installed` too.

    A plain `pytest` leaves the `installed` tests out (they run the command in
    processes of their own, most of the suite's CPU time); `pytest -m installed`
    runs them, and CI always does.
    """
    for item in items:
        if item.get_closest_marker("tty") is not None:
            item.add_marker(pytest.mark.installed)
