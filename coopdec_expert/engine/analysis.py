"""Which open questions can still change the result, most decisive first: the `missing` list of
an assessment, the interview's next question and the app's "questions that can still change the
result". It runs on the compiled evaluator (thousands of answer sets per sparse profile).

A question matters when some answer to it gives another verdict or next step than leaving it
open — compared with the unknown state, not only option against option — in one of three
completions of the other open questions: as they are; all at their most favourable option (a gap
hidden behind other gaps, such as one key question among several, still counts); and the same
with the questions sharing an `any` with it at their least favourable (a question that matters
only when its alternatives fail still counts). The questions named by an insufficient_information
verdict (unknown key questions, those that would assess a core criterion) are always listed,
first: leaving them open is what holds the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..assessment import VERDICT_RANK
from ..knowledge.conditions import facts_read, iter_conditions, questions_read
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import STEPS, UNKNOWN, AnswerCondition, AnyCondition
from .evaluator import Modal
from .grounds import Grounds
from .policy import Outcome, Policy


@dataclass(frozen=True)
class Impact:
    """What answering one open question could do, in the completion where it does most: the
    result with the question left open, the result of each option, and the complete answers
    that gave each (so a caller can re-check them on the engine of record)."""

    question: str
    verdict_spread: int
    step_spread: int
    unknown: tuple[str, str]  # (verdict, next step) with the question left open
    results: dict[str, tuple[str, str]]
    witnesses: dict[str, dict[str, str]]
    unknown_witness: dict[str, str] | None = None  # the answers that gave `unknown`
    blocking: bool = False  # named by an insufficient_information verdict

    @property
    def weight(self) -> tuple[int, int]:
        return (self.verdict_spread, self.step_spread)

    @property
    def matters(self) -> bool:
        return self.blocking or self.weight > (0, 0)


class OpenQuestions:
    """The open-question analysis over one knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        policy: Policy,
        outcome_of: Callable[[dict[str, str]], Outcome],
        modal_of: Callable[[dict[str, str]], Modal],
        nearby_of: Callable[[dict[str, str], Outcome, Modal, frozenset[str]], tuple[str, str]]
        | None = None,
        relevant_of: Callable[[dict[str, str]], frozenset[str]] | None = None,
    ):
        self.kb = kb
        self.policy = policy
        self.grounds = Grounds(policy)
        self.outcome_of = outcome_of
        # the outcome of answers that differ from an evaluated set only in a few questions
        self.nearby_of = nearby_of
        self.modal_of = modal_of
        # the questions that can be asked for a set of answers (one pass of the rules, without
        # the verdict): what a completion needs
        self.relevant_of = relevant_of or (lambda answers: outcome_of(answers).relevant)
        self.influential = influential_questions(kb)
        self.gating = gating_questions(kb)
        self.any_siblings = any_siblings(kb)
        self.order = {q: i for i, q in enumerate(kb.questions)}

    def completion(
        self, answers: dict[str, str], keep: str, worst: frozenset[str] = frozenset()
    ) -> dict[str, str]:
        """Every open question but `keep` answered — its least favourable option if in `worst`,
        else its most favourable — including those the answers make relevant (repeated until
        no open question is left)."""
        completed = dict(answers)
        while True:
            todo = [
                q
                for q in self.relevant_of(completed)
                if q != keep and completed.get(q, UNKNOWN) == UNKNOWN
            ]
            if not todo:
                return completed
            for q in todo:
                options = self.kb.questions[q].options
                completed[q] = (options[0] if q in worst else options[-1]).id

    def impact(
        self,
        answers: dict[str, str],
        question_id: str,
        base: Outcome,
        best: dict[str, str] | None = None,
    ) -> Impact:
        """The spread of verdict ranks and step indexes between leaving the question open and
        each of its options, in the completion where it is largest. `best`, the completion of
        every open question at its most favourable option, saves the completions of questions
        that change nothing of what is asked (the same answers, built once)."""
        question = self.kb.questions[question_id]
        if answers.get(question_id, UNKNOWN) == UNKNOWN:
            open_answers = dict(answers)  # already open: the answers evaluated as `base`
        else:
            open_answers = {q: o for q, o in answers.items() if q != question_id}
        siblings = self.any_siblings.get(question_id, frozenset())
        # Each context: (how to complete a set of answers, the evaluated answers it stays
        # close to — with their outcome and possible reading —, and the questions where it may
        # differ from them).
        own = frozenset({question_id})
        near_base = (answers, base, self.modal_of(answers))
        contexts: list[
            tuple[Callable[[dict[str, str]], dict[str, str]], tuple | None, frozenset | None]
        ]
        contexts = [(lambda given: given, near_base, own)]
        near_best = None if best is None else (best, self.outcome_of(best), self.modal_of(best))
        if best is not None and question_id not in self.gating:
            # What is asked does not depend on this question: its completions are one set of
            # answers with the question changed — `best`, or `best` with its siblings left open
            # at their worst (built once, completed again if a sibling changes what is asked).
            rest = {q: o for q, o in best.items() if q != question_id}
            contexts.append((lambda given: {**rest, **_pick(given, question_id)}, near_best, own))
            if siblings and not siblings & self.gating:
                worst = {
                    s: self.kb.questions[s].options[0].id
                    for s in siblings
                    if s in best and answers.get(s, UNKNOWN) == UNKNOWN
                }
                contexts.append(
                    (
                        lambda given: {**rest, **worst, **_pick(given, question_id)},
                        near_best,
                        own | frozenset(worst),
                    )
                )
            elif siblings:
                at_worst = self.completion(open_answers, question_id, worst=siblings)
                near_worst = (at_worst, self.outcome_of(at_worst), self.modal_of(at_worst))
                contexts.append(
                    (lambda given: {**at_worst, **_pick(given, question_id)}, near_worst, own)
                )
        else:
            # What is asked depends on this question: each of its completions is built again,
            # and evaluated from `best` where it differs from it (`changed` None).
            contexts.append((lambda given: self.completion(given, question_id), near_best, None))
            if siblings:
                contexts.append(
                    (
                        lambda given: self.completion(given, question_id, worst=siblings),
                        near_best,
                        None,
                    )
                )
        found: Impact | None = None
        for context, near, changed in contexts:
            reference_answers = context(open_answers)
            reference = self._evaluate(reference_answers, near, changed)
            witnesses = {o: context({**answers, question_id: o}) for o in question.option_ids()}
            results = {o: self._evaluate(w, near, changed) for o, w in witnesses.items()}
            ranks = [VERDICT_RANK[verdict] for verdict, _ in (reference, *results.values())]
            steps = [STEPS.index(step) for _, step in (reference, *results.values())]
            candidate = Impact(
                question_id,
                max(ranks) - min(ranks),
                max(steps) - min(steps),
                reference,
                results,
                witnesses,
                reference_answers,
            )
            if found is None or candidate.weight > found.weight:
                found = candidate
        assert found is not None
        return found

    def _evaluate(self, answers: dict[str, str], near: tuple | None, changed) -> tuple[str, str]:
        """(verdict, next step) of a set of answers, from a nearby evaluated set if given (itself,
        when they are the same answers: the question left open in its first context, its most
        favourable option in the completion at the most favourable)."""
        if near is None or self.nearby_of is None:
            result = self.outcome_of(answers)
            return result.verdict, result.next_step
        near_answers, base, base_modal = near
        if answers == near_answers:
            return base.verdict, base.next_step
        if changed is None:  # where they differ
            changed = frozenset(
                q
                for q in answers.keys() | near_answers.keys()
                if answers.get(q) != near_answers.get(q)
            )
        return self.nearby_of(answers, base, base_modal, changed)

    def blocking(self, answers: dict[str, str], base: Outcome) -> tuple[str, ...]:
        """The open questions an insufficient_information verdict names: unknown key questions,
        then those that would assess each core criterion not assessed."""
        found = list(base.reason_items("unknown_key_questions"))
        unassessed = base.reason_items("unassessed_core_areas")
        if unassessed:
            modal = self.modal_of(answers)
            for area in unassessed:
                found += self.grounds.settling_questions(answers, base, modal, area)
        return tuple(dict.fromkeys(found))

    def next_questions(self, answers: dict[str, str]) -> list[Impact]:
        """Open questions that can still change the verdict or the next step: those the verdict
        names as blocking first, then the most decisive (verdict spread, then step spread, key
        questions, method order)."""
        base, blocking, impacts = self._impacts(answers, of_blocking=True)
        position = {q: i for i, q in enumerate(blocking)}
        return sorted(
            impacts,
            key=lambda i: (position.get(i.question, len(position)), *self._rank(i)),
        )

    def missing(self, answers: dict[str, str]) -> list[str]:
        """The questions of `next_questions`, in the same order, without working out what the
        blocking ones could do: their place comes from the verdict that names them, not from
        their impact (on a sparse profile, most open questions are blocking: about half the
        analysis)."""
        base, blocking, impacts = self._impacts(answers, of_blocking=False)
        open_now = set(base.open_questions)
        first = [q for q in blocking if q in open_now]
        return first + [i.question for i in sorted(impacts, key=self._rank)]

    def _impacts(
        self, answers: dict[str, str], of_blocking: bool
    ) -> tuple[Outcome, tuple[str, ...], list[Impact]]:
        """The outcome, the blocking questions, and the impact of each open question that
        matters (of the blocking ones too, if `of_blocking`)."""
        base = self.outcome_of(answers)
        blocking = self.blocking(answers, base)
        best: dict[str, str] | None = None
        impacts = []
        for question_id in base.open_questions:
            is_blocking = question_id in blocking
            if is_blocking and not of_blocking:
                continue
            if question_id in self.influential:
                if best is None:
                    best = self.completion(answers, keep="")
                impact = self.impact(answers, question_id, base, best)
            else:  # no rule that can move the verdict or the step reads it
                unknown = (base.verdict, base.next_step)
                impact = Impact(question_id, 0, 0, unknown, {}, {}, dict(answers))
            if is_blocking:
                impact = Impact(**{**impact.__dict__, "blocking": True})
            if impact.matters:
                impacts.append(impact)
        return base, blocking, impacts

    def _rank(self, impact: Impact) -> tuple:
        """How decisive an open question is: verdict spread, step spread, key questions first,
        then the method's order."""
        question = self.kb.questions[impact.question]
        return (
            (-impact.verdict_spread, -impact.step_spread),
            not question.key,
            STEPS.index(question.step),
            self.order[impact.question],
        )


