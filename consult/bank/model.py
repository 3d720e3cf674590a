"""The data model: questions, conditions, procedures, rules and the knowledge base.

Plain frozen records; validation lives in the loader, which has the positions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from consult.bank.codes import answer_system
from consult.errors import Source

QuestionKind = Literal["yes_no", "one_of", "many_of", "integer", "text"]
KINDS: tuple[QuestionKind, ...] = ("yes_no", "one_of", "many_of", "integer", "text")
Certainty = Literal["high", "moderate", "low", "very_low", "insufficient"]
CERTAINTIES: tuple[Certainty, ...] = ("high", "moderate", "low", "very_low", "insufficient")


@dataclass(frozen=True, slots=True)
class Items:
    """The answers of a repeating group: one mapping per item, its key question first."""

    items: tuple[Mapping[str, Answer], ...]
    key: str
    # The answers to per-item questions given once for every item (the flat form):
    # an item's own answer wins over them.
    every: Mapping[str, Answer] = field(default_factory=dict, compare=False)
    # Some concern is treated at a place no item gives (set by the engine): that
    # place is read with `every`, as one more item.
    unplaced: bool = field(default=False, compare=False)

    def keys(self) -> tuple[str, ...]:
        """The key answer of each item (such as the site), in order."""
        return tuple(str(item[self.key]) for item in self.items)

    def plain(self) -> list[dict[str, object]]:
        """JSON-ready data: a list of mappings."""
        return [{q: plain_answer(v) for q, v in item.items()} for item in self.items]


Answer: TypeAlias = bool | int | str | tuple[str, ...] | Items
Answers: TypeAlias = Mapping[str, Answer]
# Three-valued truth: True, False, or None for "unknown: a needed answer is missing".
Truth: TypeAlias = bool | None
Applicability: TypeAlias = Callable[[str], Truth]
Test: TypeAlias = Callable[[Answers, Applicability], Truth]


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """A test of one question's answer, such as `{question: age, gte: 18}`."""

    question: str
    op: str
    value: Any
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantified:
    """A test over the treatment areas: `{any_area: c}` or `{all_areas: c}`.

    `part` reads questions answered per area; each area is read with its own
    answers over those given once for every area.
    """

    kind: Literal["any", "all"]
    group: str
    key: str
    part: Condition
    source: Source
    # The questions `part` reads (all answered per area), each once.
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AllOf:
    """Every part holds."""

    parts: tuple[Condition, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Condition, ...]
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Not:
    """The part does not hold."""

    part: Condition
    source: Source


Condition: TypeAlias = Compare | AllOf | AnyOf | Not | Quantified


def plain_answer(value: Answer) -> object:
    """An answer as plain data (lists for choices, a list of mappings for items)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Items):
        return value.plain()
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Coding:
    """A code of a standard terminology (LOINC, SNOMED CT, ...) that the bank names.

    `system` is the code system's canonical URL, `display` the system's own
    display for the code (see `consult.bank.codes.SYSTEMS`).
    """

    system: str
    code: str
    display: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """One choice of a `one_of` or `many_of` question."""

    id: str
    label: str
    help: str = ""
    exclusive: bool = False
    # For a choice of `concerns`: the sites (treatment areas) where it can be treated;
    # empty: anywhere.
    sites: tuple[str, ...] = ()
    # The choice in a standard terminology, where the bank names one.
    code: Coding | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """One question of the bank."""

    id: str
    text: str
    kind: QuestionKind
    section: str
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 2000
    help: str = ""
    required: bool = False
    when: Condition | None = None
    # A question of a lesion or a place (`per_area: true`), or of the repeating
    # group itself: answered inside each treatment area, or once for the patient
    # (then it applies to every area that does not answer it).
    per_area: bool = False
    # Asked only when `when` holds, but an answer recorded while it does not is
    # still read, never dropped (`always_read: true`): a pregnancy answer given
    # for a patient recorded as male stands.
    always_read: bool = False
    # What the question asks, in a standard terminology, where the bank names it;
    # and, for a number, its UCUM unit (a code of `consult.bank.codes.UNITS`).
    code: Coding | None = None
    unit: str = ""
    source: Source
    # Compiled from `when` (and the section's) by the loader.
    applies: Test | None = field(default=None, compare=False, repr=False)

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, if any."""
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        return None

    @property
    def choice_ids(self) -> tuple[str, ...]:
        """The ids of the choices, in order."""
        return tuple(c.id for c in self.choices)


