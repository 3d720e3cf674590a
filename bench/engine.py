"""Engine: `consult.evaluate` against the rules run by JsonLogic and by generated Python."""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from baseline import Baseline
from common import Row, Section
from gen import Generator, coverage, is_complete, plain
from jsonlogic_peer import PACKAGE, Peer
from outcome import from_result

import consult
from consult.answers.check import check_mapping
from consult.bank.model import Answer, KnowledgeBase

JSONLOGIC_TARGET = 10.0


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


BASELINE_TARGET = 0.5
BATCH_LABEL = (
    "consult: the same text as the batch writes it (generated check, decision, "
    "`resultjson`), no `Result` records"
)


def _per_set(fn: Callable[[Any], object], items: Sequence[Any], rounds: int) -> float:
    """Median over rounds of the seconds per item."""
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - start) / len(items))
    return statistics.median(times)


def _batch_json_writer() -> Callable[[KnowledgeBase, dict[str, Any]], bytes] | None:
    """The batch path's result JSON (checked on its own fast path), where there is one."""
    try:
        from consult.output.resultjson import result_json

        from consult.engine.decide import plan_of
    except ImportError:
        return None

    def write(kb: KnowledgeBase, answers: dict[str, Any]) -> bytes:
        checked = plan_of(kb).check(answers)
        if checked is None:
            raise SystemExit("a generated answer set needs a message: the generator is wrong")
        return result_json(kb, checked)

    return write


_batch_json = _batch_json_writer()


def check_agreement(
    kb: KnowledgeBase, sets: list[dict[str, Answer]], peer: Peer, base: Baseline
) -> tuple[int, int]:
    """Every answer set gives the same outcome in all three; returns the counts checked, settled.

    The peers are three-valued only: where consult's exact check settles an outcome
    the three-valued pass left open, the outcome differs by design and is not compared.
    """
    settled = 0
    for index, answers in enumerate(sets):
        result = consult.evaluate(kb, answers)
        text = _dumps(result.to_dict())
        if hasattr(result, "to_json") and result.to_json() != text:
            raise SystemExit(f"answer set {index}: Result.to_json() differs from to_dict()")
        if _batch_json is not None and _batch_json(kb, plain(answers)) != text.encode():
            raise SystemExit(
                f"answer set {index}: the batch record's result differs from to_dict()"
            )
        if getattr(result, "settled", ()):
            settled += 1
            continue
        ours = from_result(result)
        if base.outcome(answers) != ours:
            raise SystemExit(f"answer set {index}: the plain-Python baseline disagrees: {answers}")
        if peer.outcome(plain(answers)) != ours:
            raise SystemExit(f"answer set {index}: the JsonLogic peer disagrees: {answers}")
    return len(sets) - settled, settled