def influential_questions(kb: KnowledgeBase) -> frozenset[str]:
    """Questions whose answer can change a verdict or a next step: key questions, questions an
    `ask_if` reads (they change what is asked), and questions read — directly or through derived
    facts — by rules that complete a step, score a core criterion or raise a medium or high flag.
    Low flags and scores of other criteria never move the verdict (README: How the verdict is
    decided), so a question that only feeds them can be skipped without changing the result."""
    core = {a.id for a in kb.areas.values() if a.core}
    decisive = {
        r.id
        for r in kb.rules.values()
        if r.then.step_done
        or any(s.area in core for s in r.then.scores)
        or any(kb.flags[f].severity in ("high", "medium") for f in r.then.flags)
    }
    needed_facts: set[str] = set()
    for question in kb.questions.values():
        if question.ask_if is not None:
            needed_facts |= facts_read(question.ask_if)
    changed = True
    while changed:
        changed = False
        for rule_id in decisive:
            needed_facts |= facts_read(kb.rules[rule_id].when)
        for rule in kb.rules.values():
            if rule.id not in decisive and set(rule.then.conclude) & needed_facts:
                decisive.add(rule.id)
                changed = True
    found = {q.id for q in kb.questions.values() if q.key}
    for question in kb.questions.values():
        if question.ask_if is not None:
            found |= questions_read(question.ask_if)
    for rule_id in decisive:
        found |= questions_read(kb.rules[rule_id].when)
    return frozenset(found)


