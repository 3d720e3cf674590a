"""Damaged bank files through `consult validate`, damaged drafts through resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import consult
from consult.bank.model import KnowledgeBase
from consult.cli.main import app
from consult.errors import ConsultError
from consult.intake.draft import DraftWriter, read_draft
from tests.conftest import DATA
from tests.fuzz.checks import assert_clean_run
from tests.fuzz.strategies import NASTY_CHARS, text_mutations
from tests.fuzz.test_answer_files import in_folder

pytestmark = pytest.mark.fuzz
KB: KnowledgeBase = consult.load(DATA / "questions", DATA / "rules")
runner = CliRunner()
BANK_FILES = sorted(
    [p for p in (DATA / "questions").glob("*.yaml")] + [p for p in (DATA / "rules").glob("*.yaml")]
)


@given(data=st.data(), target=st.sampled_from(BANK_FILES))
def test_damaged_bank_files_are_reported_in_located_lines(
    data: st.DataObject, target: Path
) -> None:
    text = data.draw(text_mutations(target.read_text(encoding="utf-8")))
    with in_folder() as folder:
        for kind in ("questions", "rules"):
            shutil.copytree(DATA / kind, folder / kind)
        damaged = folder / target.parent.name / target.name
        damaged.write_bytes(text.encode("utf-8", "surrogatepass"))
        result = runner.invoke(app, ["validate", "--questions", "questions", "--rules", "rules"])
        names = {f"{kind}/{p.name}" for kind in ("questions", "rules") for p in BANK_FILES}
        names |= {"questions", "rules"}
        assert_clean_run(result, names)
        assert result.exit_code in (0, 1, 2)


@st.composite
def damaged_drafts(draw: st.DrawFn, good: str) -> bytes:
    how = draw(st.sampled_from(["truncate", "flip", "json", "nasty"]))
    data = good.encode()
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "nasty":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.text(NASTY_CHARS, min_size=1)).encode() + data[at:]
    doc = json.loads(good)
    key = draw(st.sampled_from(sorted(doc)))
    doc[key] = draw(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=10), inner, max_size=3)
            ),
            max_leaves=8,
        )
    )
    return json.dumps(doc).encode()


def _good_draft(folder: Path) -> str:
    path = folder / "good.json"
    writer = DraftWriter(path, KB)
    writer.create()
    answers = {"age": 44, "sex": "male", "concerns": ["hair_loss"], "notes": "x"}
    writer.save({k: v for k, v in answers.items() if k in KB.by_id}, (), "P-1")
    return path.read_text()


@given(data=st.data())
def test_damaged_drafts_are_refused_or_read_never_a_bug(data: st.DataObject) -> None:
    with in_folder() as folder:
        damaged = data.draw(damaged_drafts(_good_draft(folder)))
        path = folder / "draft.json"
        path.write_bytes(damaged)
        try:
            draft = read_draft(path, KB)
        except ConsultError as exc:
            assert "\n" not in str(exc)
            assert str(exc).startswith("draft.json: ")
        else:
            for qid in draft.answers:
                assert qid in KB.by_id
