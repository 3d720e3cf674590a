"""The patient's own summary in markdown: second person, plain words, pure.

For each candidate it gives the procedure's patient text from the bank (what it
is, sessions, downtime, common and serious risks, what to do before) and how
sure we are that it works, in words from its certainty label (GRADE's meaning
of each label, clinical-facts 8.2). Referrals come first, with why. Nothing
names a rule or a reference id: citations are taken out of every bank text
shown here (`consult.output.text.uncited`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from consult.answers.check import AnswerSet
from consult.bank.model import Certainty, KnowledgeBase, PatientText
from consult.engine.result import Candidate, Reason, Result, Site
from consult.output.appendix import clinician_of
from consult.output.plan import area_name, evidence_of, shows_areas
from consult.output.text import escape, uncited

INTRO = (
    "This is a summary of your consultation. It lists the treatments you could talk "
    "about with your clinician. They are options, not a prescription: you and your "
    "clinician decide together."
)
CLOSING = "Ask your clinician about anything in this summary that is not clear."
# How sure we are that it works, in plain words, from GRADE's meaning of each label.
HOW_SURE: dict[Certainty, str] = {
    "high": "We are very sure it works about as well as the studies found.",
    "moderate": (
        "We are fairly sure it works about as well as the studies found, but it could be quite "
        "different."
    ),
    "low": "We are not very sure how well it works. The real effect may be quite different.",
    "very_low": (
        "We are very unsure whether it works. The real effect is likely to be quite different."
    ),
    "insufficient": "There is not enough good research to say whether it works.",
}
NO_TEXT = "Ask your clinician to explain this option."


def render_patient(
    kb: KnowledgeBase, answers: AnswerSet, result: Result, *, date: str, clinician: str = ""
) -> str:
    """The summary to hand the patient, as markdown text."""
    parts = [
        "# Your consultation summary",
        _who(answers, date, clinician_of(answers, clinician)),
        escape(INTRO),
        *_referrals(kb, result),
        *_before(kb, result),
        *_options(kb, result),
        *_pending(kb, result),
        "## Questions",
        escape(CLOSING),
    ]
    return "\n\n".join(parts) + "\n"


def _who(answers: AnswerSet, date: str, clinician: str) -> str:
    lines = [("Your reference", answers.patient_ref), ("Date", date), ("Your clinician", clinician)]
    shown = (escape(f"{title}: {' '.join(value.split())}") for title, value in lines if value)
    return "\n".join(f"- {line}" for line in shown)


def _where(kb: KnowledgeBase, result: Result, sites: tuple[Site, ...]) -> str:
    """` (scalp area)`: the areas named, when the answers list areas."""
    names = [area_name(kb, site).lower() for site in sites if site is not None]
    return f" ({', '.join(names)})" if shows_areas(result) and names else ""


def _plain(kb: KnowledgeBase, reason: Reason) -> str:
    lead = f"For your {area_name(kb, reason.area).lower()}: " if reason.area else ""
    return escape(lead + uncited(reason.text))


def _referrals(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """Each referral once, with the areas it is for and why: the bank's words for the patient."""
    if not result.referrals:
        return
    yield "## Please see a specialist first"
    yield escape(
        "Your answers show something that a specialist should check before any treatment here."
    )
    reasons: dict[str, list[Reason]] = {}
    for found in result.referrals:
        reasons.setdefault(found.id, []).extend(found.every_reason)
    for rid, why in reasons.items():
        referral = kb.referrals.get(rid)
        name = referral.name if referral is not None else rid
        sites = tuple(dict.fromkeys(r.area for r in why if r.area))
        yield f"### {escape(name + _where(kb, result, sites))}"
        if referral is not None and referral.patient:
            yield f"- Why: {escape(uncited(referral.patient))}"
        else:
            yield "\n".join(f"- Why: {_plain(kb, r)}" for r in why)


def _before(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    """The steps before treatment, in the rule's words for the patient where it has them."""
    if not result.actions:
        return
    words = {rule.id: rule.patient for rule in kb.rules if rule.patient}
    yield "## Before any treatment"
    yield escape("Your clinician will go through these steps with you before any treatment:")
    lines = []
    for action in result.actions:
        reason = action.reason
        text = words.get(reason.rule)
        lines.append(_plain(kb, replace(reason, text=text) if text else reason))
    yield "\n".join(f"- {line}" for line in lines)


def _options(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    yield "## Treatments you could talk about"
    if not result.candidates:
        yield escape("On your answers, no treatment is suggested for now.")
    for candidate in result.candidates:
        name = candidate.procedure.name + _where(kb, result, candidate.areas)
        yield f"### {escape(name)}"
        yield "\n".join(f"- {line}" for line in _candidate(candidate))


def _candidate(candidate: Candidate) -> Iterator[str]:
    text = candidate.procedure.patient
    sure = HOW_SURE.get(evidence_of(candidate).certainty, HOW_SURE["insufficient"])
    if text is None:
        yield escape(f"What it is: {NO_TEXT}")
        yield escape(f"How sure we are that it works: {sure}")
        return
    for title, words in _lines(text):
        yield escape(f"{title}: {uncited(words)}")
        if title == "Serious risks":
            yield escape(f"How sure we are that it works: {sure}")


def _lines(text: PatientText) -> list[tuple[str, str]]:
    return [
        ("What it is", text.what),
        ("How many sessions", text.sessions),
        ("Recovery time", text.downtime),
        ("Common side effects", text.common_risks),
        ("Serious risks", text.serious_risks),
        ("What to do before", text.before),
    ]


def _pending(kb: KnowledgeBase, result: Result) -> Iterator[str]:
    if not result.undetermined:
        return
    yield "## Still to be decided"
    yield escape("We need a few more answers before we can say whether these suit you:")
    yield "\n".join(
        f"- {escape(u.procedure.name + _where(kb, result, u.areas))}" for u in result.undetermined
    )
