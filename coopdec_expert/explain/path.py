"""Paths to the next level: the smallest sets of answer changes (up to a bound) that move the
verdict or the next step up, each verified by running the engine.

Only questions the knowledge base marks `actionable` may change; context facts a local
government cannot change (the country's stability, its decentralisation law…) are reported as
such when they block. Candidates come from the why-not obstacles: a set of changes is tried
only if it can remove every obstacle, then the engine decides; each change is then lowered to
the least favourable option that still works ("what it would take"). The search runs on the
compiled evaluator; every path shown is confirmed by the experta engine of record."""

from __future__ import annotations

from itertools import combinations, product
from typing import Literal

from ..assessment import VERDICT_RANK, VERDICTS
from ..engine.assess import Assessor, Outcome
from ..knowledge.models import STEPS, UNKNOWN
from .models import Obstacle, PathOut, PathReport, Requirement, RuleObstacle
from .whatif import change_list
from .whynot import _Analyser, verdict_obstacles

Alternatives = list[frozenset[str]]


def _rule_alternatives(rule: RuleObstacle) -> Alternatives:
    if rule.must == "stop_holding":
        alternatives = [frozenset({r.question}) for r in rule.requirements]
        for via in rule.via:
            alternatives += _rule_alternatives(via)
        return alternatives
    direct = [frozenset({r.question}) for r in rule.requirements]
    if rule.any_of:
        return direct + [a for via in rule.via for a in _rule_alternatives(via)]
    base = frozenset(r.question for r in rule.requirements)
    via_options = [_rule_alternatives(via) for via in rule.via]
    return [base.union(*choice) for choice in product(*via_options)] if via_options else [base]


def _units(obstacles: list[Obstacle]) -> list[tuple[Alternatives, list[Requirement]]]:
    """Each unit must be removed, by changing all questions of one of its alternatives; it comes
    with the requirements it names (to report context facts that block)."""
    units: list[tuple[Alternatives, list[Requirement]]] = []
    for obstacle in obstacles:
        if obstacle.code == "open_question":
            continue  # answering it may not be needed: the engine decides (see search)
        if obstacle.questions and obstacle.alternatives:  # any one of them
            alternatives = [frozenset({q.question}) for q in obstacle.questions]
            units.append((alternatives, list(obstacle.questions)))
        elif obstacle.questions:  # every one of them
            units += [([frozenset({q.question})], [q]) for q in obstacle.questions]
        elif obstacle.alternatives:
            alternatives = [a for rule in obstacle.rules for a in _rule_alternatives(rule)]
            requirements = [r for rule in obstacle.rules for r in _requirements(rule)]
            units.append((alternatives, requirements))
        else:
            units += [
                (_rule_alternatives(rule), list(_requirements(rule))) for rule in obstacle.rules
            ]
    return units


def _requirements(rule: RuleObstacle):
    yield from rule.requirements
    for via in rule.via:
        yield from _requirements(via)


def _improvements(assessor: Assessor, answers: dict[str, str], question_id: str) -> list[str]:
    """Options better than the current answer (all options when unknown or unanswered)."""
    options = assessor.kb.questions[question_id].option_ids()
    current = answers.get(question_id, UNKNOWN)
    return options if current == UNKNOWN else options[options.index(current) + 1 :]


Move = Literal["verdict", "next_step"]


def _moves(base: Outcome, result: Outcome | tuple[str, str]) -> list[Move]:
    verdict, step = result if isinstance(result, tuple) else (result.verdict, result.next_step)
    moves: list[Move] = []
    if VERDICT_RANK[verdict] > VERDICT_RANK[base.verdict]:
        moves.append("verdict")
    if STEPS.index(step) > STEPS.index(base.next_step):
        moves.append("next_step")
    return moves


