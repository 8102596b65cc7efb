"""What a verdict rests on, in the answers: the known answers behind each reason of a
not_ready or conditional, the open questions that would settle an insufficient_information or
assess a criterion, the questions that would confirm a presumed step and the answers that rule a
step out. Read by the renderer (reasons, criteria, steps), the open-question analysis and the
why-not explanation; the verdict itself is decided in policy.py."""

from __future__ import annotations

from ..knowledge.conditions import allowed_options, facts_read, side_leaves
from ..knowledge.models import UNKNOWN
from ..vocabulary import REQUESTER
from .evaluator import Modal
from .policy import NOT_ASSESSED, Outcome, Policy


class Grounds:
    """The knowledge base's tables these questions read (those of the policy), computed once."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.kb = policy.kb
        self.rule_flags = policy.rule_flags
        self.rule_scores = policy.rule_scores
        self.rule_step = policy.rule_step
        self.flag_area = policy.flag_area
        self.flag_cap = policy.flag_cap
        self.score_rules = policy.score_rules
        self.floor = policy.floor
        self.ready_level = policy.ready_level
        self.question_order = policy.question_order
        self._rule_positions = {r: i for i, r in enumerate(policy.kb.rules)}
        # Each rule's answer tests as seen from each requesting side (see side_leaves).
        self._leaves = {
            (r.id, side): tuple(
                (leaf.answer, frozenset(allowed_options(leaf, policy.kb)))
                for leaf in side_leaves(r.when, REQUESTER, side, policy.kb)
            )
            for r in policy.kb.rules.values()
            for side in policy.kb.questions[REQUESTER].option_ids()
        }

    def rule_leaves(self, rule_id: str, answers: dict[str, str]):
        """A rule's answer tests, with the options each allows, for the requesting side."""
        return self._leaves[rule_id, answers.get(REQUESTER, "south")]

    def grounds(
        self, answers: dict[str, str], outcome: Outcome, modal: Modal, code: str, items
    ) -> tuple[str, ...]:
        """The questions a reason rests on: for a not_ready or conditional, the known answers
        that raise its flags or hold its criteria or step back; for insufficient_information,
        the open questions that would settle it."""
        found: list[str] = []
        if code in ("high_flags", "medium_flags"):
            for flag in items:
                found += self._raising_answers(flag, answers, outcome)
        elif code in ("core_area_zero", "core_area_below_ready"):
            threshold = self.floor if code == "core_area_zero" else self.ready_level
            for area in items:
                held = self._holding_back(area, threshold, answers, outcome)
                # a criterion assessed from partial answers: the open questions that could raise it
                found += held or self.settling_questions(answers, outcome, modal, area)
        elif code == "step_not_reached":
            confirm, against = self.step_evidence(answers, outcome, modal, items[1])
            found += [*against, *confirm]
        elif code == "unassessed_core_areas":
            for area in items:
                found += self.settling_questions(answers, outcome, modal, area)
        elif code in ("unknown_key_questions", "open_questions"):
            found += items
        return tuple(dict.fromkeys(found))

    def _raising_answers(self, flag: str, answers, outcome: Outcome) -> list[str]:
        return [
            q
            for rule_id in sorted(outcome.fired, key=self._rule_index)
            if flag in self.rule_flags[rule_id]
            for q, _ in self.rule_leaves(rule_id, answers)
            if answers.get(q, UNKNOWN) != UNKNOWN
        ]

    def _holding_back(self, area: str, threshold: int, answers, outcome: Outcome) -> list[str]:
        """Answers raising flags that cap the area below the threshold, and known answers that
        fail the tests of the rules that would reach it."""
        found: list[str] = []
        for flag in outcome.flags:
            if self.flag_area[flag] == area and self.flag_cap[flag] < threshold:
                found += self._raising_answers(flag, answers, outcome)
        reached = any(
            a == area and level >= threshold
            for r in outcome.fired
            for a, level in self.rule_scores[r]
        )
        if not reached:
            for rule_id in sorted(self.score_rules, key=self._rule_index):
                if any(a == area and lv >= threshold for a, lv in self.rule_scores[rule_id]):
                    found += self._failing(rule_id, answers)
        return found

    def _failing(self, rule_id: str, answers) -> list[str]:
        """Known answers that fail one of a rule's answer tests."""
        return [
            q
            for q, allowed in self.rule_leaves(rule_id, answers)
            if answers.get(q, UNKNOWN) != UNKNOWN and answers[q] not in allowed
        ]

    def step_evidence(
        self, answers: dict[str, str], outcome: Outcome, modal: Modal, step: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(questions confirming, known answers against) a step that is not done."""
        against: list[str] = []
        for rule_id, done in self.rule_step.items():
            if done == step and rule_id not in outcome.fired:
                against += [q for q, _ in self.ruling_out(rule_id, answers, modal)]
        confirm = self.confirming_questions(answers, outcome, modal, step)
        return confirm, tuple(dict.fromkeys(against))

    def ruling_out(
        self, rule_id: str, answers: dict[str, str], modal: Modal
    ) -> list[tuple[str, frozenset[str]]]:
        """The known answers that keep a rule from holding, with the options each would need:
        answers failing its tests, and for an open question that can no longer be asked, the
        answers that close its ask_if."""
        found: list[tuple[str, frozenset[str]]] = []
        for question_id, allowed in self.rule_leaves(rule_id, answers):
            found += self._leaf_ruled_out(question_id, allowed, answers, modal, set())
        return found

    def _leaf_ruled_out(self, question_id, allowed, answers, modal: Modal, seen: set[str]):
        given = answers.get(question_id, UNKNOWN)
        if given != UNKNOWN:
            return [] if given in allowed else [(question_id, allowed)]
        if question_id in modal.askable or question_id in seen:
            return []
        seen.add(question_id)
        gate = self.kb.questions[question_id].ask_if
        found = []
        side = answers.get(REQUESTER, "south")
        for leaf in side_leaves(gate, REQUESTER, side, self.kb) if gate is not None else ():
            options = frozenset(allowed_options(leaf, self.kb))
            found += self._leaf_ruled_out(leaf.answer, options, answers, modal, seen)
        return found

    def _rule_index(self, rule_id: str) -> int:
        return self._rule_positions[rule_id]

    # --- what would settle an undecided item ----------------------------------------------

    def settling_questions(
        self, answers: dict[str, str], outcome: Outcome, modal: Modal, area: str
    ) -> tuple[str, ...]:
        """Open questions whose answers could still move an area: those read by the rules
        that could still hold and would raise it above its level (or cap it below), and, for
        those not yet asked, the open questions that gate them."""
        level = outcome.levels[area]
        candidates = modal.possible - outcome.fired
        raising = {
            rule_id: max(lv for a, lv in self.rule_scores[rule_id] if a == area)
            for rule_id in candidates
            if any(a == area and lv > level for a, lv in self.rule_scores[rule_id])
        }
        if outcome.status[area] == NOT_ASSESSED and raising:
            # What would assess it: the rules of the lowest level it could reach.
            lowest = min(raising.values())
            raising = {r: lv for r, lv in raising.items() if lv == lowest}
        wanted: set[str] = set()
        for rule_id in candidates:
            lowers = any(
                self.flag_area[f] == area and self.flag_cap[f] < level
                for f in self.rule_flags[rule_id]
            )
            if rule_id in raising or lowers:
                wanted |= self._open_read(rule_id, answers, modal, set())
        return self._askable_now(wanted, answers, outcome)

    def confirming_questions(
        self, answers: dict[str, str], outcome: Outcome, modal: Modal, step: str
    ) -> tuple[str, ...]:
        """Open questions whose answers could confirm a step (make its rule hold)."""
        wanted: set[str] = set()
        for rule_id, done in self.rule_step.items():
            if done == step and rule_id in modal.possible:
                wanted |= self._open_read(rule_id, answers, modal, set())
        return self._askable_now(wanted, answers, outcome)

    def _open_read(self, rule_id: str, answers, modal: Modal, seen: set[str]) -> set[str]:
        """Open questions a rule reads, directly or through the facts it needs."""
        if rule_id in seen:
            return set()
        seen.add(rule_id)
        condition = self.kb.rules[rule_id].when
        found = {
            q for q, _ in self.rule_leaves(rule_id, answers) if answers.get(q, UNKNOWN) == UNKNOWN
        }
        for fact in facts_read(condition):
            for other in self.kb.rules.values():
                if fact in other.then.conclude and other.id in modal.possible:
                    found |= self._open_read(other.id, answers, modal, seen)
        return found

    def _askable_now(self, wanted: set[str], answers, outcome: Outcome) -> tuple[str, ...]:
        """The wanted questions that can be asked now; for the others, those gating them."""
        found: set[str] = set()
        todo, seen = list(wanted), set()
        while todo:
            question_id = todo.pop()
            if question_id in seen:
                continue
            seen.add(question_id)
            if question_id in outcome.relevant:
                found.add(question_id)
                continue
            gate = self.kb.questions[question_id].ask_if
            if gate is not None:
                side = answers.get(REQUESTER, "south")
                todo += [
                    leaf.answer
                    for leaf in side_leaves(gate, REQUESTER, side, self.kb)
                    if answers.get(leaf.answer, UNKNOWN) == UNKNOWN
                ]
        return tuple(sorted(found, key=self.question_order.__getitem__))
