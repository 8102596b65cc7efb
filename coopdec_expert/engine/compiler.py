"""Generate an experta KnowledgeEngine from the knowledge base: one experta rule per YAML rule.

Conditions compile to experta's own patterns and conditional elements (Fact patterns, P, AND,
OR, NOT); no text from files is ever evaluated as code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._compat import import_experta
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import (
    AllCondition,
    AnswerCondition,
    AnyCondition,
    FactCondition,
    NotCondition,
)

experta = import_experta()
Fact = experta.Fact
KnowledgeEngine = experta.KnowledgeEngine
Rule = experta.Rule
P, AND, OR, NOT, AS = experta.P, experta.AND, experta.OR, experta.NOT, experta.AS


class Answer(Fact):
    """An answer of the profile: question id and option id (or 'unknown')."""


class Concluded(Fact):
    """A derived fact concluded by a rule, available to other rules' conditions."""


RELEVANCE_PREFIX = "ask_if:"


def allowed_options(condition: AnswerCondition, kb: KnowledgeBase) -> tuple[str, ...]:
    """The options of the question that satisfy an answer condition, in the question's order."""
    options = kb.questions[condition.answer].option_ids()
    if condition.is_ is not None:
        return (condition.is_,)
    if condition.in_ is not None:
        wanted = set(condition.in_)
        return tuple(o for o in options if o in wanted)
    if condition.at_least is not None:
        return tuple(options[options.index(condition.at_least) :])
    return tuple(options[: options.index(condition.at_most) + 1])


def _member_of(allowed: frozenset[str]):
    return P(lambda value: value in allowed)


class _Compiler:
    """Turns one condition tree into experta conditional elements, binding matched answers."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.counter = 0

    def compile(self, condition, bind: bool = True):
        if isinstance(condition, AnswerCondition):
            allowed = allowed_options(condition, self.kb)
            option = allowed[0] if len(allowed) == 1 else _member_of(frozenset(allowed))
            pattern = Answer(question=condition.answer, option=option)
            if not bind:
                return pattern
            self.counter += 1
            return getattr(AS, f"answer_{self.counter}") << pattern
        if isinstance(condition, FactCondition):
            return Concluded(id=condition.fact)
        if isinstance(condition, AllCondition):
            return AND(*(self.compile(child, bind) for child in condition.all))
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
    relevant: set[str] = field(default_factory=set)


def _action(rule_id: str):
    def fire(self, **bindings):
        self.on_fire(rule_id, bindings)

    fire.__name__ = rule_id.replace(".", "__")
    fire.__qualname__ = fire.__name__
    return fire


class CoopdecEngineBase(KnowledgeEngine):
    """Base class of generated engines: records the trace and declares conclusions."""

    kb: KnowledgeBase

    def __init__(self):
        super().__init__()
        self.trace = Trace()

    def start(self, answers: dict[str, str]) -> Trace:
        """Reset, declare the answers in a canonical order, run to quiescence."""
        self.trace = Trace()
        self.reset()
        self.declare(*(Answer(question=q, option=answers[q]) for q in sorted(answers)))
        self.run()
        return self.trace

    def on_fire(self, rule_id: str, bindings: dict) -> None:
        if rule_id.startswith(RELEVANCE_PREFIX):
            self.trace.relevant.add(rule_id[len(RELEVANCE_PREFIX) :])
            return
        matched = self.trace.matched.setdefault(rule_id, {})
        for fact in bindings.values():
            if isinstance(fact, Answer):
                matched[fact["question"]] = fact["option"]
        if rule_id in self.trace.fired:
            return  # an `any` branch matched again: the rule's effects are already in.
        self.trace.fired.append(rule_id)
        for fact_id in self.kb.rules[rule_id].then.conclude:
            self.declare(Concluded(id=fact_id))


def build_engine_class(kb: KnowledgeBase) -> type[CoopdecEngineBase]:
    """A KnowledgeEngine subclass with one experta rule per YAML rule and per `ask_if`."""
    compiler = _Compiler(kb)
    namespace: dict[str, object] = {"kb": kb}
    for rule in kb.rules.values():
        namespace[f"rule__{rule.id}"] = compiler.rule(rule.when)(_action(rule.id))
    for question in kb.questions.values():
        if question.ask_if is not None:
            rule_id = RELEVANCE_PREFIX + question.id
            namespace[f"relevance__{question.id}"] = compiler.rule(question.ask_if)(
                _action(rule_id)
            )
    return type("CoopdecEngine", (CoopdecEngineBase,), namespace)
