"""Generated answer files through `consult evaluate` and `consult export`: no input makes a bug."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import consult
from consult.bank.model import KnowledgeBase
from consult.cli.main import app
from tests.fuzz.checks import assert_clean_run, files_in
from tests.fuzz.strategies import (
    answer_sets,
    document,
    dump,
    mutated_sets,
    text_mutations,
    wrong_value,
)

pytestmark = pytest.mark.fuzz
KB: KnowledgeBase = consult.load()
runner = CliRunner()


@contextmanager
def in_folder() -> Iterator[Path]:
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as name:
        os.chdir(name)
        try:
            yield Path(name)
        finally:
            os.chdir(old)


def write(folder: Path, name: str, text: str | bytes) -> None:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    (folder / name).write_bytes(data)


@given(answers=answer_sets(KB), form=st.sampled_from(["block", "flow", "json"]))
def test_valid_answer_sets_are_evaluated(answers: dict[str, Any], form: str) -> None:
    name = "a.json" if form == "json" else "a.yaml"
    with in_folder() as folder:
        write(folder, name, dump(document(answers), form))
        result = runner.invoke(app, ["evaluate", name, "--format", "json"])
        messages = assert_clean_run(result, {name})
        # A set drawn from the bank may still hold answers its own answers switch
        # off (warnings) but never an error.
        assert result.exit_code == 0, messages
        assert "candidates" in json.loads(result.stdout)
        assert files_in(folder) == [name]


@given(answers=mutated_sets(KB), form=st.sampled_from(["block", "flow", "json"]))
def test_mutated_values_keys_and_nesting(answers: dict[str, Any], form: str) -> None:
    name = "a.json" if form == "json" else "a.yaml"
    with in_folder() as folder:
        write(folder, name, dump(document(answers), form))
        result = runner.invoke(app, ["evaluate", name, "--format", "jsonl"])
        assert_clean_run(result, {name})
        assert files_in(folder) == [name]


@given(data=st.data(), form=st.sampled_from(["block", "json"]))
def test_damaged_text(data: st.DataObject, form: str) -> None:
    answers = data.draw(answer_sets(KB))
    text = data.draw(text_mutations(dump(document(answers), form)))
    name = "a.json" if form == "json" else "a.yaml"
    with in_folder() as folder:
        write(folder, name, text)
        result = runner.invoke(app, ["evaluate", name])
        assert_clean_run(result, {name})
        assert files_in(folder) == [name]
        result = runner.invoke(app, ["export", name, "-o", "s.md", "--date", "2026-12-01"])
        assert_clean_run(result, {name, "s.md"})
        assert files_in(folder) in ([name], [name, "s.md"])
        assert (result.exit_code == 0) == (files_in(folder) == [name, "s.md"])


@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    with in_folder() as folder:
        write(folder, "a.yaml", raw)
        assert_clean_run(runner.invoke(app, ["evaluate", "a.yaml"]), {"a.yaml"})


@given(version=wrong_value() | st.sampled_from(["1", 1.0, True, "yes", [1]]))
def test_format_versions(version: Any) -> None:
    with in_folder() as folder:
        write(folder, "a.json", dump(document({"age": 40}, version), "json"))
        result = runner.invoke(app, ["evaluate", "a.json"])
        assert_clean_run(result, {"a.json"})
        if version != 1 or isinstance(version, bool | float):
            assert result.exit_code == 2
