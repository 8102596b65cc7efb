"""Generate an experta KnowledgeEngine from the knowledge base: one experta rule per YAML rule.

Conditions compile to experta's own patterns and conditional elements (Fact patterns, P, AND,
OR, NOT); no text from files is ever evaluated as code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._compat import import_experta
from ..knowledge.conditions import allowed_options
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import (
    AllCondition,
    AnswerCondition,
    AnyCondition,
    FactCondition,
    NotCondition,
)

import_experta()  # a broken frozendict gives its fix, not an ImportError deep inside experta
from experta import AND, AS, NOT, OR, Fact, KnowledgeEngine, P, Rule  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402


class Profile(Fact):
    """The profile's answers as one fact: one field per answered question (option id or
    'unknown'). One fact instead of one per answer keeps Rete joins out of the answer tests:
    the answer conditions of an `all` become field constraints of a single pattern."""


class Concluded(Fact):
    """A derived fact concluded by a rule, available to other rules' conditions."""


RELEVANCE_PREFIX = "ask_if:"


def _member_of(allowed: frozenset[str]):
    return P(lambda value: value in allowed)


class _Compiler:
    """Turns condition trees into experta conditional elements, naming every bound pattern so
    that a firing tells which answers and which derived facts it matched."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.counter = 0
        self.pattern_questions: dict[str, tuple[str, ...]] = {}

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def _profile_pattern(self, conditions: list[AnswerCondition], bind: bool):
        """One Profile pattern holding every answer test of an `all` (options intersected)."""
        allowed: dict[str, set[str]] = {}
        for condition in conditions:
            options = set(allowed_options(condition, self.kb))
            allowed[condition.answer] = allowed.get(condition.answer, options) & options
        fields = {
            question: next(iter(options)) if len(options) == 1 else _member_of(frozenset(options))
            for question, options in allowed.items()
        }
        pattern = Profile(**fields)
        if not bind:
            return pattern
        name = self._name("answers")
        self.pattern_questions[name] = tuple(allowed)
        return getattr(AS, name) << pattern

    def compile(self, condition, bind: bool = True):
        if isinstance(condition, AnswerCondition):
            return self._profile_pattern([condition], bind)
        if isinstance(condition, FactCondition):
            pattern = Concluded(id=condition.fact)
            return getattr(AS, self._name("fact")) << pattern if bind else pattern
        if isinstance(condition, AllCondition):
            answers = [c for c in condition.all if isinstance(c, AnswerCondition)]
            parts = [self._profile_pattern(answers, bind)] if answers else []
            parts += [
                self.compile(c, bind) for c in condition.all if not isinstance(c, AnswerCondition)
            ]
            return parts[0] if len(parts) == 1 else AND(*parts)
        if isinstance(condition, AnyCondition):
            return OR(*(self.compile(child, bind) for child in condition.any))
        if isinstance(condition, NotCondition):
            return NOT(self.compile(condition.not_, bind=False))
        raise TypeError(f"unknown condition {condition!r}")  # pragma: no cover

    def rule(self, condition, salience: int = 0):
        compiled = self.compile(condition)
        if isinstance(compiled, AND):
            return Rule(*compiled, salience=salience)
        return Rule(compiled, salience=salience)


@dataclass
class Trace:
    """What one run of the engine did, recorded as the rules fired."""

    fired: list[str] = field(default_factory=list)
    matched: dict[str, dict[str, str]] = field(default_factory=dict)  # rule -> {question: option}
    used_facts: dict[str, list[str]] = field(default_factory=dict)  # rule -> facts it matched
    concluded_by: dict[str, str] = field(default_factory=dict)  # fact -> first rule concluding it
    relevant: set[str] = field(default_factory=set)


def _action(rule_id: str):
    def fire(self, **bindings):
        self.on_fire(rule_id, bindings)

    fire.__name__ = rule_id.replace(".", "__")
    fire.__qualname__ = fire.__name__
    return fire


class TrackingReteMatcher(ReteMatcher):
    """experta's Rete matcher, collecting activations only from the conflict-set nodes that
    received a token since the last agenda cycle. experta asks every one of them (one per rule,
    ~120 here) on every cycle; the nodes that got no token have nothing to give, so the
    activations — and the order they are reported in — are the same (tests/test_engine_speed.py
    compares whole traces with and without it over generated profiles)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = self._get_conflict_set_nodes()
        self._position = {id(node): index for index, node in enumerate(nodes)}
        self._touched: dict[int, object] = {}
        for node in nodes:
            node._activate = self._tracked(node, node._activate)

    def _tracked(self, node, activate):
        touched = self._touched

        def tracked_activate(token):
            touched[id(node)] = node
            activate(token)

        return tracked_activate

    def changes(self, adding=None, deleting=None):
        if deleting is not None:
            for deleted in deleting:
                self.root_node.remove(deleted)
        if adding is not None:
            for added in adding:
                self.root_node.add(added)
        added: list = []
        removed: list = []
        touched = sorted(self._touched.items(), key=lambda item: self._position[item[0]])
        self._touched.clear()
        for _, node in touched:
            node_added, node_removed = node.get_activations()
            added.extend(node_added)
            removed.extend(node_removed)
        return added, removed

    def reset(self):
        # experta resets recursively, once per path to a node (~450 calls here, each logged at
        # debug level); wiping each node's own memory once is the same reset.
        for node in self._all_nodes():
            node._reset()
        for node in self._get_conflict_set_nodes():
            node.added, node.removed = set(), set()
        self._touched.clear()

    def _all_nodes(self) -> list:
        nodes = getattr(self, "_nodes", None)
        if nodes is None:
            nodes, seen, todo = [], set(), [self.root_node]
            while todo:
                node = todo.pop()
                if id(node) in seen:
                    continue
                seen.add(id(node))
                nodes.append(node)
                todo.extend(child.node for child in node.children)
            self._nodes = nodes
        return nodes