def measure(count: int, rounds: int, peer_count: int) -> Section:
    """Time the engines over `count` generated answer sets (the peer over `peer_count`)."""
    kb = consult.load()
    sets = list(Generator(kb).answer_sets(count))
    cover = coverage(kb, sets)
    peer, base = Peer(kb), Baseline(kb)
    checked, settled = check_agreement(kb, sets, peer, base)
    datas = [plain(s) for s in sets]
    answer_sets = [check_mapping(kb, s) for s in sets]
    evaluate = consult.evaluate

    t_api = _per_set(lambda a: evaluate(kb, a), sets, rounds)
    t_checked = _per_set(lambda a: evaluate(kb, a), answer_sets, rounds)
    t_dict = _per_set(lambda a: evaluate(kb, a).to_dict(), sets, rounds)
    t_dumps = _per_set(lambda a: _dumps(evaluate(kb, a).to_dict()), sets, rounds)
    batch_json = _batch_json
    t_json = _per_set(lambda a: batch_json(kb, a), datas, rounds) if batch_json else None
    t_base = _per_set(base.outcome, sets, rounds)
    t_peer = _per_set(peer.outcome, datas[:peer_count], 1)

    section = Section("Engine")
    us = "µs/set"
    r_peer, r_base = t_peer / t_api, t_base / t_api
    section.rows += [
        Row(
            f"`consult.evaluate(kb, answers)`, {count:,} sets",
            f"{t_api * 1e6:.1f} {us}",
            f"JsonLogic ({PACKAGE}) {t_peer * 1e6:,.0f} {us}",
            r_peer,
            f"≥ {JSONLOGIC_TARGET:g}×",
            r_peer >= JSONLOGIC_TARGET,
        ),
        Row(
            f"`consult.evaluate(kb, answers)`, {count:,} sets",
            f"{t_api * 1e6:.1f} {us}",
            f"generated plain Python {t_base * 1e6:.1f} {us}",
            r_base,
            f"≥ {BASELINE_TARGET:g}×",
            r_base >= BASELINE_TARGET,
        ),
        Row(
            "`consult.evaluate(kb, AnswerSet)`: the rule engine alone, answers checked before",
            f"{t_checked * 1e6:.1f} {us}",
            f"generated plain Python {t_base * 1e6:.1f} {us}",
            t_base / t_checked,
            f"≥ {BASELINE_TARGET:g}×",
            t_base / t_checked >= BASELINE_TARGET,
        ),
    ]
    section.details += [
        "| engine work per answer set | µs/set | sets/s |",
        "| --- | ---: | ---: |",
        *(
            f"| {label} | {t * 1e6:,.1f} | {1 / t:,.0f} |"
            for label, t in (
                ("consult: `evaluate(kb, dict)`: check the answers, evaluate, explain", t_api),
                ("consult: `evaluate(kb, AnswerSet)`: answers checked beforehand", t_checked),
                ("consult: `evaluate(kb, dict).to_dict()`: plus the JSON-ready result", t_dict),
                ("consult: `json.dumps(evaluate(kb, dict).to_dict())`, compact", t_dumps),
                (BATCH_LABEL, t_json),
                ("plain Python: generated code, outcome sets only", t_base),
                (f"JsonLogic: {PACKAGE}, outcome sets only", t_peer),
            )
            if t is not None
        ),
    ]
    complete = sum(is_complete(kb, s) for s in sets)
    section.notes += [
        "Answer sets: " + "; ".join(cover.lines()) + ".",
        (
            f"Agreement: consult, the JsonLogic peer and the plain-Python baseline gave the same "
            f"outcome on {checked:,} answer sets ({complete:,} complete, "
            f"{checked - complete:,} with unanswered questions) before timing: candidates with "
            "their candidate and caveat rules, exclusions with their rules, undetermined "
            "procedures with their caveat rules, referrals and information notes, in order. "
            "The batch path's result JSON (answers checked by its generated checker, JSON "
            "written from the decision) was byte-identical to `json.dumps(result.to_dict())` "
            "on every set."
        ),
        (
            f"{settled:,} incomplete answer sets were not compared with the peers: there consult's "
            "exact check settled an outcome that three-valued logic leaves open (the peers have "
            "no such check)."
        ),
        (
            "The peer and the baseline are three-valued too: a condition becomes 'is true' and "
            "'is false' expressions (Kleene logic), and a comparison on a question switched off "
            "by its own `when` is false, as in consult, by translating that `when` as well. So "
            "incomplete answer sets are compared too, not only complete ones."
        ),
        (
            "consult's figure is the public API on a plain dict: it checks every answer against "
            "the bank, evaluates, and builds the explained result (reasons with the rule, its "
            "text and the answers it read; unknown questions and what they would settle). The "
            "peer and the baseline do neither check nor explain; they compute outcome sets only. "
            f"The JsonLogic figure is over the first {min(peer_count, count):,} sets, timed once; "
            f"the others are the median of {rounds} passes over all sets."
        ),
        (
            "JsonLogic package: `json-logic` 0.6.3 (the original) installs but cannot run on "
            "Python 3 (`dict_keys` is not subscriptable), so its maintained Python 3 "
            f"continuation `{PACKAGE}` 0.9.1 (same code base and API) is used."
        ),
    ]
    return section