def _pick(answers: dict[str, str], question_id: str) -> dict[str, str]:
    return {question_id: answers[question_id]} if question_id in answers else {}


def gating_questions(kb: KnowledgeBase) -> frozenset[str]:
    """Questions whose answer can change what is asked: read by an ask_if, directly or through
    the derived facts an ask_if reads."""
    found: set[str] = set()
    todo: list[str] = []
    for question in kb.questions.values():
        if question.ask_if is not None:
            found |= questions_read(question.ask_if)
            todo += facts_read(question.ask_if)
    seen: set[str] = set()
    while todo:
        fact = todo.pop()
        if fact in seen:
            continue
        seen.add(fact)
        for rule in kb.rules.values():
            if fact in rule.then.conclude:
                found |= questions_read(rule.when)
                todo += facts_read(rule.when)
    return frozenset(found)


def any_siblings(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For each question, the other questions it appears with in an `any` of some rule."""
    siblings: dict[str, set[str]] = {}
    conditions = [r.when for r in kb.rules.values()]
    conditions += [q.ask_if for q in kb.questions.values() if q.ask_if is not None]
    for condition in conditions:
        for node in iter_conditions(condition):
            if isinstance(node, AnyCondition):
                group = {
                    leaf.answer
                    for child in node.any
                    for leaf in iter_conditions(child)
                    if isinstance(leaf, AnswerCondition)
                }
                for question_id in group:
                    siblings.setdefault(question_id, set()).update(group - {question_id})
    return {q: frozenset(s) for q, s in siblings.items()}