class CoopdecEngineBase(KnowledgeEngine):
    """Base class of generated engines: records the trace and declares conclusions."""

    __matcher__ = TrackingReteMatcher
    kb: KnowledgeBase
    pattern_questions: dict[str, tuple[str, ...]]
    gated: dict[str, tuple[str, ...]]  # relevance rule -> the questions its ask_if gates

    def __init__(self):
        super().__init__()
        self.trace = Trace()
        # experta looks the deffacts up with inspect.getmembers on every reset: once is enough.
        self._deffacts = list(super().get_deffacts())

    def get_deffacts(self):
        return self._deffacts

    def start(self, answers: dict[str, str]) -> Trace:
        """Reset, declare the profile fact, run to quiescence."""
        self.trace = Trace()
        self.reset()
        self.declare(Profile(**dict(sorted(answers.items()))))  # order-independent firing
        self.run()
        return self.trace

    def on_fire(self, rule_id: str, bindings: dict) -> None:
        if rule_id.startswith(RELEVANCE_PREFIX):
            self.trace.relevant.update(self.gated[rule_id])
            return
        matched = self.trace.matched.setdefault(rule_id, {})
        used = self.trace.used_facts.setdefault(rule_id, [])
        for name, fact in bindings.items():
            if isinstance(fact, Profile):
                for question in self.pattern_questions[name]:
                    matched[question] = fact[question]
            elif isinstance(fact, Concluded) and fact["id"] not in used:
                used.append(fact["id"])
        if rule_id in self.trace.fired:
            return  # an `any` branch matched again: the rule's effects are already in.
        self.trace.fired.append(rule_id)
        for fact_id in self.kb.rules[rule_id].then.conclude:
            self.trace.concluded_by.setdefault(fact_id, rule_id)
            self.declare(Concluded(id=fact_id))


def build_engine_class(kb: KnowledgeBase) -> type[CoopdecEngineBase]:
    """A KnowledgeEngine subclass with one experta rule per YAML rule and per distinct
    `ask_if`."""
    compiler = _Compiler(kb)
    namespace: dict[str, object] = {"kb": kb, "pattern_questions": compiler.pattern_questions}
    # A distinct salience per rule, from the knowledge base's order: activations that are ready
    # together fire in that order, whatever the Rete network's internal ordering of a build.
    count = len(kb.rules)
    for index, rule in enumerate(kb.rules.values()):
        namespace[f"rule__{rule.id}"] = compiler.rule(rule.when, salience=count - index)(
            _action(rule.id)
        )
    # One relevance rule per distinct `ask_if` (73 questions share 10 of them): when it holds,
    # every question it gates can be asked. One firing instead of one per question (measured:
    # ~35 firings a row became ~5); these rules declare nothing, so the rules' firing is the same.
    gates: dict[str, list[str]] = {}
    for question in kb.questions.values():
        if question.ask_if is not None:
            gates.setdefault(question.ask_if.model_dump_json(), []).append(question.id)
    gated: dict[str, tuple[str, ...]] = {}
    for questions in gates.values():
        rule_id = RELEVANCE_PREFIX + questions[0]
        gated[rule_id] = tuple(questions)
        condition = kb.questions[questions[0]].ask_if
        namespace[f"relevance__{questions[0]}"] = compiler.rule(condition)(_action(rule_id))
    namespace["gated"] = gated
    return type("CoopdecEngine", (CoopdecEngineBase,), namespace)
