"""The condition language: parse and type-check `when:` blocks.

One language serves question `when` and rule `when`. Conditions are checked
against the bank when it loads (every question named exists and is in reach,
every compared value fits its question); `consult.bank.truth` compiles them
into three-valued closures.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

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
from consult.bank.truth import questions_of
from consult.bank.yamlsource import Node, describe, suggest
from consult.errors import Problem, Source

ALIASES = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}
# operator -> the question kinds it applies to
OPERATORS: dict[str, tuple[str, ...]] = {
    "equals": ("yes_no", "one_of", "integer", "text"),
    "one_of": ("one_of", "integer"),
    "contains": ("many_of",),
    "contains_any": ("many_of",),
    "contains_all": ("many_of",),
    "gte": ("integer",),
    "gt": ("integer",),
    "lte": ("integer",),
    "lt": ("integer",),
    "between": ("integer",),
    "answered": ("yes_no", "one_of", "many_of", "integer", "text"),
    "unanswered": ("yes_no", "one_of", "many_of", "integer", "text"),
}
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
        """A group's question is read inside a quantifier over it, and only there."""
        names = [n for n, (_, g) in self.quantifiers.items() if g.id == question.section]
        if self.inside is None and names:
            message = (
                f"question {question.id!r} is answered per item of {question.section!r}: "
                f"read it inside {' or '.join(sorted(names))}"
            )
            self._fail(source, message)
            return False
        if self.inside is not None and question.section != self.inside.id:
            message = (
                f"only questions of {self.inside.id!r} can be read inside a quantifier "
                f"over it, not {question.id!r}"
            )
            self._fail(source, message)
            return False
        return True

    def _value(self, question: Question, op: str, node: Node) -> object:
        if question.kind not in OPERATORS[op]:
            kinds = " or ".join(OPERATORS[op])
            message = f"{op!r} needs a {kinds} question, but {question.id!r} is {question.kind}"
            self._fail(node.source, message)
            return _INVALID
        checker = VALUE_CHECKS[op]
        error = checker(question, node.plain())
        if error:
            self._fail(node.source, f"{op!r} on {question.id!r}: {error}")
            return _INVALID
        return _normalise(op, node.plain())


_INVALID = object()


def _check_flag(_question: Question, value: object) -> str:
    return "" if value is True else f"expected true, got {describe(value)}"


def _check_single(question: Question, value: object) -> str:
    if question.kind == "yes_no":
        return "" if isinstance(value, bool) else f"expected true or false, got {describe(value)}"
    if question.kind == "integer":
        return _check_int(question, value)
    if question.kind == "text":
        return "" if isinstance(value, str) else f"expected text, got {describe(value)}"
    return _check_choice(question, value)


def _check_choice(question: Question, value: object) -> str:
    ids = question.choice_ids
    if isinstance(value, str) and value in ids:
        return ""
    hint = suggest(value, ids) if isinstance(value, str) else ""
    return f"expected one of {', '.join(ids)}; got {describe(value)}{hint}"


def _check_int(question: Question, value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return f"expected a whole number, got {describe(value)}"
    lo, hi = question.minimum, question.maximum
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return f"{value} is outside the question's range {lo}-{hi}"
    return ""


def _check_list(question: Question, value: object) -> str:
    if not isinstance(value, list) or not value:
        return f"expected a non-empty list, got {describe(value)}"
    for item in value:
        error = _check_single(question, item)
        if error:
            return error
    return ""


def _check_between(question: Question, value: object) -> str:
    if not isinstance(value, list) or len(value) != 2:
        return f"expected a list [low, high], got {describe(value)}"
    error = _check_int(question, value[0]) or _check_int(question, value[1])
    if error:
        return error
    if value[0] > value[1]:
        return f"low {value[0]} is above high {value[1]}"
    return ""


VALUE_CHECKS: dict[str, Callable[[Question, object], str]] = {
    "equals": _check_single,
    "one_of": _check_list,
    "contains": _check_choice,
    "contains_any": _check_list,
    "contains_all": _check_list,
    "gte": _check_int,
    "gt": _check_int,
    "lte": _check_int,
    "lt": _check_int,
    "between": _check_between,
    "answered": _check_flag,
    "unanswered": _check_flag,
}


def _normalise(op: str, value: object) -> object:
    if op in {"one_of", "contains_any", "contains_all"}:
        assert isinstance(value, list)
        return frozenset(value)
    if op == "between":
        assert isinstance(value, list)
        return (value[0], value[1])
    return value


def quantifier_names(group: Section) -> dict[str, tuple[str, Section]]:
    """The quantifiers over a repeating group: `any_area` and `all_areas` for `areas`."""
    single = group.id[:-1] if group.id.endswith("s") and len(group.id) > 1 else group.id
    return {f"any_{single}": ("any", group), f"all_{group.id}": ("all", group)}
