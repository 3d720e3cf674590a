"""Answers -> QuestionnaireResponse -> `consult evaluate`: the same result as the answer file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

import consult
from consult.answers.check import answers_document, check_mapping
from consult.bank.model import KnowledgeBase
from consult.batch.inputs import Item, read_item
from consult.engine.decide import evaluate
from consult.engine.scenarios import scenario_files
from consult.fhir.response import response
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SCENARIO_FILES = sorted(scenario_files([SCENARIOS]))
CONSULT = [sys.executable, "-m", "consult"]
AUTHORED = "2026-11-02T09:30:00+01:00"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def scenario_answers(path: Path) -> dict[str, Any]:
    return dict(read_yaml(path.read_text(encoding="utf-8"))["answers"] or {})


def result_of(kb: KnowledgeBase, path: Path) -> dict[str, Any]:
    return evaluate(kb, read_item(kb, Item(path.name, path=str(path)))).to_dict()


def write_pair(kb: KnowledgeBase, scenario: Path, folder: Path) -> tuple[Path, Path]:
    """The scenario as an answer file and, via its checked answers, as a response."""
    answer_file = folder / "answers" / f"{scenario.stem}.json"
    answer_file.parent.mkdir(exist_ok=True)
    doc = {"consult": 1, "patient": {"ref": "P-7"}, "answers": scenario_answers(scenario)}
    answer_file.write_text(json.dumps(doc), encoding="utf-8")
    checked = read_item(kb, Item(answer_file.name, path=str(answer_file)))
    resource = response(kb, checked.answers, checked.patient_ref, authored=AUTHORED)
    response_file = folder / "responses" / f"{scenario.stem}.json"
    response_file.parent.mkdir(exist_ok=True)
    response_file.write_text(json.dumps(resource), encoding="utf-8")
    return answer_file, response_file


def test_there_are_scenarios() -> None:
    assert len(SCENARIO_FILES) >= 40


@pytest.mark.parametrize("scenario", SCENARIO_FILES, ids=lambda p: p.stem)
def test_a_response_gives_the_answer_files_result(
    shipped: KnowledgeBase, scenario: Path, tmp_path: Path
) -> None:
    answer_file, response_file = write_pair(shipped, scenario, tmp_path)
    QuestionnaireResponse.model_validate_json(response_file.read_text(encoding="utf-8"))
    from_answers = result_of(shipped, answer_file)
    assert result_of(shipped, response_file) == from_answers
    checked = read_item(shipped, Item("r", path=str(response_file)))
    assert checked.patient_ref == "P-7"


def test_the_installed_command_agrees_on_every_scenario(
    shipped: KnowledgeBase, tmp_path: Path
) -> None:
    for scenario in SCENARIO_FILES:
        write_pair(shipped, scenario, tmp_path)

    def run(folder: str) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [*CONSULT, "evaluate", folder, "--format", "jsonl"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=True,
        )
        return [json.loads(line) for line in proc.stdout.splitlines()]

    answers, responses = run("answers"), run("responses")
    assert len(answers) == len(SCENARIO_FILES)
    assert [r["result"] for r in responses] == [a["result"] for a in answers]
    assert [r["file"] for r in responses] == [
        a["file"].replace("answers/", "responses/") for a in answers
    ]
    assert {r["patient_ref"] for r in responses} == {"P-7"}


def test_fhir_response_command_writes_what_evaluate_reads(tmp_path: Path) -> None:
    scenario = SCENARIOS / "hair-male-pattern-clean.yaml"
    checked = check_mapping(consult.load(), scenario_answers(scenario)).answers
    doc = answers_document(checked, "P-9")
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    subprocess.run(
        [*CONSULT, "fhir", "response", "a.yaml", "-o", "qr.json"], cwd=tmp_path, check=True
    )
    qr = json.loads((tmp_path / "qr.json").read_text(encoding="utf-8"))
    assert qr["status"] == "completed"
    assert (tmp_path / "qr.json").stat().st_mode & 0o077 == 0
    both = [
        subprocess.run(
            [*CONSULT, "evaluate", name, "--format", "json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for name in ("a.yaml", "qr.json")
    ]
    assert both[0] == both[1]
    assert json.loads(both[1])["candidates"]


def test_a_response_line_in_jsonl_is_read(shipped: KnowledgeBase, tmp_path: Path) -> None:
    scenario = SCENARIOS / "scar-keloid-refer.yaml"
    answer_file, response_file = write_pair(shipped, scenario, tmp_path)
    line = json.dumps(json.loads(response_file.read_text(encoding="utf-8")))
    (tmp_path / "sets.jsonl").write_text(f"{{}}\n{line}\n", encoding="utf-8")
    proc = subprocess.run(
        [*CONSULT, "evaluate", "--input-format", "jsonl", "sets.jsonl", "--format", "jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    records = [json.loads(x) for x in proc.stdout.splitlines()]
    assert records[1]["file"] == "sets.jsonl"
    assert records[1]["line"] == 2
    assert records[1]["result"] == result_of(shipped, answer_file)


def test_the_response_command_dates_the_answers(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump({"consult": 1, "answers": {"consent": True, "age": 40}}), encoding="utf-8"
    )
    given = [*CONSULT, "fhir", "response", "a.yaml", "--date", "2026-11-02"]
    proc = subprocess.run(given, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["authored"] == "2026-11-02"
    now = subprocess.run(given[:-2], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(now.stdout)["authored"][:2] == "20"
    QuestionnaireResponse.model_validate_json(now.stdout)
