"""One consultation as the cells of one row: the CSV, the plain table and the screen's table.

A row holds what a spreadsheet user asks of a batch without another tool:
the input (`file`, `line`, `patient_ref`), the outcomes by id (`candidates`,
`excluded`, `referrals`, `undetermined`), each candidate's certainty, the
candidates that carry a caveat, the positive safety answers (those of each
area led by it, as on screen), the open questions, the plan per treatment
area, the information notes, the warnings and the error of an input that
could not be evaluated. With `answers`, the answers follow, one column per
question of the bank (`answers.<id>`) and the areas' own answers in
`answers.areas`.

Ids in a cell are separated by spaces; a question or outcome of one area is
`site:id`; texts (findings, warnings, problems) are separated by `; `; areas
by ` | `.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from consult.answers.check import AnswerSet
from consult.bank.model import Answer, Items, KnowledgeBase
from consult.batch.inputs import Item
from consult.engine.result import AreaPlan, Result
from consult.errors import Problem
from consult.output.plan import evidence_of, positive_findings, shows_areas

COLUMNS = (
    "file",
    "line",
    "patient_ref",
    "candidates",
    "excluded",
    "referrals",
    "undetermined",
    "certainty",
    "with_caveats",
    "positive_safety_answers",
    "open_questions",
    "areas",
    "information",
    "warnings",
    "error",
)
ANSWERS = "answers."
UNPLACED = "unplaced"  # the area whose place is not given, as scenario files name it


def columns(kb: KnowledgeBase | None = None) -> tuple[str, ...]:
    """The columns of a row; with a bank, its answers' columns too."""
    if kb is None:
        return COLUMNS
    return (*COLUMNS, *(ANSWERS + qid for qid in answer_ids(kb)), ANSWERS + _group(kb))


def answer_ids(kb: KnowledgeBase) -> tuple[str, ...]:
    """The questions answered once for the patient, in bank order (an area's site is not)."""
    group = kb.areas
    key = group.key if group is not None else ""
    return tuple(q.id for q in kb.questions if q.id != key)


def _group(kb: KnowledgeBase) -> str:
    return kb.areas.id if kb.areas is not None else "areas"


def summary_cells(
    kb: KnowledgeBase, item: Item, answers: AnswerSet, result: Result, *, with_answers: bool
) -> list[str]:
    """The cells of an evaluated input (see `columns`)."""
    cells = [
        item.name,
        str(item.line or ""),
        answers.patient_ref,
        _ids(c.procedure.id for c in result.candidates),
        _ids(e.procedure.id for e in result.excluded),
        _ids(r.id for r in result.referrals),
        _ids(u.procedure.id for u in result.undetermined),
        _ids(f"{c.procedure.id}:{evidence_of(c).certainty}" for c in result.candidates),
        _ids(c.procedure.id for c in result.candidates if c.caveats),
        "; ".join(positive_findings(result, kb)),
        _ids(_in_area(u.area, u.question) for u in result.unknown),
        " | ".join(_plan(p) for p in result.areas) if shows_areas(result) else "",
        _ids(i.procedure.id for i in result.information),
        "; ".join(result.warnings),
        "",
    ]
    return cells + answer_cells(kb, answers.answers) if with_answers else cells


def error_cells(
    kb: KnowledgeBase | None, item: Item, problems: Sequence[Problem], *, with_answers: bool
) -> list[str]:
    """The cells of an input that could not be evaluated: its place and its problems."""
    cells = ["" for _ in COLUMNS]
    cells[0], cells[1] = item.name, str(item.line or "")
    cells[-1] = "; ".join(map(str, problems))
    if with_answers and kb is not None:
        cells += ["" for _ in columns(kb)[len(COLUMNS) :]]
    return cells


def answer_cells(kb: KnowledgeBase, answers: Mapping[str, Answer]) -> list[str]:
    """The answers as cells: one per question answered for the patient, then the areas'."""
    cells = [_value(answers.get(qid)) for qid in answer_ids(kb)]
    areas = answers.get(_group(kb))
    cells.append(_areas(areas) if isinstance(areas, Items) else "")
    return cells


def _ids(found: Iterable[str]) -> str:
    return " ".join(found)


def _in_area(site: str | None, ident: str) -> str:
    return f"{site}:{ident}" if site else ident


def _plan(plan: AreaPlan) -> str:
    """`face (scars): candidates a b; excluded c; undetermined d; referrals e; open f`."""
    site = plan.site or UNPLACED
    treated = f" ({' '.join(plan.concerns)})" if plan.concerns else ""
    parts = [
        ("candidates", plan.candidates),
        ("excluded", tuple(e.procedure.id for e in plan.excluded if e.in_scope)),
        ("undetermined", tuple(u.procedure.id for u in plan.undetermined)),
        ("referrals", plan.referrals),
        ("open", plan.unknown),
    ]
    shown = "; ".join(f"{name} {' '.join(ids)}" for name, ids in parts if ids)
    return f"{site}{treated}: {shown or 'nothing'}"


def _value(value: Answer | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(value)
    if isinstance(value, Items):
        return _areas(value)
    return str(value)


def _areas(items: Items) -> str:
    """`face: concerns=scars scar_type=surgical | back: ...` (choices joined by commas)."""
    shown = []
    for site, item in zip(items.keys(), items.items, strict=True):
        pairs = (
            f"{qid}={','.join(v) if isinstance(v, tuple) else _value(v)}"
            for qid, v in item.items()
            if qid != items.key
        )
        shown.append(f"{site}: {' '.join(pairs)}".rstrip())
    return " | ".join(shown)
