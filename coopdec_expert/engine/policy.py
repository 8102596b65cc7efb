"""The verdict policy: from what the rules conclude to scores, steps and a verdict.

This module is what README's "How the verdict is decided" describes, and nothing else; its
thresholds are parameters in rules/parameters.yaml. It is pure: the same answers and
conclusions give the same outcome, whichever engine (experta, or the compiled evaluator used by
searches) concluded them.

Judgement on incomplete answers (see rules/parameters.yaml and README):
- a criterion is *not assessed* when its level is 0 only because answers that could raise it are
  open; it is *partial* when open answers could still move it; an unknown is never a zero;
- a step is *presumed* done when its own answers do not contradict it and a later step is done;
  it is *contrary* when known answers rule it out; the next step is the first step neither done
  nor presumed;
- a not_ready needs a cause in the known answers (a high flag, or a core criterion at 0 that no
  open answer can raise); a criterion that cannot be assessed leads to insufficient_information.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..knowledge.conditions import facts_read, questions_read
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import APPROACHES, STEPS, UNKNOWN
from ..vocabulary import REQUESTER, AreaStatus, StepState
from .evaluator import Conclusions, Modal

if TYPE_CHECKING:
    from .compiler import Trace

ASSESSED, PARTIAL, NOT_ASSESSED = AreaStatus.assessed, AreaStatus.partial, AreaStatus.not_assessed
NOT_APPLICABLE = AreaStatus.not_applicable
UNRATED = (NOT_ASSESSED, NOT_APPLICABLE)  # no score: nothing known, or nothing to know yet
DONE, PRESUMED, CONTRARY, NOT_DONE = (
    StepState.done,
    StepState.presumed,
    StepState.contrary,
    StepState.not_done,
)


@dataclass(frozen=True)
class Outcome:
    """Language-free result of one set of answers: what reports and searches are built from."""

    fired: frozenset[str]
    flags: tuple[str, ...]  # knowledge-base order
    levels: dict[str, int]  # level reached from the known answers, capped by flags
    upper: dict[str, int]  # highest level some answers to the open questions could give
    status: dict[str, str]  # assessed | partial | not_assessed
    steps: dict[str, str]  # done | presumed | contrary | not_done
    next_step: str
    approach: str | None
    relevant: frozenset[str]
    open_questions: tuple[str, ...]  # relevant, unanswered or unknown, in question order
    verdict: str
    reasons: tuple[tuple[str, tuple[str, ...]], ...]
    concluded: frozenset[str]  # derived facts
    trace: Trace | None = field(default=None, compare=False, repr=False)

    @property
    def steps_done(self) -> tuple[str, ...]:
        return tuple(s for s in STEPS if self.steps[s] == DONE)

    @property
    def steps_presumed(self) -> tuple[str, ...]:
        return tuple(s for s in STEPS if self.steps[s] == PRESUMED)

    @property
    def record(self) -> Trace:
        """The trace of the experta engine of record (an outcome of the compiled evaluator,
        used by searches, has none: explanations always read the engine of record's)."""
        if self.trace is None:
            raise ValueError("an outcome of the compiled evaluator has no trace")
        return self.trace

    def reason_items(self, code: str) -> tuple[str, ...]:
        return next((items for c, items in self.reasons if c == code), ())


class Policy:
    """The knowledge base's tables the policy reads, computed once."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.core = tuple(a.id for a in kb.areas.values() if a.core)
        self.caps: dict[str, int] = kb.param("severity_score_cap")
        self.floor: int = kb.param("not_ready_below_score")
        self.ready_level: int = kb.param("ready_min_area_score")
        self.max_unknown_keys: int = kb.param("max_unknown_key_questions")
        self.ready_step = STEPS.index(kb.param("ready_from_step"))
        self.flag_order = {f: i for i, f in enumerate(kb.flags)}
        self.question_order = {q: i for i, q in enumerate(kb.questions)}
        self.keys = frozenset(q.id for q in kb.questions.values() if q.key)
        # a key question about one side (north, south) blocks only that side's own request
        self.key_side = {
            q.id: q.side for q in kb.questions.values() if q.key and q.side in ("north", "south")
        }
        # rule -> effects used by the policy, as tuples for speed
        self.rule_flags = {r.id: tuple(r.then.flags) for r in kb.rules.values()}
        self.rule_scores = {
            r.id: tuple((s.area, s.level) for s in r.then.scores) for r in kb.rules.values()
        }
        self.rule_step = {r.id: r.then.step_done for r in kb.rules.values() if r.then.step_done}
        self.rule_approach = {r.id: r.then.approach for r in kb.rules.values() if r.then.approach}
        self.flag_area = {f.id: f.area for f in kb.flags.values()}
        self.flag_cap = {f.id: self.caps[f.severity] for f in kb.flags.values()}
        self.flag_severity = {f.id: f.severity for f in kb.flags.values()}
        self.score_rules = frozenset(r for r in kb.rules if self.rule_scores[r])
        self.flag_rules = frozenset(r for r in kb.rules if self.rule_flags[r])
        self.effectful = self.score_rules | self.flag_rules
        self.high_flag_rules = frozenset(
            r
            for r in self.flag_rules
            if any(self.flag_severity[f] == "high" for f in self.rule_flags[r])
        )
        self.step_rules = frozenset(self.rule_step)
        self.approach_rules = frozenset(self.rule_approach)
        self._areas = tuple(kb.areas)
        self._full = dict.fromkeys(kb.areas, 3)
        self._nothing = dict.fromkeys(kb.areas, 0)
        self._step_index = {s: i for i, s in enumerate(STEPS)}
        self.area_questions = self._area_questions(kb)

    def _area_questions(self, kb: KnowledgeBase) -> dict[str, frozenset[str]]:
        """Per area, the questions its score and flag rules read, directly or through the
        facts they read."""
        concluders: dict[str, list] = {}
        for rule in kb.rules.values():
            for fact in rule.then.conclude:
                concluders.setdefault(fact, []).append(rule)

        def read(rule, seen: set[str]) -> set[str]:
            found = set(questions_read(rule.when))
            for fact in facts_read(rule.when) - seen:
                seen.add(fact)
                for other in concluders.get(fact, []):
                    found |= read(other, seen)
            return found

        found: dict[str, set[str]] = {area: set() for area in kb.areas}
        for rule in kb.rules.values():
            areas = {s.area for s in rule.then.scores} | {kb.flags[f].area for f in rule.then.flags}
            if areas:
                questions = read(rule, set())
                for area in areas:
                    found[area] |= questions
        return {area: frozenset(q) for area, q in found.items()}

    # --- classification ---------------------------------------------------------------

    def classify(
        self,
        answers: dict[str, str],
        conclusions: Conclusions,
        modal: Modal,
        outcome_of: Callable[[dict[str, str]], Outcome],
        trace: Trace | None = None,
    ) -> Outcome:
        fired = conclusions.fired
        rule_flags = self.rule_flags
        flags = tuple(
            sorted(
                {f for r in fired & self.flag_rules for f in rule_flags[r]},
                key=self.flag_order.__getitem__,
            )
        )
        levels, upper, status = self._levels(answers, fired, flags, modal)
        steps, next_step = self._steps(fired, modal)
        approaches = {self.rule_approach[r] for r in fired & self.approach_rules}
        approach = max(approaches, key=APPROACHES.index) if approaches else None
        open_questions = tuple(
            sorted(
                (q for q in conclusions.relevant if answers.get(q, UNKNOWN) == UNKNOWN),
                key=self.question_order.__getitem__,
            )
        )
        verdict, reasons = self._verdict(
            answers, flags, levels, status, next_step, open_questions, outcome_of
        )
        return Outcome(
            fired=fired,
            flags=flags,
            levels=levels,
            upper=upper,
            status=status,
            steps=steps,
            next_step=next_step,
            approach=approach,
            relevant=conclusions.relevant,
            open_questions=open_questions,
            verdict=verdict,
            reasons=reasons,
            concluded=conclusions.facts,
            trace=trace,
        )

    def decide(
        self,
        answers: dict[str, str],
        conclusions: Conclusions,
        modal: Modal,
        outcome_of: Callable[[dict[str, str]], Outcome],
    ) -> tuple[str, str]:
        """(verdict, next step) alone, as `classify` decides them — what searches compare —
        without the rest of the outcome (scores of non-core criteria, reasons, ordering)."""
        fired = conclusions.fired
        _, next_step = self._steps(fired, modal)
        if fired & self.high_flag_rules:
            return "not_ready", next_step  # what `_verdict` says first, without the levels
        flags = tuple({f for r in fired & self.flag_rules for f in self.rule_flags[r]})
        levels, _, status = self._levels(answers, fired, flags, modal, self.core)
        open_questions = tuple(
            q for q in conclusions.relevant if answers.get(q, UNKNOWN) == UNKNOWN
        )
        verdict, _ = self._verdict(
            answers, flags, levels, status, next_step, open_questions, outcome_of
        )
        return verdict, next_step

    def _levels(self, answers, fired, flags, modal: Modal, areas: tuple[str, ...] | None = None):
        """Per area (all, or those given): the level the known answers reach (capped by the
        flags raised), the highest level open answers could still give, and its state. An area
        at 0 none of whose questions is answered or can be asked is not applicable yet (the
        partner's context before there is a partner), not a zero."""
        areas = areas or self._areas
        flag_area, flag_cap, rule_scores = self.flag_area, self.flag_cap, self.rule_scores
        cap = dict(self._full)
        for flag in flags:
            area = flag_area[flag]
            if flag_cap[flag] < cap[area]:
                cap[area] = flag_cap[flag]
        reached = dict(self._nothing)
        for rule_id in fired & self.score_rules:
            for area, level in rule_scores[rule_id]:
                if level > reached[area]:
                    reached[area] = level
        reachable = dict(reached)
        possible_cap = dict(cap)
        for rule_id in (modal.possible - fired) & self.effectful:
            for area, level in rule_scores[rule_id]:
                if level > reachable[area]:
                    reachable[area] = level
            for flag in self.rule_flags[rule_id]:
                area = flag_area[flag]
                if flag_cap[flag] < possible_cap[area]:
                    possible_cap[area] = flag_cap[flag]
        levels, upper, status = {}, {}, {}
        for area in areas:
            level = reached[area] if reached[area] < cap[area] else cap[area]
            high = reachable[area] if reachable[area] < cap[area] else cap[area]
            levels[area], upper[area] = level, high
            if level == 0 and high > 0:
                status[area] = NOT_ASSESSED
            elif (
                level == 0
                and cap[area] == self._full[area]
                and not (self.area_questions[area] & modal.askable)
                and all(answers.get(q, UNKNOWN) == UNKNOWN for q in self.area_questions[area])
            ):
                status[area] = NOT_APPLICABLE
            elif high > level or possible_cap[area] < level:
                status[area] = PARTIAL
            else:
                status[area] = ASSESSED
        return levels, upper, status

    def blocks_verdict(self, question_id: str, requester: str) -> bool:
        """A key question about one side blocks the verdict of that side's own request (the
        partner's answers are asked, not required); about the relationship or the context, it
        blocks any request."""
        side = self.key_side.get(question_id)
        return side is None or requester in (side, UNKNOWN)

    def _steps(self, fired, modal: Modal):
        rule_step = self.rule_step
        done = {rule_step[r] for r in fired & self.step_rules}
        possible = {rule_step[r] for r in modal.possible & self.step_rules}
        last_done = max((self._step_index[s] for s in done), default=-1)
        steps = {}
        for index, step in enumerate(STEPS):
            if step in done:
                steps[step] = DONE
            elif step not in possible:
                steps[step] = CONTRARY
            elif index < last_done:
                steps[step] = PRESUMED
            else:
                steps[step] = NOT_DONE
        next_step = next((s for s in STEPS if steps[s] not in (DONE, PRESUMED)), STEPS[-1])
        return steps, next_step

    def _verdict(self, answers, flags, levels, status, next_step, open_questions, outcome_of):
        high = tuple(f for f in flags if self.flag_severity[f] == "high")
        if high:
            return "not_ready", (("high_flags", high),)
        zero = tuple(a for a in self.core if status[a] not in UNRATED and levels[a] < self.floor)
        if zero:
            return "not_ready", (("core_area_zero", zero),)
        requester = answers.get(REQUESTER, UNKNOWN)
        unknown_keys = tuple(
            q for q in open_questions if q in self.keys and self.blocks_verdict(q, requester)
        )
        unassessed = tuple(a for a in self.core if status[a] == NOT_ASSESSED)
        if len(unknown_keys) > self.max_unknown_keys or unassessed:
            reasons = []
            if len(unknown_keys) > self.max_unknown_keys:
                reasons.append(("unknown_key_questions", unknown_keys))
            if unassessed:
                reasons.append(("unassessed_core_areas", unassessed))
            return "insufficient_information", tuple(reasons)
        reasons = []
        medium = tuple(f for f in flags if self.flag_severity[f] == "medium")
        if medium:
            reasons.append(("medium_flags", medium))
        below = tuple(
            a for a in self.core if status[a] != NOT_APPLICABLE and levels[a] < self.ready_level
        )
        if below:
            reasons.append(("core_area_below_ready", below))
        if STEPS.index(next_step) < self.ready_step:
            reasons.append(("step_not_reached", (STEPS[self.ready_step], next_step)))
        if reasons:
            return "conditional", tuple(reasons)
        if open_questions:
            # `unknown` is never favourable: "ready" must survive the least favourable answer
            # to every open question (the pessimistic completion).
            worst = {q: self.kb.questions[q].options[0].id for q in open_questions}
            if outcome_of({**answers, **worst}).verdict != "ready":
                return "conditional", (("open_questions", open_questions),)
        return "ready", (("all_clear", ()),)
