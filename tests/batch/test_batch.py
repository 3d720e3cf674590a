from __future__ import annotations

import contextlib
import csv
import errno
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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pexpect
import pytest
import yaml
from typer.testing import CliRunner

import consult.batch.pool
import consult.batch.stream
from consult.bank import quickscan, quickyaml
from consult.bank.loader import load
from consult.bank.model import KnowledgeBase
from consult.batch.formats import COLUMNS, JsonRecords, RecordWriter
from consult.batch.items import Bank, Item, Outcome, iter_inputs, read_item
from consult.batch.pool import run
from consult.batch.run import Env, Options, Pairs, evaluate_command
from consult.batch.stream import Stream
from consult.cli.main import app
from consult.engine.answers import read_answer_file
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
    assert [r["source"] for r in rows] == MIXED_ORDER
    assert rows[3] == {
        "source": "answers/good-hair-male.yaml",
        "line": "",
        "patient_ref": "P-0042",
        "candidates": "prp_scalp micrograft_scalp",
        "excluded": "",
        "referrals": "",
        "undetermined": "",
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
    assert lines[0].split("\t")[:4] == ["source", "line", "patient_ref", "candidates"]
    assert lines[4] == "answers/good-hair-male.yaml\t\tP-0042\tprp_scalp micrograft_scalp\t\t\t\t"


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
    assert [r[0] for r in rows] == ["source", *MIXED_ORDER[:2]]


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
    writer = RecordWriter(out, kind)
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

    bank = Bank(str(DATA / "questions"), str(DATA / "rules"))
    outcomes = run(kb, bank, endless(), JsonRecords(), jobs=2)
    seen = [json.loads(next(outcomes)[1].text)["line"] for _ in range(1000)]
    outcomes.close()
    assert seen == list(range(1, 1001))
    assert pulled < 1000 + 2 * 3 * 256 + 2 * 256  # a bounded window ahead, not everything


@pytest.fixture
def spills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, list[str]]]:
    """The spill folders of pooled runs, each with the files left in it when its run ended."""
    seen: list[tuple[Path, list[str]]] = []
    real = consult.batch.pool._spill_folder

    @contextlib.contextmanager
    def recorded() -> Iterator[str]:
        with real() as folder:
            left: list[str] = []
            seen.append((Path(folder), left))
            yield folder
            left += [p.name for p in Path(folder).iterdir()]

    monkeypatch.setattr(consult.batch.pool, "_spill_folder", recorded)
    return seen


def pooled(kb: KnowledgeBase, count: int) -> Iterator[tuple[Item, Outcome]]:
    items = (Item("<stdin>", n, data=b'{"age": %d}' % (n % 150)) for n in range(1, count + 1))
    bank = Bank(str(DATA / "questions"), str(DATA / "rules"))
    return run(kb, bank, items, JsonRecords(), jobs=2)


def lines_of(pairs: Iterable[tuple[Item, Outcome]]) -> list[int]:
    return [json.loads(outcome.text)["line"] for _, outcome in pairs]


