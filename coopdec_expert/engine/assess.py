"""`assess(profile) -> Assessment`: one run of the experta engine of record, classified by the
verdict policy (engine/policy.py), with the open questions that can still change the result.

Two ways to the same Outcome, kept equal by a differential test:
- `Assessor.outcome(answers)`: the experta engine, with its trace (fired rules, matched answers,
  concluded facts) — what a person is shown and what explanations quote;
- `Assessor.quick(answers)`: the compiled evaluator (engine/evaluator.py) — what searches use
  (the `missing` analysis, the interview, why-not, what-if sweeps, paths), thousands of times.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache

from ..assessment import Assessment, RecommendationOut
from ..knowledge.lint import load_checked
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN
from ..profile import Profile, ProfileError, check_answers
from .analysis import Impact, OpenQuestions
from .compiler import Trace, build_engine_class
from .evaluator import CompiledRules, Conclusions, Modal
from .grounds import Grounds
from .policy import Outcome, Policy
from .render import Renderer

__all__ = ["Assessor", "Impact", "Outcome", "assess", "default_assessor"]


class _Cache:
    """A small LRU of outcomes per set of answers."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[frozenset, object] = OrderedDict()

    def get(self, key):
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
        return found

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)


class Assessor:
    """One knowledge base, its experta engine and its compiled evaluator, built once and reused
    for every assessment (outcomes cached per set of answers)."""

    CACHE_SIZE = 4096

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.engine = build_engine_class(kb)()
        self.rules = CompiledRules(kb)
        self.policy = Policy(kb)
        self.grounds = Grounds(self.policy)
        self.renderer = Renderer(kb, self.policy, self.grounds)
        self.questions = OpenQuestions(
            kb,
            self.policy,
            self.quick,
            self.modal,
            self.nearby,
            self.rules.relevant,
        )
        self._outcomes = _Cache(self.CACHE_SIZE)
        self._quick = _Cache(self.CACHE_SIZE)
        self._modal = _Cache(self.CACHE_SIZE)
        # One engine per assessor: runs are serialised so threads (the app) cannot interleave.
        self._lock = threading.RLock()

    def resize_caches(self, size: int) -> None:
        """Keep at most `size` outcomes per cache (a batch worker, whose rows share few answer
        sets, keeps a small heap)."""
        with self._lock:
            for cache in (self._outcomes, self._quick, self._modal):
                cache.size = size
                while len(cache.items) > size:
                    cache.items.popitem(last=False)

    # --- answers ------------------------------------------------------------------------

    def applicable(self, answers: dict[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
        """The answers the rules may read, and the questions set aside: an answer to a question
        that does not apply (its `ask_if` does not hold — a relationship question before there
        is a partner, the partner's context for a Northern request without one) is kept in the
        profile, reported, and not read. Found by the compiled evaluator, to a fixed point
        (setting one answer aside can close another question)."""
        kept = dict(answers)
        aside: list[str] = []
        while True:
            relevant = self.rules.conclude(kept).relevant
            drop = [q for q, o in kept.items() if o != UNKNOWN and q not in relevant]
            if not drop:
                return kept, tuple(sorted(aside, key=list(self.kb.questions).index))
            for question_id in drop:
                del kept[question_id]
            aside += drop

    def answers_for(self, profile: Profile) -> dict[str, str]:
        """The answers the rules read for a profile: who requests (Profile.engine_answers),
        without the answers to questions that do not apply."""
        return self.applicable(profile.engine_answers())[0]

    # --- outcomes -----------------------------------------------------------------------

    def outcome(self, answers: dict[str, str]) -> Outcome:
        """The engine of record: one experta run, classified; with its trace."""
        return self._classified(answers, self._outcomes, self._experta, self.outcome)

    def quick(self, answers: dict[str, str]) -> Outcome:
        """The same outcome from the compiled evaluator (no trace): for searches."""
        return self._classified(
            answers, self._quick, lambda a: (self.rules.conclude(a), None), self.quick
        )

    def nearby(
        self, answers: dict[str, str], base: Outcome, base_modal: Modal, changed: frozenset[str]
    ) -> tuple[str, str]:
        """(verdict, next step), from the compiled evaluator, for answers that differ from an
        evaluated set (`base`, with its possible reading) only in `changed`: only the rules
        those questions can reach are evaluated again (engine/evaluator.py `nearby`). Not
        cached: the searches that use it try each such set once."""
        conclusions = Conclusions(base.fired, base.concluded, base.relevant)
        both = self.rules.nearby(answers, changed, conclusions, base_modal)
        if both is None:
            result = self.quick(answers)
            return result.verdict, result.next_step
        conclusions, modal = both
        with self._lock:
            return self.policy.decide(answers, conclusions, modal, self.quick)

    def modal(self, answers: dict[str, str], conclusions: Conclusions | None = None) -> Modal:
        """What the open answers could still do (engine/evaluator.py), cached."""
        key = frozenset(answers.items())
        with self._lock:
            found = self._modal.get(key)
            if found is None:
                found = self.rules.modal(answers, conclusions)
                self._modal.put(key, found)
            return found

    def _classified(
        self,
        answers: dict[str, str],
        cache: _Cache,
        conclude: Callable[[dict[str, str]], tuple[Conclusions, Trace | None]],
        outcome_of: Callable[[dict[str, str]], Outcome],
    ) -> Outcome:
        key = frozenset(answers.items())
        with self._lock:
            found = cache.get(key)
            if found is not None:
                return found
            answers = dict(answers)
            conclusions, trace = conclude(answers)
            modal = self.modal(answers, conclusions)
            result = self.policy.classify(answers, conclusions, modal, outcome_of, trace)
            cache.put(key, result)
            return result

    def _experta(self, answers: dict[str, str]) -> tuple[Conclusions, Trace]:
        trace = self.engine.start(answers)
        relevant = self.rules.always_relevant | trace.relevant
        conclusions = Conclusions(
            frozenset(trace.fired), frozenset(trace.concluded_by), frozenset(relevant)
        )
        return conclusions, trace

    # --- open questions -----------------------------------------------------------------

    def next_questions(self, answers: dict[str, str]) -> list[Impact]:
        """Open questions that can still change the verdict or the next step (see
        engine/analysis.py): those an insufficient_information verdict names first, then the
        most decisive."""
        return self.questions.next_questions(answers)

    def missing(self, answers: dict[str, str]) -> list[str]:
        """The questions of `next_questions`, in its order, without the impacts (cheaper: the
        place of the questions the verdict names does not depend on what they could do)."""
        return self.questions.missing(answers)

    def impact(self, answers: dict[str, str], question_id: str, base: Outcome) -> Impact:
        return self.questions.impact(answers, question_id, base)

    def completion(self, answers: dict[str, str], keep: str, worst=frozenset()) -> dict[str, str]:
        return self.questions.completion(answers, keep, worst)

    # --- the public result --------------------------------------------------------------

    def assess(self, profile: Profile, lang: str = "fr", with_missing: bool = True) -> Assessment:
        """The Assessment. `with_missing=False` leaves `missing` empty and skips its analysis,
        for callers that do not show it."""
        problems = check_answers(profile.answers, self.kb)
        if problems:
            raise ProfileError(problems)
        answers, aside = self.applicable(profile.engine_answers())
        base = self.outcome(answers)
        missing = self.missing(answers) if with_missing else []
        return self.renderer.assessment(
            profile, answers, base, self.modal(answers), missing, lang, aside
        )

    def recommendations(self, answers: dict[str, str], lang: str = "fr") -> list[RecommendationOut]:
        """The ordered recommendations alone (without the cost of the `missing` analysis)."""
        return self.renderer.recommendations(self.outcome(answers), lang)


@cache
def default_assessor() -> Assessor:
    """The assessor of the shipped rules/, built once per process."""
    return Assessor(load_checked())


def assess(profile: Profile, lang: str = "fr", assessor: Assessor | None = None) -> Assessment:
    """Assess a partnership profile with the shipped knowledge base (or the given assessor)."""
    return (assessor or default_assessor()).assess(profile, lang)
