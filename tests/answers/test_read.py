"""The one reader of answer sets: PyYAML's data when there is nothing to say, the
positioned reader whenever there is, and never a silent difference between them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

import consult
from consult.answers import read
from consult.answers.check import AnswerSet
from consult.bank.model import KnowledgeBase
from consult.errors import InvalidAnswers
from tests.conftest import read_yaml

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return consult.load()


def outcome(call: object) -> AnswerSet | list[str]:
    try:
        return call()  # type: ignore[operator, no-any-return]
    except InvalidAnswers as exc:
        return [str(p) for p in exc.problems]


REPEATED = [
    ("consult: 1\nconsult: 1\nanswers: {age: 30}\n", "a.yaml:2:1: duplicate key 'consult'"),
    ("consult: 1\nanswers:\n  age: 30\n  age: 31\n", "a.yaml:4:3: duplicate key 'age'"),
    (
        "consult: 1\nanswers:\n  areas:\n  - {site: face, site: neck}\n",
        "a.yaml:4:18: duplicate key 'site'",
    ),
]


@pytest.mark.parametrize(("text", "first"), REPEATED)
def test_a_repeated_key_is_a_located_error_at_every_level(
    shipped: KnowledgeBase, text: str, first: str
) -> None:
    problems = outcome(lambda: read.read_answers(shipped, text, "a.yaml"))
    assert isinstance(problems, list)
    assert problems[0].startswith(first)


@pytest.mark.parametrize(
    "text",
    [
        '{"consult": 1, "consult": 1, "answers": {"age": 30}}',
        '{"consult": 1, "answers": {"age": 30, "age": 31}}',
        '{"consult": 1, "answers": {"areas": [{"site": "face", "site": "neck"}]}}',
    ],
)
def test_a_repeated_json_key_is_a_located_error(shipped: KnowledgeBase, text: str) -> None:
    problems = outcome(lambda: read.read_answers(shipped, text, "a.json", json=True))
    assert isinstance(problems, list)
    assert "duplicate key" in problems[0]
    assert problems[0].startswith("a.json:1:")


def test_a_merge_key_is_refused_at_its_place(shipped: KnowledgeBase) -> None:
    text = "consult: 1\nanswers:\n  <<: {age: 30}\n  sex: male\n"
    problems = outcome(lambda: read.read_answers(shipped, text, "a.yaml"))
    assert problems == ["a.yaml:3:3: merge keys ('<<') are not supported"]


def test_a_key_that_is_not_plain_text_is_refused_at_its_place(shipped: KnowledgeBase) -> None:
    # PyYAML would read this key as the text of its `=` entry, `age`.
    text = "consult: 1\nanswers:\n  ? !!str {=: age}\n  : 40\n"
    problems = outcome(lambda: read.read_answers(shipped, text, "a.yaml"))
    assert problems == ["a.yaml:3:5: keys must be plain text"]


def _texts() -> list[tuple[str, str]]:
    """Scenario answers as answer files, and the same files damaged at random."""
    rng = random.Random(3)
    forms = ["012", "0x22", "1:30", "1_0", "yes", "~", "2026-01-02", "1.5", "[a, b]", "x"]
    found: list[tuple[str, str]] = []
    for path in SCENARIOS:
        answers = read_yaml(path.read_text(encoding="utf-8"))["answers"]
        text = yaml.safe_dump({"consult": 1, "answers": answers}, allow_unicode=True)
        found.append((path.stem, text))
        lines = text.splitlines()
        line = rng.randrange(1, len(lines))
        key = lines[line].split(":")[0]
        lines[line] = f"{key}: {rng.choice(forms)}"
        found.append((path.stem + "-damaged", "\n".join(lines) + "\n"))
        lines.insert(line, lines[line])
        found.append((path.stem + "-repeated", "\n".join(lines) + "\n"))
    return found


@pytest.mark.parametrize(("name", "text"), _texts(), ids=[n for n, _ in _texts()])
def test_the_data_path_gives_what_the_located_path_gives(
    shipped: KnowledgeBase, name: str, text: str
) -> None:
    # Whatever PyYAML reads without a word must be what the positioned reader reads.
    direct = outcome(lambda: read.read_answers(shipped, text, f"{name}.yaml"))
    located = outcome(lambda: read._located(shipped, text, f"{name}.yaml", None))
    assert direct == located
    try:
        as_json = json.dumps(read_yaml(text), default=str)
    except yaml.YAMLError:
        return
    direct = outcome(lambda: read.read_answers(shipped, as_json, f"{name}.json", json=True))
    located = outcome(lambda: read._located(shipped, as_json, f"{name}.json", None))
    assert direct == located


@pytest.mark.parametrize("value", ["!!timestamp soon", "!!float false", "!!int x7", "!!bool maybe"])
def test_a_tag_pyyaml_cannot_read_is_one_located_error(shipped: KnowledgeBase, value: str) -> None:
    text = f"consult: 1\nanswers:\n  age: {value}\n"
    problems = outcome(lambda: read.read_answers(shipped, text, "a.yaml"))
    assert isinstance(problems, list) and len(problems) == 1
    assert problems[0].startswith("a.yaml:3:8: ")


# Plain values of every kind PyYAML tells apart by pattern (and some text).
PLAIN_VALUES = [
    "",
    "~",
    "null",
    "Null",
    "true",
    "False",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "0",
    "012",
    "-7",
    "+3",
    "0x1f",
    "0b101",
    "1_000",
    "1:30",
    "3.5",
    ".5",
    "1e3",
    ".inf",
    "-.Inf",
    ".nan",
    "2024-01-31",
    "2024-01-31 10:00:00",
    "<<",
    "=",
    "face",
    "scar_type",
    "Ödem",
    "7 days",
]


@pytest.mark.parametrize("value", PLAIN_VALUES)
def test_the_loader_resolves_a_plain_value_as_pyyaml_does(value: str) -> None:
    # Answer files are read with PyYAML's own meaning of every plain value.
    expected = yaml.SafeLoader("").resolve(yaml.ScalarNode, value, (True, False))
    assert read._Loader("").resolve(yaml.ScalarNode, value, (True, False)) == expected
    quoted = yaml.SafeLoader("").resolve(yaml.ScalarNode, value, (False, True))
    assert read._Loader("").resolve(yaml.ScalarNode, value, (False, True)) == quoted
    assert not read._Loader.yaml_path_resolvers


@pytest.mark.parametrize("kind", [yaml.MappingNode, yaml.SequenceNode])
def test_the_loader_resolves_a_collection_as_pyyaml_does(kind: type[yaml.Node]) -> None:
    for implicit in (True, False):
        expected = yaml.SafeLoader("").resolve(kind, None, implicit)
        assert read._Loader("").resolve(kind, None, implicit) == expected
