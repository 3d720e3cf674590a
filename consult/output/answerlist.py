"""The answers of a consultation by section and treatment area, and its notes, as markdown.

Each answer reads as the patient heard it (the question's text, then Yes/No,
the choices' labels, the number or the text); an area's answers follow the
answers given for the whole consultation, under the area's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from consult.answers.check import AnswerSet, answer_words
from consult.bank.model import Answer, KnowledgeBase, Section
from consult.output.plan import area_answers
from consult.output.text import escape, paragraph

NOTES = "notes"


def answers_part(kb: KnowledgeBase, answers: AnswerSet) -> Iterator[str]:
    """The answers by section; in each, the answers given for every area, then each area's."""
    yield "## Answers"
    given = answers.answers
    areas = list(area_answers(kb, given))
    for section in kb.sections:
        lines = [
            _answer_line(kb, q, given[q]) for q in section.questions if q in given and q != NOTES
        ]
        lines += [block for name, own in areas if (block := _area_block(kb, section, name, own))]
        if lines:
            yield f"### {escape(section.title)}"
            yield "\n".join(f"- {line}" for line in lines)
    if not any(q != NOTES for q in given):
        yield escape("No answers given.")


def _answer_line(kb: KnowledgeBase, qid: str, value: Answer) -> str:
    return escape(f"{kb.by_id[qid].text}: {answer_words(kb.by_id[qid], value)}")


def _area_block(kb: KnowledgeBase, section: Section, name: str, own: Mapping[str, Answer]) -> str:
    """An area's answers to a section's questions, under the area's name; "" if none.

    The section of the areas themselves names every area (its site is its answer there).
    """
    lines = [
        _answer_line(kb, q, own[q]) for q in section.questions if q in own and q != section.key
    ]
    if not lines and not section.key:
        return ""
    return "\n".join([escape(name), *(f"  - {line}" for line in lines)])


def notes_part(answers: AnswerSet) -> Iterator[str]:
    """The notes, each line kept (hard breaks), or "None."."""
    yield "## Notes"
    note = answers.answers.get(NOTES)
    text = paragraph(note) if isinstance(note, str) else ""
    yield text or escape("None.")
