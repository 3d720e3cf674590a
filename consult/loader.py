"""Load `questions/` and `rules/` into a checked, compiled KnowledgeBase.

Two passes: shape and types per file, then cross-references across files.
Every problem is collected and raised once, sorted, as `path:line:col: message`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from consult.conditions import ConditionParser, compile_condition, questions_of
from consult.errors import InputError, InvalidDefinitions, Problem, Source, display_path
from consult.model import (
    CERTAINTIES,
    KINDS,
    AllOf,
    Choice,
    Compare,
    Condition,
    Evidence,
    Indication,
    KnowledgeBase,
    Procedure,
    Question,
    Reference,
    Referral,
    Rule,
    Section,
)
from consult.schema import Checker
from consult.yamlsrc import MAX_BYTES, Node, YamlProblem, decode, iter_yaml_files, parse, suggest

DEFAULT_MAX_LENGTH = 2000
_QUESTION_KEYS = ("choices", "min", "max", "max_length", "help", "required", "when")
_EFFECTS = ("candidate", "exclude", "caveat", "refer", "inform")


def shipped_bank() -> tuple[Path, Path]:
    """The folders of the bank that ships with the package."""
    here = Path(__file__).resolve().parent
    # Installed: consult/questions. Source checkout or editable install: ../questions.
    for base in (here, here.parent):
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
    return _Loader().load(qdir, rdir)


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
        version = self._version(qdir)
        complete = len(qdocs) == len(list(iter_yaml_files(qdir))) and bool(qdocs)
        rules = _RuleReader(self.problems, bank.questions, complete)
        for doc in rdocs:
            rules.read_file(doc)
        rules.cross_check()
        if self.problems:
            raise InvalidDefinitions(self.problems)
        sha = self.digest.hexdigest()
        return rules.build(bank, f"{version}+{sha[:8]}", sha)

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
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
            self.digest.update(f"{kind}/{path.name}\0".encode())
            self.digest.update(data)
            node = parse(decode(data, name), name)
        except YamlProblem as exc:
            self.problems.append(exc.problem)
            return None
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror}") from None
        if node is None:
            self.problems.append(Problem(Source(name, 1, 1), "file is empty"))
        return node

    def _question_file(self, bank: _QuestionReader, doc: Node) -> None:
        check = Checker("", self.problems)
        fields = check.fields(doc, ("sections",), ("version",))
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
        fields = check.fields(node, ("id", "title", "questions"), ("when",))
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
        ids = [self.question(item, sid, when) for item in check.items(fields, "questions")]
        found = tuple(i for i in ids if i)
        self.sections.append(Section(id=sid, title=title, questions=found, source=node.source))

    def _parser(self, owner: str) -> ConditionParser:
        later = self.all_ids - set(self.questions)
        return ConditionParser(owner, dict(self.questions), self.problems, later)

    def question(self, node: Node, section: str, section_when: Condition | None) -> str:
        check = Checker("question", self.problems)
        check.name_from("question", node)
        fields = check.fields(node, ("id", "text", "type"), _QUESTION_KEYS)
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
            source=node.source,
        )
        if kind:
            question = self._range(check, fields, question)
        when = self._when(check, fields, section_when)
        if when is not None:
            question = replace(question, when=when, applies=compile_condition(when))
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
            sub = check.fields(item, ("id", "label"), ("help", "exclusive"))
            if sub is None:
                continue
            choice = Choice(
                id=check.ident(sub),
                label=check.text(sub, "label"),
                help=check.text(sub, "help"),
                exclusive=check.flag(sub, "exclusive"),
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


class _RuleReader:
    def __init__(
        self, problems: list[Problem], questions: dict[str, Question], complete: bool
    ) -> None:
        self.problems = problems
        self.questions = questions
        self.complete = complete
        self.procedures: dict[str, tuple[Procedure, dict[str, Node]]] = {}
        self.referrals: dict[str, Referral] = {}
        self.references: dict[str, Reference] = {}
        self.rules: dict[str, tuple[Rule, dict[str, Node]]] = {}
        self.reference_uses: list[tuple[str, Node, str]] = []

    def read_file(self, doc: Node) -> None:
        check = Checker("", self.problems)
        keys = ("procedures", "references", "referrals", "rules")
        fields = check.fields(doc, (), keys)
        if fields is None:
            return
        for item in check.items(fields, "references"):
            self._reference(item)
        for item in check.items(fields, "referrals"):
            self._referral(item)
        for item in check.items(fields, "procedures"):
            self._procedure(item)
        for item in check.items(fields, "rules"):
            self._rule(item)

    def _duplicate(self, check: Checker, fields: dict[str, Node], seen: dict[str, Source]) -> bool:
        ident = fields["id"].value
        if ident in seen:
            check.fail(fields["id"], f"duplicate id (first at {seen[ident]})")
            return True
        return False

    def _reference(self, node: Node) -> None:
        check = Checker("reference", self.problems)
        check.name_from("reference", node)
        fields = check.fields(node, ("id", "citation"))
        if fields is None:
            return
        rid = check.ident(fields, kind="reference")
        check.owner = f"reference {rid!r}"
        seen = {k: v.source for k, v in self.references.items()}
        if rid and not self._duplicate(check, fields, seen):
            citation = check.text(fields, "citation")
            self.references[rid] = Reference(id=rid, citation=citation, source=node.source)

    def _referral(self, node: Node) -> None:
        check = Checker("referral", self.problems)
        check.name_from("referral", node)
        fields = check.fields(node, ("id", "name"), ("description",))
        if fields is None:
            return
        rid = check.ident(fields)
        check.owner = f"referral {rid!r}"
        seen = {k: v.source for k, v in self.referrals.items()}
        if rid and not self._duplicate(check, fields, seen):
            self.referrals[rid] = Referral(
                id=rid,
                name=check.text(fields, "name"),
                description=check.text(fields, "description"),
                source=node.source,
            )

    def _procedure(self, node: Node) -> None:
        check = Checker("procedure", self.problems)
        optional = ("protocol", "downtime", "regulatory", "indications")
        fields = check.fields(node, ("id", "name", "description", "evidence"), optional)
        if fields is None:
            return
        pid = check.ident(fields)
        check.owner = f"procedure {pid!r}"
        evidence = self._evidence(check, fields.get("evidence"))
        indications = tuple(
            i for i in (self._indication(check, n) for n in check.items(fields, "indications")) if i
        )
        procedure = Procedure(
            id=pid,
            name=check.text(fields, "name"),
            description=check.text(fields, "description"),
            protocol=check.text(fields, "protocol"),
            downtime=check.text(fields, "downtime"),
            regulatory=check.text(fields, "regulatory"),
            evidence=evidence or _NO_EVIDENCE,
            indications=indications,
            source=node.source,
        )
        seen = {k: v[0].source for k, v in self.procedures.items()}
        if pid and not self._duplicate(check, fields, seen):
            self.procedures[pid] = (procedure, fields)

    def _indication(self, check: Checker, node: Node) -> Indication | None:
        fields = check.fields(node, ("id", "label", "evidence"))
        if fields is None:
            return None
        evidence = self._evidence(check, fields.get("evidence"))
        if evidence is None:
            return None
        return Indication(
            id=check.ident(fields), label=check.text(fields, "label"), evidence=evidence
        )

    def _evidence(self, check: Checker, node: Node | None) -> Evidence | None:
        if node is None:
            return None
        optional = ("design", "certainty_source")
        fields = check.fields(node, ("certainty", "level", "summary", "references"), optional)
        if fields is None:
            return None
        certainty = fields["certainty"].value if "certainty" in fields else None
        if "certainty" in fields and certainty not in CERTAINTIES:
            options = ", ".join(CERTAINTIES)
            check.fail(
                fields["certainty"], f"'certainty' must be one of {options}; got {certainty!r}"
            )
        level = check.integer(fields, "level")
        if level is not None and not 1 <= level <= 5:
            check.fail(fields["level"], f"'level' (Oxford CEBM 2011) must be 1-5, got {level}")
        refs = check.ids(fields, "references", kind="reference")
        if "references" in fields and not refs:
            check.fail(fields["references"], "'references' needs at least one reference id")
        for ref in refs:
            self.reference_uses.append((ref, fields["references"], check.owner))
        if certainty not in CERTAINTIES or level is None:
            return None
        return Evidence(
            certainty=certainty,
            level=level,
            summary=check.text(fields, "summary"),
            references=refs,
            design=check.text(fields, "design"),
            certainty_source=check.text(fields, "certainty_source"),
        )

    def _rule(self, node: Node) -> None:
        check = Checker("rule", self.problems)
        check.name_from("rule", node)
        fields = check.fields(
            node, ("id", "when"), (*_EFFECTS, "text", "indication", "description")
        )
        if fields is None:
            return
        rid = check.ident(fields, kind="rule")
        check.owner = f"rule {rid!r}"
        when = None
        if "when" in fields:
            parser = ConditionParser(
                check.owner, self.questions, self.problems, complete=self.complete
            )
            when = parser.parse(fields["when"])
        effects = {key: check.ids(fields, key) for key in _EFFECTS}
        if not any(effects.values()) and not any(k in fields for k in _EFFECTS):
            check.fail(node, f"a rule needs at least one of {', '.join(_EFFECTS)}")
        text = check.text(fields, "text")
        needs_text = [k for k in ("exclude", "caveat", "refer", "inform") if effects[k]]
        if needs_text and "text" not in fields:
            check.fail(node, f"'{needs_text[0]}' needs a 'text' shown to the clinician")
        seen = {k: v[0].source for k, v in self.rules.items()}
        if when is None or not rid or self._duplicate(check, fields, seen):
            return
        ordered = tuple(dict.fromkeys(questions_of(when)))
        rule = Rule(
            id=rid,
            when=when,
            text=text,
            indication=check.text(fields, "indication"),
            description=check.text(fields, "description"),
            source=node.source,
            questions=ordered,
            test=compile_condition(when),
            **effects,
        )
        self.rules[rid] = (rule, fields)

    def cross_check(self) -> None:
        for ref, node, owner in self.reference_uses:
            if ref not in self.references:
                hint = _hint(ref, self.references)
                self.problems.append(
                    Problem(node.source, f"{owner}: unknown reference {ref!r}{hint}")
                )
        for rule, fields in self.rules.values():
            self._check_targets(rule, fields)

    def _check_targets(self, rule: Rule, fields: dict[str, Node]) -> None:
        owner = f"rule {rule.id!r}"
        for key in ("candidate", "exclude", "caveat", "inform"):
            for pid in getattr(rule, key):
                if pid not in self.procedures:
                    hint = _hint(pid, self.procedures)
                    message = f"{owner}: unknown procedure {pid!r}{hint}"
                    self.problems.append(Problem(fields[key].source, message))
        for rid in rule.refer:
            if rid not in self.referrals:
                hint = _hint(rid, self.referrals)
                message = f"{owner}: unknown referral {rid!r}{hint}"
                self.problems.append(Problem(fields["refer"].source, message))
        if rule.indication:
            self._check_indication(rule, fields, owner)

    def _check_indication(self, rule: Rule, fields: dict[str, Node], owner: str) -> None:
        where = fields["indication"].source
        if not rule.candidate:
            self.problems.append(Problem(where, f"{owner}: 'indication' goes with 'candidate'"))
        for pid in rule.candidate:
            entry = self.procedures.get(pid)
            if entry and entry[0].indication(rule.indication) is None:
                known = [i.id for i in entry[0].indications]
                hint = _hint(rule.indication, known)
                message = f"{owner}: procedure {pid!r} has no indication {rule.indication!r}{hint}"
                self.problems.append(Problem(where, message))

    def build(self, bank: _QuestionReader, version: str, sha: str) -> KnowledgeBase:
        questions = tuple(bank.questions.values())
        rules = [r for r, _ in self.rules.values()]
        return KnowledgeBase(
            questions=questions,
            sections=tuple(bank.sections),
            procedures={
                k: _with_scope(v[0], rules, bank.questions) for k, v in self.procedures.items()
            },
            referrals=dict(self.referrals),
            references=dict(self.references),
            rules=tuple(r for r, _ in self.rules.values()),
            version=version,
            sha256=sha,
            by_id=dict(bank.questions),
        )


_MEMBERSHIP = ("contains", "contains_any", "contains_all")


def _with_scope(
    procedure: Procedure, rules: list[Rule], questions: dict[str, Question]
) -> Procedure:
    """Attach the patients a procedure is for, from its candidate rules.

    A candidate rule puts the procedure in scope when its choice tests (such as
    "the concerns include scars") hold and the questions it reads apply (a
    scar-type question asked only for scars). A candidate rule with neither,
    or no candidate rule at all, puts it in scope for everyone.
    """
    scope = []
    for rule in rules:
        if procedure.id in rule.candidate:
            gates = [questions[q].when for q in rule.questions if questions[q].when]
            parts = (*_membership_leaves(rule.when), *(g for g in gates if g is not None))
            if not parts:
                return procedure
            scope.append(compile_condition(AllOf(parts=parts, source=rule.source)))
    return replace(procedure, scope=tuple(scope))


def _membership_leaves(condition: Condition) -> tuple[Condition, ...]:
    if isinstance(condition, Compare) and condition.op in _MEMBERSHIP:
        return (condition,)
    if isinstance(condition, AllOf):
        return tuple(leaf for part in condition.parts for leaf in _membership_leaves(part))
    return ()


_NO_EVIDENCE = Evidence(certainty="insufficient", level=5, summary="", references=())


def _hint(word: str, options: Iterable[str]) -> str:
    return suggest(word, list(options))
