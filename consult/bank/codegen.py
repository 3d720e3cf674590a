"""All conditions of a bank compiled together into one generated function.

The engine tests every rule of the bank for every answer set, so the rules
are also compiled together into one generated Python function: each answer
is read once, whether a question applies is worked out once (in bank order,
from its `when`), and no closure tree is walked. The source is written from
the checked condition tree only; question ids and compared values are bound
as constants of the function's namespace, never written into the source, so
no text from a bank file is ever evaluated. Truth is an int inside the
function (3 true, 1 unknown, 0 false: Kleene "and" is `&`, "or" is `|`),
with the same short-circuits as the closures of `consult.bank.conditions`; when
no question compared is pending, plain Boolean expressions are used instead.
`compile_checked` writes the same tests into a function that first checks a
plain answer mapping, question by question (batch input, the Python API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, assert_never

from consult.bank.model import (
    AllOf,
    Answer,
    Answers,
    AnyOf,
    Compare,
    Condition,
    Items,
    Not,
    Quantified,
    Question,
    Truth,
)
from consult.bank.truth import compile_condition, questions_of

_MISSING = object()
_TRUTHS: tuple[Truth, ...] = (False, None, None, True)
_NOT = (3, 1, 0, 0)
_INT = {True: 3, None: 1, False: 0}


def _applies(_question: str) -> Truth:
    return True  # the questions of a repeating group have no `when`


# A quantified part over the items, as bit masks of key values (sites): those
# present, those where the part is true, those where it is unknown; and its truth
# on the answers given for every item (used when no item has the sites).
Masks = tuple[int, int, int, int]


def _per_item(condition: Quantified, bits: Mapping[str, int]) -> Callable[[Answers], Masks]:
    """The masks of the quantified part over the items, and its truth on the answers for all."""
    test = compile_condition(condition.part)
    group, key, reads = condition.group, condition.key, condition.reads

    def per_item(answers: Answers) -> Masks:
        flat = _INT[test(answers, _applies)]
        found = answers.get(group)
        if not isinstance(found, Items):
            return 0, 0, 0, flat
        every = {q: answers[q] for q in reads if q in answers}
        present = true = unknown = 0
        for item in found.items:
            bit = bits.get(str(item.get(key)), 0)
            present |= bit
            truth = test({**every, **item} if every else item, _applies)
            if truth is True:
                true |= bit
            elif truth is None:
                unknown |= bit
        return present, true, unknown, flat

    return per_item


_OPS = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
ManyTest = Callable[[Answers], tuple[Truth, ...]]


class _Writer:
    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.variables: dict[str, str] = {}
        self.temps = 0
        self.questions: Mapping[str, Question] = {}
        self.quantified: list[tuple[str, str]] = []  # (variable, its expression or "": a part)
        self._quantifiers: dict[int, str] = {}
        self._parts: dict[int, str] = {}

    def quantifier(self, condition: Quantified) -> str:
        """A variable holding the truth (3, 1, 0) of a quantifier over a repeating group.

        A helper works out the quantified part once per item (shared by the
        copies of a rule limited to different sites) as bit masks of sites; each
        quantifier is then a few integer operations on the masks of its sites.
        """
        name = self._quantifiers.get(id(condition))
        if name is not None:
            return name
        name = self._quantifiers[id(condition)] = f"q{len(self.quantified)}"
        key = self.questions[condition.key].choice_ids
        bits = {choice: 1 << n for n, choice in enumerate(key)}
        part = self._parts.get(id(condition.part))
        if part is None:
            part = self._parts[id(condition.part)] = f"e{len(self._parts)}"
            self.constants[f"E{part}"] = _per_item(condition, bits)
            self.quantified.append((part, ""))
        sites = condition.sites
        mask = sum(bits[s] for s in sites) if sites is not None else (1 << len(key)) - 1
        a, t, u, f, k = f"a{part}", f"t{part}", f"u{part}", f"f{part}", self.constant(mask)
        if condition.kind == "any":
            held = f"(3 if {t} & {k} else 1 if {u} & {k} else 0)"
        else:
            held = f"(0 if {a} & {k} & ~({t} | {u}) else 1 if {u} & {k} else 3)"
        self.quantified.append((name, f"{held} if {a} & {k} else {f}"))
        return name

    def quantifier_lines(self, answers: str) -> list[str]:
        """Lines that work out each quantifier (an unknown one makes `p` pending)."""
        lines = []
        for name, held in self.quantified:
            if not held:  # the part, over the items
                lines.append(f"    a{name}, t{name}, u{name}, f{name} = E{name}({answers})")
                continue
            lines += [f"    {name} = {held}", f"    if {name} == 1:", "        p = 1"]
        return lines

    def constant(self, value: object) -> str:
        name = f"k{len(self.constants)}"
        self.constants[name] = value
        return name

    def variable(self, qid: str) -> str:
        if qid not in self.variables:
            self.variables[qid] = f"v{len(self.variables)}"
        return self.variables[qid]

    def temp(self) -> str:
        self.temps += 1
        return f"t{self.temps}"

    def expr(self, condition: Condition) -> str:
        match condition:
            case Compare():
                return self._compare(condition)
            case AllOf():
                # Stop at the first false part, as `_compile_all` does.
                t = self.temp()
                parts = [self.expr(p) for p in condition.parts]
                if len(parts) == 1:
                    return parts[0]
                body = f"({t} := {parts[0]})"
                for part in parts[1:-1]:
                    body += f" and ({t} := {t} & {part})"
                return f"({body} and ({t} & {parts[-1]}))"
            case AnyOf():
                # Stop at the first true part, as `_compile_any` does.
                t = self.temp()
                parts = [self.expr(p) for p in condition.parts]
                if len(parts) == 1:
                    return parts[0]
                body = f"({t} | {parts[-1]})"
                for part in reversed(parts[1:-1]):
                    body = f"(3 if ({t} := {t} | {part}) == 3 else {body})"
                return f"(3 if ({t} := {parts[0]}) == 3 else {body})"
            case Not():
                return f"NOT[{self.expr(condition.part)}]"
            case Quantified():
                return self.quantifier(condition)
            case _:  # pragma: no cover
                assert_never(condition)

    def expr2(self, condition: Condition) -> str:
        """The condition as a plain Boolean expression.

        Exact when no question it reads is pending (unanswered, and not
        switched off by its `when`): a comparison on a switched-off question is
        false, as in `expr`, and with no unknowns Kleene logic is Boolean logic.
        """
        match condition:
            case Compare():
                v = self.variable(condition.question)
                if condition.op == "answered":
                    return f"({v} is not M)"
                if condition.op == "unanswered":
                    return f"({v} is M)"
                if condition.op in {"equals", "one_of"}:  # already false on M
                    return f"({self._predicate(condition, v)})"
                return f"({v} is not M and {self._predicate(condition, v)})"
            case AllOf():
                return "(" + " and ".join(self.expr2(p) for p in condition.parts) + ")"
            case AnyOf():
                return "(" + " or ".join(self.expr2(p) for p in condition.parts) + ")"
            case Not():
                return f"(not {self.expr2(condition.part)})"
            case Quantified():
                return f"({self.quantifier(condition)} == 3)"
            case _:  # pragma: no cover
                assert_never(condition)

    def missing(self, question: Question, v: str, indent: str, *, pending: bool) -> list[str]:
        """Lines for an unanswered question: the truth a comparison on it takes.

        That is false (0) when its own `when` rules it out, else unknown (1).
        `p` is set when the conditions compare the question and it is not ruled out.
        """
        if question.when is None:
            return [f"{indent}n{v} = 1"] + ([f"{indent}p = 1"] if pending else [])
        lines = [f"{indent}n{v} = 0 if {self.expr(question.when)} == 0 else 1"]
        return lines + ([f"{indent}p |= n{v}"] if pending else [])

    @staticmethod
    def returns(exprs3: list[str], exprs2: list[str], head: str = "") -> list[str]:
        """Return the truths: Booleans when no question compared is pending (`p`)."""
        return [
            "    if p:",
            f"        return {head}(" + "".join(f"T[{e}], " for e in exprs3) + ")",
            f"    return {head}(" + "".join(f"{e}, " for e in exprs2) + ")",
        ]

    def _compare(self, c: Compare) -> str:
        v = self.variable(c.question)
        if c.op == "answered":
            return f"(3 if {v} is not M else 0)"
        if c.op == "unanswered":
            return f"(0 if {v} is not M else 3)"
        # A missing answer: false if the question is switched off, else unknown.
        return f"((3 if {self._predicate(c, v)} else 0) if {v} is not M else n{v})"

    def _predicate(self, c: Compare, v: str) -> str:
        value = c.value
        if c.op == "between":
            assert isinstance(value, tuple)
            return f"{self.constant(value[0])} <= {v} <= {self.constant(value[1])}"
        k = self.constant(value)
        if c.op == "equals":
            return f"{v} == {k}"
        if c.op == "one_of":
            return f"{v} in {k}"
        if c.op == "contains":
            return f"{k} in {v}"
        if c.op == "contains_any":
            return f"not {k}.isdisjoint({v})"
        if c.op == "contains_all":
            return f"{k}.issubset({v})"
        return f"{v} {_OPS[c.op]} {k}"


def compile_rules(conditions: Sequence[Condition], questions: Sequence[Question]) -> ManyTest:
    """Compile conditions into one test of an answer set returning a truth for each.

    `questions` is the whole bank in order. The truths equal those of
    `compile_condition` of each condition under the bank's applicability.
    When no question the conditions compare is pending (unanswered, and not
    switched off), the usual case, every truth is True or False, and plain
    Boolean expressions give them at a fraction of the cost.
    """
    writer = _Writer()
    writer.questions = {q.id: q for q in questions}
    exprs = [writer.expr(c) for c in conditions]
    exprs2 = [writer.expr2(c) for c in conditions]
    direct = set(writer.variables)  # the questions the conditions compare
    # Every question read, directly or through a `when` on the way, needs its
    # answer and the truth a comparison on it takes when it is missing.
    needed = set(direct)
    for question in reversed(questions):  # a `when` reads only earlier questions
        if question.id in needed and question.when is not None:
            needed.update(questions_of(question.when))
    lines = ["def test(answers):", "    g = answers.get", "    p = 0"]
    for question in questions:
        if question.id not in needed:
            continue
        v = writer.variable(question.id)
        lines += [f"    {v} = g({writer.constant(question.id)}, M)", f"    if {v} is M:"]
        lines += writer.missing(question, v, "        ", pending=question.id in direct)
    lines += writer.quantifier_lines("answers")
    lines += writer.returns(exprs, exprs2)
    namespace: dict[str, Any] = {"M": _MISSING, "T": _TRUTHS, "NOT": _NOT, **writer.constants}
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<consult rules>", "exec"), namespace)  # noqa: S102 - see above
    test: ManyTest = namespace["test"]
    return test


ValueCheck = Callable[[Question, int, dict[str, Any]], list[str]]
# A repeating group, by its key question: (group id, the check of its plain items,
# which returns them normalised, or None when they need a message).
ItemsCheck = tuple[str, Callable[[Any], Any]]
CheckedTest = Callable[[Mapping[str, Any]], tuple[dict[str, Answer], tuple[Truth, ...]] | None]


def compile_checked(
    conditions: Sequence[Condition],
    questions: Sequence[Question],
    value_check: ValueCheck,
    groups: Mapping[str, ItemsCheck] | None = None,
) -> CheckedTest:
    """Check a plain answer mapping and test the conditions on it, in one generated function.

    The function returns the checked answers (normalised, in bank order) and
    the truth of each condition, equal to `compile_rules(conditions,
    questions)` on those answers. It gives up (None) whenever the answers
    would need a message: an unknown question, a value `value_check`'s lines
    refuse, or an answer to a question switched off by the earlier answers.
    A None value means "not answered", as in an answer file. The answers of a
    repeating group (`groups`, by key question) are checked by its own check,
    and stored where its key question stands.
    """
    groups = groups or {}
    writer = _Writer()
    writer.questions = {q.id: q for q in questions}
    exprs = [writer.expr(c) for c in conditions]
    exprs2 = [writer.expr2(c) for c in conditions]
    direct = set(writer.variables)  # the questions the conditions compare
    namespace: dict[str, Any] = {
        "M": _MISSING,
        "T": _TRUTHS,
        "NOT": _NOT,
        "KNOWN": frozenset(
            [*(q.id for q in questions if q.id not in groups), *(g for g, _ in groups.values())]
        ),
    }
    lines = [
        "def check(given):",
        "    if not KNOWN.issuperset(given):",
        "        return None",
        "    g = given.get",
        "    out = {}",
        "    p = 0",
    ]
    for i, question in enumerate(questions):
        if question.id in groups:  # a group's key question: the group's items
            group, check_items = groups[question.id]
            key = writer.constant(group)
            namespace[f"I{i}"] = check_items
            lines += [f"    v = g({key})", "    if v is not None:", f"        v = I{i}(v)"]
            lines += ["        if v is None:", "            return None", f"        out[{key}] = v"]
            continue
        v = writer.variable(question.id)
        key = writer.constant(question.id)
        lines += [f"    v = g({key})", "    if v is None:", f"        {v} = M"]
        lines += writer.missing(question, v, "        ", pending=question.id in direct)
        lines.append("    else:")
        lines += [f"        {line}" for line in value_check(question, i, namespace)]
        if question.when is not None:  # answered, but switched off by the earlier answers
            lines += [f"        if {writer.expr(question.when)} == 0:", "            return None"]
        lines += [f"        {v} = v", f"        out[{key}] = v"]
    lines += writer.quantifier_lines("out")
    lines += writer.returns(exprs, exprs2, "out, ")
    namespace.update(writer.constants)
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<consult checked rules>", "exec"), namespace)  # noqa: S102 - see compile_rules
    check: CheckedTest = namespace["check"]
    return check
