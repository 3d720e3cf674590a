"""The condition language: parse and type-check `when:` blocks.

One language serves question `when` and rule `when`. Conditions are checked
against the bank when it loads (every question named exists and is in reach,
every compared value fits its question); `consult.bank.truth` compiles them
into three-valued closures.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from consult.bank.model import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Quantified,
    Question,
    Section,
)
from consult.bank.operators import ALIASES, OPERATORS
from consult.bank.truth import questions_of
from consult.bank.yamlsource import Node, describe, suggest
from consult.errors import Problem, Source

GROUPS = ("all", "any", "not")


class ConditionParser:
    """Parses `when:` nodes for one owner, appending problems instead of raising."""

    def __init__(
        self,
        owner: str,
        visible: Mapping[str, Question],
        problems: list[Problem],
        later: Collection[str] = (),
        *,
        complete: bool = True,
        groups: Mapping[str, Section] | None = None,
    ) -> None:
        self.owner = owner
        # Repeating groups, by quantifier name (`any_area`, `all_areas`).
        self.quantifiers: dict[str, tuple[str, Section]] = {}
        for group in (groups or {}).values():
            self.quantifiers.update(quantifier_names(group))
        self.inside: Section | None = None
        self.visible = visible
        self.later = later
        # False when part of the bank could not be read: unknown ids are then
        # not reported, as they would only echo the earlier problem.
        self.complete = complete
        self.problems = problems

    def parse(self, node: Node) -> Condition | None:
        """Parse one condition node; None (with problems recorded) if it is invalid."""
        if not node.is_mapping or not node.value:
            self._fail(node.source, f"a condition must be a mapping, got {describe(node)}")
            return None
        keys = set(node.value)
        if "question" in keys:
            return self._compare(node)
        if len(keys) == 1 and next(iter(keys)) in self.quantifiers:
            return self._quantified(node)
        groups = keys & set(GROUPS)
        if len(keys) != 1 or not groups:
            self._unknown_form(node)
            return None
        key = groups.pop()
        if key == "not":
            part = self.parse(node.value["not"])
            return Not(part=part, source=node.source) if part else None
        return self._group(key, node.value[key], node.source)

    def _quantified(self, node: Node) -> Condition | None:
        name = next(iter(node.value))
        kind, group = self.quantifiers[name]
        if self.inside is not None:
            self._fail(node.source, f"{name!r} cannot be used inside another quantifier")
            return None
        self.inside = group
        try:
            part = self.parse(node.value[name])
        finally:
            self.inside = None
        if part is None:
            return None
        return Quantified(
            kind="any" if kind == "any" else "all",
            group=group.id,
            key=group.key,
            part=part,
            source=node.source,
            reads=tuple(dict.fromkeys(questions_of(part))),
        )

    def _fail(self, source: Source, message: str) -> None:
        self.problems.append(Problem(source, f"{self.owner}: {message}"))

    def _unknown_form(self, node: Node) -> None:
        assert node.key_sources is not None
        for key, source in node.key_sources.items():
            if key not in GROUPS:
                options = [*GROUPS, "question", *self.quantifiers]
                self._fail(source, f"unknown condition key {key!r}{suggest(key, options)}")
                return
        first = next(iter(node.key_sources.values()))
        self._fail(first, "a condition has exactly one of 'all', 'any', 'not'")
        return

    def _group(self, key: str, node: Node, source: Source) -> Condition | None:
        if not node.is_list or not node.value:
            self._fail(node.source, f"'{key}' needs a non-empty list of conditions")
            return None
        parts = [self.parse(item) for item in node.value]
        if any(p is None for p in parts):
            return None
        done = tuple(p for p in parts if p is not None)
        return (
            AllOf(parts=done, source=source) if key == "all" else AnyOf(parts=done, source=source)
        )

    def _compare(self, node: Node) -> Condition | None:
        assert node.key_sources is not None
        qnode = node.value["question"]
        ops = [k for k in node.value if k != "question"]
        if len(ops) != 1:
            what = "no operator" if not ops else f"operators {', '.join(map(repr, ops))}"
            self._fail(node.source, f"a comparison needs exactly one operator, got {what}")
            return None
        raw_op = ops[0]
        op = ALIASES.get(raw_op, raw_op)
        if op not in OPERATORS:
            hint = suggest(raw_op, [*OPERATORS, *ALIASES])
            self._fail(node.key_sources[raw_op], f"unknown operator {raw_op!r}{hint}")
            return None
        question = self._question(qnode)
        if question is None:
            return None
        value_node = node.value[raw_op]
        value = self._value(question, op, value_node)
        if value is _INVALID:
            return None
        return Compare(question=question.id, op=op, value=value, source=value_node.source)

    def _question(self, node: Node) -> Question | None:
        qid = node.value
        if not isinstance(qid, str):
            self._fail(node.source, f"'question' must be a question id, got {describe(node)}")
            return None
        if qid in self.visible:
            question = self.visible[qid]
            return question if self._in_reach(question, node.source) else None
        if qid in self.later:
            self._fail(node.source, f"refers to question {qid!r}, which is not asked before it")
            return None
        if self.complete:
            hint = suggest(qid, list(self.visible))
            self._fail(node.source, f"unknown question {qid!r}{hint}")
        return None

    def _in_reach(self, question: Question, source: Source) -> bool:
        """Inside a quantifier over the areas, only questions answered per area are read.

        Outside one, a question answered per area reads the area being decided
        (or the answer given once for the patient).
        """
        if self.inside is not None and not question.per_area:
            message = (
                f"only questions answered per item of {self.inside.id!r} can be read inside "
                f"a quantifier over it, not {question.id!r}"
            )
            self._fail(source, message)
            return False
        return True

    def _value(self, question: Question, op: str, node: Node) -> object:
        operator = OPERATORS[op]
        if question.kind not in operator.kinds:
            kinds = " or ".join(operator.kinds)
            message = f"{op!r} needs a {kinds} question, but {question.id!r} is {question.kind}"
            self._fail(node.source, message)
            return _INVALID
        error = operator.check(question, node.plain())
        if error:
            self._fail(node.source, f"{op!r} on {question.id!r}: {error}")
            return _INVALID
        return operator.keep(node.plain())


_INVALID = object()


def quantifier_names(group: Section) -> dict[str, tuple[str, Section]]:
    """The quantifiers over a repeating group: `any_area` and `all_areas` for `areas`."""
    single = group.id[:-1] if group.id.endswith("s") and len(group.id) > 1 else group.id
    return {f"any_{single}": ("any", group), f"all_{group.id}": ("all", group)}
