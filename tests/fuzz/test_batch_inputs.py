"""A batch of good and damaged inputs: every good one evaluated, every record in input order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import consult
from consult.bank.model import KnowledgeBase
from consult.cli.main import app
from tests.fuzz.checks import assert_clean_run, files_in
from tests.fuzz.strategies import answer_sets, document, dump, mutated_sets, text_mutations
from tests.fuzz.test_answer_files import in_folder, write

pytestmark = pytest.mark.fuzz
KB: KnowledgeBase = consult.load()
runner = CliRunner()


@st.composite
def inputs(draw: st.DrawFn) -> list[tuple[bool, str, str]]:
    """(good, suffix, text) for each of 1-8 inputs, good ones untouched."""
    made = []
    for _ in range(draw(st.integers(1, 8))):
        good = draw(st.booleans())
        form = draw(st.sampled_from(["block", "json"]))
        answers: dict[str, Any] = draw(answer_sets(KB) if good else mutated_sets(KB))
        text = dump(document(answers), form)
        if not good and draw(st.booleans()):
            text = draw(text_mutations(text))
        made.append((good, ".json" if form == "json" else ".yaml", text))
    return made


@given(made=inputs(), jsonl=st.booleans())
def test_every_good_input_is_evaluated_in_order(
    made: list[tuple[bool, str, str]], jsonl: bool
) -> None:
    with in_folder() as folder:
        if jsonl:
            lines = [
                (good and suffix == ".json", text if suffix == ".json" else json.dumps(None))
                for good, suffix, text in made
            ]
            lines = [(good, " ".join(text.splitlines())) for good, text in lines]
            write(folder, "sets.jsonl", "\n".join(text for _, text in lines))
            args = ["evaluate", "--input-format", "jsonl", "sets.jsonl", "--format", "jsonl"]
            names = {"sets.jsonl"}
            # A blank line holds no answer set.
            expected = [("sets.jsonl", good) for good, text in lines if text.encode().strip()]
        else:
            folder.joinpath("in").mkdir()
            for number, (_, suffix, text) in enumerate(made):
                write(folder / "in", f"p{number}{suffix}", text)
            args = ["evaluate", "in", "--format", "jsonl", "-o", "out.jsonl"]
            names = {f"in/p{n}{s}" for n, (_, s, _) in enumerate(made)} | {"out.jsonl"}
            expected = [(f"in/p{n}{s}", good) for n, (good, s, _) in enumerate(made)]
        result = runner.invoke(app, args)
        assert_clean_run(result, names)
        out = result.stdout if jsonl else (folder / "out.jsonl").read_text()
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["file"] for r in records] == [name for name, _ in expected]
        for record, (_, good) in zip(records, expected, strict=True):
            if good:
                assert "result" in record, record.get("error")
        if not jsonl:
            assert files_in(folder) == sorted(["in", "out.jsonl", *(n for n in names if "/" in n)])
