"""The meaning of a condition of rules/, written once: which options satisfy an answer test,
which questions a condition reads, whether it holds, and the same compiled to closures.

Three readings of one condition over a partial set of answers (a question is *open* when it is
unanswered or answered `unknown`):

- **holds**: the engine's reading — an answer test is false for an open question, `not` is
  plain negation. The experta engine of record and the compiled evaluator both follow it.
- **possible**: some way of answering the open questions that can still be asked makes it hold.
- **necessary**: it holds however the open questions are answered.

An open question that can no longer be asked (its `ask_if` cannot hold) stays open: a test on it
is neither possible nor necessary. The possible/necessary readings decide what an unknown answer
leaves undecided (a criterion not assessed, a step presumed) without ever counting it as a zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from .models import (
    UNKNOWN,
    AllCondition,
    AnswerCondition,
    AnyCondition,
    FactCondition,
    NotCondition,
)

if TYPE_CHECKING:
    from .loader import KnowledgeBase

Answers = Mapping[str, str]
Facts = set[str] | frozenset[str]
# holds(answers, facts)
Holds = Callable[[Answers, Facts], bool]
# possible(answers, possible_facts, necessary_facts, askable)
Modal = Callable[[Answers, Facts, Facts, Facts], bool]


def allowed_options(condition: AnswerCondition, kb: KnowledgeBase) -> tuple[str, ...]:
    """The options of the question that satisfy an answer test, in the question's order."""
    options = kb.questions[condition.answer].option_ids()
    if condition.is_ is not None:
        return (condition.is_,)
    if condition.in_ is not None:
        wanted = set(condition.in_)
        return tuple(o for o in options if o in wanted)
    if condition.at_least is not None:
        return tuple(options[options.index(condition.at_least) :])
    assert condition.at_most is not None  # the model holds exactly one test
    return tuple(options[: options.index(condition.at_most) + 1])


def iter_conditions(condition) -> Iterator:
    """Every leaf and branch of a condition tree, depth first."""
    yield condition
    for child in children(condition):
        yield from iter_conditions(child)


def children(condition) -> list:
    if isinstance(condition, AllCondition):
        return list(condition.all)
    if isinstance(condition, AnyCondition):
        return list(condition.any)
    if isinstance(condition, NotCondition):
        return [condition.not_]
    return []


def answer_leaves(condition) -> Iterator[AnswerCondition]:
    """The answer tests of a condition, negated ones included."""
    return (node for node in iter_conditions(condition) if isinstance(node, AnswerCondition))


def side_leaves(condition, switch: str, value: str, kb: KnowledgeBase) -> Iterator[AnswerCondition]:
    """The answer tests of a condition that concern one perspective: those of the branches
    whose test on the `switch` question (who requests) admits `value`, the switch itself left
    out. A Southern request is not held back by what a Northern request would need."""
    if isinstance(condition, AnswerCondition):
        if condition.answer != switch:
            yield condition
        return
    if isinstance(condition, AllCondition) and any(
        isinstance(part, AnswerCondition)
        and part.answer == switch
        and value not in allowed_options(part, kb)
        for part in condition.all
    ):
        return
    for child in children(condition):
        yield from side_leaves(child, switch, value, kb)


def questions_read(condition) -> set[str]:
    return {leaf.answer for leaf in answer_leaves(condition)}


def facts_read(condition) -> set[str]:
    return {n.fact for n in iter_conditions(condition) if isinstance(n, FactCondition)}


def has_negation(condition) -> bool:
    return any(isinstance(n, NotCondition) for n in iter_conditions(condition))


def is_open(answers: Answers, question_id: str) -> bool:
    return answers.get(question_id, UNKNOWN) == UNKNOWN


