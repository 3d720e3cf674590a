"""The result JSON of an answer set, written straight from the engine's decision.

Batch runs write one result per answer set. Building the `Result` records and
then their JSON costs several times more than writing the JSON from the
decision (`consult.engine.decide`) directly, so batch output is written here.
The bytes are exactly `json.dumps(evaluate(kb, answers).to_dict(),
ensure_ascii=False, separators=(",", ":"))` in UTF-8; `tests/test_result_json.py`
compares the two on every scenario and a thousand random answer sets. Every
piece of bank text (names, evidence, rule texts) is encoded once per bank.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any

from consult.bank.model import Answer, Evidence, KnowledgeBase, Procedure, Rule, by_identity
from consult.engine.answers import AnswerSet
from consult.engine.decide import Decision, Plan, decide_checked, merged_referrals, plan_of
from consult.engine.result import OUTCOME_KINDS

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json(value: object) -> bytes:
    return _ENCODE(value).encode()


def result_json(
    kb: KnowledgeBase, answers: AnswerSet, head: bytes = b"", tail: bytes = b""
) -> bytes:
    """The result JSON of a checked answer set, compact, as UTF-8 bytes.

    `head` and `tail` are written around it (a record that holds the result).
    """
    return _parts_of(kb).write(decide_checked(kb, answers), answers.warnings, head, tail)


class _Parts:
    """The encoded bank text of one knowledge base, and the writer that joins it."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.plan: Plan = plan_of(kb)
        self.rule_id = {r.id: _json(r.id) for r in kb.rules}
        self.reason_head = {
            r.id: b'{"text":'
            + _json(r.text)
            + b',"rule":'
            + _json(r.id)
            + (b',"basis":' + _json(r.basis) if r.basis else b"")
            + b',"answers":'
            for r in kb.rules
        }
        self.head = {
            p.id: b'{"procedure":' + _json(p.id) + b',"name":' + _json(p.name)
            for p in kb.procedures.values()
        }
        self.evidence = {p.id: _evidence(p.evidence) for p in kb.procedures.values()}
        self.tail = {p.id: _tail(p) for p in kb.procedures.values()}
        self.indication = {
            (p.id, i.id): (
                b'{"id":'
                + _json(i.id)
                + b',"label":'
                + _json(i.label)
                + b',"evidence":'
                + _evidence(i.evidence)
                + b"}",
                _evidence(i.evidence),
            )
            for p in kb.procedures.values()
            for i in p.indications
        }
        self.referral_head = {
            rid: b'{"id":' + _json(rid) + b',"name":' + _json(ref.name) + b',"reason":'
            for rid, ref in kb.referrals.items()
        }
        self.question_head = {
            q.id: b'{"question":' + _json(q.id) + b',"text":' + _json(q.text) + b',"needed_by":'
            for q in kb.questions
        }
        self.kb_tail = (
            b',"knowledge_base":{"version":'
            + _json(kb.version)
            + b',"sha256":'
            + _json(kb.sha256)
            + b"}}"
        )
        # `"question":value` of the answers seen, by (question id, value).
        self.pairs: dict[tuple[str, Answer], bytes] = {}
        # Lists of ids (questions waited for, outcomes, rules), encoded once each.
        self.lists: dict[tuple[str, ...], bytes] = {}

    def write(
        self, d: Decision, warnings: tuple[str, ...], head: bytes = b"", tail: bytes = b""
    ) -> bytes:
        """The result JSON of a decision, between `head` and `tail`.

        One long function on purpose: it runs once per answer set on the batch
        hot path, and its inner helpers close over the per-call caches instead
        of paying for attribute look-ups and calls across functions (see
        bench/notes.md for the measurements behind its shape).
        """
        answers = d.answers
        reasons: dict[int, bytes] = {}

        def reason(rule: Rule) -> bytes:
            # A rule's reason is the same wherever it appears: write it once (per area).
            text = reasons.get(id(rule))
            if text is None:
                read = self._answers(d.answers_of(rule), rule.questions)
                text = reasons[id(rule)] = self.reason_head[rule.id] + read + _area(rule.area)
            return text

        out: list[bytes] = [head, b'{"candidates":[']
        add = out.append
        sep = b""
        for proc, rules, cautions in d.candidates:
            pid = proc.id
            indications = [self.indication[pid, i.id] for i in d.plan.indications(proc, rules)]
            questions = rules[0].questions
            if len(rules) > 1:
                questions = tuple(dict.fromkeys(chain.from_iterable(r.questions for r in rules)))
            add(sep)
            add(self.head[pid])
            add(b',"rules":')
            add(self._ids(rules))
            add(b',"answers":')
            add(self._answers(answers, questions))
            add(b',"evidence":')
            add(indications[0][1] if indications else self.evidence[pid])
            add(b',"indications":[')
            add(b",".join([i[0] for i in indications]))
            add(b'],"caveats":[')
            add(b",".join(map(reason, cautions)))
            add(b"],")
            add(self.tail[pid])
            sep = b","
        add(b'],"excluded":[')
        sep = b""
        for proc, rules, in_scope in d.excluded:
            add(sep)
            add(self.head[proc.id])
            add(b',"in_scope":true,"reasons":[' if in_scope else b',"in_scope":false,"reasons":[')
            add(b",".join(map(reason, rules)))
            add(b"]}")
            sep = b","
        add(b'],"undetermined":[')
        sep = b""
        for proc, waiting, blocking, fits, cautions in d.undetermined:
            add(sep)
            add(self.head[proc.id])
            add(b',"waiting_for":')
            add(self._strings(waiting))
            add(b',"rules":')
            add(self._ids(blocking))
            add(b',"candidate_rules":')
            add(self._ids(fits))
            add(b',"caveats":[')
            add(b",".join(map(reason, cautions)))
            add(b"]}")
            sep = b","
        add(b'],"referrals":[')
        sep = b""
        for rid, rules in merged_referrals(d.referrals):
            add(sep)
            add(self.referral_head[rid])
            add(reason(rules[0])[8:-1])  # the first rule's text, id and answers
            add(b',"reasons":[')
            add(b",".join(map(reason, rules)))
            add(b"]}")
            sep = b","
        add(b'],"information":[')
        sep = b""
        for rule, pid in d.information:
            add(sep)
            add(self.head[pid])
            add(b',"text":')
            add(reason(rule)[8:-1])  # the rule's text, id and answers
            add(b',"evidence":')
            add(self.evidence[pid])
            add(b"}")
            sep = b","
        add(b'],"unknown":[')
        sep = b""
        for q, needed, rule_ids in d.unknown:
            add(sep)
            add(self.question_head[q.id])
            add(self._strings(needed))
            add(b',"rules":')
            add(self._strings(rule_ids))
            add(b"}")
            sep = b","
        add(b'],"settled":[')
        add(b",".join(map(_settled, d.settled)))
        add(b'],"warnings":')
        add(_strings(warnings))
        add(self.kb_tail)
        add(tail)
        return b"".join(out)

    def _strings(self, ids: tuple[str, ...]) -> bytes:
        found = self.lists.get(ids)
        if found is None:
            if len(self.lists) >= 16384:
                self.lists.clear()
            found = self.lists[ids] = _strings(ids)
        return found

    def _ids(self, rules: Iterable[Rule]) -> bytes:
        rule_id = self.rule_id
        return b"[" + b",".join([rule_id[r.id] for r in rules]) + b"]"

    def _answers(self, answers: Mapping[str, Answer], questions: Iterable[str]) -> bytes:
        """`{"question":value,...}` of the questions answered, in the order given."""
        pairs = self.pairs
        parts = []
        for qid in questions:
            value = answers.get(qid, _MISSING)
            if value is _MISSING:
                continue
            key = (qid, value)
            text = pairs.get(key)
            if text is None:
                plain = list(value) if isinstance(value, tuple) else value
                text = _json({qid: plain})[1:-1]
                if not isinstance(value, str) or len(value) <= 64:  # not free text
                    if len(pairs) >= 16384:
                        pairs.clear()
                    pairs[key] = text
            parts.append(text)
        return b"{" + b",".join(parts) + b"}"


