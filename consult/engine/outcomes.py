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

from collections.abc import Sequence

from consult.bank.model import Procedure, Rule, Truth, by_identity
from consult.engine.completions import any_true, settle
from consult.engine.decision import Deciding, Fit, OpenQuestion, Pending, Raised, RuledOut
from consult.engine.decision import SettledOutcome as Settled
from consult.engine.rulemasks import Index, components

Key = tuple[str, str]  # (outcome kind, target id)
_MISSING = object()
# Per bank: the unknown questions of a decision, by its unanswered questions and open outcomes.
_UNKNOWN: dict[int, tuple[Index, dict[tuple[object, ...], tuple[OpenQuestion, ...]]]] = {}


def _no_questions(_index: Index) -> dict[tuple[object, ...], tuple[OpenQuestion, ...]]:
    return {}


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
        self.live: dict[str, None] = {}  # in bank order
        self.referring: list[str] = []  # the open referrals
        self.candidacy: tuple[bool, Sequence[Rule]] | None = None  # settled by enumeration
        # On this area's answers: open rules judged together (by mask), and outcomes
        # judged from the mask of their open rules.
        self.settled: dict[int, tuple[Truth, tuple[str, ...] | None]] = {}
        self.judged: dict[int, tuple[Truth, Sequence[Rule], tuple[str, ...] | None]] = {}
        if not open_mask:  # every rule true or false: nothing waits for an answer
            self.unanswered: tuple[str, ...] = ()
            self.exact = ix.exact
            self.links: list[int] = []
            self.unclean = 0
            return
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
        # The open rules that read the same unanswered question, for each such question.
        self.links = []
        for qid in self.unanswered:
            shared = readers[qid] & open_mask
            if shared & (shared - 1):
                unclean |= shared
                self.links.append(shared)
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
        for part in components(mask & self.unclean, self.links):
            verdict, found = self._settle(part)
            if verdict is True:
                return True, of(part), None
            explicit = explicit or verdict is False or found is not None
            if verdict is None:
                is_open = True
                mattering += found if found is not None else d.missing(of(part))
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

    def _settle(self, mask: int) -> tuple[Truth, tuple[str, ...] | None]:
        """Whether some rule of a group holds in every completion, in none, or it depends.

        Open outcomes come with the questions that can change them (None: all).
        Judged once per group on the area's answers.
        """
        found = self.settled.get(mask)
        if found is None:
            found = self.settled[mask] = self._settle_group(mask)
        return found

    def _settle_group(self, mask: int) -> tuple[Truth, tuple[str, ...] | None]:
        d, ix = self.d, self.index
        if not mask & (mask - 1) and self.exact & mask:
            return None, None
        if mask & ix.tested:
            return None, None  # answered/unanswered test the answers as given: never enumerated
        rules = ix.of(mask)
        # The verdict depends only on the answers (or their absence) the rules read.
        answers, applies = d.answers, d.applies()
        read = {q for r in rules for q in r.questions}
        states = tuple(
            (q, answers[q]) if q in answers else (q, _MISSING, applies(q)) for q in sorted(read)
        )
        key = (tuple(r.id for r in rules), states)
        cache = ix.settled
        found = cache.get(key)
        if found is None:
            questions = d.missing(rules)
            tests = [r.test for r in rules]
            found = settle(ix.domains, tests, any_true, questions, answers, applies)
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
        ix = self.index
        return self._settle(ix.bits[ix.position[rule.id]])

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
            elif verdict is None:
                self.referring.append(rid)

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

    def _open_outcomes(self) -> list[tuple[str, int, tuple[str, ...] | None]]:
        """Each open outcome: its target, the mask of its open rules, the questions that matter."""
        open_mask, opened, masks = self.open_mask, self.open, self.index.masks
        found = [
            (pid, open_mask & masks[kind].get(pid, 0), opened[kind, pid])
            for pid in (pending.procedure.id for pending in self.d.undetermined)
            for kind in ("candidate", "exclude")
            if (kind, pid) in opened
        ]
        refer = masks["refer"]
        found += [(rid, open_mask & refer[rid], opened["refer", rid]) for rid in self.referring]
        self._notes(found)
        return found

    def _notes(self, found: list[tuple[str, int, tuple[str, ...] | None]]) -> None:
        """Open caveats of the live procedures and open information notes."""
        ix, open_mask = self.index, self.open_mask
        singles = open_mask & ~self.exact
        caveats = ix.masks["caveat"]
        for pid in self.live:
            mask = open_mask & caveats.get(pid, 0)
            if mask & ~singles:
                found.append((pid, mask & ~singles, None))
            if mask & singles:
                self._singles(found, pid, mask & singles)
        for rule in ix.of(open_mask & ix.inform):
            bit = ix.bits[ix.position[rule.id]]
            for pid in rule.inform:
                if bit & singles:
                    self._singles(found, pid, bit)
                else:
                    found.append((pid, bit, None))

    def _singles(
        self, found: list[tuple[str, int, tuple[str, ...] | None]], target: str, mask: int
    ) -> None:
        """Rules judged alone (not exact by three-valued logic) that are still open."""
        ix = self.index
        for rule in ix.of(mask):
            verdict, mattering = self._single(rule)
            if verdict is None:
                found.append((target, ix.bits[ix.position[rule.id]], mattering))

    def _unknown(self) -> None:
        """Each unanswered question with the open outcomes it can change and the rules reading it.

        Works on masks: the rules of an outcome that read a question are the
        outcome's open rules and the question's readers, both bit masks. The
        list depends only on the open outcomes and the unanswered questions
        they read: the latest combinations met are kept (a few hundred: their
        memory stays flat however long a batch runs).
        """
        outcomes = tuple(self._open_outcomes())
        reached = 0  # the open rules of all open outcomes
        for _target, mask, _mattering in outcomes:
            reached |= mask
        # Only an unanswered question some open outcome reads can be listed.
        readers = self.index.readers
        asked = tuple([q for q in self.unanswered if readers[q] & reached])
        key = (asked, outcomes)
        known = by_identity(_UNKNOWN, self.index, _no_questions, limit=8)
        found = known.get(key)
        if found is None:
            if len(known) >= 512:
                known.clear()
            found = known[key] = self._questions(asked, outcomes, reached)
        self.d.unknown = list(found)

    def _questions(
        self,
        asked: tuple[str, ...],
        outcomes: tuple[tuple[str, int, tuple[str, ...] | None], ...],
        reached: int,
    ) -> tuple[OpenQuestion, ...]:
        """Each question of `asked` with the outcomes it can change and the rules reading it.

        `reached` holds the open rules of all the outcomes; each question asked is
        read by some of them.
        """
        ix = self.index
        of, readers = ix.of, ix.readers
        by_id = self.d.plan.kb.by_id
        found: list[OpenQuestion] = []
        for qid in asked:
            reading = readers[qid] & reached
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
                        ids += [r.id for r in of(fresh)]
            if needed:
                found.append(OpenQuestion(by_id[qid], tuple(needed), tuple(ids)))
        return tuple(found)
