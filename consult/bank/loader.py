"""Load `questions/` and `rules/` into a checked, compiled KnowledgeBase.

Two passes: shape and types per file, then cross-references across files.
Every problem is collected and raised once, sorted, as `path:line:col: message`.
"""

from __future__ import annotations

import gc
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from consult.bank.codes import SYSTEMS, UNITS
from consult.bank.conditions import ConditionParser
from consult.bank.files import NotARegularFile, os_reason, parse_bank_file, read_bank_file
from consult.bank.model import (
    KINDS,
    AllOf,
    Choice,
    Coding,
    Condition,
    KnowledgeBase,
    Question,
    Section,
)
from consult.bank.rules import RuleReader
from consult.bank.schema import Checker
from consult.bank.truth import compile_condition
from consult.bank.yamlsource import (
    Node,
    YamlProblem,
    iter_yaml_files,
    suggest,
)
from consult.errors import InputError, InvalidDefinitions, Problem, Source, display_path

DEFAULT_MAX_LENGTH = 2000
_QUESTION_KEYS: tuple[str, ...] = ("choices", "min", "max", "max_length", "help", "required")
_QUESTION_KEYS += ("when", "per_area", "code", "always_read")
# (required, optional) keys of each mapping in a questions file; the JSON Schema
# (consult.engine.fileschema) is built from the same tables.
QUESTIONS_FILE_KEYS = (("sections",), ("version",))
SECTION_KEYS = (("id", "title", "questions"), ("when", "key", "per_area"))
QUESTION_KEYS = (("id", "text", "type"), _QUESTION_KEYS)
CHOICE_KEYS = (("id", "label"), ("help", "exclusive", "sites", "code"))
# A `code:` names the question or choice in a standard terminology; a number's may
# give its UCUM unit (`unit`) too.
CODE_KEYS = ((), ("system", "code", "display", "unit"))


def shipped_bank() -> tuple[Path, Path]:
    """The folders of the bank that ships with the package."""
    package = Path(__file__).resolve().parent.parent
    # Installed: consult/questions. Source checkout or editable install: ../questions.
    for base in (package, package.parent):
        if (base / "questions").is_dir() and (base / "rules").is_dir():
            return base / "questions", base / "rules"
    raise InputError("the shipped question bank is missing from this installation")


def load(questions: Path | str | None = None, rules: Path | str | None = None) -> KnowledgeBase:
    """Load and check a bank; the shipped one for any folder not given.

    Raises:
        InvalidDefinitions: listing every problem found, sorted by place.
        InputError: a folder is missing.
    """
    default_questions, default_rules = (None, None)
    if questions is None or rules is None:
        default_questions, default_rules = shipped_bank()
    qdir = Path(questions) if questions is not None else default_questions
    rdir = Path(rules) if rules is not None else default_rules
    assert qdir is not None and rdir is not None
    # Everything a load builds stays alive (the bank), so the cycle collector only
    # re-walks a growing heap: paused, a load takes time linear in the rule count
    # (8,000 rules: 1.2 s instead of 3 s).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Loader().load(qdir, rdir)
    finally:
        if collecting:
            gc.enable()


