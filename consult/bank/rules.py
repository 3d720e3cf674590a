"""Read the rules folder: references, referrals, procedures with evidence, and rules.

Shape and types are checked per file as it is read; `cross_check` then checks
that every procedure, referral, reference and indication a rule or evidence
note names exists. Problems are collected, never raised here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from consult.bank.conditions import ConditionParser
from consult.bank.model import (
    BASES,
    CERTAINTIES,
    EFFECTS,
    Evidence,
    Indication,
    KnowledgeBase,
    PatientText,
    Procedure,
    Question,
    Reference,
    Referral,
    Rule,
    Section,
)
from consult.bank.schema import Checker
from consult.bank.scope import with_scope
from consult.bank.truth import compile_condition, questions_of
from consult.bank.yamlsource import Node, suggest
from consult.errors import Problem

# (required, optional) keys of each mapping in a rules file; the JSON Schema
# (consult.engine.fileschema) is built from the same tables.
RULES_FILE_KEYS = ((), ("procedures", "references", "referrals", "rules"))
REFERENCE_KEYS = (("id", "citation"), ())
REFERRAL_KEYS = (("id", "name"), ("description", "patient"))
PROCEDURE_KEYS = (
    ("id", "name", "description", "evidence", "patient"),
    ("protocol", "downtime", "regulatory", "indications", "sites"),
)
# The patient's own summary: the procedure in plain words, every part required.
PATIENT_TEXT_KEYS = (
    ("what", "sessions", "downtime", "common_risks", "serious_risks", "before"),
    (),
)
INDICATION_KEYS = (("id", "label", "evidence"), ())
EVIDENCE_KEYS = (("certainty", "level", "summary", "references"), ("design", "certainty_source"))
RULE_KEYS = (
    ("id", "when"),
    (*EFFECTS, "text", "indication", "description", "basis", "patient"),
)
# The effects whose rule must carry a `text` shown to the clinician.
EFFECTS_WITH_TEXT = ("exclude", "caveat", "before", "refer", "inform")
LEVELS = (1, 5)  # Oxford CEBM 2011 levels of evidence, lowest and highest
# A citation in a text: reference ids in brackets, "[R30]" or "[R30, R30b]".
CITATION = re.compile(r"\[(R[0-9]+[a-z]?(?:, *R[0-9]+[a-z]?)*)\]")


class RuleReader:
    """Reads the rules folder: references, referrals, procedures and rules, then cross-checks."""

    def __init__(
        self,
        problems: list[Problem],
        questions: dict[str, Question],
        complete: bool,
        groups: dict[str, Section] | None = None,
    ) -> None:
        self.problems = problems
        self.questions = questions
        self.complete = complete
        self.groups = groups or {}
        self.procedures: dict[str, tuple[Procedure, dict[str, Node]]] = {}
        self.referrals: dict[str, Referral] = {}
        self.references: dict[str, Reference] = {}
        self.rules: dict[str, tuple[Rule, dict[str, Node]]] = {}
        self.reference_uses: list[tuple[str, Node, str]] = []
        # Texts that cite references in brackets ("... [R30, R30b]"): checked like `references`.
        self.citations: list[tuple[str, Node, str]] = []

    def read_file(self, doc: Node) -> None:
        """Read one rules file (any of its four sections may be absent)."""
        check = Checker("", self.problems)
        fields = check.fields(doc, *RULES_FILE_KEYS)
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

    def _duplicate(self, check: Checker, fields: dict[str, Node], seen: Mapping[str, Any]) -> bool:
        """Whether the id was read before (an error naming the first); one lookup.

        `seen` is the table of what was read, its values a record or a (record,
        fields) pair with a `source`: a copy per entry made loading quadratic
        (8,000 rules: 29 s).
        """
        ident = fields["id"].value
        if ident in seen:
            first = seen[ident]
            where = (first[0] if isinstance(first, tuple) else first).source
            check.fail(fields["id"], f"duplicate id (first at {where})")
            return True
        return False

    def _reference(self, node: Node) -> None:
        check = Checker("reference", self.problems)
        check.name_from("reference", node)
        fields = check.fields(node, *REFERENCE_KEYS)
        if fields is None:
            return
        rid = check.ident(fields, kind="reference")
        check.owner = f"reference {rid!r}"
        if rid and not self._duplicate(check, fields, self.references):
            citation = check.text(fields, "citation")
            self.references[rid] = Reference(id=rid, citation=citation, source=node.source)

    def _referral(self, node: Node) -> None:
        check = Checker("referral", self.problems)
        check.name_from("referral", node)
        fields = check.fields(node, *REFERRAL_KEYS)
        if fields is None:
            return
        rid = check.ident(fields)
        check.owner = f"referral {rid!r}"
        if rid and not self._duplicate(check, fields, self.referrals):
            self.referrals[rid] = Referral(
                id=rid,
                name=check.text(fields, "name"),
                description=check.text(fields, "description"),
                patient=_patient_words(check, fields),
                source=node.source,
            )

    def _procedure(self, node: Node) -> None:
        check = Checker("procedure", self.problems)
        fields = check.fields(node, *PROCEDURE_KEYS)
        if fields is None:
            return
        pid = check.ident(fields)
        check.owner = f"procedure {pid!r}"
        evidence = self._evidence(check, fields.get("evidence"))
        indications = tuple(
            i for i in (self._indication(check, n) for n in check.items(fields, "indications")) if i
        )
        self._cites(check, fields, ("description", "protocol", "downtime", "regulatory"))
        procedure = Procedure(
            id=pid,
            name=check.text(fields, "name"),
            description=check.text(fields, "description"),
            protocol=check.text(fields, "protocol"),
            downtime=check.text(fields, "downtime"),
            regulatory=check.text(fields, "regulatory"),
            evidence=evidence or _NO_EVIDENCE,
            indications=indications,
            patient=self._patient_text(check, fields.get("patient")),
            source=node.source,
            sites=self._sites(check, fields, node),
        )
        if pid and not self._duplicate(check, fields, self.procedures):
            self.procedures[pid] = (procedure, fields)

    def _sites(self, check: Checker, fields: dict[str, Node], node: Node) -> frozenset[str] | None:
        """The sites a procedure treats: choices of the repeating group's key, or `any`."""
        group = next(iter(self.groups.values()), None)
        if group is None:
            if "sites" in fields:
                check.fail(fields["sites"], "'sites' needs a repeating group in the questions")
            return None
        if "sites" not in fields:
            check.fail(node, f"missing key 'sites' (the {group.key!r} values it treats, or any)")
            return None
        if fields["sites"].value == "any":
            return None
        choices = self.questions[group.key].choice_ids
        found: set[str] = set()
        for site in check.ids(fields, "sites"):
            if site not in choices:
                hint = suggest(site, choices)
                check.fail(fields["sites"], f"unknown {group.key} {site!r}{hint}")
            found.add(site)
        if not found:
            check.fail(fields["sites"], f"'sites' needs at least one {group.key}, or any")
        return frozenset(found)

    def _patient_text(self, check: Checker, node: Node | None) -> PatientText | None:
        """The plain-words text for the patient: no reference or rule ids in it."""
        if node is None:
            return None
        fields = check.fields(node, *PATIENT_TEXT_KEYS)
        if fields is None:
            return None
        for key, value in fields.items():
            if isinstance(value.value, str) and CITATION.search(value.value):
                check.fail(value, f"'patient.{key}' is for the patient: no reference ids")
        texts = {key: check.text(fields, key) for key in PATIENT_TEXT_KEYS[0]}
        return PatientText(**texts)

    def _indication(self, check: Checker, node: Node) -> Indication | None:
        fields = check.fields(node, *INDICATION_KEYS)
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
        fields = check.fields(node, *EVIDENCE_KEYS)
        if fields is None:
            return None
        self._cites(check, fields, ("summary", "design", "certainty_source"))
        certainty = fields["certainty"].value if "certainty" in fields else None
        if "certainty" in fields and certainty not in CERTAINTIES:
            options = ", ".join(CERTAINTIES)
            check.fail(
                fields["certainty"], f"'certainty' must be one of {options}; got {certainty!r}"
            )
        level = check.integer(fields, "level")
        if level is not None and not LEVELS[0] <= level <= LEVELS[1]:
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
        fields = check.fields(node, *RULE_KEYS)
        if fields is None:
            return
        rid = check.ident(fields, kind="rule")
        check.owner = f"rule {rid!r}"
        when = None
        if "when" in fields:
            parser = ConditionParser(
                check.owner,
                self.questions,
                self.problems,
                complete=self.complete,
                groups=self.groups,
            )
            when = parser.parse(fields["when"])
        effects = {key: check.ids(fields, key) for key in EFFECTS}
        if not any(effects.values()) and not any(k in fields for k in EFFECTS):
            check.fail(node, f"a rule needs at least one of {', '.join(EFFECTS)}")
        text = check.text(fields, "text")
        self._cites(check, fields, ("text", "description"))
        needs_text = [k for k in EFFECTS_WITH_TEXT if effects[k]]
        if needs_text and "text" not in fields:
            check.fail(node, f"'{needs_text[0]}' needs a 'text' shown to the clinician")
        if when is None or not rid or self._duplicate(check, fields, self.rules):
            return
        ordered = tuple(dict.fromkeys(questions_of(when)))
        rule = Rule(
            id=rid,
            when=when,
            text=text,
            indication=check.text(fields, "indication"),
            description=check.text(fields, "description"),
            basis=_basis(check, fields),
            patient=_patient_words(check, fields),
            source=node.source,
            questions=ordered,
            test=compile_condition(when),
            candidate=effects["candidate"],
            exclude=effects["exclude"],
            caveat=effects["caveat"],
            before=effects["before"],
            refer=effects["refer"],
            inform=effects["inform"],
        )
        self.rules[rid] = (rule, fields)

    def _cites(self, check: Checker, fields: dict[str, Node], keys: Iterable[str]) -> None:
        """Note the references a text field cites in brackets, such as `[R30, R30b]`."""
        for key in keys:
            node = fields.get(key)
            if node is not None and isinstance(node.value, str):
                for cited in CITATION.findall(node.value):
                    for ref in cited.split(","):
                        self.citations.append((ref.strip(), node, check.owner))

    def cross_check(self) -> None:
        """Check the ids that rules and evidence notes name or cite, across all files."""
        for ref, node, owner in self.reference_uses:
            if ref not in self.references:
                hint = _hint(ref, self.references)
                self.problems.append(
                    Problem(node.source, f"{owner}: unknown reference {ref!r}{hint}")
                )
        for ref, node, owner in self.citations:
            if ref not in self.references:
                hint = _hint(ref, self.references)
                message = f"{owner}: cites unknown reference {ref!r}{hint}"
                self.problems.append(Problem(node.source, message))
        for rule, fields in self.rules.values():
            self._check_targets(rule, fields)

    def _check_targets(self, rule: Rule, fields: dict[str, Node]) -> None:
        owner = f"rule {rule.id!r}"
        for key in ("candidate", "exclude", "caveat", "before", "inform"):
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

    def build(
        self, by_id: dict[str, Question], sections: list[Section], version: str, sha: str
    ) -> KnowledgeBase:
        """The checked knowledge base (call only when no problem was found)."""
        questions = tuple(by_id.values())
        rules = [r for r, _ in self.rules.values()]
        return KnowledgeBase(
            questions=questions,
            sections=tuple(sections),
            procedures={k: with_scope(v[0], rules, by_id) for k, v in self.procedures.items()},
            referrals=dict(self.referrals),
            references=dict(self.references),
            rules=tuple(r for r, _ in self.rules.values()),
            version=version,
            sha256=sha,
            by_id=dict(by_id),
            groups={s.id: s for s in sections if s.key},
            per_area=frozenset(q for q, question in by_id.items() if question.per_area),
        )


_NO_EVIDENCE = Evidence(certainty="insufficient", level=5, summary="", references=())


def _basis(check: Checker, fields: dict[str, Node]) -> str:
    """A rule's `basis`: one of the keys of BASES, or "" when absent."""
    basis = check.text(fields, "basis")
    if basis and basis not in BASES:
        options = ", ".join(BASES)
        check.fail(fields["basis"], f"'basis' must be one of {options}; got {basis!r}")
        return ""
    return basis


def _hint(word: str, options: Iterable[str]) -> str:
    return suggest(word, list(options))


def _patient_words(check: Checker, fields: dict[str, Node]) -> str:
    """A `patient` text (a referral's why, a rule's step before treatment): no reference ids."""
    node = fields.get("patient")
    if node is not None and CITATION.search(str(node.value)):
        check.fail(node, "'patient' is for the patient: no reference ids")
    return check.text(fields, "patient")
