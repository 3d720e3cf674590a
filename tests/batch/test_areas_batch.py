"""Batch runs with treatment areas: JSONL, JSON, CSV and markdown take the new form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import consult
from consult.answers.read import read_answers, read_line
from consult.cli.main import app
from consult.errors import InvalidAnswers
from tests.conftest import read_yaml
from tests.engine.test_areas import CLEAR_SITE, FACE_CLEAR, PATIENT, SCALP_INFECTED

DOC = {"consult": 1, "answers": {**PATIENT, "areas": [SCALP_INFECTED, FACE_CLEAR]}}


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["evaluate", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_jsonl_lines_with_areas() -> None:
    bad = {**PATIENT, "areas": [FACE_CLEAR, {"site": "face", "active_keloid_in_area": 3}]}
    lines = [json.dumps(DOC), json.dumps({**PATIENT, **CLEAR_SITE}), json.dumps(bad)]
    status, out, err = invoke("--input-format", "jsonl", "-", "-f", "jsonl", stdin="\n".join(lines))
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    excluded = {e["procedure"]: e for e in records[0]["result"]["excluded"]}
    assert excluded["prp_scalp"]["reasons"][0]["area"] == "scalp"
    assert "prp_acne_scar" in {c["procedure"] for c in records[0]["result"]["candidates"]}
    assert "prp_scalp" in {c["procedure"] for c in records[1]["result"]["candidates"]}
    assert err.splitlines()[0].startswith("<stdin>:3:")
    assert "'areas[2].site': 'face' is given twice" in err
    assert "'areas[2].active_keloid_in_area': expected true or false; got 3" in err


def test_csv_and_json_from_an_answer_file_with_areas(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    status, out, _ = invoke(str(path), "-f", "csv")
    assert status == 0
    row = out.splitlines()[1].split(",")
    assert "prp_scalp" in row[4].split() and "prp_acne_scar" in row[3].split()
    status, out, _ = invoke(str(path), "-f", "json")
    assert status == 0
    assert json.loads(out) == consult.evaluate(consult.load(), DOC["answers"]).to_dict()


def test_a_summary_names_the_area(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    result = CliRunner().invoke(app, ["export", str(path), "-o", "-", "--date", "2026-12-05"])
    assert result.exit_code == 0, result.stderr
    assert "- PRP injections into the scalp: Scalp area: Infection" in result.stdout
    assert "### Treatment areas" in result.stdout
    assert "- Scalp area\n  - Infection or active skin disease" in result.stdout


@pytest.mark.parametrize(
    "text",
    [
        '{"consult": 1, "answers": {"areas": [{"site": "face", "site": "neck"}]}}',
        '{"areas": [{"site": "face"}, {"site": "face"}]}',
    ],
)
def test_the_fast_readers_leave_problems_to_the_validator(text: str) -> None:
    kb = consult.load()
    with pytest.raises(InvalidAnswers) as fast:
        read_line(kb, text.encode(), "x.jsonl", 4)
    assert all(p.source.line == 4 for p in fast.value.problems)
    assert fast.value.problems


YAML_AREAS = [
    "  areas:\n    - site: scalp\n      active_infection_at_site: true\n    - site: face\n",
    "  areas:\n  - {site: scalp, active_infection_at_site: true}\n  - {site: face}\n",
]


@pytest.mark.parametrize("areas", YAML_AREAS)
def test_areas_read_alike_from_yaml_and_json(areas: str) -> None:
    kb = consult.load()
    text = "consult: 1\nanswers:\n  smoker: false\n" + areas
    found = read_answers(kb, text, "a.yaml").answers
    assert found["areas"].keys() == ("scalp", "face")  # type: ignore[union-attr]
    as_json = json.dumps({"consult": 1, "answers": read_yaml(text)["answers"]})
    assert read_answers(kb, as_json, "a.json", json=True).answers == found
