"""Hostile and ambiguous answer files: each gives one located error, never a crash or a hang."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from consult.answers.read import read_answers, read_line
from consult.answers.values import parse_text
from consult.bank.loader import load
from consult.bank.model import KnowledgeBase
from consult.bank.yamlsource import MAX_VALUES, YamlProblem, parse
from consult.errors import InputError, InvalidAnswers, InvalidDefinitions
from consult.intake.draft import DraftWriter, read_draft

DATA = Path(__file__).parent.parent / "data"
BANK = ["--questions", str(DATA / "questions"), "--rules", str(DATA / "rules")]
CONSULT = Path(sys.executable).with_name("consult")
MEMORY_CAP = 400 * 1024 * 1024  # enough to start consult; one expanded alias bomb needs GBs
HEADER = "consult: 1\nanswers:\n"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load(DATA / "questions", DATA / "rules")


def laughs(indent: str = "") -> str:
    """Nine anchors, each a list of nine aliases of the one before: 9**9 values expanded."""
    lines = [f'{indent}l0: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for number, (anchor, previous) in enumerate(zip("bcdefghi", "abcdefgh", strict=True), 1):
        aliases = ", ".join([f"*{previous}"] * 9)
        lines.append(f"{indent}l{number}: &{anchor} [{aliases}]")
    return "\n".join(lines) + "\n"


def capped(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed consult with its address space capped at MEMORY_CAP."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [str(CONSULT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
        check=False,
    )


def only_error(kb: KnowledgeBase, text: str, name: str = "a.yaml") -> str:
    """The one problem the reader gives for this text, read as YAML (and as JSON for .json)."""
    messages = set()
    readers = [lambda: read_answers(kb, text, name)]
    if name.endswith(".json"):
        readers.append(lambda: read_answers(kb, text, name, json=True))
    for reader in readers:
        with pytest.raises(InvalidAnswers) as caught:
            reader()
        messages.add("\n".join(str(p) for p in caught.value.problems))
    (message,) = messages
    assert "\n" not in message
    return message


# ---- aliases -----------------------------------------------------------------------


@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
@pytest.mark.parametrize("extra", [[], ["--format", "jsonl"]])
def test_an_alias_bomb_is_refused_before_memory_is_spent(tmp_path: Path, extra: list[str]) -> None:
    text = "consult: 1\n" + laughs() + "answers:\n  concerns: *i\n"
    (tmp_path / "laughs.yaml").write_text(text)
    done = capped("evaluate", "laughs.yaml", *extra, *BANK, cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.splitlines()[0]
        == "laughs.yaml:3:9: alias '*a' not allowed: write the value itself"
    )


@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
def test_an_alias_bomb_in_a_batch_is_one_failed_input(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    good = HEADER + "  age: 40\n"
    for number in range(40):
        (folder / f"p{number:02}.yaml").write_text(good)
    (folder / "p20.yaml").write_text(HEADER + "  concerns: &a [hair_loss]\n  sex: *a\n")
    done = capped("evaluate", "in", "-f", "jsonl", "-j", "2", *BANK, cwd=tmp_path)
    assert done.returncode == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 40
    assert records[20]["error"] == "in/p20.yaml:4:8: alias '*a' not allowed: write the value itself"


def test_every_answer_reader_refuses_aliases(kb: KnowledgeBase) -> None:
    text = HEADER + "  age: &years 40\n  norwood_stage: *years\n"
    message = "a.yaml:4:18: alias '*years' not allowed: write the value itself"
    assert only_error(kb, text) == message


def test_an_asterisk_in_text_is_not_an_alias(kb: KnowledgeBase) -> None:
    text = HEADER + "  notes: 'R&D trial *not* joined'\n  age: 40\n"
    assert read_answers(kb, text, "a.yaml").answers["notes"] == "R&D trial *not* joined"


def test_bank_files_may_use_aliases_within_a_bound() -> None:
    node = parse("a: &x [1, 2]\nb: *x\n", "bank.yaml", aliases=True)
    assert node is not None and node.plain() == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(YamlProblem) as caught:
        parse(laughs(), "bank.yaml", aliases=True)
    message = f"bank.yaml:6:5: aliases expand this to more than {MAX_VALUES:,} values"
    assert str(caught.value.problem) == message


@pytest.mark.skipif(not CONSULT.exists(), reason="the consult command is not installed")
def test_an_alias_bomb_in_a_bank_file_is_refused_before_memory_is_spent(tmp_path: Path) -> None:
    shutil.copytree(DATA / "rules", tmp_path / "rules")
    (tmp_path / "rules" / "zz-laughs.yaml").write_text(laughs())
    done = capped(
        "validate", "--questions", str(DATA / "questions"), "--rules", "rules", cwd=tmp_path
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"rules/zz-laughs.yaml:6:5: aliases expand this to more than {MAX_VALUES:,} values"
    )


# ---- whole numbers -------------------------------------------------------------------

HUGE = "9" * 5000
TOO_LONG = "'age': expected a whole number from 0 to 120; got a number of 5,000 digits"


def test_a_huge_number_is_out_of_range_in_yaml_and_json(kb: KnowledgeBase) -> None:
    assert only_error(kb, HEADER + f"  age: {HUGE}\n") == f"a.yaml:3:8: {TOO_LONG}"
    text = f'{{"consult": 1, "answers": {{"age": {HUGE}}}}}'
    assert only_error(kb, text, "a.json") == f"a.json:1:35: {TOO_LONG}"


def test_a_huge_number_is_out_of_range_in_jsonl(kb: KnowledgeBase) -> None:
    with pytest.raises(InvalidAnswers) as caught:
        read_line(kb, f'{{"sex": "male", "age": -{HUGE}}}'.encode(), "sets.jsonl", 7)
    (problem,) = caught.value.problems
    assert str(problem) == f"sets.jsonl:7:24: {TOO_LONG}"


def test_a_huge_number_exits_2_from_the_command(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text(f'{{"consult": 1, "answers": {{"age": {HUGE}}}}}')
    done = subprocess.run(
        [str(CONSULT), "evaluate", "big.json", *BANK],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (2, f"big.json:1:35: {TOO_LONG}\n")


def test_a_huge_number_in_a_draft_is_not_kept(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "draft.json"
    DraftWriter(path, kb).save({"age": 40, "sex": "male"}, (), "")
    path.write_text(path.read_text().replace('"age": 40', f'"age": {HUGE}'))
    draft = read_draft(path, kb)
    assert draft.answers == {"sex": "male"}
    (why,) = draft.not_kept
    assert why == (
        "age: expected a whole number from 0 to 120; got a number of 5,000 digits; "
        "it will be asked again"
    )


def test_a_typed_huge_number_is_refused(kb: KnowledgeBase) -> None:
    age = kb.by_id["age"]
    assert parse_text(age, HUGE)[0] is None
    assert parse_text(age, "٤٠")[0] is None  # digits, but not ASCII ones
    assert parse_text(age, " 40 ") == (40, "")


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("012", "10"), ("0x22", "34"), ("1_0", "10"), ("1:30", "90"), ("0b11", "3"), ("+0o7", "7")],
)
def test_whole_numbers_must_be_plain_decimal(kb: KnowledgeBase, written: str, read_as: str) -> None:
    expected = (
        f"a.yaml:3:8: 'age': expected a whole number from 0 to 120; got {written} "
        f"(YAML 1.1 reads it as {read_as}; write plain decimal digits)"
    )
    if written == "+0o7":  # not a YAML 1.1 number at all: text
        expected = f"""a.yaml:3:8: 'age': expected a whole number from 0 to 120; got "{written}\""""
    assert only_error(kb, HEADER + f"  age: {written}\n") == expected


