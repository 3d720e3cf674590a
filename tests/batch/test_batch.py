from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pexpect
import pytest
from typer.testing import CliRunner

import consult.batch.pool
from consult.answers.read import read_file
from consult.bank.loader import load
from consult.bank.model import KnowledgeBase
from consult.batch.cells import COLUMNS
from consult.batch.formats import JsonRecords
from consult.batch.inputs import Item, iter_inputs, read_item
from consult.batch.pool import Pairs, evaluate_inputs
from consult.batch.run import Env, Options, evaluate_command
from consult.batch.writers import RecordWriter
from consult.cli.main import app
from consult.engine.decide import evaluate
from consult.errors import InvalidAnswers, display_path
from tests.batch.test_batch_stop import ended, many_lines, started_to_file

DATA = Path(__file__).parent.parent / "data"
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
ANSWERS = DATA / "answers"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(DATA / "questions", DATA / "rules")


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of good and bad answer files, with the working folder beside it."""
    shutil.copytree(ANSWERS, tmp_path / "answers")
    monkeypatch.chdir(tmp_path)
    return Path("answers")


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["evaluate", *args, *BANK], input=stdin)
    return result.exit_code, result.stdout, result.stderr


MIXED_ERRORS = [
    "answers/bad-json.json:2:24: invalid JSON: Expecting property name enclosed in double quotes",
    "answers/bad-syntax.yaml:4:6: invalid YAML: did not find expected ',' or ']'",
    "answers/bad-values.yaml:3:8: 'age': expected a whole number from 0 to 120; got 300",
    "answers/bad-values.yaml:4:8: 'sex': expected one of female, male, other; got \"robot\"",
    "answers/bad-values.yaml:5:12: unknown question 'concern' (did you mean 'concerns'?)",
]
MIXED_WARNING = (
    "warning: answers/warn-switched-off.yaml:5:22: 'hair_loss_pattern' does not apply to "
    "these answers (switched off by earlier answers); ignored"
)
MIXED_ORDER = [
    "answers/bad-json.json",
    "answers/bad-syntax.yaml",
    "answers/bad-values.yaml",
    "answers/good-hair-male.yaml",
    "answers/good-patchy.yaml",
    "answers/good-scars.json",
    "answers/warn-switched-off.yaml",
]


# ---- the mixed batch, in every format ----------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_mixed_batch_evaluates_every_good_file_and_exits_1(mixed: Path, jobs: str) -> None:
    status, out, err = invoke(str(mixed), "--format", "jsonl", "--jobs", jobs)
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == MIXED_ORDER
    assert ["result" in r for r in records] == [False, False, False, True, True, True, True]
    assert err.splitlines() == [
        *MIXED_ERRORS,
        MIXED_WARNING,
        "3 of 7 answer sets could not be evaluated",
    ]


def test_error_records_carry_every_problem_in_place(mixed: Path) -> None:
    _, out, _ = invoke(str(mixed), "--format", "jsonl")
    record = json.loads(out.splitlines()[2])
    assert record == {
        "file": "answers/bad-values.yaml",
        "patient_ref": None,
        "error": "\n".join(MIXED_ERRORS[2:]),
        "problems": [
            {"line": 3, "column": 8, "message": MIXED_ERRORS[2].split(": ", 1)[1]},
            {"line": 4, "column": 8, "message": MIXED_ERRORS[3].split(": ", 1)[1]},
            {"line": 5, "column": 12, "message": MIXED_ERRORS[4].split(": ", 1)[1]},
        ],
    }


def test_good_records_hold_the_contract_result(mixed: Path) -> None:
    _, out, _ = invoke(str(mixed), "--format", "jsonl")
    record = json.loads(out.splitlines()[3])
    assert record["patient_ref"] == "P-0042"
    expected = single_json(Path("answers/good-hair-male.yaml"))
    assert record["result"] == expected


def single_json(path: Path) -> object:
    status, out, _ = invoke(str(path), "--format", "json")
    assert status == 0
    return json.loads(out)


def test_json_for_several_inputs_is_an_array_of_records(mixed: Path) -> None:
    status, out, _ = invoke(str(mixed), "--format", "json")
    assert status == 1
    assert [r["file"] for r in json.loads(out)] == MIXED_ORDER


@pytest.mark.usefixtures("mixed")
def test_json_for_one_input_is_the_contract_result() -> None:
    result = single_json(Path("answers/good-patchy.yaml"))
    assert isinstance(result, dict)
    assert [e["procedure"] for e in result["excluded"]] == ["prp_scalp", "micrograft_scalp"]
    assert result["referrals"][0]["id"] == "refer_dermatology"


def test_csv_has_one_row_per_input(mixed: Path) -> None:
    status, out, _ = invoke(str(mixed), "--format", "csv")
    assert status == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["file"] for r in rows] == MIXED_ORDER
    assert rows[3] == {
        "file": "answers/good-hair-male.yaml",
        "line": "",
        "patient_ref": "P-0042",
        "candidates": "prp_scalp micrograft_scalp",
        "excluded": "",
        "referrals": "",
        "undetermined": "",
        "certainty": "prp_scalp:low micrograft_scalp:very_low",
        "with_caveats": "prp_scalp micrograft_scalp",
        "positive_safety_answers": "Anticoagulants or antiplatelets?",
        "open_questions": "",
        "areas": "",
        "information": "",
        "warnings": "",
        "error": "",
    }
    assert rows[4]["referrals"] == "refer_dermatology"
    assert rows[2]["error"] == "; ".join(MIXED_ERRORS[2:])


def test_csv_defuses_cells_a_spreadsheet_would_run(tmp_path: Path) -> None:
    doc = '{"consult": 1, "patient": {"ref": "=HYPERLINK(\\"x\\")"}, "answers": {"age": 3}}'
    (tmp_path / "p.json").write_text(doc)
    _, out, _ = invoke(str(tmp_path / "p.json"), "--format", "csv")
    assert list(csv.reader(io.StringIO(out)))[1][2] == '\'=HYPERLINK("x")'


def test_table_in_a_pipe_is_plain_tab_separated_lines(mixed: Path) -> None:
    status, out, _ = invoke(str(mixed))
    assert status == 1
    lines = out.splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    assert lines[4].split("\t")[:8] == [
        "answers/good-hair-male.yaml",
        "",
        "P-0042",
        "prp_scalp micrograft_scalp",
        "",
        "",
        "",
        "prp_scalp:low micrograft_scalp:very_low",
    ]


def test_markdown_writes_one_summary_per_good_input(mixed: Path) -> None:
    status, _, err = invoke(str(mixed), "-f", "markdown", "-o", "out", "--date", "2026-11-02")
    assert status == 1
    assert sorted(p.name for p in Path("out").iterdir()) == [
        "good-hair-male.md",
        "good-patchy.md",
        "good-scars.md",
        "warn-switched-off.md",
    ]
    assert err.splitlines()[-2:] == [
        "wrote 4 summaries to out",
        "3 of 7 answer sets could not be evaluated",
    ]
    assert Path("out").stat().st_mode & 0o777 == 0o700
    assert Path("out/good-patchy.md").stat().st_mode & 0o777 == 0o600
    exported = CliRunner().invoke(
        app, ["export", "answers/good-patchy.yaml", "-o", "-", "--date", "2026-11-02", *BANK]
    )
    assert Path("out/good-patchy.md").read_text() == exported.stdout


def test_markdown_records_name_the_clinician_and_other_formats_read_no_config(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSULT_CLINICIAN", "Dr Ana Silva")
    invoke(str(mixed), "-f", "markdown", "-o", "out", "--date", "2026-11-02")
    assert "\n- Clinician: Dr Ana Silva\n" in Path("out/good-patchy.md").read_text()
    invoke("answers/good-patchy.yaml", "-o", "one.md", "--date", "2026-11-02")
    assert "\n- Clinician: Dr Ana Silva\n" in Path("one.md").read_text()
    monkeypatch.delenv("CONSULT_CLINICIAN")
    Path("config.yaml").write_text("clinician: [\n")
    monkeypatch.setenv("CONSULT_CONFIG", "config.yaml")
    status, _, _ = invoke("answers/good-patchy.yaml", "-f", "csv")
    assert status == 0


@pytest.mark.usefixtures("mixed")
def test_markdown_names_repeated_stems_apart() -> None:
    Path("more").mkdir()
    shutil.copy("answers/good-patchy.yaml", "more/good-patchy.yaml")
    status, _, _ = invoke("answers/good-patchy.yaml", "more", "-f", "markdown", "-o", "out")
    assert status == 0
    assert sorted(p.name for p in Path("out").iterdir()) == ["good-patchy-2.md", "good-patchy.md"]


def test_markdown_into_an_existing_folder_refuses_to_replace(mixed: Path) -> None:
    Path("out").mkdir()
    Path("out/good-patchy.md").write_text("old")
    status, _, err = invoke(str(mixed), "-f", "markdown", "-o", "out")
    assert status == 2
    assert err.splitlines()[-1] == "out/good-patchy.md: already exists (use --force to replace it)"
    assert [p.name for p in Path("out").iterdir()] == ["good-patchy.md"]
    assert Path("out/good-patchy.md").read_text() == "old"
    assert [p.name for p in Path().iterdir() if p.name.startswith(".")] == []
    status, _, _ = invoke(str(mixed), "-f", "markdown", "-o", "out", "--force")
    assert status == 1
    assert len(list(Path("out").iterdir())) == 4


# ---- stdin and JSONL ---------------------------------------------------------------

JSONL = '{"consult": 1, "patient": {"ref": "A"}, "answers": {"age": 30}}\n\n{"age": 41, "sex": "male"}\n{"age": "x"}\n{"age": 4, "age": 5}\nnot json\n{"consult": 1, "answers": {"age": 3, "concerns": ["scars"], "hair_loss_pattern": "patchy"}}\n[1]\n{"answers": {}}'


def test_jsonl_from_stdin_reports_lines() -> None:
    status, out, err = invoke("--input-format", "jsonl", "-", "-f", "jsonl", stdin=JSONL + "\n")
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["file"], r["line"], "result" in r) for r in records] == [
        ("<stdin>", 1, True),
        ("<stdin>", 3, True),
        ("<stdin>", 4, False),
        ("<stdin>", 5, False),
        ("<stdin>", 6, False),
        ("<stdin>", 7, True),
        ("<stdin>", 8, False),
        ("<stdin>", 9, False),
    ]
    assert records[0]["patient_ref"] == "A"
    assert err.splitlines() == [
        "<stdin>:4:9: 'age': expected a whole number from 0 to 120; got \"x\"",
        "<stdin>:5:12: duplicate key 'age' (first at line 5)",
        "<stdin>:6:1: invalid JSON: Expecting value",
        (
            "warning: <stdin>:7:82: 'hair_loss_pattern' does not apply to these answers "
            "(switched off by earlier answers); ignored"
        ),
        "<stdin>:8:1: expected a mapping, got a list",
        "<stdin>:9:1: missing key 'consult'",
        "5 of 8 answer sets could not be evaluated",
    ]


REPEATS = [
    # (line, column and key of the repeat): at every depth, next to colons in strings
    ('{"consult": 1, "answers": {"age": 30, "notes": "10:30 slot", "age": 31}}', 62, "age"),
    ('{"answers": {"age": 30}, "answers": {"age": 31}, "consult": 1}', 26, "answers"),
    ('{"consult": 1, "consult": 1, "answers": {"age": 30}}', 16, "consult"),
    ('{"age": 30, "concerns": ["scars"], "age": 30}', 36, "age"),
    ('{"consult": 1, "answers": {"concerns": [{"x": 1, "x": 2}]}}', 50, "x"),
    ('{"consult": 1, "answers": {"age": 30}, "patient": {"ref": "A", "ref": "B"}}', 64, "ref"),
    ('{"consult" : 1, "answers": {"age": 30, "age" : 30}}', 40, "age"),
]


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_repeated_keys_are_found_wherever_they_are(tmp_path: Path, suffix: str) -> None:
    # json.loads keeps the last of a repeated key without a word: every repeat
    # must still be reported, whichever way the line is parsed.
    fine = '{"consult": 1, "answers": {"age": 30, "notes": "at 10:30, \\"a\\": b"}}'
    if suffix == ".jsonl":
        Path(tmp_path / "in.jsonl").write_text("\n".join([fine] + [r[0] for r in REPEATS]))
        args = ["--input-format", "jsonl", str(tmp_path / "in.jsonl")]
        expected = [
            f"{tmp_path / 'in.jsonl'}:{n}:{col}: duplicate key '{key}' (first at line {n})"
            for n, (_, col, key) in enumerate(REPEATS, start=2)
        ]
    else:
        for n, text in enumerate([fine] + [r[0] for r in REPEATS]):
            Path(tmp_path / f"{n}.json").write_text(text)
        args = [str(tmp_path)]
        expected = [
            f"{tmp_path / f'{n}.json'}:1:{col}: duplicate key '{key}' (first at line 1)"
            for n, (_, col, key) in enumerate(REPEATS, start=1)
        ]
    status, out, err = invoke(*args, "-f", "jsonl")
    assert status == 1
    records = [json.loads(line) for line in out.splitlines()]
    assert "result" in records[0]
    assert [
        r["line"] if suffix == ".jsonl" else r["file"][-6:] for r in records if "result" in r
    ] == [1 if suffix == ".jsonl" else "0.json"]
    assert sorted(err.splitlines()[:-1]) == sorted(expected)


def test_jsonl_files_and_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sets").mkdir()
    Path("sets/a.jsonl").write_text('{"age": 30}\n{"age": 31}\n')
    Path("sets/b.jsonl").write_bytes(b'{"age": 32}\n\xff\n')
    Path("sets/ignored.yaml").write_text("consult: 1\nanswers: {}\n")
    status, out, err = invoke("--input-format", "jsonl", "sets", "-f", "csv")
    assert status == 1
    rows = list(csv.reader(io.StringIO(out)))[1:]
    assert [(r[0], r[1]) for r in rows] == [
        ("sets/a.jsonl", "1"),
        ("sets/a.jsonl", "2"),
        ("sets/b.jsonl", "1"),
        ("sets/b.jsonl", "2"),
    ]
    assert err.splitlines()[0] == "sets/b.jsonl:2:1: not UTF-8 text (byte 0 cannot be decoded)"


def test_yaml_from_stdin() -> None:
    text = (ANSWERS / "good-hair-male.yaml").read_text()
    status, out, _ = invoke("-", "-f", "jsonl", stdin=text)
    assert status == 0
    assert json.loads(out)["file"] == "<stdin>"


def test_one_bad_input_given_alone_exits_2() -> None:
    status, out, err = invoke("-", "-f", "json", stdin="consult: 1\nanswers: {age: 500}\n")
    assert (status, out) == (2, "")
    assert err == "<stdin>:2:16: 'age': expected a whole number from 0 to 120; got 500\n"


@pytest.mark.usefixtures("mixed")
def test_a_missing_file_is_an_error_record() -> None:
    status, out, err = invoke("nowhere.yaml", "answers/good-scars.json", "-f", "jsonl")
    assert status == 1
    first = json.loads(out.splitlines()[0])
    assert first["error"] == "nowhere.yaml: no such file"
    assert first["problems"] == [{"line": None, "column": None, "message": "no such file"}]
    assert err.splitlines()[0] == "nowhere.yaml: no such file"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "text"], "--format text shows one answer set; for several use table, jsonl or csv"),
        (["-f", "markdown"], "--format markdown for several answer sets needs -o FOLDER"),
    ],
)
def test_usage_errors(mixed: Path, args: list[str], message: str) -> None:
    status, out, err = invoke(str(mixed), *args)
    assert (status, out, err) == (2, "", message + "\n")


def test_an_unknown_format_is_a_usage_error() -> None:
    status, _, err = invoke("x.yaml", "-f", "xml")
    assert status == 2
    assert "'xml' is not one of text, table, json, jsonl, csv, markdown" in err


# ---- output files ------------------------------------------------------------------


def test_output_file_is_owner_only_and_never_replaced_without_force(mixed: Path) -> None:
    status, out, _ = invoke(str(mixed), "-f", "jsonl", "-o", "out.jsonl")
    assert (status, out) == (1, "")
    assert Path("out.jsonl").stat().st_mode & 0o777 == 0o600
    assert len(Path("out.jsonl").read_text().splitlines()) == 7
    Path("out.jsonl").write_text("old\n")
    status, _, err = invoke(str(mixed), "-f", "jsonl", "-o", "out.jsonl")
    assert (status, err) == (2, "out.jsonl: already exists (use --force to replace it)\n")
    assert Path("out.jsonl").read_text() == "old\n"
    status, _, _ = invoke(str(mixed), "-f", "jsonl", "-o", "out.jsonl", "--force")
    assert len(Path("out.jsonl").read_text().splitlines()) == 7


def test_a_run_that_fails_midway_leaves_the_old_file(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("out.csv").write_text("old\n")
    import consult.batch.formats

    calls, original = 0, consult.batch.formats.csv_line

    def failing(cells: Sequence[str]) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return original(cells)

    monkeypatch.setattr(consult.batch.formats, "csv_line", failing)
    status, _, err = invoke(str(mixed), "-f", "csv", "-o", "out.csv", "--force", "-j", "1")
    assert status == 130
    assert err.splitlines()[-1] == "Interrupted."
    assert Path("out.csv").read_text() == "old\n"
    assert sorted(p.name for p in Path().iterdir()) == ["answers", "out.csv"]


def test_a_run_stopped_midway_keeps_the_records_it_made_on_stdout(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import consult.batch.formats

    calls, original = 0, consult.batch.formats.csv_line

    def failing(cells: Sequence[str]) -> str:
        nonlocal calls
        calls += 1
        if calls == 4:  # the header, two records, then Ctrl-C
            raise KeyboardInterrupt
        return original(cells)

    monkeypatch.setattr(consult.batch.formats, "csv_line", failing)
    status, out, err = invoke(str(mixed), "-f", "csv", "-j", "1")
    assert status == 130
    assert err.splitlines()[-1] == "Interrupted."
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[0] for r in rows] == ["file", *MIXED_ORDER[:2]]


class Writes(io.BytesIO):
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return super().write(data)


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv"])
def test_records_are_written_whole_and_in_batches(kind: str) -> None:
    out = Writes()
    writer = RecordWriter(out, kind, COLUMNS)
    records = [b'{"n":%d,"pad":"%s"}' % (n, b"x" * (n * 97 % 9000)) for n in range(200)]
    for record in records:
        writer.add(record)
    writer.close()
    if kind == "json":
        assert [r["n"] for r in json.loads(out.getvalue())] == list(range(200))
    else:
        body = out.getvalue().split(b"\n")
        assert body[-1] == b""
        assert body[1 if kind == "csv" else 0 : -1] == records
    assert 1 < len(out.writes) < 200 / 8  # batches of many records
    ends = (b"\n",) if kind != "json" else (b"}", b"]\n")
    assert all(w.endswith(ends) for w in out.writes)  # never a record cut between writes


# ---- streaming and order -------------------------------------------------------------


def test_the_pool_keeps_input_order_and_reads_inputs_lazily(kb: KnowledgeBase) -> None:
    pulled = 0

    def endless() -> Iterator[Item]:
        nonlocal pulled
        while True:
            pulled += 1
            yield Item("<stdin>", pulled, data=b'{"age": %d}' % (pulled % 150))

    outcomes = evaluate_inputs(kb, endless(), JsonRecords(), jobs=2)
    seen = [json.loads(next(outcomes)[1].output)["line"] for _ in range(1000)]
    outcomes.close()
    assert seen == list(range(1, 1001))
    assert pulled < 1000 + 2 * 3 * 256 + 2 * 256  # a bounded window ahead, not everything


def batch_lines(count: int) -> str:
    """JSONL answer sets, every seventh one invalid (an error record and a message)."""
    rng = random.Random(11)
    lines = []
    for n in range(count):
        age = "x" if n % 7 == 3 else rng.randint(16, 90)
        lines.append(json.dumps({"age": age, "concerns": ["hair_loss"], "smoker": n % 2 == 0}))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_pooled_output_to_a_file_matches_one_job(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "s.jsonl").write_text(batch_lines(900))
    args = ("--input-format", "jsonl", str(tmp_path / "s.jsonl"), "-f", fmt)
    one = invoke(*args, "-j", "1", "-o", str(tmp_path / "one"))
    two = invoke(*args, "-j", "2", "-o", str(tmp_path / "two"))
    assert one == two  # the same status and messages (stdout is empty with -o)
    assert one[0] == 1
    assert (tmp_path / "two").read_bytes() == (tmp_path / "one").read_bytes()
    if fmt == "json":
        assert len(json.loads((tmp_path / "two").read_text())) == 900


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_pooled_output_to_a_pipe_matches_one_job(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "s.jsonl").write_text(batch_lines(700))
    outputs = []
    for jobs in ("1", "2"):
        source = str(tmp_path / "s.jsonl")
        command = [sys.executable, "-m", "consult", "evaluate", "--input-format", "jsonl"]
        done = subprocess.run(
            [*command, source, "-f", fmt, "-j", jobs, *BANK],
            capture_output=True,
            check=False,
        )
        outputs.append((done.returncode, done.stdout, done.stderr))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1
    assert outputs[0][1].count(b"\n") >= 700


def test_records_written_to_a_buffered_file_keep_what_was_written_around_them(
    tmp_path: Path,
) -> None:
    with (tmp_path / "out").open("wb") as out:
        out.write(b"head")  # still in the stream's buffer
        writer = RecordWriter(out, "jsonl")
        writer.add(b'{"a":1}')
        writer.flush()
        out.write(b"tail")
    assert (tmp_path / "out").read_bytes() == b'head{"a":1}\ntail'


def test_records_to_a_non_blocking_pipe_wait_for_room() -> None:
    records = [b'{"n":%d,"pad":"%s"}' % (n, os.urandom(3000).hex().encode()) for n in range(400)]
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(read_end, 65536):
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with open(write_end, "wb") as out:  # noqa: PTH123
        writer = RecordWriter(out, "jsonl")
        for record in records:  # far more than a pipe holds
            writer.add(record)
        writer.close()
    reader.join()
    os.close(read_end)
    assert bytes(received) == b"".join(r + b"\n" for r in records)


def test_records_to_a_closed_pipe_raise_broken_pipe() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "wb") as out, pytest.raises(BrokenPipeError):  # noqa: PTH123
        writer = RecordWriter(out, "jsonl")
        writer.add(b"x" * 100_000)
        writer.flush()


@pytest.mark.parametrize("count", [1, 15, 16, 100, 1000, 5000])
def test_chunks_grow_then_shrink_towards_the_end(count: int) -> None:
    items = [Item(str(n)) for n in range(count)]
    chunks = list(consult.batch.pool._chunks(iter(items), 16, 2))
    assert [i for chunk in chunks for i in chunk] == items
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= consult.batch.pool.MAX_CHUNK
    if count > 4 * consult.batch.pool.MAX_CHUNK:
        # the last items go out in chunks a quarter of the full size or less
        assert sizes[-4:] == sorted(sizes[-4:], reverse=True)
        assert max(sizes[-4:]) <= consult.batch.pool.MAX_CHUNK // 4
    one_job = [len(c) for c in consult.batch.pool._chunks(iter(items), 256, 1)]
    assert one_job == [256] * (count // 256) + ([count % 256] if count % 256 else [])


def test_jobs_do_not_change_the_output(tmp_path: Path) -> None:
    rng = random.Random(5)
    lines = [
        json.dumps({"age": rng.randint(-5, 130), "concerns": ["hair_loss"]}) for _ in range(600)
    ]
    (tmp_path / "s.jsonl").write_text("\n".join(lines) + "\n")
    args = ("--input-format", "jsonl", str(tmp_path / "s.jsonl"), "-f", "jsonl")
    one, two = invoke(*args, "-j", "1"), invoke(*args, "-j", "2")
    assert one == two
    assert len(one[1].splitlines()) == 600


def test_folders_are_walked_in_name_order_skipping_hidden(tmp_path: Path) -> None:
    for name in ["b/2.yaml", "b/1.yml", "a.json", ".hidden/x.yaml", "c/.x.yaml", "d.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    items = iter_inputs([str(tmp_path)], jsonl=False, stdin=io.BytesIO())
    names = [Path(i.path).relative_to(tmp_path).as_posix() for i in items]
    assert names == ["a.json", "b/1.yml", "b/2.yaml"]


# ---- the fast readers agree with the positioned validator ----------------------------


@pytest.mark.parametrize(
    "path", sorted(p for p in ANSWERS.iterdir() if p.name != "bad-json.json"), ids=str
)
def test_batch_reading_matches_the_answer_file_reader(kb: KnowledgeBase, path: Path) -> None:
    def outcome(read: object) -> object:
        try:
            return read()  # type: ignore[operator]
        except InvalidAnswers as exc:
            return [str(p) for p in exc.problems]

    name = path.name
    fast = outcome(lambda: read_item(kb, Item(name, path=str(path))))
    slow = outcome(lambda: read_file(kb, path, name))
    assert fast == slow


# ---- choices the command makes -------------------------------------------------------


def test_the_output_suffix_picks_the_format(mixed: Path) -> None:
    status, _, _ = invoke(str(mixed), "-o", "summary.csv")
    assert status == 1
    assert Path("summary.csv").read_text().startswith("file,line,patient_ref,")


@pytest.mark.usefixtures("mixed")
def test_one_summary_to_a_named_markdown_file() -> None:
    status, _, _ = invoke("answers/good-patchy.yaml", "-o", "one.md", "--date", "2026-11-02")
    assert status == 0
    assert Path("one.md").read_text().startswith("# Consultation record\n")


def test_an_empty_folder_is_not_an_error(tmp_path: Path) -> None:
    status, out, err = invoke(str(tmp_path), "-f", "csv")
    assert (status, err) == (0, f"{display_path(tmp_path)}: no answer sets found\n")
    assert out == ",".join(COLUMNS) + "\n"


def env_for(*, tty: bool) -> tuple[Env, dict[str, object]]:
    seen: dict[str, object] = {"progress": 0, "lines": []}

    def progress(pairs: Pairs) -> Pairs:
        seen["progress"] = 1
        return pairs

    def say(line: str) -> None:
        cast(list[str], seen["lines"]).append(line)

    env = Env(
        stdin=io.BytesIO(),
        stdout=io.BytesIO(),
        say=say,
        stdout_is_tty=tty,
        progress=progress,
        show_table=lambda names, rows: seen.update(names=names, rows=rows),
    )
    return env, seen


def test_a_terminal_gets_the_table_with_progress(kb: KnowledgeBase, mixed: Path) -> None:
    env, seen = env_for(tty=True)
    status = evaluate_command(kb, Options(paths=(str(mixed),)), env)
    assert status == 1
    rows = cast(list[list[str]], seen["rows"])
    assert seen["names"] == COLUMNS
    assert [r[0] for r in rows] == MIXED_ORDER
    assert rows[3][3] == "prp_scalp micrograft_scalp"
    assert seen["progress"] == 1


def test_no_progress_between_records_on_the_screen(kb: KnowledgeBase, mixed: Path) -> None:
    env, seen = env_for(tty=True)
    evaluate_command(kb, Options(paths=(str(mixed),), output_format="jsonl"), env)
    assert seen["progress"] == 0
    env, seen = env_for(tty=True)
    opts = Options(paths=(str(mixed),), output_format="jsonl", output=Path("out.jsonl"))
    evaluate_command(kb, opts, env)
    assert seen["progress"] == 1


def test_result_records_equal_the_contract_result(kb: KnowledgeBase) -> None:
    item = Item("a.yaml", path=str(ANSWERS / "good-hair-male.yaml"))
    answers = read_item(kb, item)
    result = evaluate(kb, answers)
    record = json.loads(JsonRecords().good(kb, item, answers))
    assert record == {"file": "a.yaml", "patient_ref": "P-0042", "result": result.to_dict()}
    odd = Item('dossier "é"\\n.jsonl', 7, data=b"{}")
    for ref in ("", 'Müller-\u2603 "7"'):
        record = {"file": odd.name, "line": 7, "patient_ref": ref or None}
        record["result"] = result.to_dict()
        text = JsonRecords().good(kb, odd, replace(answers, patient_ref=ref))
        assert text == json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    line = Item("s.jsonl", 7, data=b"{}")
    assert list(json.loads(JsonRecords().good(kb, line, answers)))[:3] == [
        "file",
        "line",
        "patient_ref",
    ]


# ---- at a real terminal ----------------------------------------------------------------

CONSULT = Path(sys.executable).with_name("consult")


@pytest.mark.tty
@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
def test_a_terminal_shows_a_table_and_the_problems(mixed: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        str(CONSULT),
        ["evaluate", str(mixed), *BANK],
        env=env,
        dimensions=(60, 160),
        encoding="utf-8",
        timeout=20,
    )
    child.expect(pexpect.EOF)
    child.close()
    screen = re.sub(r"\x1b\[[0-9;]*m", "", child.before.replace("\r\n", "\n"))
    assert child.exitstatus == 1
    assert MIXED_ERRORS[0] in screen
    assert "┃ input " in screen
    assert "│ answers/good-hair-male.yaml" in screen
    assert "prp_scalp," in screen
    assert "micrograft_scalp" in screen
    assert screen.count("answers/bad-syntax.yaml:4:6:") == 2  # on stderr, and in the table
    assert screen.rstrip().endswith("3 of 7 answer sets could not be evaluated")


@pytest.mark.installed
@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_a_stopped_run_leaves_no_output(tmp_path: Path, stop: signal.Signals, group: bool) -> None:
    many_lines(tmp_path, 100_000)
    proc = started_to_file(tmp_path)
    if group:
        os.killpg(proc.pid, stop)
    else:
        proc.send_signal(stop)
    _, err = ended(proc, 20)
    assert (proc.returncode, err) == (130, "Interrupted.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl"]