@dataclass
class _Loader:
    problems: list[Problem] = field(default_factory=list)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    versions: list[tuple[str, Node]] = field(default_factory=list)

    def load(self, qdir: Path, rdir: Path) -> KnowledgeBase:
        qdocs = self._read_folder(qdir, "questions")
        rdocs = self._read_folder(rdir, "rules")
        bank = _QuestionReader(self.problems, _all_question_ids(qdocs))
        for doc in qdocs:
            self._question_file(bank, doc)
        bank.check_areas()
        version = self._version(qdir)
        complete = len(qdocs) == len(list(iter_yaml_files(qdir))) and bool(qdocs)
        rules = RuleReader(self.problems, bank.questions, complete, bank.groups())
        for doc in rdocs:
            rules.read_file(doc)
        rules.cross_check()
        if self.problems:
            raise InvalidDefinitions(self.problems)
        sha = self.digest.hexdigest()
        return rules.build(bank.questions, bank.sections, f"{version}+{sha[:8]}", sha)

    def _read_folder(self, folder: Path, kind: str) -> list[Node]:
        shown = display_path(folder)
        if not folder.is_dir():
            raise InputError(f"{shown}: no such folder (the {kind} folder)")
        files = list(iter_yaml_files(folder))
        if not files:
            self.problems.append(Problem(Source(shown), f"no YAML files in the {kind} folder"))
        docs = []
        for path in files:
            doc = self._read_file(path, kind)
            if doc is not None:
                docs.append(doc)
        return docs

    def _read_file(self, path: Path, kind: str) -> Node | None:
        name = display_path(path)
        try:
            data = read_bank_file(path)
            self.digest.update(f"{kind}/{path.name}\0".encode())
            self.digest.update(data)
            node = parse_bank_file(data, name)
        except YamlProblem as exc:
            self.problems.append(exc.problem)
            return None
        except NotARegularFile as exc:
            self.problems.append(Problem(Source(name), f"cannot read: {exc.args[0]}, not a file"))
            return None
        except OSError as exc:
            self.problems.append(Problem(Source(name), f"cannot read: {os_reason(exc, path)}"))
            return None
        if node is None:
            self.problems.append(Problem(Source(name, 1, 1), "file is empty"))
        return node

    def _question_file(self, bank: _QuestionReader, doc: Node) -> None:
        check = Checker("", self.problems)
        fields = check.fields(doc, *QUESTIONS_FILE_KEYS)
        if fields is None:
            return
        if "version" in fields:
            self.versions.append((str(fields["version"].value), fields["version"]))
        for item in check.items(fields, "sections"):
            bank.section(item)

    def _version(self, qdir: Path) -> str:
        if not self.versions:
            if not self.problems:  # a file that could not be read may hold it
                where = Source(display_path(qdir))
                self.problems.append(Problem(where, "no questions file sets the bank 'version'"))
            return "0"
        for _, node in self.versions[1:]:
            first = self.versions[0][1].source
            message = f"'version' is set again (first at {first})"
            self.problems.append(Problem(node.source, message))
        return self.versions[0][0]


def _all_question_ids(docs: list[Node]) -> set[str]:
    """Every question id in the bank, so a `when` on a later one gets a precise message."""
    found: set[str] = set()
    for doc in docs:
        sections = doc.value.get("sections") if doc.is_mapping else None
        for section in sections.value if sections is not None and sections.is_list else []:
            questions = section.value.get("questions") if section.is_mapping else None
            for item in questions.value if questions is not None and questions.is_list else []:
                ident = item.value.get("id") if item.is_mapping else None
                if ident is not None and isinstance(ident.value, str):
                    found.add(ident.value)
    return found