def holds(condition, answers: Answers, facts: Facts, kb: KnowledgeBase) -> bool:
    """The engine's reading, interpreted (for explanations; searches use `compile_holds`)."""
    if isinstance(condition, AnswerCondition):
        return answers.get(condition.answer) in allowed_options(condition, kb)
    if isinstance(condition, FactCondition):
        return condition.fact in facts
    if isinstance(condition, AllCondition):
        return all(holds(c, answers, facts, kb) for c in condition.all)
    if isinstance(condition, AnyCondition):
        return any(holds(c, answers, facts, kb) for c in condition.any)
    return not holds(condition.not_, answers, facts, kb)


# --- compiled closures --------------------------------------------------------------------


def _group_answers(items: Iterable, kb: KnowledgeBase):
    """The answer tests among `items`, one per question with the allowed options intersected
    (as the experta compiler puts them in one pattern), and the other conditions."""
    allowed: dict[str, frozenset[str]] = {}
    others = []
    for item in items:
        if isinstance(item, AnswerCondition):
            options = frozenset(allowed_options(item, kb))
            allowed[item.answer] = allowed.get(item.answer, options) & options
        else:
            others.append(item)
    return allowed, others


def _conjunction(parts: list):
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda *args: first(*args) and second(*args)

    def conjunction(*args):
        for part in parts:
            if not part(*args):
                return False
        return True

    return conjunction


def _disjunction(parts: list):
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda *args: first(*args) or second(*args)

    def disjunction(*args):
        for part in parts:
            if part(*args):
                return True
        return False

    return disjunction


def compile_holds(condition, kb: KnowledgeBase) -> Holds:
    """The engine's reading as a closure over (answers, facts)."""
    if isinstance(condition, AnswerCondition):
        return _holds_leaf(condition.answer, frozenset(allowed_options(condition, kb)))
    if isinstance(condition, FactCondition):
        fact = condition.fact
        return lambda answers, facts: fact in facts
    if isinstance(condition, AllCondition):
        allowed, others = _group_answers(condition.all, kb)
        parts = [_holds_leaf(q, options) for q, options in allowed.items()]
        parts += [compile_holds(c, kb) for c in others]
        return _conjunction(parts)
    if isinstance(condition, AnyCondition):
        return _disjunction([compile_holds(c, kb) for c in condition.any])
    inner = compile_holds(condition.not_, kb)
    return lambda answers, facts: not inner(answers, facts)


def _holds_leaf(question: str, options: frozenset[str]) -> Holds:
    if len(options) == 1:
        (option,) = options
        return lambda answers, facts: answers.get(question) == option
    return lambda answers, facts: answers.get(question) in options


def compile_modal(condition, kb: KnowledgeBase, possible: bool) -> Modal:
    """The possible (or necessary) reading as a closure over (answers, possible facts,
    necessary facts, askable questions). `not` swaps the two readings."""
    if isinstance(condition, AnswerCondition):
        return _modal_leaf(condition.answer, frozenset(allowed_options(condition, kb)), possible)
    if isinstance(condition, FactCondition):
        fact = condition.fact
        if possible:
            return lambda answers, possible_facts, necessary_facts, askable: fact in possible_facts
        return lambda answers, possible_facts, necessary_facts, askable: fact in necessary_facts
    if isinstance(condition, AllCondition):
        allowed, others = _group_answers(condition.all, kb)
        parts = [_modal_leaf(q, options, possible) for q, options in allowed.items()]
        parts += [compile_modal(c, kb, possible) for c in others]
        return _conjunction(parts)
    if isinstance(condition, AnyCondition):
        return _disjunction([compile_modal(c, kb, possible) for c in condition.any])
    inner = compile_modal(condition.not_, kb, not possible)
    return lambda *args: not inner(*args)


def _modal_leaf(question: str, options: frozenset[str], possible: bool) -> Modal:
    if not options:
        return lambda *args: False

    def leaf(answers, possible_facts, necessary_facts, askable):
        given = answers.get(question, UNKNOWN)
        if given != UNKNOWN:
            return given in options
        return possible and question in askable

    return leaf
