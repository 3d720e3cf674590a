"""Scenario tests as data: answer sets with the results the rules must give."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from consult.answers.check import answer_set_from_node, as_document
from consult.bank.model import Items, KnowledgeBase
from consult.bank.schema import Checker
from consult.bank.yamlsource import Node, YamlProblem, parse, read_text
from consult.engine.decide import evaluate_traced
from consult.engine.result import Result
from consult.errors import InputError, InvalidAnswers, Problem, display_path

SCENARIO_KEYS = (("answers", "expect"), ("description", "patient"))
SETS = ("candidates", "excluded", "undetermined", "referrals", "information", "unknown", "actions")
FRAGMENTS = ("caveats", "excluded_reasons", "referral_reasons")
# `areas`: the plan expected in each treatment area, by site (`unplaced`: the area whose
# place is not given), with these sets.
AREA_SETS = ("candidates", "excluded", "undetermined", "referrals", "unknown", "actions")
UNPLACED = "unplaced"


@dataclass
class ScenarioRun:
    """What a scenario run found."""

    lines: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    fired: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """Whether every scenario passed."""
        return self.failed == 0 and self.passed > 0


def scenario_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Scenario files named directly or found in folders (recursively), sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
        elif path.is_file():
            yield path
        else:
            raise InputError(f"{display_path(path)}: no such file or folder")


def run_all(kb: KnowledgeBase, paths: Iterable[Path]) -> ScenarioRun:
    """Run every scenario; failures are collected, never raised."""
    outcome = ScenarioRun()
    for path in scenario_files(paths):
        name = display_path(path)
        failures = _run_one(kb, path, name, outcome)
        if failures:
            outcome.failed += 1
            outcome.lines.append(f"FAIL {name}")
            outcome.lines.extend(f"  {f}" for f in failures)
        else:
            outcome.passed += 1
            outcome.lines.append(f"ok   {name}")
    outcome.lines.append(f"{outcome.passed} passed, {outcome.failed} failed")
    return outcome


def _run_one(kb: KnowledgeBase, path: Path, name: str, outcome: ScenarioRun) -> list[str]:
    try:
        root = parse(read_text(path, name), name, aliases=True)
    except YamlProblem as exc:
        return [str(exc.problem)]
    if root is None:
        return [f"{name}: file is empty"]
    problems: list[Problem] = []
    check = Checker("scenario", problems)
    fields = check.fields(root, *SCENARIO_KEYS)
    if fields is None or problems:
        return [str(p) for p in problems]
    try:
        answers = answer_set_from_node(kb, as_document(fields["answers"]), name)
    except InvalidAnswers as exc:
        return [str(p) for p in exc.problems]
    result, fired = evaluate_traced(kb, answers)
    outcome.fired.update(fired)
    outcome.answered.update(answers.answers)
    for value in answers.answers.values():
        if isinstance(value, Items):  # the questions answered per treatment area
            outcome.answered.update(q for item in value.items for q in item)
    return _compare(check, fields["expect"], result) + [str(p) for p in problems]


def _ids(result: Result, key: str) -> list[str]:
    if key == "candidates":
        return [c.procedure.id for c in result.candidates]
    if key == "excluded":
        return [e.procedure.id for e in result.excluded]
    if key == "undetermined":
        return [u.procedure.id for u in result.undetermined]
    if key == "referrals":
        return [r.id for r in result.referrals]
    if key == "information":
        return [i.procedure.id for i in result.information]
    if key == "actions":  # the rules of the steps before treatment
        return [a.reason.rule for a in result.actions]
    return [u.question for u in result.unknown]


def _texts(result: Result, key: str, procedure: str) -> list[str]:
    if key == "caveats":
        texts = [
            r.shown for c in result.candidates if c.procedure.id == procedure for r in c.caveats
        ]
        texts += [
            r.shown for u in result.undetermined if u.procedure.id == procedure for r in u.caveats
        ]
        return texts
    if key == "referral_reasons":
        return [r.shown for f in result.referrals if f.id == procedure for r in f.every_reason]
    return [r.shown for e in result.excluded if e.procedure.id == procedure for r in e.reasons]


def _compare(check: Checker, node: Node, result: Result) -> list[str]:
    fields = check.fields(node, (), (*SETS, *FRAGMENTS, "areas"))
    if fields is None:
        return []
    failures: list[str] = []
    for key in SETS:
        if key in fields:
            failures += _compare_set(check, fields[key], key, _ids(result, key))
    for key in FRAGMENTS:
        if key in fields:
            failures += _compare_fragments(check, fields[key], key, result)
    if "areas" in fields:
        failures += _compare_areas(check, fields["areas"], result)
    return failures


def _compare_areas(check: Checker, node: Node, result: Result) -> list[str]:
    """The plan expected per area, by site."""
    if not node.is_mapping:
        check.fail(node, "'areas' must map sites (or 'unplaced') to the sets expected there")
        return []
    plans = {plan.site or UNPLACED: plan for plan in result.areas}
    failures: list[str] = []
    for site, expected in node.value.items():
        plan = plans.get(site)
        if plan is None:
            failures.append(f"{expected.source}: areas: no area {site!r} in the result")
            continue
        fields = check.fields(expected, (), AREA_SETS) or {}
        got = {
            "candidates": list(plan.candidates),
            "excluded": [e.procedure.id for e in plan.excluded],
            "undetermined": [u.procedure.id for u in plan.undetermined],
            "referrals": list(plan.referrals),
            "unknown": list(plan.unknown),
            "actions": list(plan.actions),
        }
        for key, wanted in fields.items():
            failures += _compare_set(check, wanted, f"areas.{site}.{key}", got[key])
    return failures


def _compare_set(check: Checker, node: Node, key: str, got: list[str]) -> list[str]:
    if not node.is_list:
        check.fail(node, f"'{key}' must be a list")
        return []
    expected = {str(item.value) for item in node.value}
    actual = set(got)
    # A referral is listed once, with every reason behind it.
    twice = sorted({i for i in got if got.count(i) > 1}) if key == "referrals" else []
    if expected == actual and not twice:
        return []
    missing = sorted(expected - actual)
    extra = sorted(actual - expected)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    if twice:
        parts.append(f"listed more than once {', '.join(twice)}")
    return [f"{node.source}: {key}: {'; '.join(parts)}"]


def _compare_fragments(check: Checker, node: Node, key: str, result: Result) -> list[str]:
    if not node.is_mapping:
        check.fail(node, f"'{key}' must map procedure ids to lists of text fragments")
        return []
    failures = []
    for procedure, fragments in node.value.items():
        texts = _texts(result, key, procedure)
        for item in fragments.value if fragments.is_list else [fragments]:
            wanted = str(item.value)
            if not any(wanted.lower() in t.lower() for t in texts):
                failures.append(f"{item.source}: {key} of {procedure}: no text contains {wanted!r}")
    return failures


def coverage_report(kb: KnowledgeBase, outcome: ScenarioRun) -> tuple[list[str], int]:
    """Lines: a summary, then each rule that never fired and question never answered.

    Also returns the number of rules that never fired (a failure: dead rules).
    """
    rules = [r for r in kb.rules if r.id not in outcome.fired]
    questions = [q for q in kb.questions if q.id not in outcome.answered]
    fired = len(kb.rules) - len(rules)
    answered = len(kb.questions) - len(questions)
    lines = [
        f"coverage: {fired}/{len(kb.rules)} rules fired, "
        + f"{answered}/{len(kb.questions)} questions answered"
    ]
    lines += [f"{r.source}: rule {r.id!r} fires in no scenario" for r in rules]
    lines += [f"{q.source}: question {q.id!r} is answered in no scenario" for q in questions]
    return lines, len(rules)