def test_plain_decimal_numbers_and_quoted_text_are_read_as_written(kb: KnowledgeBase) -> None:
    answers = read_answers(kb, HEADER + "  age: +40\n  notes: '012'\n", "a.yaml").answers
    assert answers == {"age": 40, "notes": "012"}


# ---- control characters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "where", "code"),
    [("a\x00b", "3:11", "0000"), ('"a\x1bb"', "3:12", "001B"), ("é\x07", "3:11", "0007")],
)
def test_a_raw_control_character_is_one_located_line(
    kb: KnowledgeBase, value: str, where: str, code: str
) -> None:
    message = only_error(kb, HEADER + f"  notes: {value}\n")
    assert message == f"a.yaml:{where}: invalid YAML: control characters are not allowed (U+{code})"


# ---- versions, lists, yes and no ------------------------------------------------------


@pytest.mark.parametrize("version", ["true", "1.0", "'1'", "01"])
def test_the_format_version_is_the_whole_number_1(kb: KnowledgeBase, version: str) -> None:
    text = f"consult: {version}\nanswers:\n  age: 40\n"
    message = only_error(kb, text)
    assert message.startswith("a.yaml:1:10: 'consult': unsupported answer-file format ")
    assert message.endswith("; expected 1")


def test_a_json_version_of_1_0_is_refused(kb: KnowledgeBase) -> None:
    text = '{"consult": 1.0, "answers": {"age": 40}}'
    assert only_error(kb, text, "a.json") == (
        "a.json:1:13: 'consult': unsupported answer-file format 1.0; expected 1"
    )