def choice_coding(question: Question, choice: Choice) -> tuple[str, str, str]:
    """A choice as (system, code, display): its standard code, else consult's own."""
    if choice.code is not None:
        return choice.code.system, choice.code.code, choice.code.display
    return answer_system(question.id), choice.id, choice.label


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A titled group of questions."""

    id: str
    title: str
    questions: tuple[str, ...]
    source: Source
    # The section's own `when` (each question's `when` already includes it).
    when: Condition | None = None
    # A repeating group (such as treatment areas) names its key question: its
    # questions are asked once per item, and the answers are kept per item.
    key: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """How good the evidence is: GRADE-worded certainty, OCEBM 2011 level, references."""

    certainty: Certainty
    level: int
    summary: str
    references: tuple[str, ...]
    design: str = ""
    certainty_source: str = ""

    def to_dict(self) -> dict[str, object]:
        """The evidence as JSON-ready data."""
        data: dict[str, object] = {
            "certainty": self.certainty,
            "level": self.level,
            "summary": self.summary,
            "references": list(self.references),
        }
        if self.design:
            data["design"] = self.design
        if self.certainty_source:
            data["certainty_source"] = self.certainty_source
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientText:
    """A procedure in plain words for the patient's own summary (written from the facts)."""

    what: str
    sessions: str
    downtime: str
    common_risks: str
    serious_risks: str
    before: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Indication:
    """One indication of a procedure with its own evidence."""

    id: str
    label: str
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class Procedure:
    """A procedure the rules may offer, exclude or comment on."""

    id: str
    name: str
    description: str
    evidence: Evidence
    protocol: str = ""
    downtime: str = ""
    regulatory: str = ""
    indications: tuple[Indication, ...] = ()
    patient: PatientText | None = None
    source: Source
    # The key values (treatment areas) the procedure treats; None: any.
    sites: frozenset[str] | None = None
    # Which patients the procedure is for, from its candidate rules (e.g. "the
    # concerns include scars"): in scope when any of these conditions is not
    # false; empty means every patient. Set by the loader.
    scope: tuple[Condition, ...] = field(default=(), compare=False, repr=False)

    def indication(self, indication_id: str) -> Indication | None:
        """The indication with this id, if any."""
        for indication in self.indications:
            if indication.id == indication_id:
                return indication
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Referral:
    """A referral the rules may raise."""

    id: str
    name: str
    description: str = ""
    patient: str = ""  # why, in plain words for the patient's own summary
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A literature reference."""

    id: str
    citation: str
    source: Source


# What a rule can do, in the order a rule lists them (see `Rule`).
# `before`: a step that must come before the procedure (pause a medicine, treat an
# infection first, defer in pregnancy), listed in the plan.
EFFECTS = ("candidate", "exclude", "caveat", "before", "refer", "inform")

# What a rule's text rests on, when the rule says: a product label or device
# clearance, or expert opinion (caution without a label or study behind it).
BASES = {"label": "label", "expert_opinion": "expert opinion"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A condition and what follows when it holds."""

    id: str
    when: Condition
    candidate: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    caveat: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    refer: tuple[str, ...] = ()
    inform: tuple[str, ...] = ()
    text: str = ""
    indication: str = ""
    description: str = ""
    basis: str = ""  # a key of BASES, or "" when the rule does not say
    patient: str = ""  # a step before treatment in plain words, for the patient's summary
    source: Source
    # The questions the condition reads, in bank order; set by the loader.
    questions: tuple[str, ...] = ()
    test: Test = field(default=lambda _a, _p: None, compare=False, repr=False)
    # Set on the copies the engine makes when a finding belongs to one item of
    # a repeating group (a treatment area): that item's key value.
    area: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class KnowledgeBase:
    """The loaded, checked and compiled question bank and rules."""

    questions: tuple[Question, ...]
    sections: tuple[Section, ...]
    procedures: Mapping[str, Procedure]
    referrals: Mapping[str, Referral]
    references: Mapping[str, Reference]
    rules: tuple[Rule, ...]
    version: str
    sha256: str
    by_id: Mapping[str, Question] = field(default_factory=dict, compare=False, repr=False)
    # The repeating groups (sections with a key question), by id; set by the loader.
    groups: Mapping[str, Section] = field(default_factory=dict, compare=False, repr=False)
    # The questions that may be answered per treatment area; set by the loader.
    per_area: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def areas(self) -> Section | None:
        """The repeating group of treatment areas, if the bank has one."""
        return next(iter(self.groups.values()), None)

    def group_of(self, question_id: str) -> Section | None:
        """The repeating group a question belongs to, if any."""
        question = self.by_id.get(question_id)
        return None if question is None else self.groups.get(question.section)

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if there is none)."""
        return self.by_id[question_id]


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def by_identity(
    cache: dict[int, tuple[_Key, _Value]],
    key: _Key,
    build: Callable[[_Key], _Value],
    limit: int = 4096,
) -> _Value:
    """What `build(key)` gives, computed once per object (bank objects are immutable).

    The entry keeps its object alive, so an id is never reused while cached.
    """
    hit = cache.get(id(key))
    if hit is not None and hit[0] is key:
        return hit[1]
    if len(cache) >= limit:
        cache.clear()
    value = build(key)
    cache[id(key)] = (key, value)
    return value
