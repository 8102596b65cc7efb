"""A compiled evaluator of rules/: the same rules as the experta engine, each condition compiled
once to a closure over the answers, forward chaining over derived facts in dependency order.

experta stays the engine of record (the assessment a person reads, with its trace, comes from
one experta run); this evaluator is what the searches use — the open-question analysis, why-not,
what-if sweeps, paths — where thousands of answer sets are tried. A differential test keeps the
two equal on every conclusion. It also computes the *possible* and *necessary* readings of every
rule (see knowledge/conditions.py) that the verdict policy needs to tell an unknown from a zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..knowledge.conditions import (
    compile_holds,
    compile_modal,
    facts_read,
    has_negation,
    questions_read,
)
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Conclusions:
    """What the rules conclude for one set of answers (the engine's reading)."""

    fired: frozenset[str]
    facts: frozenset[str]
    relevant: frozenset[str]  # questions that can be asked: no ask_if, or it holds


@dataclass(frozen=True)
class Modal:
    """What open answers leave undecided: rules that some answers could still make hold, rules
    that hold whatever they are, and the questions that can still be asked."""

    possible: frozenset[str]
    necessary: frozenset[str]
    askable: frozenset[str]


def rule_order(kb: KnowledgeBase) -> tuple[list[str], bool]:
    """Rules ordered so that every rule comes after the rules concluding the facts it reads
    (knowledge-base order otherwise), and whether that order is a single pass (no cycle)."""
    concluders: dict[str, list[str]] = {}
    for rule in kb.rules.values():
        for fact in rule.then.conclude:
            concluders.setdefault(fact, []).append(rule.id)
    placed: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 placed
    acyclic = True

    def visit(rule_id: str) -> None:
        nonlocal acyclic
        if state.get(rule_id) == 2:
            return
        if state.get(rule_id) == 1:
            acyclic = False
            return
        state[rule_id] = 1
        for fact in sorted(facts_read(kb.rules[rule_id].when)):
            for other in concluders.get(fact, []):
                visit(other)
        state[rule_id] = 2
        placed.append(rule_id)

    for rule_id in kb.rules:
        visit(rule_id)
    return placed, acyclic


class CompiledRules:
    """The rules of one knowledge base compiled to closures."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        order, acyclic = rule_order(kb)
        negated = any(has_negation(kb.rules[r].when) for r in order)
        # One pass suffices when facts only flow forward and no rule negates: otherwise repeat
        # until nothing new holds (fired rules stay fired, as in a forward-chaining engine).
        self.single_pass = acyclic and not negated
        self._rules = [
            (rule_id, compile_holds(kb.rules[rule_id].when, kb), kb.rules[rule_id].then.conclude)
            for rule_id in order
        ]
        self._possible = [
            (rule_id, compile_modal(kb.rules[rule_id].when, kb, True), conclude)
            for rule_id, _, conclude in self._rules
        ]
        self._necessary = [
            (rule_id, compile_modal(kb.rules[rule_id].when, kb, False), conclude)
            for rule_id, _, conclude in self._rules
        ]
        questions = list(kb.questions.values())
        self.always_relevant = frozenset(q.id for q in questions if q.ask_if is None)
        gated = _ask_if_order(kb)
        self._ask_if = [(q, compile_holds(kb.questions[q].ask_if, kb)) for q in gated]
        # The same ask_if is shared by many questions (a partner exists, the South is known…):
        # each distinct one is tested once per conclusion.
        by_gate: dict[str, list[str]] = {}
        for q in gated:
            gate = kb.questions[q].ask_if
            assert gate is not None  # _ask_if_order lists the gated questions only
            by_gate.setdefault(gate.model_dump_json(), []).append(q)
        self._gates = [
            (compile_holds(kb.questions[questions[0]].ask_if, kb), frozenset(questions))
            for questions in by_gate.values()
        ]
        # When no ask_if reads a derived fact, what is relevant follows from the answers alone
        # (`relevant()` then needs no rule).
        self._gates_read_facts = any(facts_read(kb.questions[q].ask_if) for q in gated)
        self._ask_if_possible = [
            (q, compile_modal(kb.questions[q].ask_if, kb, True)) for q in gated
        ]
        # Without negation the necessary reading is never consulted (only `not` reads it), and
        # when no ask_if reads a derived fact, what can be asked is settled before any rule:
        # then one pass over the ask_ifs, then one over the rules, gives the possible reading.
        self.negation = negated or any(has_negation(kb.questions[q].ask_if) for q in gated)
        self.modal_single_pass = (
            acyclic
            and not self.negation
            and not any(facts_read(kb.questions[q].ask_if) for q in gated)
        )
        self.gating = frozenset(
            q for gate in gated for q in questions_read(kb.questions[gate].ask_if)
        )
        self._concludes = {rule_id: conclude for rule_id, _, conclude in self._rules}
        self._order_index = {rule_id: i for i, (rule_id, _, _) in enumerate(self._rules)}
        self._concluding = frozenset(r for r, conclude in self._concludes.items() if conclude)
        self._dependents = _dependents(kb, self._rules, self._possible)

    def conclude(self, answers: dict[str, str]) -> Conclusions:
        """The engine's reading: rules that hold, facts they conclude, questions relevant."""
        fired: set[str] = set()
        facts: set[str] = set()
        while True:
            before = len(fired)
            for rule_id, holds, conclude in self._rules:
                if rule_id not in fired and holds(answers, facts):
                    fired.add(rule_id)
                    facts.update(conclude)
            if self.single_pass or len(fired) == before:
                break
        relevant = set(self.always_relevant)
        for holds, questions in self._gates:
            if holds(answers, facts):
                relevant |= questions
        return Conclusions(frozenset(fired), frozenset(facts), frozenset(relevant))

    def relevant(self, answers: dict[str, str]) -> frozenset[str]:
        """The questions relevant for these answers, as `conclude(answers).relevant` says; without
        running the rules when no ask_if reads a derived fact (the open-question analysis asks
        this many times per profile)."""
        if self._gates_read_facts:
            return self.conclude(answers).relevant
        relevant = set(self.always_relevant)
        for holds, questions in self._gates:
            if holds(answers, _EMPTY):
                relevant |= questions
        return frozenset(relevant)

    def nearby(
        self,
        answers: dict[str, str],
        changed: frozenset[str],
        base: Conclusions,
        base_modal: Modal,
    ) -> tuple[Conclusions, Modal] | None:
        """Both readings for answers that differ from a base set only in `changed`: the rules
        that cannot depend on them keep the base's result, the others are evaluated again in
        order. When a changed question gates others (ask_if), what is asked is worked out again
        (a few tests) and the rules reading a question whose askability moved are evaluated
        again too. None when the possible reading is not a single pass (negations, facts in an
        ask_if): then evaluate in full."""
        if not self.modal_single_pass:
            return None
        askable = base_modal.askable
        relevant = base.relevant
        reach = changed
        if changed & self.gating:
            asked: set[str] = set(self.always_relevant)
            for question_id, test in self._ask_if_possible:
                if test(answers, _EMPTY, _EMPTY, asked):
                    asked.add(question_id)
            fresh_relevant = set(self.always_relevant)
            for holds, questions in self._gates:
                if holds(answers, _EMPTY):  # single pass: no ask_if reads a fact
                    fresh_relevant |= questions
            reach = changed | (asked ^ askable)
            askable, relevant = frozenset(asked), frozenset(fresh_relevant)
        again = [entry for q in reach for entry in self._dependents.get(q, ())]
        if len(reach) > 1:
            seen: set[str] = set()
            again = [e for e in sorted(again, key=self._position) if not _first(seen, e[0])]
        dropped = {entry[0] for entry in again}
        fired = set(base.fired) - dropped
        possible = set(base_modal.possible) - dropped
        concludes = self._concludes
        facts = {f for r in fired & self._concluding for f in concludes[r]}
        possible_facts = {f for r in possible & self._concluding for f in concludes[r]}
        for rule_id, holds, possibly, conclude in again:
            if holds(answers, facts):
                fired.add(rule_id)
                facts.update(conclude)
                possible.add(rule_id)
                possible_facts.update(conclude)
            elif possibly(answers, possible_facts, _EMPTY, askable):
                possible.add(rule_id)
                possible_facts.update(conclude)
        conclusions = Conclusions(frozenset(fired), frozenset(facts), relevant)
        return conclusions, Modal(frozenset(possible), conclusions.fired, askable)

    def _position(self, entry) -> int:
        return self._order_index[entry[0]]

    def modal(self, answers: dict[str, str], conclusions: Conclusions | None = None) -> Modal:
        """Possible and necessary rules, and askable questions, for these answers (and their
        conclusions, computed if not given)."""
        if conclusions is None:
            conclusions = self.conclude(answers)
        if all(answers.get(q, UNKNOWN) != UNKNOWN for q in conclusions.relevant):
            # Nothing open can be asked: what could hold is what holds.
            return Modal(conclusions.fired, conclusions.fired, conclusions.relevant)
        if self.modal_single_pass:
            askable: set[str] = set(self.always_relevant)
            for question_id, test in self._ask_if_possible:
                if test(answers, _EMPTY, _EMPTY, askable):
                    askable.add(question_id)
            possible: set[str] = set()
            possible_facts: set[str] = set()
            for rule_id, test, conclude in self._possible:
                if test(answers, possible_facts, _EMPTY, askable):
                    possible.add(rule_id)
                    possible_facts.update(conclude)
            # without negation, what holds whatever the open answers is what holds now
            return Modal(frozenset(possible), conclusions.fired, frozenset(askable))
        return self._modal_fixpoint(answers)

    def _modal_fixpoint(self, answers: dict[str, str]) -> Modal:
        necessary: set[str] = set()
        necessary_facts: set[str] = set()
        possible: set[str] = set()
        possible_facts: set[str] = set()
        askable: set[str] = set(self.always_relevant)
        while True:
            size = (len(necessary), len(possible), len(askable))
            for rule_id, test, conclude in self._necessary:
                if rule_id not in necessary and test(
                    answers, possible_facts, necessary_facts, askable
                ):
                    necessary.add(rule_id)
                    necessary_facts.update(conclude)
            for question_id, test in self._ask_if_possible:
                if question_id not in askable and test(
                    answers, possible_facts, necessary_facts, askable
                ):
                    askable.add(question_id)
            for rule_id, test, conclude in self._possible:
                if rule_id not in possible and test(
                    answers, possible_facts, necessary_facts, askable
                ):
                    possible.add(rule_id)
                    possible_facts.update(conclude)
            if (len(necessary), len(possible), len(askable)) == size:
                break
        return Modal(frozenset(possible), frozenset(necessary), frozenset(askable))


def _first(seen: set[str], rule_id: str) -> bool:
    """True when `rule_id` was already seen (and remembers it)."""
    if rule_id in seen:
        return True
    seen.add(rule_id)
    return False


def _dependents(kb: KnowledgeBase, rules, possible) -> dict[str, tuple]:
    """Per question, in evaluation order, the rules whose result can depend on its answer: the
    rules reading it, and the rules reading a fact one of those concludes (and so on)."""
    modal = {rule_id: test for rule_id, test, _ in possible}
    found: dict[str, tuple] = {}
    for question_id in kb.questions:
        depends: set[str] = set()
        facts: set[str] = set()
        for rule_id, _, conclude in rules:  # evaluation order: facts flow forward
            when = kb.rules[rule_id].when
            if question_id in questions_read(when) or facts_read(when) & facts:
                depends.add(rule_id)
                facts.update(conclude)
        found[question_id] = tuple(
            (rule_id, holds, modal[rule_id], conclude)
            for rule_id, holds, conclude in rules
            if rule_id in depends
        )
    return found


def _ask_if_order(kb: KnowledgeBase) -> list[str]:
    """Questions with an ask_if, each after the gated questions its ask_if reads."""
    gated = {q.id: q for q in kb.questions.values() if q.ask_if is not None}
    placed: list[str] = []
    seen: set[str] = set()

    def visit(question_id: str) -> None:
        if question_id in seen:
            return
        seen.add(question_id)
        for other in sorted(questions_read(gated[question_id].ask_if)):
            if other in gated:
                visit(other)
        placed.append(question_id)

    for question_id in gated:
        visit(question_id)
    return placed
