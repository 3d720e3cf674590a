"""Answer-file corpora for the benchmarks and for comparisons between builds.

Every corpus comes from a fixed seed: the same bank, count and seed give the
same files, byte for byte, on every run and machine. Item `i` of a corpus
depends only on the bank, the seed and `i` (`start` makes any range alone). The generator reads the
bank only through the stable API (`consult.load()`, the records of
`consult.bank.model` and `consult.bank.truth.holds`), so it keeps working
while the rest of the code base changes.

The corpora:

- `clinic_files`: consultations as a clinic export writes them (`yaml.safe_dump`
  with its defaults, one consultation per file), in two variants of the same
  consultations: *complete* (every question that applies answered, findings on
  most safety screens, each concern placed in a treatment area that carries its details and
  site screen, free-text notes with
  non-ASCII text) and *incomplete* (the safety screen half or wholly
  unanswered and some other optional questions left out, as from a
  pre-consultation form the patient did not finish).
- `fuzz_files`: answer files damaged the ways real files are, YAML and JSON
  (`corpus_damage` and `corpus_text` list the kinds of damage).
- `jsonl_files`: JSON Lines inputs mixing full documents, bare answer
  mappings and broken lines.
- `scenario_files`: the `answers:` of each scenario test as an answer file.

`write_files` puts any of them in a folder. Example::

    from pathlib import Path

    import consult
    import corpus

    kb = consult.load()
    complete, incomplete = corpus.clinic_files(kb, 1000)
    corpus.write_files(Path("out/complete"), complete)
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import corpus_damage as damage
import yaml

from consult.bank.model import KnowledgeBase, Question, Section
from consult.bank.truth import holds

SEED = 20260101
JSONL_LINES = 50  # lines per JSON Lines file
SCREEN = "medical_history"  # the safety screen: the section a patient's form leaves open

_YES_SCREEN = 0.12  # a finding on most screens: about 2 of 15 questions
_YES_BRANCH = 0.45  # a yes/no question inside a branch (a section or question `when`)
_YES_AREA = 0.08  # a site screen question of one treatment area
_YES = {"consent": 0.97, "expectations_realistic": 0.93, "accepts_risks": 0.93}
_DROP_OPTIONAL = 0.15  # the incomplete variant: another optional question left out
# Where each concern is usually treated: a set's first areas come from these.
_SITES = {
    "hair_loss": ("scalp",),
    "scars": ("face", "back", "abdomen", "chest", "arms", "hands", "thighs"),
    "burns": ("hands", "arms", "chest", "face", "thighs"),
    "wounds": ("thighs", "arms", "hands", "other"),
    "acne_scarring": ("face", "face", "back", "chest"),
    "skin_laxity": ("face", "neck"),
    "wrinkles": ("face", "neck", "hands"),
    "skin_texture": ("face",),
    "stretch_marks": ("abdomen", "thighs", "buttocks", "arms"),
    "cellulite": ("thighs", "buttocks"),
    "localized_fat": ("submental", "abdomen", "flanks", "thighs", "arms"),
}
NOTES = (
    "Referred by her GP after six months of increased shedding; brought photos from last year.",
    "Anxious about needles; asked for numbing cream. Née Müller, prefers to be called Anna.",
    "Wants to start before the summer holidays – travelling to Zürich for three weeks.",
    "Previous treatment elsewhere (two sessions, product unknown); no records available today.",
    "Patient’s partner present; interpreter (Ελληνικά) booked for the follow-up.",
    "Spricht wenig Englisch; Tochter übersetzt. Allergie: Pflaster (Rötung).",
    "Demande un devis écrit ; rappeler après 18 h. Très satisfaite de la dernière séance 🙂",
    "Пациентка просит перенести приём на утро.",
    "患者は午前中の予約を希望。",
    "Follow-up: 3-4 weeks. *Not* before the wedding (12/06); see note #2.",
)
_REFS = ("P-{:05d}", "MRN{:08d}", "2026/{:04d}", "cl-{:x}")

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class File:
    """One generated input: its file name, its bytes and what it holds."""

    name: str
    data: bytes
    kind: str


def clinic_documents(
    kb: KnowledgeBase, count: int, seed: int = SEED, start: int = 0
) -> tuple[list[Document], list[Document]]:
    """Complete consultations, and the same consultations left incomplete.

    Consultation `i` depends only on the bank, the seed and `i`, so any range
    of them can be made on its own (in parallel, or again to look at one).

    Args:
        kb: The bank whose questions are answered.
        count: How many consultations.
        seed: The random seed; the same seed gives the same documents.
        start: The number of the first consultation.

    Returns:
        The complete answer documents and the incomplete ones, in the same order.
    """
    clinic = _Clinic(kb)
    pairs = [clinic.pair(_rng(seed, "clinic", i), i) for i in range(start, start + count)]
    return [c for c, _ in pairs], [i for _, i in pairs]


def clinic_files(
    kb: KnowledgeBase, count: int, seed: int = SEED, start: int = 0
) -> tuple[list[File], list[File]]:
    """The clinic documents as files written by `yaml.safe_dump` with its defaults."""
    complete, incomplete = clinic_documents(kb, count, seed, start)
    names = [f"c{i:06d}.yaml" for i in range(start, start + count)]
    return (
        [File(n, _safe_dump(d), "complete") for n, d in zip(names, complete, strict=True)],
        [File(n, _safe_dump(d), "incomplete") for n, d in zip(names, incomplete, strict=True)],
    )


def flat_files(
    kb: KnowledgeBase, count: int, seed: int = SEED, start: int = 0
) -> tuple[list[File], list[File]]:
    """The clinic files in the earlier form: concerns and details once, areas with the screen only.

    The form that answer files had before areas carried their concerns; it stays valid.
    """
    screen = set(kb.areas.questions) if kb.areas is not None else set()
    out: tuple[list[File], list[File]] = ([], [])
    for docs, files in zip(clinic_documents(kb, count, seed, start), out, strict=True):
        for index, doc in enumerate(docs, start=start):
            answers = dict(doc["answers"])
            areas = answers.pop("areas", [])
            for item in areas:
                for qid, value in item.items():
                    if qid not in screen and qid != "concerns":
                        answers.setdefault(qid, value)
            answers["areas"] = [{q: v for q, v in a.items() if q in screen} for a in areas]
            data = _safe_dump({**doc, "answers": answers})
            files.append(File(f"c{index:06d}.yaml", data, "flat"))
    return out


def fuzz_files(kb: KnowledgeBase, count: int, seed: int = SEED, start: int = 0) -> list[File]:
    """Damaged answer files, every kind of damage in turn (`corpus_damage.KINDS`).

    File `i` starts from clinic consultation `i` of its own seed (the complete
    or the incomplete one, in turn); its name says the damage
    (`f000123-yaml11.yaml`). Like the consultations, any range can be made alone.
    """
    complete, incomplete = clinic_documents(kb, count, seed + 1, start)
    files = []
    for offset, index in enumerate(range(start, start + count)):
        kind = damage.KINDS[index % len(damage.KINDS)]
        doc = (complete if index % 2 else incomplete)[offset]
        suffix, data = damage.damage(kind, _rng(seed, "fuzz", index), doc, kb)
        files.append(File(f"f{index:06d}-{kind}{suffix}", data, kind))
    return files


def jsonl_files(
    kb: KnowledgeBase, count: int, lines: int = JSONL_LINES, seed: int = SEED, start: int = 0
) -> list[File]:
    """JSON Lines files of about `lines` lines each: documents, bare answers, broken lines."""
    files = []
    for index in range(start, start + count):
        complete, incomplete = clinic_documents(kb, lines, seed + 2, index * lines)
        rng = _rng(seed, "jsonl", index)
        docs = complete if index % 2 else incomplete
        data = b"".join(damage.jsonl_line(rng, doc, kb) for doc in docs)
        files.append(File(f"j{index:04d}.jsonl", damage.jsonl_file_damage(rng, data), "jsonl"))
    return files


def scenario_files(folder: Path) -> list[File]:
    """The `answers:` of each scenario test in `folder` (`*.yaml`) as an answer file."""
    files = []
    for path in sorted(folder.glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc = {"consult": 1, "answers": scenario["answers"]}
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        files.append(File(path.name, text.encode("utf-8"), "scenario"))
    return files


def write_files(folder: Path, files: Iterable[File]) -> list[Path]:
    """Write the files into `folder` (made if missing); returns their paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file in files:
        path = folder / file.name
        path.write_bytes(file.data)
        paths.append(path)
    return paths


