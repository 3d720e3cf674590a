"""Batch output a script can rely on: one JSON shape, one name for the input, the CSV's columns."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import consult
from consult.bank.model import KnowledgeBase
from consult.batch.cells import COLUMNS
from consult.batch.inputs import Item, read_input
from consult.cli.main import app
from consult.cli.shipped import shipped
from consult.engine.decide import evaluate
from consult.errors import display_path
from consult.output.plan import positive_findings
from tests.conftest import read_yaml

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SAMPLES = Path(consult.__file__).parent / "samples"
HAIR = SAMPLES / "hair-loss-male.yaml"
SCARS = SAMPLES / "scars-face-and-back.yaml"
ACNE = SAMPLES / "acne-scarring.yaml"


@pytest.fixture(scope="module")
def shipped_kb() -> KnowledgeBase:
    return consult.load()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["evaluate", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


# ---- one JSON shape ---------------------------------------------------------------------


def folder_of(tmp_path: Path, name: str, *files: Path) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder


def test_a_file_named_alone_gives_the_contracts_bare_result() -> None:
    status, out, _ = run(str(HAIR), "-f", "json")
    assert status == 0
    result = json.loads(out)
    assert isinstance(result, dict)
    assert {"candidates", "excluded", "referrals", "unknown", "knowledge_base"} <= result.keys()
    status, piped, _ = run("-", "-f", "json", stdin=HAIR.read_text())
    assert (status, json.loads(piped)) == (0, result)


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_a_folder_gives_an_array_of_records_whatever_its_size(tmp_path: Path, count: int) -> None:
    folder = folder_of(tmp_path, "answers", *[HAIR, SCARS, ACNE][:count])
    status, out, _ = run(str(folder), "-f", "json")
    assert status == 0
    records = json.loads(out)
    assert isinstance(records, list)
    assert len(records) == count
    for record, path in zip(records, sorted([HAIR, SCARS, ACNE][:count]), strict=True):
        assert list(record) == ["file", "patient_ref", "result"]
        assert record["file"].endswith(f"answers/{path.name}")
        _, alone, _ = run(str(path), "-f", "json")
        assert record["result"] == json.loads(alone)


def test_several_files_give_an_array_even_with_one_of_them_missing(tmp_path: Path) -> None:
    status, out, _ = run(str(HAIR), str(tmp_path / "gone.yaml"), "-f", "json")
    assert status == 1
    records = json.loads(out)
    assert [("result" in r, "error" in r) for r in records] == [(True, False), (False, True)]


def test_jsonl_input_of_one_line_gives_an_array(tmp_path: Path) -> None:
    (tmp_path / "one.jsonl").write_text('{"age": 40, "concerns": ["hair_loss"]}\n')
    status, out, _ = run("--input-format", "jsonl", str(tmp_path / "one.jsonl"), "-f", "json")
    assert status == 0
    assert [r["line"] for r in json.loads(out)] == [1]


# ---- one name for the input -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "table", "jsonl", "json"])
def test_every_format_names_the_input_file(tmp_path: Path, fmt: str) -> None:
    folder = folder_of(tmp_path, "answers", HAIR, ACNE)
    status, out, _ = run(str(folder), "-f", fmt)
    assert status == 0
    if fmt in ("csv", "table"):
        rows = list(csv.reader(io.StringIO(out), delimiter="," if fmt == "csv" else "\t"))
        assert rows[0][0] == "file"
        names = [row[0] for row in rows[1:]]
        assert "source" not in rows[0]
    else:
        records = json.loads(out) if fmt == "json" else [json.loads(x) for x in out.splitlines()]
        names = [r["file"] for r in records]
    assert [Path(n).name for n in names] == ["acne-scarring.yaml", "hair-loss-male.yaml"]


# ---- the CSV a spreadsheet user needs ----------------------------------------------------


def csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_csv_rows_carry_certainty_caveats_findings_open_questions_and_areas() -> None:
    scenario = SCENARIOS / "areas-scalp-steroid-face-unanswered.yaml"
    status, out, _ = run(str(SCARS), str(scenario), "-f", "csv")
    assert status == 0
    scars, steroid = csv_rows(out)
    assert tuple(scars) == COLUMNS
    assert scars["candidates"] == "prp_scar micrograft_scar"
    assert scars["certainty"] == "prp_scar:very_low micrograft_scar:very_low"
    assert scars["with_caveats"] == "prp_scar micrograft_scar"
    assert scars["positive_safety_answers"] == (
        "Back area: Is there an active keloid or hypertrophic scar "
        "(growing, red, itchy or painful) in the area to be treated?"
    )
    assert scars["areas"] == (
        "face (scars): candidates prp_scar micrograft_scar | "
        "back (scars): excluded prp_scar micrograft_scar; referrals refer_dermatology"
    )
    assert scars["open_questions"] == ""
    assert "face:" in steroid["open_questions"]
    assert steroid["areas"].startswith("scalp (hair_loss): ")


def test_csv_answer_columns_hold_one_row_per_consultation(shipped_kb: KnowledgeBase) -> None:
    status, out, _ = run(str(SCARS), str(HAIR), "-f", "csv", "--answers")
    assert status == 0
    scars, hair = csv_rows(out)
    assert list(scars)[len(COLUMNS) :] == [
        *(f"answers.{q.id}" for q in shipped_kb.questions if q.id != "site"),
        "answers.areas",
    ]
    assert (scars["answers.age"], scars["answers.sex"], scars["answers.smoker"]) == (
        "60",
        "female",
        "false",
    )
    assert scars["answers.concerns"] == "scars"
    assert scars["answers.areas"].startswith("face: concerns=scars scar_type=surgical ")
    assert "| back: concerns=scars scar_type=keloid " in scars["answers.areas"]
    assert hair["answers.norwood_stage"] == ""  # answered in the scalp area, not for the patient
    assert "norwood_stage=3" in hair["answers.areas"]


def test_answers_are_for_csv_and_table_only() -> None:
    status, out, err = run(str(HAIR), str(ACNE), "-f", "jsonl", "--answers")
    assert (status, out) == (2, "")
    assert err == "--answers adds the answers to csv and table rows; use -f csv or table\n"


def test_a_failed_input_has_its_row_with_empty_answer_cells(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("consult: 1\nanswers: {age: 300}\n")
    status, out, _ = run(str(HAIR), str(tmp_path / "bad.yaml"), "-f", "csv", "--answers")
    assert status == 1
    good, bad = list(csv.reader(io.StringIO(out)))[1:]
    assert len(good) == len(bad)
    assert bad[len(COLUMNS) - 1].endswith("'age': expected a whole number from 0 to 120; got 300")
    assert set(bad[3 : len(COLUMNS) - 1] + bad[len(COLUMNS) :]) == {""}


def test_the_shipped_scenarios_csv_says_who_had_a_finding_or_an_open_question(
    shipped_kb: KnowledgeBase,
) -> None:
    folder = shipped("scenarios")
    assert folder is not None
    status, out, _ = run(str(folder), "-f", "csv")
    assert status == 0
    rows = csv_rows(out)
    found = {
        Path(r["file"]).name for r in rows if r["positive_safety_answers"] or r["open_questions"]
    }
    expected = set()
    for path in sorted(folder.glob("*.yaml")):
        answers = read_input(shipped_kb, Item(path.name, path=str(path))).answers
        result = evaluate(shipped_kb, answers)
        if positive_findings(result, shipped_kb) or result.unknown:
            expected.add(path.name)
    assert found == expected
    assert 0 < len(found) < len(rows)
    assert "safety-pregnant-all-excluded.yaml" in found
    assert "hair-male-pattern-clean.yaml" not in found


# ---- scenario files ------------------------------------------------------------------------


def test_a_scenario_file_has_its_answers_evaluated_and_says_so(tmp_path: Path) -> None:
    scenario = SCENARIOS / "scar-surgical-clean.yaml"
    status, out, err = run(str(scenario), "-f", "json")
    assert status == 0
    assert err == (
        f"note: {display_path(scenario)} is a scenario file: its answers were evaluated; "
        "consult test checks its expectations\n"
    )
    import yaml

    answers = read_yaml(scenario.read_text())["answers"]
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({"consult": 1, "answers": answers}))
    _, same, quiet = run(str(plain), "-f", "json")
    assert (json.loads(out), quiet) == (json.loads(same), "")


def test_a_folder_of_scenarios_is_noted_once(tmp_path: Path) -> None:
    folder = folder_of(
        tmp_path,
        "mixed",
        SCENARIOS / "scar-keloid-refer.yaml",
        SCENARIOS / "burn-acute-child.yaml",
        HAIR,
    )
    status, out, err = run(str(folder), "-f", "jsonl")
    assert status == 0
    assert len(out.splitlines()) == 3
    assert err == (
        "note: 2 of 3 inputs are scenario files: their answers were evaluated; "
        "consult test checks their expectations\n"
    )


def test_a_bad_scenario_file_is_reported_at_its_answers(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("description: x\nanswers:\n  age: 300\nexpect: {}\n")
    status, out, err = run(str(bad))
    assert (status, out) == (2, "")
    assert (
        err == f"{display_path(bad)}:3:8: 'age': expected a whole number from 0 to 120; got 300\n"
    )


def test_a_file_that_is_no_scenario_keeps_its_problems(tmp_path: Path) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text("answers:\n  age: 40\nexpected: {}\n")
    status, _, err = run(str(odd))
    assert status == 2
    assert "scenario" not in err
    assert f"{display_path(odd)}:3:1: unknown key 'expected'" in err
