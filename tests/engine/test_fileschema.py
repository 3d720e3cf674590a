"""The JSON Schemas of the file kinds: built from the loader's tables, shipped, and as strict.

Every shipped bank file and scenario must validate with check-jsonschema, and
every loader error that a schema can express must be rejected by the schema too.
"""

from __future__ import annotations

import ast
import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from consult.answers.read import read_answers
from consult.bank.loader import load, shipped_bank
from consult.bank.model import KnowledgeBase
from consult.engine import fileschema, schemaparts
from consult.errors import InvalidAnswers, InvalidDefinitions

ROOT = Path(__file__).parent.parent.parent
SHIPPED = ROOT / "consult" / "schemas"
CHECK = str(Path(sys.executable).parent / "check-jsonschema")
Doc = dict[str, Any]

QUESTIONS: Doc = {
    "version": "t-1",
    "sections": [
        {
            "id": "basics",
            "title": "Basics",
            "questions": [
                {"id": "age", "text": "Age", "type": "integer", "min": 0, "max": 120},
                {
                    "id": "sex",
                    "text": "Sex",
                    "type": "one_of",
                    "choices": [{"id": "male", "label": "Male"}, {"id": "female", "label": "F"}],
                },
                {
                    "id": "concerns",
                    "text": "Concerns",
                    "type": "many_of",
                    "required": True,
                    "choices": [
                        {"id": "hair", "label": "Hair"},
                        {"id": "none", "label": "None", "exclusive": True},
                    ],
                },
                {"id": "notes", "text": "Notes", "type": "text", "max_length": 20},
                {
                    "id": "pregnant",
                    "text": "Pregnant?",
                    "type": "yes_no",
                    "when": {"question": "sex", "equals": "female"},
                },
            ],
        }
    ],
}
EVIDENCE: Doc = {"certainty": "low", "level": 2, "summary": "Some.", "references": ["R1"]}
RULES: Doc = {
    "references": [{"id": "R1", "citation": "A review."}],
    "referrals": [{"id": "derm", "name": "Dermatology"}],
    "procedures": [
        {
            "id": "prp",
            "name": "PRP",
            "description": "Platelet-rich plasma.",
            "evidence": EVIDENCE,
            "indications": [
                {"id": "hair", "label": "Hair", "evidence": {**EVIDENCE, "references": "R1"}}
            ],
            "patient": {
                "what": "Injections of your own blood.",
                "sessions": "Three.",
                "downtime": "A day.",
                "common_risks": "Pain.",
                "serious_risks": "Infection.",
                "before": "Tell us about your medicines.",
            },
        }
    ],
    "rules": [
        {
            "id": "prp-hair",
            "when": {"all": [{"question": "concerns", "contains": "hair"}]},
            "candidate": "prp",
            "indication": "hair",
        },
        {
            "id": "pregnant",
            "when": {"question": "pregnant", "equals": True},
            "exclude": ["prp"],
            "text": "Not in pregnancy.",
        },
        {
            "id": "older",
            "when": {"not": {"question": "age", "between": [18, 70]}},
            "refer": "derm",
            "text": "Outside the usual ages.",
        },
    ],
}
ANSWERS: Doc = {
    "consult": 1,
    "patient": {"ref": "P-1"},
    "answers": {"age": 30, "sex": "female", "concerns": ["hair"], "notes": "ok", "pregnant": False},
}


@pytest.fixture(scope="module")
def shipped_kb() -> KnowledgeBase:
    return load()


def test_the_shipped_schemas_are_the_generated_ones(shipped_kb: KnowledgeBase) -> None:
    for kind in fileschema.KINDS_OF_FILE:
        shipped = (SHIPPED / f"{kind}.schema.json").read_text(encoding="utf-8")
        generated = fileschema.schema_text(fileschema.schema_for(kind, shipped_kb))
        assert shipped == generated, (
            f"consult/schemas/{kind}.schema.json is stale: "
            f"run consult schema {kind} -o consult/schemas/{kind}.schema.json"
        )


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHECK, *args], capture_output=True, text=True, check=False)