def test_a_single_word_for_a_list_is_an_error_with_a_hint(kb: KnowledgeBase) -> None:
    assert only_error(kb, HEADER + "  concerns: hair_loss\n") == (
        "a.yaml:3:13: 'concerns': expected a list of hair_loss, scars, none; "
        'got "hair_loss" (for one choice write [hair_loss])'
    )
    answers = read_answers(kb, HEADER + "  concerns: [hair_loss]\n", "a.yaml").answers
    assert answers == {"concerns": ("hair_loss",)}


@pytest.mark.parametrize(
    ("word", "meaning"), [("yes", True), ("on", True), ("No", False), ("off", False)]
)
def test_yaml_1_1_yes_and_no_words_answer_yes_no_questions(
    kb: KnowledgeBase, word: str, meaning: bool
) -> None:
    text = HEADER + f"  pregnant: {word}\n"
    assert read_answers(kb, text, "a.yaml").answers == {"pregnant": meaning}
    assert read_answers(kb, text, "a.yaml").answers == {"pregnant": meaning}


def test_a_bank_number_must_be_plain_decimal_too(tmp_path: Path) -> None:
    shutil.copytree(DATA / "questions", tmp_path / "questions")
    basics = tmp_path / "questions" / "10-basics.yaml"
    basics.write_text(basics.read_text().replace("max: 120", "max: 0x78"))
    with pytest.raises(InvalidDefinitions) as caught:
        load(tmp_path / "questions", DATA / "rules")
    assert str(caught.value) == (
        f"{basics}:10:14: question 'age': 'max' must be a whole number, got 0x78 "
        "(YAML 1.1 reads it as 120; write plain decimal digits)"
    )


@pytest.mark.parametrize("version", ["true", "1.0"])
def test_a_draft_of_another_format_is_refused(
    kb: KnowledgeBase, tmp_path: Path, version: str
) -> None:
    path = tmp_path / "draft.json"
    DraftWriter(path, kb).save({"age": 40}, (), "")
    path.write_text(path.read_text().replace('"consult_draft": 1', f'"consult_draft": {version}'))
    with pytest.raises(InputError, match="not an intake draft of format 1"):
        read_draft(path, kb)


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029", "\u202e", "\x9b", "\x1b"])
def test_a_quoted_value_never_breaks_or_steers_the_message_line(
    kb: KnowledgeBase, char: str
) -> None:
    # Found by the fuzz suite: NEL (U+0085) in a value split the message in two.
    doc = json.dumps({"consult": 1, "answers": {"sex": f"ma{char}le"}}, ensure_ascii=False)
    with pytest.raises(InvalidAnswers) as info:
        read_answers(kb, doc, "a.json", json=True)
    message = str(info.value)
    assert len(message.splitlines()) == 1
    assert message.isprintable()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('!!float "false"', "a text of 5 characters cannot be read as !!float"),
        ('!!bool "maybe"', "a text of 5 characters cannot be read as !!bool"),
        ('!!timestamp "x"', "a text of 1 character cannot be read as !!timestamp"),
        ('!!binary "aGk="', "tag '!!binary' is not allowed"),
        ('!!set "x"', "tag '!!set' is not allowed"),
    ],
)
def test_a_tag_that_does_not_fit_its_value_is_one_located_error(value: str, message: str) -> None:
    # Found by the fuzz suite: `!!float "false"` ended in an internal error.
    with pytest.raises(YamlProblem) as info:
        parse(f"{HEADER}  notes: {value}\n", "a.yaml")
    assert str(info.value) == f"a.yaml:3:10: {message}"