def _safe_dump(doc: Document) -> bytes:
    return yaml.safe_dump(doc).encode("utf-8")


def _rng(seed: int, stream: str, index: int) -> random.Random:
    """The random numbers of one item of one corpus (a string seed is hashed the same everywhere)."""
    return random.Random(f"{seed}/{stream}/{index}")


class _Clinic:
    """Consultations walked through the bank in order, as an intake would ask them.

    The patient's questions are answered once; each concern is placed in a
    treatment area (acne scars on the face, a scar on the back, hair loss on the
    scalp), and each area carries its concerns, their details and its site screen.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rng = random.Random()
        self.concerns = kb.question("concerns").choice_ids
        assert kb.areas is not None
        self.group: Section = kb.areas
        self.sites = kb.question(self.group.key).choice_ids
        inside = set(self.group.questions)
        self.patient = [
            q for q in kb.questions if (not q.per_area or q.id == "concerns") and q.id not in inside
        ]
        self.detail = [
            q for q in kb.questions if q.per_area and q.id != "concerns" and q.id not in inside
        ]
        self.screen = [kb.question(q) for q in self.group.questions if q != self.group.key]

    def pair(self, rng: random.Random, index: int) -> tuple[Document, Document]:
        """Consultation `index`, complete and incomplete, from its own random numbers."""
        self.rng = rng
        complete = self.consultation(index)
        return complete, self.incomplete(complete)

    def consultation(self, index: int) -> Document:
        """A complete consultation: every question that applies answered, in its areas."""
        answers: dict[str, Any] = {}
        for question in self.patient:
            if question.id == "concerns":
                answers["concerns"] = self._concerns(index)
            elif _applies(question, answers):
                value = self._value(question)
                if value is not None:
                    answers[question.id] = value
        answers[self.group.id] = self._areas(answers)
        ref = self.rng.choice(_REFS).format(index)
        return {"consult": 1, "patient": {"ref": ref}, "answers": _plain(answers)}

    def incomplete(self, doc: Document) -> Document:
        """The same consultation with the screen half or wholly unanswered, and more left out."""
        rng, full = self.rng, doc["answers"]
        screen = [q.id for q in self.patient if q.section == SCREEN and q.id in full]
        whole = rng.random() < 0.5
        dropped = set(screen if whole else rng.sample(screen, len(screen) // 2))
        optional = [q.id for q in self.patient if not q.required and q.section != SCREEN]
        dropped.update(q for q in optional if rng.random() < _DROP_OPTIONAL)
        answers: dict[str, Any] = {}
        for question in self.patient:  # a question whose `when` no longer holds goes too
            if question.id in full and question.id not in dropped and _applies(question, answers):
                answers[question.id] = full[question.id]
        share = 1.0 if whole else 0.5
        screened = {q.id for q in self.screen}
        answers[self.group.id] = [
            {q: v for q, v in item.items() if q not in screened or rng.random() >= share}
            for item in full[self.group.id]
        ]
        return {**doc, "answers": _plain(answers)}

    def _areas(self, answers: dict[str, Any]) -> list[dict[str, Any]]:
        """Each concern placed where it is usually treated; now and then one more site."""
        rng = self.rng
        placed: dict[str, list[str]] = {}
        for concern in answers.get("concerns", ()):
            placed.setdefault(rng.choice(_SITES[concern]), []).append(concern)
        if not placed or rng.random() < 0.15:
            placed.setdefault(rng.choice([s for s in self.sites if s not in placed]), [])
        return [self._area(site, tuple(held), answers) for site, held in placed.items()]

    def _area(self, site: str, held: tuple[str, ...], patient: dict[str, Any]) -> dict[str, Any]:
        """One area: its site, its concerns and their details, its site screen."""
        item: dict[str, Any] = {self.group.key: site}
        if held:
            item["concerns"] = held
        view = {**patient, "concerns": held}
        for question in self.detail:
            if held and _applies(question, view):
                value = self._value(question)
                item[question.id] = view[question.id] = value
        for question in self.screen:
            item[question.id] = self.rng.random() < _YES_AREA
        return item

    def _value(self, question: Question) -> Any:
        rng = self.rng
        if question.kind == "yes_no":
            branch = _YES_BRANCH if question.when is not None else _YES_SCREEN
            return rng.random() < _YES.get(question.id, branch)
        if question.kind == "integer":
            return self._integer(question)
        if question.kind == "one_of":
            return rng.choice(question.choice_ids)
        if question.kind == "many_of":
            return self._many(question)
        return self._note() if rng.random() < 0.8 else None

    def _concerns(self, index: int) -> tuple[str, ...]:
        """The first concern cycles through every choice, so every branch is reached."""
        first = self.concerns[index % len(self.concerns)]
        extra = self.rng.choices((0, 1, 2), weights=(55, 35, 10))[0]
        picked = {first, *self.rng.sample(self.concerns, extra)}
        return tuple(c for c in self.concerns if c in picked)

    def _integer(self, question: Question) -> int:
        rng = self.rng
        lo = question.minimum if question.minimum is not None else 0
        hi = question.maximum if question.maximum is not None else lo + 100
        if question.id == "age":
            return rng.randint(18, 75) if rng.random() < 0.9 else rng.randint(lo, hi)
        if hi - lo > 60 and rng.random() < 0.7:
            return rng.randint(lo, min(hi, lo + 36))
        return rng.randint(lo, hi)

    def _many(self, question: Question) -> tuple[str, ...]:
        rng = self.rng
        exclusive = [c.id for c in question.choices if c.exclusive]
        others = [c.id for c in question.choices if not c.exclusive]
        if exclusive and rng.random() < 0.45:
            return (rng.choice(exclusive),)
        picked = set(rng.sample(others, rng.choices((1, 2, 3), weights=(60, 30, 10))[0]))
        return tuple(c for c in question.choice_ids if c in picked)

    def _note(self) -> str:
        """One to three sentences; now and then a long note or one over several lines."""
        rng = self.rng
        sentences = rng.sample(NOTES, rng.randint(1, 3))
        if rng.random() < 0.05:
            sentences = [rng.choice(NOTES) for _ in range(rng.randint(8, 18))]
        return ("\n" if rng.random() < 0.1 else " ").join(sentences)


def _applies(question: Question, answers: dict[str, Any]) -> bool:
    """Whether an intake would ask the question: its `when` (the section's included) holds."""
    return question.when is None or holds(question.when, answers) is True


def _plain(answers: dict[str, Any]) -> Any:
    """Answers as data a YAML or JSON writer takes (lists for choices and areas)."""
    if isinstance(answers, dict):
        return {k: _plain(v) for k, v in answers.items()}
    if isinstance(answers, tuple | list):
        return [_plain(v) for v in answers]
    return answers