def test_worker_output_is_spilled_privately_and_removed(
    kb: KnowledgeBase, spills: list[tuple[Path, list[str]]]
) -> None:
    outcomes = pooled(kb, 3000)
    first = [next(outcomes) for _ in range(600)]
    ((folder, _),) = spills
    assert folder.stat().st_mode & 0o777 == 0o700
    modes = {p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert modes <= {0o600}
    assert lines_of(first + list(outcomes)) == list(range(1, 3001))
    assert not folder.exists()


def test_without_a_spill_folder_output_comes_through_the_pipe(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_folder(*_args: object, **_kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.mkdtemp", no_folder)
    assert lines_of(pooled(kb, 1500)) == list(range(1, 1501))


def test_a_spill_file_that_cannot_be_written_goes_through_the_pipe(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, spills: list[tuple[Path, list[str]]]
) -> None:
    class Full(io.RawIOBase):
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def write(self, _data: object) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            os.close(self.fd)

    # Forked workers inherit the patched `open` of the module (and the parent never uses it).
    monkeypatch.setattr(consult.batch.pool, "open", lambda fd, _mode: Full(fd), raising=False)
    assert lines_of(pooled(kb, 1500)) == list(range(1, 1501))
    assert [left for _, left in spills] == [[]]  # nothing half-written left behind


def test_spill_folders_of_killed_runs_are_removed_by_the_next_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    dead = int(done.stdout)
    place = Path(consult.batch.pool.spill_place())
    stale = place / f"consult-batch-{dead}-x1"
    live = place / f"consult-batch-{os.getpid()}-x2"
    other = place / f"consult-batchy-{dead}-x3"
    for folder in (stale, live, other):
        folder.mkdir(mode=0o700)
        (folder / "7").write_bytes(b"a record")
    try:
        with consult.batch.pool._spill_folder() as folder:
            assert Path(folder).parent == place
        assert not stale.exists()
        assert live.exists() and other.exists()
    finally:
        for folder in (stale, live, other):
            shutil.rmtree(folder, ignore_errors=True)


def test_the_spill_folder_goes_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), consult.batch.pool._spill_folder() as folder:
        Path(folder, "1").write_bytes(b"x")
        raise RuntimeError
    assert not Path(folder).exists()


def batch_lines(count: int) -> str:
    """JSONL answer sets, every seventh one invalid (an error record and a message)."""
    rng = random.Random(11)
    lines = []
    for n in range(count):
        age = "x" if n % 7 == 3 else rng.randint(16, 90)
        lines.append(json.dumps({"age": age, "concerns": ["hair_loss"], "smoker": n % 2 == 0}))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_pooled_chunks_are_copied_whole_to_a_file_as_one_job_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    (tmp_path / "s.jsonl").write_text(batch_lines(900))
    args = ("--input-format", "jsonl", str(tmp_path / "s.jsonl"), "-f", fmt)
    one = invoke(*args, "-j", "1", "-o", str(tmp_path / "one"))
    sent: list[int] = []
    real = os.sendfile

    def counted(out: int, source: int, offset: int | None, count: int) -> int:
        done = real(out, source, offset, count)
        sent.append(done)
        return done

    monkeypatch.setattr(consult.batch.stream.os, "sendfile", counted)
    two = invoke(*args, "-j", "2", "-o", str(tmp_path / "two"))
    assert one == two  # the same status and messages (stdout is empty with -o)
    assert one[0] == 1
    assert (tmp_path / "two").read_bytes() == (tmp_path / "one").read_bytes()
    assert sum(sent) > 0.9 * (tmp_path / "two").stat().st_size  # the records went by sendfile
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


def spill_of(tmp_path: Path, data: bytes, records: int) -> consult.batch.items.Spill:
    path = tmp_path / f"spill-{len(data)}"
    path.write_bytes(data + b"more than the chunk")
    return consult.batch.items.Spill(path.open("rb", buffering=0), len(data), records)


def test_a_json_array_starts_right_whichever_way_its_first_records_come(tmp_path: Path) -> None:
    for spilled_first in (True, False):
        out = io.BytesIO()
        writer = RecordWriter(out, "json")
        spill = spill_of(tmp_path, b',\n{"a":1},\n{"a":2}', 2)
        if spilled_first:
            writer.add_spill(spill)
            writer.add(b'{"a":3}')
        else:
            writer.add(b'{"a":3}')
            writer.add_spill(spill)
        writer.add_spill(spill_of(tmp_path, b"", 0))  # a chunk with no records
        writer.close()
        spill.handle.close()
        found = [r["a"] for r in json.loads(out.getvalue())]
        assert found == ([1, 2, 3] if spilled_first else [3, 1, 2])


def test_a_copy_to_a_buffered_file_keeps_what_was_written_around_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    with (tmp_path / "out").open("wb") as out, source.open("rb", buffering=0) as handle:
        out.write(b"head")  # still in the stream's buffer
        Stream(out).copy(handle, 10, 700_000)
        out.write(b"tail")
    assert (tmp_path / "out").read_bytes() == b"head" + source.read_bytes()[10:700_010] + b"tail"


def test_a_copy_falls_back_to_writing_where_sendfile_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(300_000)
    (tmp_path / "source").write_bytes(data)
    real = os.sendfile
    calls = 0

    def refusing(out: int, source: int, offset: int | None, count: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            return real(out, source, offset, min(count, 1000))  # a partial send first
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(consult.batch.stream.os, "sendfile", refusing)
    with (tmp_path / "out").open("wb") as out, (tmp_path / "source").open("rb") as handle:
        Stream(out).copy(handle, 0, len(data))
    assert (tmp_path / "out").read_bytes() == data
    assert calls == 2
    memory = io.BytesIO()  # no file underneath: written in blocks
    with (tmp_path / "source").open("rb") as handle:
        Stream(memory).copy(handle, 5, 1000)
    assert memory.getvalue() == data[5:1005]


def test_a_copy_to_a_non_blocking_pipe_waits_for_room(tmp_path: Path) -> None:
    data = os.urandom(1 << 20)  # far more than a pipe holds
    (tmp_path / "source").write_bytes(data)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(read_end, 65536):
            received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with open(write_end, "wb") as out, (tmp_path / "source").open("rb") as handle:  # noqa: PTH123
        Stream(out).copy(handle, 0, len(data))
    reader.join()
    os.close(read_end)
    assert bytes(received) == data


def test_a_copy_to_a_closed_pipe_raises_broken_pipe(tmp_path: Path) -> None:
    (tmp_path / "source").write_bytes(b"x" * 100_000)
    read_end, write_end = os.pipe()
    os.close(read_end)
    with (
        open(write_end, "wb") as out,  # noqa: PTH123
        (tmp_path / "source").open("rb") as handle,
        pytest.raises(BrokenPipeError),
    ):
        Stream(out).copy(handle, 0, 100_000)


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
    slow = outcome(lambda: read_answer_file(kb, path, name))
    assert fast == slow


SUBSET = [
    "a: 1\nb: -2\nc: 0\n",
    "a: yes\nb: No\nc: ~\nd: null\ne:\n",
    "a: [x, y, 3, true]\nb: []\n",
    "a:\n- x\n- 2\nb:\n  - y\n",
    "a:\n  b: c d e.\n  f: 'it''s # not a comment'\n",
    'a: "quoted: text"  # comment\n# full line\n\n',
    "a: née Müller, (ok); 1/2 + c\n",
    "consult: 1\r\nanswers:\r\n  age: 3\r\n",
    # Long text as `yaml.safe_dump` folds it: plain over lines, double-quoted with escapes.
    "a: b\n  c\n",
    "a:\n  notes: Referred by her GP after six months\n    of shedding (photos).\nb: 1\n",
    'a: "N\\xE9e M\\xFCller, prefers\\\n  \\ to be called \\u2018Anna\\u2019 \\U0001F600"\n',
    'a: "one\n  two \\"three\\" # not a comment"  # comment\n',
    "areas:\n  - site: scalp\n    a: true\n  -   site: face\n      b: [x]\nc: 1\n",
    "areas:\n- {site: face, a: false, n: 3}\n- {}\n",
    "areas:\n- site: face\n  note: a long\n    text\n",
]
OUTSIDE = [
    "",
    "a: 1\na: 2\n",
    "a: 012\n",
    "a: 1.5\n",
    "a: 2024-01-02\n",
    "on: 1\n",
    "a: {b: 1}\n",
    "a: [b, [c]]\n",
    "a: b\n\n  c\n",
    "a: b\n# c\n  d\n",
    "a: b\n  - c\n",
    "a: 'x\n  y'\n",
    'a: "x\\qy"\n',
    'a: "\\ud800"\n',
    'a: "x\ny"\n',
    "a: b: c\n",
    "a: &x 1\n",
    "a: !!str 1\n",
    "a: 'x' y\n",
    "a: |\n  text\n",
    "- a\n",
    "a:\n\t- b\n",
    "a: x\u2028y\n",
    "a: x #\n  y: 1\n",
    "a:\n  - b: 1\n  - c\n",
    "a:\n  - {b: 'x, y'}\n",
    "a:\n  - b: 1\n    b: 2\n",
]


@pytest.mark.parametrize("text", SUBSET)
def test_quick_yaml_reads_the_subset_as_yaml_does(text: str) -> None:
    assert quickyaml.load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text", OUTSIDE)
def test_quick_yaml_leaves_everything_else_to_the_full_parser(text: str) -> None:
    assert quickyaml.load(text) is None


def test_quick_yaml_never_disagrees_with_yaml_on_random_documents() -> None:
    rng = random.Random(20261121)
    keys = ["age", "yes", "null", "a_b", "x1", "1", "k"]
    values = ["40", "0", "-3", "007", "1_000", "0x1F", "1.5", "2024-01-02", "yes", "No", "~"]
    values += ["abc", "a b  c", "a, b", "'it''s'", "'#x'", '"dq"', '"a\\tb"', "[a, b]", "[]"]
    values += ["[a,]", "{a: 1}", "# c", "'x' # c", "a #b", "-1", "+1", ".5", "née", "a:b"]
    accepted = 0
    for _ in range(4000):
        lines = []
        for _ in range(rng.randint(1, 5)):
            key, value = rng.choice(keys), rng.choice(values)
            lines += rng.choice(
                [[f"{key}: {value}"], [f"{key}:", f"  - {value}"], [f"{key}:", f"  {key}: {value}"]]
            )
        text = "\n".join(lines) + "\n"
        fast = quickyaml.load(text)
        if fast is not None:
            accepted += 1
            assert repr(fast) == repr(yaml.safe_load(text)), text
    assert accepted > 200


def test_quick_yaml_reads_what_safe_dump_writes() -> None:
    """Free text as `yaml.safe_dump` writes it, folded and escaped, reads back exactly."""
    rng = random.Random(14)
    alphabet = [*"abcdef xyz.,;()/-", "é", "€", "\U0001f600", "  "]
    accepted = 0
    for _ in range(3000):
        chars = alphabet if rng.random() < 0.8 else [*alphabet, *":#'\"\\\t\x85"]
        text = "".join(rng.choice(chars) for _ in range(rng.randint(1, 160)))
        document = {"answers": {"notes": text, "age": 40}, "consult": 1}
        dumped = yaml.safe_dump(document, width=rng.choice([20, 40, 80]))
        fast = quickyaml.load(dumped)
        if fast is not None:
            accepted += 1
            assert fast == document, dumped
    assert accepted > 2000


def test_quick_yaml_never_disagrees_on_lines_that_continue() -> None:
    rng = random.Random(20261205)
    values = ["abc", "a b", '"x', '"x y"', '"a\\', '\\ b"', "yes", "12", "née", "a: b", "# c"]
    values += ["x # c", "- a", "(a)", '"\\x41"', '"a\\q"', '"\\\\"', "", "x\t", 'a"b']
    accepted = 0
    for _ in range(20000):
        lines = []
        for _ in range(rng.randint(1, 4)):
            lines.append(f"{rng.choice(['a', 'b', 'c'])}: {rng.choice(values)}")
            more = rng.choice([0, 0, 1, 2])
            lines += [" " * rng.choice([0, 1, 2, 4]) + rng.choice(values) for _ in range(more)]
        text = "\n".join(lines) + "\n"
        fast = quickyaml.load(text)
        if fast is not None:
            accepted += 1
            assert repr(fast) == repr(yaml.safe_load(text)), text
    assert accepted > 1000


def test_the_two_line_readers_agree() -> None:
    """`_rows` (each line split by `_row`) gives exactly the lines `_lines` gives."""
    rng = random.Random(20261205)
    heads = ["", "  ", "    ", "- ", "  - ", "  -   ", "-", " - "]
    bodies = ["a: b", "a:", "a:  b  ", "site: face", '"x y', 'z"', "\\ q", "a b", "", "a: b: c"]
    bodies += ["x", "- y", "[a, b]", "{site: f}", '"a\\', "née: x", "k:v", "1: a", "a:\tb"]
    texts = [t for t in SUBSET + OUTSIDE if "#" not in t and "\r" not in t]
    for _ in range(20000):
        lines = [rng.choice(heads) + rng.choice(bodies) for _ in range(rng.randint(1, 6))]
        texts.append("\n".join(lines) + rng.choice(["\n", "", "\n\n", "  \n"]))
    compared = 0
    for text in texts:
        if "\\ " in text and quickyaml._SPACE_END.search(text):
            continue  # `load` gives such text to `_lines`
        compared += 1
        assert quickyaml._rows(text) == quickyaml._lines(text), text
    assert compared > 15000


# The grammar the hand-written scanners of `quickyaml` follow, as regular expressions.
ROW_GRAMMAR = re.compile(
    r"( *)(((?:- +)?)(?:([A-Za-z_][A-Za-z0-9_]*):(?: +([^\n]*[^ \n]|))?|[^\n]*[^ \n]|)) *"
)
DOUBLE_GRAMMAR = re.compile(rf'"((?:{quickyaml._TEXT}"\\]|\\.)*)"')
CLOSE_GRAMMAR = re.compile(r'(?:^|[^\\])(?:\\\\)*"')


def test_the_row_scanner_splits_a_line_as_its_grammar_does() -> None:
    rng = random.Random(20261205)
    pieces = [" ", "  ", "-", "- ", ":", ": ", "a", "b_1", "\t", '"', "x y", "é", "1", ":x", "#"]
    pieces += ["\\", "née", "{a: b}", "[a]", "\u2028"]
    for _ in range(50000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        match = ROW_GRAMMAR.fullmatch(line)
        assert match is not None
        indent, text, dash, key, value = (group or "" for group in match.groups())
        if key and not value:
            # The grammar leaves a key's trailing spaces in the text when no value
            # follows; the scanner does not, and that text is never read.
            text = text.rstrip(" ")
        expected = (
            len(indent),
            text,
            dash,
            key,
            value if key else text[len(dash) :] if dash else "",
        )
        assert quickscan.row(line) == expected, line


def test_the_quote_scanners_find_what_their_grammar_finds() -> None:
    rng = random.Random(20261205)
    pieces = [
        '"',
        "\\",
        "a",
        " ",
        "\x01",
        "\n",
        "\u2028",
        "é",
        "\ud800",
        "\x85",
        '\\"',
        'x"',
        "\x7f",
    ]
    for _ in range(100000):
        text = '"' + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        match = DOUBLE_GRAMMAR.match(text)
        assert quickscan.double_end(text) == (match.end() if match else -1), repr(text)
        line = text[1:]
        assert (quickscan.quote(line, 0) >= 0) == bool(CLOSE_GRAMMAR.search(line)), repr(line)


# ---- choices the command makes -------------------------------------------------------


def test_the_output_suffix_picks_the_format(mixed: Path) -> None:
    status, _, _ = invoke(str(mixed), "-o", "summary.csv")
    assert status == 1
    assert Path("summary.csv").read_text().startswith("source,line,patient_ref,")


@pytest.mark.usefixtures("mixed")
def test_one_summary_to_a_named_markdown_file() -> None:
    status, _, _ = invoke("answers/good-patchy.yaml", "-o", "one.md", "--date", "2026-11-02")
    assert status == 0
    assert Path("one.md").read_text().startswith("---\nschema: consult-summary/1\n")


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
        show_table=lambda rows: seen.update(rows=rows),
    )
    return env, seen


def test_a_terminal_gets_the_table_with_progress(kb: KnowledgeBase, mixed: Path) -> None:
    env, seen = env_for(tty=True)
    status = evaluate_command(kb, Options(paths=(str(mixed),)), env)
    assert status == 1
    rows = cast(list[list[str]], seen["rows"])
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
    assert "┃ answers " in screen
    assert "│ answers/good-hair-male.yaml" in screen
    assert "prp_scalp, micrograft_scalp" in screen
    assert screen.count("✗ failed, see above") == 3
    assert screen.rstrip().endswith("3 of 7 answer sets could not be evaluated")


@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_a_stopped_run_leaves_no_output(tmp_path: Path, stop: signal.Signals, group: bool) -> None:
    many_lines(tmp_path, 400_000)
    proc = started_to_file(tmp_path)
    if group:
        os.killpg(proc.pid, stop)
    else:
        proc.send_signal(stop)
    _, err = ended(proc, 20)
    assert (proc.returncode, err) == (130, "Interrupted.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.jsonl"]
