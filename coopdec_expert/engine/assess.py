"""`assess(profile) -> Assessment`: run the generated experta engine, then classify its conclusions.

The engine decides which rules hold (flags, score levels, steps done, approach, derived facts);
`classify` turns those conclusions into the verdict with the documented policy of README.md
("How the verdict is decided"), whose thresholds are parameters in rules/parameters.yaml.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from ..assessment import (
    VERDICT_RANK,
    ApproachOut,
    AreaScore,
    Assessment,
    FlagOut,
    MissingQuestion,
    Readiness,
    Reason,
    RecommendationOut,
    SourceRef,
)
from ..i18n import t
from ..knowledge.lint import load_checked
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import APPROACHES, STEPS, UNKNOWN
from ..profile import Profile, ProfileError, check_answers
from .compiler import Trace, build_engine_class


@dataclass(frozen=True)
class Impact:
    """What answering one open question could do: the spread of verdict ranks and of step
    indexes over its options, and the (verdict, next step) each option gives."""

    question: str
    verdict_spread: int
    step_spread: int
    results: dict[str, tuple[str, str]]
    witnesses: dict[str, dict[str, str]]  # option -> the complete answers that gave its result

    @property
    def weight(self) -> tuple[int, int]:
        return (self.verdict_spread, self.step_spread)

    @property
    def matters(self) -> bool:
        return self.weight > (0, 0)


@dataclass(frozen=True)
class Outcome:
    """Language-free result of one engine run: what the verdict and missing list are built from."""

    trace: Trace
    flags: tuple[str, ...]
    levels: dict[str, int]
    steps_done: tuple[str, ...]
    next_step: str
    approach: str | None
    relevant: frozenset[str]
    open_questions: tuple[str, ...]  # relevant, unanswered or unknown
    verdict: str
    reasons: tuple[tuple[str, tuple[str, ...]], ...]


class Assessor:
    """One knowledge base, one engine built once and reused for every assessment."""

    CACHE_SIZE = 4096

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.engine = build_engine_class(kb)()
        self._cache: OrderedDict[frozenset, Outcome] = OrderedDict()
        self._order = {q: i for i, q in enumerate(kb.questions)}
        self._any_siblings = _any_siblings(kb)
        # One engine per assessor: runs are serialised so threads (the app) cannot interleave.
        self._lock = threading.RLock()

    # --- engine + classification, without texts ---------------------------------------

    def outcome(self, answers: dict[str, str]) -> Outcome:
        key = frozenset(answers.items())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            result = self._classify(dict(answers), self.engine.start(answers))
            self._cache[key] = result
            if len(self._cache) > self.CACHE_SIZE:
                self._cache.popitem(last=False)
            return result

    def _classify(self, answers: dict[str, str], trace: Trace) -> Outcome:
        kb = self.kb
        effects = [kb.rules[rule_id].then for rule_id in trace.fired]
        flags = tuple(dict.fromkeys(f for e in effects for f in e.flags))
        steps_done = tuple(s for s in STEPS if any(e.step_done == s for e in effects))
        next_step = next((s for s in STEPS if s not in steps_done), STEPS[-1])
        approaches = {e.approach for e in effects if e.approach}
        approach = max(approaches, key=APPROACHES.index) if approaches else None
        relevant = frozenset(
            q.id for q in kb.questions.values() if q.ask_if is None or q.id in trace.relevant
        )
        open_questions = tuple(
            sorted(
                (q for q in relevant if answers.get(q, UNKNOWN) == UNKNOWN),
                key=self._order.__getitem__,
            )
        )
        levels = self._levels(effects, flags, answers, relevant)
        verdict, reasons = self._verdict(answers, flags, levels, next_step, open_questions)
        return Outcome(
            trace=trace,
            flags=flags,
            levels=levels,
            steps_done=steps_done,
            next_step=next_step,
            approach=approach,
            relevant=relevant,
            open_questions=open_questions,
            verdict=verdict,
            reasons=reasons,
        )

    def _assessed_areas(self, answers: dict[str, str], relevant: frozenset[str]) -> set[str]:
        return {
            q.area
            for q in self.kb.questions.values()
            if q.area and q.id in relevant and answers.get(q.id, UNKNOWN) != UNKNOWN
        }

    def _levels(self, effects, flags, answers, relevant) -> dict[str, int]:
        """Score per area: highest level reached by evidence, capped by its worst flag; -1 when
        no relevant question of the area has a known answer (not assessed)."""
        caps = self.kb.param("severity_score_cap")
        assessed = self._assessed_areas(answers, relevant)
        levels: dict[str, int] = {}
        for area in self.kb.areas:
            if area not in assessed:
                levels[area] = -1
                continue
            reached = max((s.level for e in effects for s in e.scores if s.area == area), default=0)
            for flag_id in flags:
                flag = self.kb.flags[flag_id]
                if flag.area == area:
                    reached = min(reached, caps[flag.severity])
            levels[area] = reached
        return levels

    def _verdict(self, answers, flags, levels, next_step, open_questions):
        kb = self.kb
        core = [a for a in kb.areas.values() if a.core]
        high = [f for f in flags if kb.flags[f].severity == "high"]
        medium = [f for f in flags if kb.flags[f].severity == "medium"]
        if high:
            return "not_ready", (("high_flags", tuple(high)),)
        unknown_keys = tuple(q for q in open_questions if kb.questions[q].key)
        unassessed = tuple(a.id for a in core if levels[a.id] < 0)
        if len(unknown_keys) > kb.param("max_unknown_key_questions") or unassessed:
            reasons = []
            if unknown_keys:
                reasons.append(("unknown_key_questions", unknown_keys))
            if unassessed:
                reasons.append(("unassessed_core_areas", unassessed))
            return "insufficient_information", tuple(reasons)
        floor = kb.param("not_ready_below_score")
        too_low = tuple(a.id for a in core if levels[a.id] < floor)
        if too_low:
            return "not_ready", (("core_area_zero", too_low),)
        reasons = []
        if medium:
            reasons.append(("medium_flags", tuple(medium)))
        ready_level = kb.param("ready_min_area_score")
        below = tuple(a.id for a in core if levels[a.id] < ready_level)
        if below:
            reasons.append(("core_area_below_ready", below))
        ready_step = kb.param("ready_from_step")
        if STEPS.index(next_step) < STEPS.index(ready_step):
            reasons.append(("step_not_reached", (ready_step, next_step)))
        if reasons:
            return "conditional", tuple(reasons)
        if open_questions and not self._ready_whatever_the_answers(answers, open_questions):
            return "conditional", (("open_questions", open_questions),)
        return "ready", (("all_clear", ()),)

    def _ready_whatever_the_answers(self, answers, open_questions) -> bool:
        """`unknown` is never favourable: with open questions, "ready" must survive the least
        favourable answer to every one of them (the pessimistic completion)."""
        worst = {q: self.kb.questions[q].options[0].id for q in open_questions}
        return self.outcome({**answers, **worst}).verdict == "ready"

    # --- missing questions --------------------------------------------------------------

    def impact(self, answers: dict[str, str], question_id: str, base: Outcome) -> Impact:
        """How much the answer to one open question can still move the verdict and the next
        step. Each option is tried in three completions of the other open questions: as they
        are; all at their most favourable option (a gap hidden behind other gaps, such as one
        key question among several, still counts); and the same but with the questions that
        share an `any` with it at their least favourable (a question that matters only when its
        alternatives fail still counts). Completions are made with the option in place, so the
        follow-up questions it opens are completed too."""
        question = self.kb.questions[question_id]
        siblings = self._any_siblings.get(question_id, frozenset())
        contexts = [lambda option: {**answers, question_id: option}]
        contexts.append(
            lambda option: self.completion({**answers, question_id: option}, question_id)
        )
        if siblings:
            contexts.append(
                lambda option: self.completion(
                    {**answers, question_id: option}, question_id, worst=siblings
                )
            )
        best = Impact(question_id, 0, 0, {}, {})
        for context in contexts:
            witnesses = {o: context(o) for o in question.option_ids()}
            results = {o: self.outcome(w) for o, w in witnesses.items()}
            ranks = [VERDICT_RANK[r.verdict] for r in results.values()]
            steps = [STEPS.index(r.next_step) for r in results.values()]
            candidate = Impact(
                question_id,
                max(ranks) - min(ranks),
                max(steps) - min(steps),
                {o: (r.verdict, r.next_step) for o, r in results.items()},
                witnesses,
            )
            if candidate.weight > best.weight:
                best = candidate
        return best

    def completion(
        self, answers: dict[str, str], keep: str, worst: frozenset[str] = frozenset()
    ) -> dict[str, str]:
        """Every open question but `keep` answered — its least favourable option if in `worst`,
        else its most favourable — including those the answers make relevant (repeated until
        no open question is left)."""
        completed = dict(answers)
        while True:
            todo = [q for q in self.outcome(completed).open_questions if q != keep]
            if not todo:
                return completed
            for q in todo:
                options = self.kb.questions[q].options
                completed[q] = (options[0] if q in worst else options[-1]).id

    def next_questions(self, answers: dict[str, str]) -> list[Impact]:
        """Open questions that can still change the verdict or the next step, the most
        decisive first (verdict spread, then step spread, key questions, method order)."""
        base = self.outcome(answers)
        impacts = [self.impact(answers, q, base) for q in base.open_questions]
        return sorted(
            (i for i in impacts if i.matters),
            key=lambda i: (
                (-i.verdict_spread, -i.step_spread),
                not self.kb.questions[i.question].key,
                STEPS.index(self.kb.questions[i.question].step),
                self._order[i.question],
            ),
        )

    # --- the public result --------------------------------------------------------------

    def assess(self, profile: Profile, lang: str = "fr", with_missing: bool = True) -> Assessment:
        """The Assessment. `with_missing=False` leaves `missing` empty and skips its analysis
        (hundreds of engine runs on a sparse profile), for callers that do not show it."""
        problems = check_answers(profile.answers, self.kb)
        if problems:
            raise ProfileError(problems)
        answers = dict(profile.answers)
        base = self.outcome(answers)
        missing = [i.question for i in self.next_questions(answers)] if with_missing else []
        return self._render(profile, answers, base, missing, lang)

    def _render(self, profile, answers, base: Outcome, missing, lang) -> Assessment:
        kb = self.kb
        text = lambda item: item.get(lang)  # noqa: E731 - tiny accessor used many times
        src = lambda entry: SourceRef(section=entry.source.section, quote=entry.source.quote)  # noqa: E731
        raised_by: dict[str, list[str]] = {}
        for rule_id in base.trace.fired:
            for flag_id in kb.rules[rule_id].then.flags:
                raised_by.setdefault(flag_id, []).append(rule_id)
        severity_rank = {"high": 0, "medium": 1, "low": 2}
        flags = [
            FlagOut(
                id=f,
                severity=kb.flags[f].severity,
                area=kb.flags[f].area,
                text=text(kb.flags[f].text),
                source=src(kb.flags[f]),
                raised_by=raised_by[f],
            )
            for f in sorted(base.flags, key=lambda f: (severity_rank[kb.flags[f].severity], f))
        ]
        scores = []
        caps = kb.param("severity_score_cap")
        for area in kb.areas.values():
            level = base.levels[area.id]
            evidence = [
                r
                for r in base.trace.fired
                for s in kb.rules[r].then.scores
                if s.area == area.id and s.level == max(level, 0)
            ]
            capped_by = [
                f
                for f in base.flags
                if kb.flags[f].area == area.id and caps[kb.flags[f].severity] == level
            ]
            assessed = level >= 0
            complete = not any(kb.questions[q].area == area.id for q in base.open_questions)
            scores.append(
                AreaScore(
                    area=area.id,
                    name=text(area.name),
                    score=max(level, 0),
                    label=text(kb.score_labels[max(level, 0)].label)
                    if assessed
                    else t(lang, "score.not_assessed"),
                    evidence=evidence,
                    capped_by=capped_by,
                    assessed=assessed,
                    complete=complete,
                )
            )
        approach = None
        if base.approach:
            approach = ApproachOut(
                id=base.approach,
                label=text(kb.approaches[base.approach].name),
                evidence=[r for r in base.trace.fired if kb.rules[r].then.approach],
            )
        reasons = [self._reason(code, items, lang) for code, items in base.reasons]
        readiness = Readiness(
            verdict=base.verdict,
            verdict_label=t(lang, f"verdict.{base.verdict}"),
            next_step=base.next_step,
            next_step_label=text(kb.steps[base.next_step].name),
            steps_done=list(base.steps_done),
            reasons=reasons,
        )
        missing_out = [
            MissingQuestion(
                question=q,
                text=text(kb.questions[q].text),
                step=kb.questions[q].step,
                key=kb.questions[q].key,
                status="unanswered" if q not in answers else "unknown",
            )
            for q in missing
        ]
        return Assessment(
            lang=lang,
            partnership=profile.id,
            readiness=readiness,
            approach=base.approach,
            approach_detail=approach,
            scores=scores,
            flags=flags,
            recommendations=self._recommendations(base, lang),
            missing=missing_out,
            fired=list(base.trace.fired),
            matched={r: dict(sorted(m.items())) for r, m in base.trace.matched.items()},
            relevant_questions=sorted(base.relevant, key=self._order.__getitem__),
            rules_version=kb.version,
        )

    def recommendations(self, answers: dict[str, str], lang: str = "fr") -> list[RecommendationOut]:
        """The ordered recommendations alone (without the cost of the `missing` analysis)."""
        return self._recommendations(self.outcome(answers), lang)

    def _recommendations(self, base: Outcome, lang: str) -> list[RecommendationOut]:
        kb = self.kb
        priorities = kb.param("recommendation_priority")
        asked_by_rules = {r for rule in base.trace.fired for r in kb.rules[rule].then.recommend}
        chosen = []
        for position, rec in enumerate(kb.recommendations.values()):
            addressed = [f for f in base.flags if f in rec.addresses]
            candidates = [priorities[kb.flags[f].severity] for f in addressed]
            why = "flag"
            if rec.when_next_step and rec.step == base.next_step:
                candidates.append(priorities["next_step"])
                why = "flag" if addressed else "next_step"
            if rec.id in asked_by_rules:
                candidates.append(priorities["rule"])
                why = why if (addressed or why == "next_step") else "rule"
            if not candidates:
                continue
            chosen.append(
                (
                    min(candidates),
                    STEPS.index(rec.step),
                    position,
                    RecommendationOut(
                        id=rec.id,
                        priority=min(candidates),
                        step=rec.step,
                        text=rec.text.get(lang),
                        source=SourceRef(section=rec.source.section, quote=rec.source.quote),
                        addresses=addressed,
                        why=why,
                    ),
                )
            )
        chosen.sort(key=lambda item: item[:3])
        return [item[3] for item in chosen]

    def _reason(self, code: str, items: tuple[str, ...], lang: str) -> Reason:
        kb = self.kb
        if code == "step_not_reached":
            step, following = items
            return Reason(
                code=code,
                items=list(items),
                text=t(
                    lang,
                    "reason.step_not_reached",
                    step=kb.steps[step].name.get(lang),
                    next=kb.steps[following].name.get(lang),
                ),
            )
        if code == "all_clear":
            return Reason(
                code=code,
                items=[],
                text=t(
                    lang,
                    "reason.all_clear",
                    level=kb.param("ready_min_area_score"),
                    step=kb.steps[kb.param("ready_from_step")].name.get(lang),
                ),
            )

        def name(item: str) -> str:
            if item in kb.flags:
                return kb.flags[item].text.get(lang).rstrip(".")
            if item in kb.areas:
                return kb.areas[item].name.get(lang)
            return kb.questions[item].text.get(lang).rstrip(".")

        values = {"items": "; ".join(name(i) for i in items)}
        if code == "core_area_below_ready":
            values["level"] = kb.param("ready_min_area_score")
        return Reason(code=code, items=list(items), text=t(lang, f"reason.{code}", **values))


def _any_siblings(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For each question, the other questions it appears with in an `any` of some rule."""
    from ..knowledge.loader import iter_conditions
    from ..knowledge.models import AnswerCondition, AnyCondition

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


@cache
def default_assessor() -> Assessor:
    """The assessor of the shipped rules/, built once per process."""
    return Assessor(load_checked())


def assess(profile: Profile, lang: str = "fr", assessor: Assessor | None = None) -> Assessment:
    """Assess a partnership profile with the shipped knowledge base (or the given assessor)."""
    return (assessor or default_assessor()).assess(profile, lang)
