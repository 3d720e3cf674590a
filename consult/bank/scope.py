"""Which patients a procedure is for: its scope, from its candidate rules.

An exclusion is "in scope" when the procedure serves one of the patient's
concerns; views lead with those and name the others on one line.
"""

from __future__ import annotations

from dataclasses import replace

from consult.bank.model import AllOf, Compare, Condition, Procedure, Question, Rule
from consult.bank.operators import OPERATORS

# The tests of a choice among the patient's concerns ("the concerns include scars").
_MEMBERSHIP = frozenset(name for name, op in OPERATORS.items() if op.kinds == ("many_of",))


def with_scope(
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
            scope.append(AllOf(parts=parts, source=rule.source))
    return replace(procedure, scope=tuple(scope))


def _membership_leaves(condition: Condition) -> tuple[Condition, ...]:
    if isinstance(condition, Compare) and condition.op in _MEMBERSHIP:
        return (condition,)
    if isinstance(condition, AllOf):
        return tuple(leaf for part in condition.parts for leaf in _membership_leaves(part))
    return ()