_MISSING: Any = object()


def _area(area: str) -> bytes:
    """The end of a reason: the treatment area it belongs to, if one."""
    return b',"area":' + _json(area) + b"}" if area else b"}"


def _strings(values: Iterable[str]) -> bytes:
    return _json(list(values)) if values else b"[]"


def _settled(item: tuple[str, str, bool, tuple[Rule, ...], tuple[str, ...]]) -> bytes:
    kind, target, verdict, rules, questions = item
    record = {
        "outcome": OUTCOME_KINDS[kind],
        "id": target,
        "verdict": verdict,
        "rules": [r.id for r in rules],
        "whatever_the_answers_to": list(questions),
    }
    return _json(record)


def _evidence(evidence: Evidence) -> bytes:
    return _json(evidence.to_dict())


def _tail(proc: Procedure) -> bytes:
    return (
        b'"protocol":'
        + _json(proc.protocol)
        + b',"downtime":'
        + _json(proc.downtime)
        + b',"regulatory":'
        + _json(proc.regulatory)
        + b"}"
    )


_PARTS: dict[int, tuple[KnowledgeBase, _Parts]] = {}


def _parts_of(kb: KnowledgeBase) -> _Parts:
    build: Callable[[KnowledgeBase], _Parts] = _Parts
    return by_identity(_PARTS, kb, build, limit=8)