class _Near:
    """(verdict, next step) of the answers with a few changes, evaluated from the base's
    reading (Assessor.nearby: only the rules the changed questions reach)."""

    def __init__(self, assessor: Assessor, answers: dict[str, str], base: Outcome):
        self.assessor, self.answers, self.base = assessor, answers, base
        self.modal = assessor.modal(answers)

    def __call__(self, changes: dict[str, str]) -> tuple[str, str]:
        return self.assessor.nearby(
            {**self.answers, **changes}, self.base, self.modal, frozenset(changes)
        )


def paths_to_next_level(
    assessor: Assessor,
    answers: dict[str, str],
    lang: str = "fr",
    max_changes: int = 3,
    limit: int = 10,
) -> PathReport:
    kb = assessor.kb
    base = assessor.outcome(answers)
    analyser = _Analyser(assessor, answers, base, lang)
    searches: list[list[tuple[Alternatives, list[Requirement]]]] = []
    rank = VERDICT_RANK[base.verdict]
    if rank < VERDICT_RANK["ready"]:
        target = next(
            v for v in sorted(VERDICTS, key=VERDICT_RANK.__getitem__) if VERDICT_RANK[v] > rank
        )
        searches.append(_units(verdict_obstacles(analyser, target)))
    if base.next_step not in base.steps_done:
        searches.append(_units([analyser.step(base.next_step)]))

    candidates: set[str] = set(base.open_questions)
    for units in searches:
        candidates |= {q for unit, _ in units for alternative in unit for q in alternative}
    candidates = {
        q for q in candidates if kb.questions[q].actionable and _improvements(assessor, answers, q)
    }
    ordered = sorted(candidates, key=list(kb.questions).index)
    actionable_searches = [
        [[a for a in unit if a <= candidates] for unit, _ in units] for units in searches
    ]
    # A unit no actionable change can remove: the context facts it names block that move.
    blocked = {
        (r.question, r.current): r
        for units in searches
        for unit, requirements in units
        if not any(a <= candidates for a in unit)
        for r in requirements
        if not r.actionable
    }

    near = _Near(assessor, answers, base)
    found: list[tuple[frozenset[str], dict[str, str], Outcome]] = []
    searched = 0
    for size in range(1, max_changes + 1):
        for combo in combinations(ordered, size):
            chosen = frozenset(combo)
            if any(previous <= chosen for previous, _, _ in found):
                continue
            if not any(
                all(any(a <= chosen for a in unit) for unit in units)
                for units in actionable_searches
            ):
                continue
            best = {q: _improvements(assessor, answers, q)[-1] for q in combo}
            searched += 1
            if not _moves(base, near(best)):
                continue
            changes = _lowest_that_works(assessor, answers, best, base, near)
            confirmed = assessor.outcome({**answers, **changes})  # the engine of record
            if _moves(base, confirmed) != _moves(base, assessor.quick({**answers, **changes})):
                continue  # never expected: the differential tests keep the two equal
            found.append((chosen, changes, confirmed))
            if len(found) >= limit:
                break
        if len(found) >= limit:
            break

    paths = [
        PathOut(
            changes=change_list(assessor, answers, changes, lang),
            verdict=result.verdict,
            next_step=result.next_step,
            moves=_moves(base, result),
        )
        for _, changes, result in found
    ]
    return PathReport(
        lang=lang,
        verdict=base.verdict,
        next_step=base.next_step,
        max_changes=max_changes,
        paths=paths,
        blocked_by_context=list(blocked.values()),
        searched=searched,
    )


def _lowest_that_works(
    assessor: Assessor, answers: dict[str, str], best: dict[str, str], base: Outcome, near: _Near
) -> dict[str, str]:
    """Lower each change to the least favourable option that still moves the same things."""
    wanted = _moves(base, near(best))
    chosen = dict(best)
    for question_id in sorted(chosen):
        for option in _improvements(assessor, answers, question_id):
            trial = {**chosen, question_id: option}
            if _moves(base, near(trial)) == wanted:
                chosen = trial
                break
    return chosen