def test_the_schemas_are_valid_draft_2020_12() -> None:
    files = sorted(str(p) for p in SHIPPED.glob("*.schema.json"))
    assert len(files) == len(fileschema.KINDS_OF_FILE)
    done = run_check("--check-metaschema", *files)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("kind", "files"),
    [
        ("questions", sorted(shipped_bank()[0].glob("*.yaml"))),
        ("rules", sorted(shipped_bank()[1].glob("*.yaml"))),
        ("scenario", sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))),
    ],
)
def test_every_shipped_file_validates_with_check_jsonschema(kind: str, files: list[Path]) -> None:
    assert files
    schema = SHIPPED / f"{kind}.schema.json"
    done = run_check("--schemafile", str(schema), *map(str, files))
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_jsonschema_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("rules:\n  - id: x\n    when: {question: age, gte: old}\n    candidate: p\n")
    done = run_check("--schemafile", str(SHIPPED / "rules.schema.json"), str(broken))
    assert done.returncode == 1
    assert "rules.yaml" in done.stdout


def test_an_answer_file_validates_against_the_answers_schema(tmp_path: Path) -> None:
    kb = load(ROOT / "tests" / "data" / "questions", ROOT / "tests" / "data" / "rules")
    schema = tmp_path / "answers.schema.json"
    schema.write_text(fileschema.schema_text(fileschema.answers_schema(kb)))
    good = sorted((ROOT / "tests" / "data" / "answers").glob("good-*"))
    assert run_check("--schemafile", str(schema), *map(str, good)).returncode == 0
    bad = ROOT / "tests" / "data" / "answers" / "bad-values.yaml"
    assert run_check("--schemafile", str(schema), str(bad)).returncode == 1


def test_a_key_without_a_schema_type_fails_the_build() -> None:
    with pytest.raises(KeyError, match="new_key"):
        schemaparts.mapping((("id",), ("new_key",)), {"id": {"type": "string"}})


# --- every loader error a schema can express is a schema error too ---------------

Edit = Callable[[Doc], None]


