"""Each outcome of a decision from the truths of the rules, three-valued.

Each outcome (a procedure's candidacy, its exclusion, a caveat, a referral, an
information note) is judged by three-valued logic on its rules: exclusion
always wins, and a procedure a rule still open could exclude, or that an open
rule alone would make a candidate, is undetermined. Where three-valued logic
cannot be exact, `consult.engine.completions` checks every completion of the
unanswered questions the open rules read. A settled outcome is reported with
its rules (and listed under `settled`); an open one lists only the questions
that can change it. With every rule true or false, nothing is open.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from consult.bank.model import Procedure, Rule, Truth
from consult.engine.completions import any_true, settle
from consult.engine.decision import Deciding, Fit, OpenQuestion, Pending, Raised, RuledOut
from consult.engine.decision import SettledOutcome as Settled
from consult.engine.rulemasks import Index

Key = tuple[str, str]  # (outcome kind, target id)
_MISSING = object()


class Outcomes:
    """Fills a decision's outcome lists from the truths of the rules."""

    def __init__(self, decision: Deciding, index: Index, fired: int, open_mask: int) -> None:
        """`fired` and `open_mask` are the masks of the rules that hold and of the open ones."""
        self.d = decision
        self.index = ix = index
        self.fired_mask = fired
        self.open_mask = open_mask
        # Open outcomes -> the questions that can change them (None: every one read).
        self.open: dict[Key, tuple[str, ...] | None] = {}
        self.undetermined: set[str] = set()
        self.live: dict[str, None] = {}  # in bank order
        self.candidacy: tuple[bool, Sequence[Rule]] | None = None  # settled by enumeration
        # On this area's answers: open rules judged together (by mask), and outcomes
        # judged from the mask of their open rules.
        self.settled: dict[int, tuple[Truth, tuple[str, ...] | None]] = {}
        self.judged: dict[int, tuple[Truth, Sequence[Rule], tuple[str, ...] | None]] = {}
        # The questions the open rules read that are unanswered and not switched off,
        # in bank order: what the open outcomes wait for.
        answers, applies = decision.answers, decision.applies()
        self.unanswered = tuple(
            q for q in ix.read_by(open_mask) if q not in answers and applies(q) is not False
        )
        # Open rules for which three-valued logic may not be exact in a group: not exact
        # alone, or reading an unanswered question another open rule reads.
        # Exact here: exact for any answers, or no question it reads unsafely is missing.
        exact = ix.exact
        for rule in ix.of(open_mask & ~ix.exact):
            if ix.domains.fragile[rule.id].isdisjoint(decision.missing_of(rule)):
                exact |= ix.bits[ix.position[rule.id]]
        self.exact = exact
        unclean = open_mask & ~exact
        readers = ix.readers
        for qid in self.unanswered:
            shared = readers[qid] & open_mask
            if shared & (shared - 1):
                unclean |= shared
        self.unclean = unclean

    def decide(self) -> None:
        """Candidates, exclusions, undetermined procedures, referrals, notes, unknowns."""
        ix, d = self.index, self.d
        fired, open_mask, unclean = self.fired_mask, self.open_mask, self.unclean
        candidates, excludes = ix.masks["candidate"], ix.masks["exclude"]
        for proc in d.procedures:
            pid = proc.id
            excluding = excludes.get(pid, 0)
            if fired & excluding:  # excluded, whatever the open rules say
                rules = ix.of(fired & excluding)
                d.excluded.append(RuledOut(proc, rules, d.in_scope(pid)))
                continue
            # Not a candidate in any completion, and no exclusion to report: nothing to do.
            if candidates.get(pid, 0) & (fired | open_mask) or open_mask & unclean & excluding:
                self._procedure(proc)
        if open_mask:  # with every rule true or false, nothing is open
            self._referrals()
            self._information()
            self._unknown()

    def _procedure(self, proc: Procedure) -> None:
        d, pid, of = self.d, proc.id, self.index.of
        ex, ex_rules, ex_open = self._outcome("exclude", pid)
        if ex is True:
            d.excluded.append(RuledOut(proc, tuple(ex_rules), d.in_scope(pid)))
            return
        ca, ca_rules, ca_open = self._outcome("candidate", pid)
        # Set by `_record` when enumeration settled the candidacy; taken once, here.
        settled, self.candidacy = self.candidacy, None
        if ca is False or (ca is None and ex is None and not self._may_fit(pid, ca_open, ex_open)):
            if settled is not None:
                rules = tuple(settled[1])
                d.settled.append(Settled("candidate", pid, False, rules, d.missing(rules)))
            return
        self.live[pid] = None
        cautions = self._cautions(pid, of(self.fired_mask & self.index.masks["caveat"].get(pid, 0)))
        if ca is True and ex is False:
            if settled is not None:
                rules = tuple(ca_rules)
                d.settled.append(Settled("candidate", pid, True, rules, d.missing(rules)))
            d.candidates.append(Fit(proc, tuple(ca_rules), tuple(cautions)))
            return
        self.undetermined.add(pid)
        key, blocking = (
            (("exclude", pid), of(ex_open)) if ca is True else (("candidate", pid), of(ca_open))
        )
        # The candidate rules that hold (none fired when the candidacy is open).
        fits = ca_rules if ca is True else ()
        waiting = self._waiting(key, blocking)
        d.undetermined.append(Pending(proc, waiting, tuple(blocking), tuple(fits), tuple(cautions)))

    def _outcome(self, kind: str, target: str) -> tuple[Truth, Sequence[Rule], int]:
        """The verdict of "some rule brings it about", its rules, and the mask of open ones."""
        ix = self.index
        bearing = ix.masks[kind].get(target, 0)
        raised = self.fired_mask & bearing
        if raised:
            return True, ix.of(raised), 0
        mask = self.open_mask & bearing
        if not mask:
            return False, (), 0
        if not mask & self.unclean:
            self.open[kind, target] = None
            return None, (), mask
        found = self.judged.get(mask)
        if found is None:
            found = self.judged[mask] = self._judge(mask)
        verdict, rules, mattering = found
        if verdict is True:
            self._record(kind, target, True, rules)
            return True, rules, mask
        if verdict is False:
            self._record(kind, target, False, rules)
            return False, (), 0
        self.open[kind, target] = mattering
        return None, (), mask

    def _judge(self, mask: int) -> tuple[Truth, Sequence[Rule], tuple[str, ...] | None]:
        """An outcome from its open rules (some unclean), whatever it is the outcome of.

        True with the group of rules that settles it; False with all its open rules;
        open (None) with the questions that matter (None: every one read).
        """
        d, of = self.d, self.index.of
        clean = mask & ~self.unclean  # each of these alone is open and exact
        mattering: list[str] = []
        explicit = False  # some part settled false, or its open questions are not all
        is_open = bool(clean)
        for part in self._components(of(mask & self.unclean)):
            verdict, found = self._settle_any(part)
            if verdict is True:
                return True, part, None
            explicit = explicit or verdict is False or found is not None
            if verdict is None:
                is_open = True
                mattering += found if found is not None else d.missing(part)
        if not is_open:
            return False, of(mask), None
        if explicit:
            mattering += d.missing(of(clean)) if clean else ()
            return None, (), tuple(mattering)
        return None, (), None

    def _record(self, kind: str, target: str, verdict: bool, rules: Sequence[Rule]) -> None:
        """A settled outcome; a candidacy only once the procedure's exclusions are known too."""
        if kind == "candidate":
            self.candidacy = (verdict, rules)
        else:
            self.d.settled.append(
                Settled(kind, target, verdict, tuple(rules), self.d.missing(rules))
            )

    def _components(self, rules: Sequence[Rule]) -> list[Sequence[Rule]]:
        """The open rules grouped by shared unanswered questions (each group judged alone)."""
        missing_of = self.d.missing_of
        if len(rules) == 1:
            return [rules]
        seen: set[str] = set()
        total = 0
        for rule in rules:
            found = missing_of(rule)
            seen.update(found)
            total += len(found)
        if total == len(seen):  # no question shared: each rule alone
            return [[rule] for rule in rules]
        groups: list[tuple[set[str], Sequence[Rule]]] = []
        for rule in rules:
            questions, members = set(missing_of(rule)), [rule]
            for group in [g for g in groups if not g[0].isdisjoint(questions)]:
                groups.remove(group)
                questions |= group[0]
                members = [*group[1], *members]
            groups.append((questions, members))
        order = {id(r): n for n, r in enumerate(rules)}
        return [sorted(g[1], key=lambda r: order[id(r)]) for g in groups]

    def _settle_any(self, rules: Sequence[Rule]) -> tuple[Truth, tuple[str, ...] | None]:
        """Whether some rule of a group holds in every completion, in none, or it depends.

        Open outcomes come with the questions that can change them (None: all).
        Judged once per group on the area's answers.
        """
        ix = self.index
        mask = 0
        for rule in rules:
            mask |= ix.bits[ix.position[rule.id]]
        found = self.settled.get(mask)
        if found is None:
            found = self.settled[mask] = self._settle_group(rules, mask)
        return found

    def _settle_group(
        self, rules: Sequence[Rule], mask: int
    ) -> tuple[Truth, tuple[str, ...] | None]:
        d = self.d
        if len(rules) == 1 and self.exact & mask:
            return None, None
        tested = self.index.domains.tested
        if any(r.id in tested for r in rules):
            return None, None  # answered/unanswered test the answers as given: never enumerated
        # The verdict depends only on the answers (or their absence) the rules read.
        answers, applies = d.answers, d.applies()
        read = {q for r in rules for q in r.questions}
        states = tuple(
            (q, answers[q]) if q in answers else (q, _MISSING, applies(q)) for q in sorted(read)
        )
        key = (tuple(r.id for r in rules), states)
        cache = self.index.settled
        found = cache.get(key)
        if found is None:
            questions = d.missing(rules)
            tests = [r.test for r in rules]
            found = settle(self.index.domains, tests, any_true, questions, answers, applies)
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = found
        return found

    def _may_fit(self, pid: str, fits: int, blocks: int) -> bool:
        """Whether some completion makes an open candidate a candidate despite open exclusions."""
        if not (fits | blocks) & self.unclean:
            return True
        d, of = self.d, self.index.of
        rules = [*of(fits), *of(blocks)]
        tested = self.index.domains.tested
        if any(r.id in tested for r in rules):
            return True
        split = fits.bit_count()

        def fits_now(truths: list[Truth]) -> bool:
            return True in truths[:split] and True not in truths[split:]

        questions = d.missing(rules)
        verdict, _ = settle(
            self.index.domains, [r.test for r in rules], fits_now, questions, d.answers, d.applies()
        )
        if verdict is False:
            d.settled.append(Settled("candidate", pid, False, tuple(rules), questions))
            return False
        return True

    def _single(self, rule: Rule) -> tuple[Truth, tuple[str, ...] | None]:
        """An open rule alone: settled (True/False) or open, with the questions that matter."""
        return self._settle_any((rule,))

    def _cautions(self, pid: str, fired: Sequence[Rule]) -> Sequence[Rule]:
        ix = self.index
        maybe = self.open_mask & ix.masks["caveat"].get(pid, 0) & ~self.exact
        if not maybe:
            return fired
        found = list(fired)
        for rule in ix.of(maybe):
            if self._single(rule)[0] is True:
                self.d.settled.append(Settled("caveat", pid, True, (rule,), self.d.missing([rule])))
                found.append(rule)
        return found

    def _referrals(self) -> None:
        d = self.d
        raised = {r.target for r in d.referrals}
        for rid, mask in self.index.masks["refer"].items():
            if rid in raised or not mask & self.open_mask:
                continue
            verdict, rules, _ = self._outcome("refer", rid)
            if verdict is True:
                d.referrals += [Raised(rule, rid) for rule in rules]

    def _information(self) -> None:
        d, ix = self.d, self.index
        for rule in ix.of(self.open_mask & ix.inform & ~self.exact):
            if self._single(rule)[0] is True:
                d.information += [Raised(rule, pid) for pid in rule.inform]
                d.settled += [
                    Settled("information", pid, True, (rule,), d.missing([rule]))
                    for pid in rule.inform
                ]

    def _waiting(self, key: Key, rules: Sequence[Rule]) -> tuple[str, ...]:
        mattering = self.open.get(key)
        missing = self.d.missing(rules)
        return missing if mattering is None else tuple(q for q in missing if q in mattering)

    def _open_outcomes(self) -> Iterator[tuple[str, int, tuple[str, ...] | None]]:
        """Each open outcome: its target, the mask of its open rules, the questions that matter."""
        ix, open_mask, opened = self.index, self.open_mask, self.open
        masks = ix.masks
        for pending in self.d.undetermined:
            pid = pending.procedure.id
            for kind in ("candidate", "exclude"):
                if (kind, pid) in opened:
                    yield pid, open_mask & masks[kind].get(pid, 0), opened[kind, pid]
        for (kind, target), mattering in opened.items():
            if kind == "refer":
                yield target, open_mask & masks["refer"][target], mattering
        yield from self._notes()

    def _notes(self) -> Iterator[tuple[str, int, tuple[str, ...] | None]]:
        """Open caveats of the live procedures and open information notes."""
        ix, open_mask = self.index, self.open_mask
        singles = open_mask & ~self.exact
        for pid in self.live:
            mask = open_mask & ix.masks["caveat"].get(pid, 0)
            if mask & ~singles:
                yield pid, mask & ~singles, None
            yield from self._singles(pid, mask & singles)
        informs = open_mask & ix.inform
        for rule in ix.of(informs):
            bit = ix.bits[ix.position[rule.id]]
            for pid in rule.inform:
                if bit & singles:
                    yield from self._singles(pid, bit)
                else:
                    yield pid, bit, None

    def _singles(self, target: str, mask: int) -> Iterator[tuple[str, int, tuple[str, ...] | None]]:
        """Rules judged alone (not exact by three-valued logic) that are still open."""
        ix = self.index
        for rule in ix.of(mask):
            verdict, mattering = self._single(rule)
            if verdict is None:
                yield target, ix.bits[ix.position[rule.id]], mattering

    def _unknown(self) -> None:
        """Each unanswered question with the open outcomes it can change and the rules reading it.

        Works on masks: the rules of an outcome that read a question are the
        outcome's open rules and the question's readers, both bit masks.
        """
        d, ix = self.d, self.index
        ids_of, readers = ix.ids_of, ix.readers
        outcomes = list(self._open_outcomes())
        reached = 0  # the open rules of all open outcomes
        for _target, mask, _mattering in outcomes:
            reached |= mask
        by_id = d.plan.kb.by_id
        found: list[OpenQuestion] = []
        for qid in self.unanswered:
            reading = readers[qid] & reached
            if not reading:  # no open outcome reads it
                continue
            needed: dict[str, None] = {}
            seen = 0
            ids: list[str] = []
            for target, mask, mattering in outcomes:
                both = reading & mask
                if both and (mattering is None or qid in mattering):
                    needed[target] = None
                    fresh = both & ~seen
                    if fresh:
                        seen |= fresh
                        ids += ids_of(fresh)
            if needed:
                found.append(OpenQuestion(by_id[qid], tuple(needed), tuple(ids)))
        d.unknown = found