class _QuestionReader:
    def __init__(self, problems: list[Problem], all_ids: set[str]) -> None:
        self.problems = problems
        self.all_ids = all_ids
        self.questions: dict[str, Question] = {}
        self.sections: list[Section] = []
        self.section_ids: dict[str, Source] = {}

    def section(self, node: Node) -> None:
        check = Checker("section", self.problems)
        check.name_from("section", node)
        fields = check.fields(node, *SECTION_KEYS)
        if fields is None:
            return
        sid = check.ident(fields)
        check.owner = f"section {sid!r}" if sid else "section"
        if sid in self.section_ids:
            check.fail(fields["id"], f"duplicate section id (first at {self.section_ids[sid]})")
        self.section_ids[sid] = node.source
        title = check.text(fields, "title")
        when = None
        if "when" in fields:
            when = self._parser(check.owner).parse(fields["when"])
        # The questions of a repeating group, or of a section `per_area`, are per area.
        per_area = check.flag(fields, "per_area") or "key" in fields
        items = check.items(fields, "questions")
        ids = [self.question(item, sid, when, per_area=per_area) for item in items]
        found = tuple(i for i in ids if i)
        key = self._key(check, fields, found) if "key" in fields else ""
        section = Section(
            id=sid, title=title, questions=found, source=node.source, when=when, key=key
        )
        self.sections.append(section)

    def _key(self, check: Checker, fields: dict[str, Node], found: tuple[str, ...]) -> str:
        """The key question of a repeating group: a one_of question of the section."""
        key = check.ident(fields, "key")
        if "when" in fields:
            check.fail(fields["when"], "a repeating group (with 'key') cannot have a 'when'")
        if self.groups():
            check.fail(fields["key"], "a bank has one repeating group (the treatment areas)")
        question = self.questions.get(key)
        if key and (question is None or key not in found):
            check.fail(fields["key"], f"'key' {key!r} is not a question of this section")
            return ""
        if question is not None and question.kind != "one_of":
            check.fail(fields["key"], f"'key' {key!r} must be a one_of question")
            return ""
        return key

    def groups(self) -> dict[str, Section]:
        """The repeating groups read so far, by id."""
        return {s.id: s for s in self.sections if s.key}

    def _parser(self, owner: str) -> ConditionParser:
        later = self.all_ids - set(self.questions)
        groups = self.groups()
        return ConditionParser(owner, dict(self.questions), self.problems, later, groups=groups)

    def check_areas(self) -> None:
        """Per-area questions need the repeating group; concern `sites` name its sites."""
        group = next(iter(self.groups().values()), None)
        sites = self.questions[group.key].choice_ids if group is not None else ()
        for question in self.questions.values():
            if question.per_area and group is None:
                message = (
                    f"question {question.id!r}: 'per_area' needs a repeating group (with 'key')"
                )
                self.problems.append(Problem(question.source, message))
            for choice in question.choices:
                for site in choice.sites:
                    if site not in sites:
                        hint = suggest(site, sites)
                        message = f"question {question.id!r}: choice {choice.id!r}: unknown site {site!r}{hint}"
                        self.problems.append(Problem(question.source, message))

    def question(
        self, node: Node, section: str, section_when: Condition | None, *, per_area: bool = False
    ) -> str:
        check = Checker("question", self.problems)
        check.name_from("question", node)
        fields = check.fields(node, *QUESTION_KEYS)
        if fields is None:
            return ""
        qid = check.ident(fields)
        check.owner = f"question {qid!r}" if qid else "question"
        kind = fields["type"].value if "type" in fields else None
        if "type" in fields and kind not in KINDS:
            check.fail(fields["type"], f"'type' must be one of {', '.join(KINDS)}; got {kind!r}")
            kind = None
        question = Question(
            id=qid,
            text=check.text(fields, "text"),
            kind=kind or "text",
            section=section,
            choices=self._choices(check, fields, kind),
            help=check.text(fields, "help"),
            required=check.flag(fields, "required"),
            per_area=per_area or check.flag(fields, "per_area"),
            always_read=check.flag(fields, "always_read"),
            source=node.source,
        )
        if "code" in fields:
            code, unit = _code(check, fields["code"], number=kind == "integer")
            question = replace(question, code=code, unit=unit)
        if kind:
            question = self._range(check, fields, question)
        when = self._when(check, fields, section_when)
        if when is not None:
            question = replace(question, when=when, applies=compile_condition(when))
        if question.always_read and (when is None or question.per_area):
            # Kept in the patient's answers only (not in an area's view): a when, no per_area.
            check.fail(fields["always_read"], "'always_read' goes with a 'when', not 'per_area'")
        if qid and qid in self.questions:
            first = self.questions[qid].source
            check.fail(fields["id"], f"duplicate question id (first at {first})")
        elif qid and kind:
            self.questions[qid] = question
        return qid

    def _when(
        self, check: Checker, fields: dict[str, Node], section_when: Condition | None
    ) -> Condition | None:
        own = None
        if "when" in fields:
            own = self._parser(check.owner).parse(fields["when"])
        if own is not None and section_when is not None:
            return AllOf(parts=(section_when, own), source=own.source)
        return own or section_when

    def _choices(self, check: Checker, fields: dict[str, Node], kind: object) -> tuple[Choice, ...]:
        items = check.items(fields, "choices")
        if kind in {"one_of", "many_of"} and not items:
            check.fail(fields.get("choices") or fields["id"], f"a {kind} question needs 'choices'")
        if items and kind not in {"one_of", "many_of"}:
            check.fail(fields["choices"], f"'choices' only go with one_of or many_of, not {kind}")
        choices: list[Choice] = []
        for item in items:
            sub = check.fields(item, *CHOICE_KEYS)
            if sub is None:
                continue
            choice = Choice(
                id=check.ident(sub),
                label=check.text(sub, "label"),
                help=check.text(sub, "help"),
                exclusive=check.flag(sub, "exclusive"),
                sites=check.ids(sub, "sites"),
                code=_code(check, sub["code"], number=False)[0] if "code" in sub else None,
            )
            if choice.exclusive and kind != "many_of":
                check.fail(sub["exclusive"], "'exclusive' only goes with many_of choices")
            if choice.id and any(c.id == choice.id for c in choices):
                check.fail(sub["id"], f"duplicate choice {choice.id!r}")
            choices.append(choice)
        return tuple(choices)

    def _range(self, check: Checker, fields: dict[str, Node], question: Question) -> Question:
        lo, hi = check.integer(fields, "min"), check.integer(fields, "max")
        length = check.integer(fields, "max_length")
        if question.kind == "integer":
            if "min" not in fields or "max" not in fields:
                check.fail(fields["type"], "an integer question needs 'min' and 'max'")
            elif lo is not None and hi is not None and lo > hi:
                check.fail(fields["min"], f"'min' {lo} is above 'max' {hi}")
        elif "min" in fields or "max" in fields:
            where = fields.get("min") or fields["max"]
            check.fail(
                where, f"'min' and 'max' only go with integer questions, not {question.kind}"
            )
        if length is not None and (question.kind != "text" or length < 1):
            check.fail(fields["max_length"], "'max_length' goes with text questions and is >= 1")
        return replace(question, minimum=lo, maximum=hi, max_length=length or DEFAULT_MAX_LENGTH)