def _set(path: str, value: object) -> Edit:
    """An edit that sets the value at a dotted path (list indexes as numbers)."""

    def edit(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return edit


_DELETE = object()
Q = "sections.0.questions"
QUESTION_ERRORS: list[tuple[Edit, str]] = [
    (_set("sections", {"a": 1}), "'sections' must be a list"),
    (_set("sections", _DELETE), "missing key 'sections'"),
    (_set("colour", "blue"), "unknown key 'colour'"),
    (_set("sections.0.title", ""), "'title' must be non-empty text"),
    (_set("sections.0.id", "Basics"), "'id' must be lower-case"),
    (_set(f"{Q}.0.text", _DELETE), "missing key 'text'"),
    (_set(f"{Q}.0.hint", "x"), "unknown key 'hint'"),
    (_set(f"{Q}.0.type", "number"), "'type' must be one of"),
    (_set(f"{Q}.0.min", "0"), "'min' must be a whole number"),
    (_set(f"{Q}.0.max", _DELETE), "needs 'min' and 'max'"),
    (_set(f"{Q}.3.min", 1), "'min' and 'max' only go with integer"),
    (_set(f"{Q}.0.max_length", 5), "'max_length' goes with text"),
    (_set(f"{Q}.3.max_length", 0), "'max_length' goes with text questions and is >= 1"),
    (_set(f"{Q}.0.required", "maybe"), "'required' must be true or false"),
    (_set(f"{Q}.1.choices", _DELETE), "a one_of question needs 'choices'"),
    (_set(f"{Q}.1.choices", []), "a one_of question needs 'choices'"),
    (_set(f"{Q}.4.choices", [{"id": "a", "label": "A"}]), "'choices' only go with"),
    (_set(f"{Q}.1.choices.0.exclusive", True), "'exclusive' only goes with many_of"),
    (_set(f"{Q}.1.choices.0.label", _DELETE), "missing key 'label'"),
    (_set(f"{Q}.1", ["not", "a", "mapping"]), "expected a mapping"),
    (_set(f"{Q}.4.when", "sex is female"), "a condition must be a mapping"),
    (_set(f"{Q}.4.when", {"either": []}), "unknown condition key 'either'"),
    (_set(f"{Q}.4.when", {"all": []}), "'all' needs a non-empty list"),
    (_set(f"{Q}.4.when", {"all": [], "any": []}), "exactly one of 'all', 'any', 'not'"),
    (_set(f"{Q}.4.when", {"question": "sex"}), "exactly one operator, got no operator"),
    (_set(f"{Q}.4.when.is", "female"), "exactly one operator"),
    (_set(f"{Q}.4.when", {"question": "sex", "is": "female"}), "unknown operator 'is'"),
    (_set(f"{Q}.4.when.question", 3), "'question' must be a question id"),
    (_set(f"{Q}.4.when", {"question": "age", "gte": "18"}), "expected a whole number"),
    (_set(f"{Q}.4.when", {"question": "age", ">": True}), "expected a whole number"),
    (_set(f"{Q}.4.when", {"question": "age", "between": [1]}), "expected a list [low, high]"),
    (_set(f"{Q}.4.when", {"question": "sex", "one_of": []}), "expected a non-empty list"),
    (_set(f"{Q}.4.when", {"question": "sex", "answered": False}), "expected true"),
    (_set(f"{Q}.4.when", {"question": "sex", "equals": [1]}), "expected one of male, female"),
    (
        _set(f"{Q}.0.code", {"system": "umls", "code": "x", "display": "X"}),
        "'system' must be one of",
    ),
    (_set(f"{Q}.0.code", {"system": "loinc", "code": "x"}), "'display' together"),
    (_set(f"{Q}.0.code", {}), "'code' needs 'system', 'code' and 'display', or a 'unit'"),
    (_set(f"{Q}.0.code", {"unit": "yr"}), "'unit' must be one of the UCUM units"),
    (_set(f"{Q}.4.code", {"unit": "a"}), "'unit' goes with integer questions only"),
    (_set(f"{Q}.1.choices.0.code", {"unit": "a"}), "'unit' goes with integer questions only"),
    (
        _set(f"{Q}.1.choices.0.code", {"system": "snomed", "code": 1, "display": "Male"}),
        "'code' must be text",
    ),
]
RULE_ERRORS: list[tuple[Edit, str]] = [
    (_set("rules", "none"), "'rules' must be a list"),
    (_set("policies", []), "unknown key 'policies'"),
    (_set("references.0.citation", ""), "'citation' must be non-empty text"),
    (_set("references.0.id", "R 1"), "'id' must be letters, digits"),
    (_set("referrals.0.id", "Derm"), "'id' must be lower-case"),
    (_set("referrals.0.name", _DELETE), "missing key 'name'"),
    (_set("procedures.0.evidence", _DELETE), "missing key 'evidence'"),
    (_set("procedures.0.evidence", "good"), "expected a mapping"),
    (_set("procedures.0.evidence.certainty", "strong"), "'certainty' must be one of"),
    (_set("procedures.0.evidence.level", 6), "must be 1-5"),
    (_set("procedures.0.evidence.level", "2"), "'level' must be a whole number"),
    (_set("procedures.0.evidence.references", []), "needs at least one reference id"),
    (_set("procedures.0.evidence.references", [7]), "'references' must list ids"),
    (_set("procedures.0.indications.0.label", _DELETE), "missing key 'label'"),
    (_set("procedures.0.cost", 1), "unknown key 'cost'"),
    (_set("procedures.0.patient", _DELETE), "missing key 'patient'"),
    (_set("procedures.0.patient.before", _DELETE), "missing key 'before'"),
    (_set("rules.0.id", "Prp Hair"), "'id' must be lower-case letters, digits, '_', '-'"),
    (_set("rules.0.when", _DELETE), "missing key 'when'"),
    (_set("rules.0.candidate", _DELETE), "a rule needs at least one of"),
    (_set("rules.0.candidate", [1]), "'candidate' must list ids"),
    (_set("rules.1.text", _DELETE), "'exclude' needs a 'text'"),
    (_set("rules.2.text", _DELETE), "'refer' needs a 'text'"),
    (_set("rules.1.indication", "hair"), "'indication' goes with 'candidate'"),
    (_set("rules.1.basis", "hunch"), "'basis' must be one of"),
    (_set("rules.1.when", {"question": "pregnant", "equals": "yes", "answered": True}), "exactly"),
]
ANSWER_ERRORS: list[tuple[Edit, str]] = [
    (_set("answers.colour", "blue"), "unknown question 'colour'"),
    (_set("answers.pregnant", "maybe"), "expected true or false"),
    (_set("answers.age", 130), "expected a whole number from 0 to 120"),
    (_set("answers.age", "30"), "expected a whole number"),
    (_set("answers.sex", "other"), "expected one of male, female"),
    (_set("answers.concerns", ["hair", "hair"]), "a choice is listed twice"),
    (_set("answers.concerns", ["hair", "none"]), "cannot be combined with other choices"),
    (_set("answers.concerns", []), "expected at least one choice"),
    (_set("answers.concerns", 3), "expected a list of"),
    (_set("answers.notes", "x" * 21), "characters; at most 20"),
    (_set("answers.notes", "a\x07b"), "control character"),
    (_set("answers.notes", 5), "expected text"),
    (_set("consult", 2), "unsupported answer-file format"),
    (_set("consult", _DELETE), "missing key 'consult'"),
    (_set("answers", ["age"]), "'answers' must be a mapping"),
    (_set("patient.ref", "x" * 65), "'patient.ref' must be a short text"),
    (_set("patient.ref", "P\x1b1"), "'patient.ref' contains a control character"),
    (_set("patient.name", "Jane"), "unknown key 'name'"),
    (_set("extra", 1), "unknown key 'extra'"),
]


def bank_in(tmp_path: Path, questions: Doc, rules: Doc) -> tuple[Path, Path]:
    qdir, rdir = tmp_path / "questions", tmp_path / "rules"
    shutil.rmtree(qdir, ignore_errors=True)
    shutil.rmtree(rdir, ignore_errors=True)
    qdir.mkdir()
    rdir.mkdir()
    (qdir / "q.yaml").write_text(json.dumps(questions))
    (rdir / "r.yaml").write_text(json.dumps(rules))
    return qdir, rdir


def loader_errors(tmp_path: Path, questions: Doc, rules: Doc) -> str:
    try:
        load(*bank_in(tmp_path, questions, rules))
    except InvalidDefinitions as exc:
        return "\n".join(str(p) for p in exc.problems)
    return ""


def validator(kind: str, kb: KnowledgeBase | None = None) -> Draft202012Validator:
    return Draft202012Validator(fileschema.schema_for(kind, kb))


def test_the_base_files_pass_both(tmp_path: Path) -> None:
    assert loader_errors(tmp_path, QUESTIONS, RULES) == ""
    kb = load(*bank_in(tmp_path, QUESTIONS, RULES))
    assert validator("questions").is_valid(QUESTIONS)
    assert validator("rules").is_valid(RULES)
    assert validator("answers", kb).is_valid(ANSWERS)
    read_answers(kb, json.dumps(ANSWERS), "a.json", json=True)


@pytest.mark.parametrize(("edit", "message"), QUESTION_ERRORS)
def test_a_questions_error_is_a_schema_error(tmp_path: Path, edit: Edit, message: str) -> None:
    doc = copy.deepcopy(QUESTIONS)
    edit(doc)
    assert message in loader_errors(tmp_path, doc, RULES)
    assert not validator("questions").is_valid(doc)


@pytest.mark.parametrize(("edit", "message"), RULE_ERRORS)
def test_a_rules_error_is_a_schema_error(tmp_path: Path, edit: Edit, message: str) -> None:
    doc = copy.deepcopy(RULES)
    edit(doc)
    assert message in loader_errors(tmp_path, QUESTIONS, doc)
    assert not validator("rules").is_valid(doc)


@pytest.mark.parametrize(("edit", "message"), ANSWER_ERRORS)
def test_an_answers_error_is_a_schema_error(tmp_path: Path, edit: Edit, message: str) -> None:
    kb = load(*bank_in(tmp_path, QUESTIONS, RULES))
    doc = copy.deepcopy(ANSWERS)
    edit(doc)
    with pytest.raises(InvalidAnswers) as caught:
        read_answers(kb, json.dumps(doc), "a.json", json=True)
    assert message in "\n".join(str(p) for p in caught.value.problems)
    assert not validator("answers", kb).is_valid(doc)


def test_the_schema_leaves_cross_references_to_validate(tmp_path: Path) -> None:
    """What JSON Schema cannot see (ids across files, duplicates) only the loader reports."""
    doc = copy.deepcopy(RULES)
    doc["rules"][0]["candidate"] = "prp_typo"
    assert "unknown procedure 'prp_typo'" in loader_errors(tmp_path, QUESTIONS, doc)
    assert validator("rules").is_valid(doc)


def test_an_empty_file_is_rejected_by_both(tmp_path: Path) -> None:
    qdir, _ = bank_in(tmp_path, QUESTIONS, RULES)
    (qdir / "q.yaml").write_text("")
    with pytest.raises(InvalidDefinitions, match="file is empty"):
        load(qdir, tmp_path / "rules")
    assert not validator("questions").is_valid(None)
    assert not validator("rules").is_valid(None)


# --- every error the loader can report is tested above or named here ---------------

# Loader errors no JSON Schema can express, and why. The rest are all tested above.
NOT_EXPRESSIBLE = {
    "duplicate section id (first at": "ids unique across the bank",
    "duplicate question id (first at": "ids unique across the bank",
    "duplicate choice": "ids unique within a list of mappings",
    "duplicate id (first at": "ids unique across the bank",
    "'version' is set again (first at": "one file of several sets it",
    "no questions file sets the bank 'version'": "one file of several sets it",
    "no YAML files in the": "a property of the folder, not of a file",
    "is above 'max'": "compares two values",
    "is above high": "compares two values",
    ", which is not asked before it": "the order of questions across files",
    "unknown question": "in a condition: the ids of questions in other files",
    "question, but": "an operator against the type of a question defined elsewhere",
    "is outside the question's range": "a value against a question defined elsewhere",
    "expected true or false, got": "a value against a question defined elsewhere",
    "expected text, got": "a value against a question defined elsewhere",
    ": unknown procedure": "an id defined in another part of the bank",
    ": unknown referral": "an id defined in another part of the bank",
    ": unknown reference": "an id defined in another part of the bank",
    ": cites unknown reference": "an id defined in another part of the bank, inside a text",
    "' is for the patient: no reference ids": "what a text says, not its type",
    "'patient' is for the patient: no reference ids": "what a referral's text says, not its type",
    "has no indication": "an id defined under another procedure",
    "expected a mapping; got": "the Python API's check of a plain mapping, not a file",
    "cannot be used inside another quantifier": "the nesting of quantifiers in a condition",
    "values it treats, or any)": "needed only when a questions file defines a repeating group",
    "'sites' needs a repeating group in the questions": "a repeating group in another file",
    "'sites' needs at least one": "the choices of a key question defined elsewhere",
    "can be read inside a quantifier over it, not": "the section of a question defined elsewhere",
    "a repeating group (with 'key') cannot have a 'when'": "two keys of one section together",
    ": unknown site": "the choices of a key question defined elsewhere",
    ": give it in each item there": "the key question of a repeating group this bank lacks",
    "a bank has one repeating group (the treatment areas)": "every questions file",
    ": 'per_area' needs a repeating group (with 'key')": "a repeating group in another file",
    "must be a one_of question": "the type of the question the key names",
    "is not a question of this section": "the questions the key names",
    "'always_read' goes with a 'when', not 'per_area'": "a section's `when` and `per_area` count as the question's",
    "cannot read:": "a bank file that is not a readable regular file (a link, a pipe, a device)",
}
CHECKED = ["consult/bank/schema.py", "consult/bank/loader.py", "consult/bank/rules.py"]
CHECKED += ["consult/bank/conditions.py", "consult/bank/operators.py", "consult/answers/check.py"]


def _pieces(node: ast.AST) -> list[str]:
    """The literal text of a message expression (f-string parts, both sides of an if)."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple):
        return [p for e in node.elts for p in _pieces(e)]
    if isinstance(node, ast.IfExp):
        return _pieces(node.body) + _pieces(node.orelse)
    return []


def _texts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Call):
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name in {"fail", "_fail", "Problem"}:
            return [p for arg in node.args for p in _pieces(arg)]
    if isinstance(node, ast.Assign):
        named = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if named & {"message", "error", "shape", "what"}:
            return _pieces(node.value)
    if isinstance(node, ast.Return) and node.value is not None:
        return _pieces(node.value)
    return []


def loader_messages() -> set[str]:
    """The longest literal part of every message the loader and answer checks can give."""
    found = set()
    for name in CHECKED:
        for node in ast.walk(ast.parse((ROOT / name).read_text(encoding="utf-8"))):
            texts = [t.strip() for t in _texts(node)]
            if texts and len(key := max(texts, key=len)) >= 5:
                found.add(key)
    return found


def test_every_loader_error_is_tested_against_the_schema_or_beyond_one(tmp_path: Path) -> None:
    produced = ["file is empty"]  # test_an_empty_file_is_rejected_by_both
    for cases, base in ((QUESTION_ERRORS, QUESTIONS), (RULE_ERRORS, RULES)):
        for edit, _message in cases:
            doc = copy.deepcopy(base)
            edit(doc)
            pair = (doc, RULES) if base is QUESTIONS else (QUESTIONS, doc)
            produced.append(loader_errors(tmp_path, *pair))
    kb = load(*bank_in(tmp_path, QUESTIONS, RULES))
    for edit, _message in ANSWER_ERRORS:
        doc = copy.deepcopy(ANSWERS)
        edit(doc)
        with pytest.raises(InvalidAnswers) as caught:
            read_answers(kb, json.dumps(doc), "a.json", json=True)
        produced += [str(p) for p in caught.value.problems]
    messages = loader_messages()
    assert set(NOT_EXPRESSIBLE) <= messages
    untested = [m for m in messages - set(NOT_EXPRESSIBLE) if not any(m in p for p in produced)]
    assert untested == []


# --- the shipped answers schema and consult agree on what an answer file may say ---------

AREA_FILE = """\
consult: 1
answers:
  consent: {consent}
  age: {age}
  sex: female
  concerns: [scars, stretch_marks]
  areas:
    - {{site: abdomen, concerns: [scars], scar_type: surgical}}
    - {{site: {second}, concerns: [{concern}]}}
"""
BASE = {"consent": "true", "age": "34", "second": "thighs", "concern": "stretch_marks"}
# (what changes, whether consult reads the file): an editor and check-jsonschema read
# YAML 1.2, consult reads YAML 1.1; the schema accepts exactly what consult accepts.
AGREED = [
    ({}, True),
    ({"consent": "yes"}, True),  # YAML 1.1's yes: true for consult, text for an editor
    ({"consent": "On"}, True),
    ({"consent": "NO"}, True),
    ({"consent": "maybe"}, False),
    ({"consent": "1"}, False),
    ({"age": "34.5"}, False),
    ({"age": "'34'"}, False),
    ({"age": "121"}, False),
    ({"second": "abdomen"}, False),  # a site given twice
    ({"concern": "burns"}, False),  # an area's concern the patient does not have
    ({"second": "elbow"}, False),
]
# What no JSON Schema can tell apart, as the data it sees is the same: each is refused
# by consult (and said so on the line), accepted by the schema. Listed, never hidden.
BEYOND_ANY_SCHEMA = [
    ({"age": "34.0"}, "JSON Schema counts 34.0 as the integer 34 (draft 2020-12, 6.1.1)"),
    ({"age": "0x22"}, "YAML 1.2 reads 0x22 as the integer 34; consult wants decimal digits"),
    ({"consent": "'yes'"}, "quoted, 'yes' is the same text as YAML 1.1's unquoted yes"),
]


def consult_reads(kb: KnowledgeBase, text: str) -> bool:
    try:
        read_answers(kb, text, "a.yaml")
    except InvalidAnswers:
        return False
    return True


def schema_accepts(folder: Path, texts: list[str]) -> list[bool]:
    files = []
    for number, text in enumerate(texts):
        files.append(folder / f"case-{number}.yaml")
        files[-1].write_text(text, encoding="utf-8")
    schema = str(SHIPPED / "answers.schema.json")
    return [run_check("--schemafile", schema, str(f)).returncode == 0 for f in files]


def test_the_answers_schema_accepts_exactly_what_consult_accepts(
    shipped_kb: KnowledgeBase, tmp_path: Path
) -> None:
    texts = [AREA_FILE.format(**(BASE | change)) for change, _ in AGREED]
    got = [consult_reads(shipped_kb, t) for t in texts]
    assert got == [accepted for _, accepted in AGREED]
    assert schema_accepts(tmp_path, texts) == got


def test_what_no_schema_can_see_is_listed_and_refused_by_consult(
    shipped_kb: KnowledgeBase, tmp_path: Path
) -> None:
    texts = [AREA_FILE.format(**(BASE | change)) for change, _ in BEYOND_ANY_SCHEMA]
    assert not any(consult_reads(shipped_kb, t) for t in texts)
    assert all(schema_accepts(tmp_path, texts))
    documented = (ROOT / "docs" / "knowledge-base.md").read_text(encoding="utf-8")
    assert "34.0" in documented and "0x22" in documented
