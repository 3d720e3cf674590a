from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import consult
from consult.bank.model import KnowledgeBase

DATA = Path(__file__).parent / "data"

# Generated tests (tests/fuzz and the property tests): `ci` is the short run inside
# every `pytest`; `long` runs for minutes: `pytest -m fuzz --hypothesis-profile=long`
# (or the whole suite with `--hypothesis-profile=long`). A test that needs more
# examples than the profile gives asks for `examples(n)`: n in the short run, ten
# times n in the long one.
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


@pytest.fixture(autouse=True)
def no_clinician(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No clinician from the developer's shell or config file: records stay reproducible."""
    monkeypatch.delenv("CONSULT_CLINICIAN", raising=False)
    missing = tmp_path_factory.getbasetemp() / "no-consult-config.yaml"
    monkeypatch.setenv("CONSULT_CONFIG", str(missing))