def _code(check: Checker, node: Node, *, number: bool) -> tuple[Coding | None, str]:
    """A `code:` mapping: the standard coding (system, code, display) and a UCUM unit."""
    fields = check.fields(node, *CODE_KEYS)
    if not fields:
        if fields is not None:
            check.fail(node, "'code' needs 'system', 'code' and 'display', or a 'unit'")
        return None, ""
    unit = _unit(check, fields, number=number)
    named = [k for k in ("system", "code", "display") if k in fields]
    if not named:
        return None, unit
    if len(named) < 3:
        check.fail(node, "'code' needs 'system', 'code' and 'display' together")
        return None, unit
    system = fields["system"].value
    if system not in SYSTEMS:
        hint = suggest(str(system), list(SYSTEMS))
        check.fail(fields["system"], f"'system' must be one of {', '.join(SYSTEMS)}{hint}")
        return None, unit
    if not isinstance(fields["code"].value, str):  # a SNOMED CT id reads as a number
        check.fail(fields["code"], "'code' must be text: quote it, as in code: '56317004'")
        return None, unit
    code, display = check.text(fields, "code"), check.text(fields, "display")
    if not code or not display:
        return None, unit
    return Coding(system=SYSTEMS[system], code=code, display=display), unit


def _unit(check: Checker, fields: dict[str, Node], *, number: bool) -> str:
    node = fields.get("unit")
    if node is None:
        return ""
    if not number:
        check.fail(node, "'unit' goes with integer questions only")
        return ""
    if node.value not in UNITS:
        known = ", ".join(UNITS)
        check.fail(node, f"'unit' must be one of the UCUM units {known}; got {node.value!r}")
        return ""
    return str(node.value)
