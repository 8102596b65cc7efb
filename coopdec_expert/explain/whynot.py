"""Why not: for a target verdict or next step, what stands in the way, as answers that would
have to change, grouped by rule. Rules that fired are read from the engine's trace; rules that
did not fire are analysed condition by condition against the answers and concluded facts."""

from __future__ import annotations

from typing import Literal

from ..assessment import VERDICT_RANK, SourceRef
from ..engine.assess import Assessor, Outcome
from ..engine.policy import DONE, NOT_APPLICABLE, NOT_ASSESSED, UNRATED
from ..i18n import t
from ..knowledge.conditions import allowed_options, holds, side_leaves
from ..knowledge.models import (
    STEPS,
    UNKNOWN,
    AllCondition,
    AnswerCondition,
    AnyCondition,
    FactCondition,
)
from ..vocabulary import REQUESTER
from .labels import option_label
from .models import Obstacle, Requirement, RuleObstacle, WhyNotReport

TARGET_VERDICTS = ("insufficient_information", "conditional", "ready")


def better_options(kb, answers: dict[str, str], question_id: str) -> list[str]:
    """Options better than the current answer (options run from least to most favourable);
    every option when the question is open."""
    options = kb.questions[question_id].option_ids()
    current = answers.get(question_id, UNKNOWN)
    return options if current not in options else options[options.index(current) + 1 :]


def requirement(
    assessor: Assessor, answers: dict[str, str], question_id: str, needed: list[str], lang: str
) -> Requirement:
    question = assessor.kb.questions[question_id]
    current = answers.get(question_id)
    return Requirement(
        question=question_id,
        question_text=question.text.get(lang),
        current=current if current is not None else "unanswered",
        current_label=option_label(assessor, question_id, current, lang),
        needed=needed,
        needed_labels=[option_label(assessor, question_id, o, lang) for o in needed],
        actionable=question.actionable,
    )


class _Analyser:
    def __init__(self, assessor: Assessor, answers: dict[str, str], outcome: Outcome, lang: str):
        self.assessor = assessor
        self.kb = assessor.kb
        self.answers = answers
        self.outcome = outcome
        self.lang = lang
        self.concluded = set(outcome.concluded)

    def holds(self, condition) -> bool:
        return holds(condition, self.answers, self.concluded, self.kb)

    def _answer_leaves(self, condition):
        """The answer tests that concern the requesting side (who requests is the point of
        view, not something to change)."""
        side = self.answers.get(REQUESTER, "south")
        return side_leaves(condition, REQUESTER, side, self.kb)

    def must_hold(self, rule_id: str, seen: frozenset = frozenset()) -> RuleObstacle:
        """What would make a rule that did not fire hold."""
        rule = self.kb.rules[rule_id]
        requirements, via = [], []
        top = rule.when
        any_of = isinstance(top, AnyCondition)
        if isinstance(top, AllCondition):
            children = list(top.all)
        elif isinstance(top, AnyCondition):
            children = list(top.any)
        else:
            children = [top]
        for condition in children:
            if self.holds(condition):
                continue
            if isinstance(condition, AnswerCondition) and condition.answer == REQUESTER:
                continue
            if isinstance(condition, AnswerCondition):
                needed = list(allowed_options(condition, self.kb))
                requirements.append(
                    requirement(self.assessor, self.answers, condition.answer, needed, self.lang)
                )
            elif isinstance(condition, FactCondition):
                for other in self.kb.rules.values():
                    if condition.fact in other.then.conclude and other.id not in seen:
                        via.append(self.must_hold(other.id, seen | {rule_id}))
            else:  # nested any/all/not: name the questions it reads
                for leaf in self._answer_leaves(condition):
                    if not self.holds(leaf):
                        needed = list(allowed_options(leaf, self.kb))
                        requirements.append(
                            requirement(self.assessor, self.answers, leaf.answer, needed, self.lang)
                        )
        return self._obstacle(rule_id, "hold", any_of, requirements, via)

    def must_stop(self, rule_id: str) -> RuleObstacle:
        """What would make a fired rule stop holding: change one answer it matched."""
        rule = self.kb.rules[rule_id]
        leaves = {leaf.answer: leaf for leaf in self._answer_leaves(rule.when)}
        requirements = []
        for question_id in self.outcome.record.matched.get(rule_id, {}):
            if question_id == REQUESTER:
                continue
            allowed = set(allowed_options(leaves[question_id], self.kb))
            # only better answers: a worse one could stop this rule but not the obstacle
            better = better_options(self.kb, self.answers, question_id)
            needed = [o for o in better if o not in allowed]
            if not needed:
                continue
            requirements.append(
                requirement(self.assessor, self.answers, question_id, needed, self.lang)
            )
        via = [
            self.must_stop(self.outcome.record.concluded_by[fact])
            for fact in self.outcome.record.used_facts.get(rule_id, [])
        ]
        return self._obstacle(rule_id, "stop_holding", True, requirements, via)

    def _obstacle(self, rule_id, must, any_of, requirements, via) -> RuleObstacle:
        rule = self.kb.rules[rule_id]
        return RuleObstacle(
            rule=rule_id,
            because=rule.because.get(self.lang),
            source=SourceRef(section=rule.source.section, quote=rule.source.quote),
            must=must,
            any_of=any_of,
            requirements=requirements,
            via=via,
        )

    # --- obstacles by kind ---------------------------------------------------------------

    def flag(self, code: str, flag_id: str) -> Obstacle:
        rules = [r for r in self.outcome.record.fired if flag_id in self.kb.rules[r].then.flags]
        return Obstacle(
            code=code,
            item=flag_id,
            text=self.kb.flags[flag_id].text.get(self.lang),
            alternatives=False,
            rules=[self.must_stop(r) for r in rules],
            questions=[],
        )

    def area(self, code: str, area_id: str, level: int) -> list[Obstacle]:
        """An area below `level`: a rule reaching the level must hold; capping flags must go."""
        caps = self.kb.param("severity_score_cap")
        name = self.kb.areas[area_id].name.get(self.lang)
        obstacles = []
        if not self._reached(area_id, level):
            candidates = [
                r.id
                for r in self.kb.rules.values()
                for s in r.then.scores
                if s.area == area_id and s.level >= level
            ]
            obstacles.append(
                Obstacle(
                    code=code,
                    item=area_id,
                    text=t(self.lang, "whynot.area_level", area=name, level=level),
                    alternatives=True,
                    rules=[self.must_hold(r) for r in candidates],
                    questions=[],
                )
            )
        for flag_id in self.outcome.flags:
            flag = self.kb.flags[flag_id]
            if flag.area == area_id and caps[flag.severity] < level:
                obstacles.append(self.flag("capping_flag", flag_id))
        return obstacles

    def _reached(self, area_id: str, level: int) -> bool:
        return any(
            s.area == area_id and s.level >= level
            for r in self.outcome.record.fired
            for s in self.kb.rules[r].then.scores
        )

    def step(self, step: str, presumable: bool = True) -> Obstacle:
        """A step not done: its own rule must hold — or, presumed done, a later step's rule
        must hold with no answer ruling the step out (the answers against it must change)."""
        own = [r.id for r in self.kb.rules.values() if r.then.step_done == step]
        rules = [self.must_hold(r) for r in own]
        if presumable:
            later = STEPS[STEPS.index(step) + 1 :]
            modal = self.assessor.modal(self.answers)
            against = [
                requirement(
                    self.assessor, self.answers, q, sorted(o, key=self._order(q)), self.lang
                )
                for r in own
                for q, o in self.assessor.grounds.ruling_out(r, self.answers, modal)
            ]
            if any(self.outcome.steps[s] == DONE for s in later):
                if against:  # a later step is done: only the answers against this one stand
                    rules.append(self._obstacle(own[0], "hold", False, against, []))
            else:
                for rule in self.kb.rules.values():
                    if rule.then.step_done in later:
                        held = self.must_hold(rule.id)
                        rules.append(
                            held.model_copy(update={"requirements": [*held.requirements, *against]})
                        )
        return Obstacle(
            code="step_not_done",
            item=step,
            text=t(self.lang, "whynot.step", step=self.kb.steps[step].name.get(self.lang)),
            alternatives=True,
            rules=rules,
            questions=[],
        )

    def _order(self, question_id: str):
        options = self.kb.questions[question_id].option_ids()
        return options.index

    def unassessed_area(self, area_id: str, questions: list[str]) -> Obstacle:
        """A core area with no known answer: answering any one of its questions assesses it."""
        return Obstacle(
            code="unassessed_core_area",
            item=area_id,
            text=t(self.lang, "whynot.unassessed", area=self.kb.areas[area_id].name.get(self.lang)),
            alternatives=True,
            rules=[],
            questions=[
                requirement(
                    self.assessor,
                    self.answers,
                    q,
                    self.kb.questions[q].option_ids(),
                    self.lang,
                )
                for q in questions
            ],
        )

    def open_question(self, code: str, question_id: str) -> Obstacle:
        question = self.kb.questions[question_id]
        return Obstacle(
            code=code,
            item=question_id,
            text=question.text.get(self.lang),
            alternatives=False,
            rules=[],
            questions=[
                requirement(
                    self.assessor, self.answers, question_id, question.option_ids(), self.lang
                )
            ],
        )


def verdict_obstacles(analyser: _Analyser, target: str) -> list[Obstacle]:
    """Everything the verdict policy needs gone or present for `target` (see README)."""
    kb, outcome = analyser.kb, analyser.outcome
    obstacles = [
        analyser.flag("high_flag", f) for f in outcome.flags if kb.flags[f].severity == "high"
    ]
    if target == "insufficient_information":
        return obstacles
    core = [a for a in kb.areas.values() if a.core]
    requester = analyser.answers.get(REQUESTER, "south")
    obstacles += [
        analyser.open_question("unknown_key_question", q)
        for q in outcome.open_questions
        if kb.questions[q].key and analyser.assessor.policy.blocks_verdict(q, requester)
    ]
    for area in core:
        if outcome.status[area.id] == NOT_ASSESSED:
            questions = analyser.assessor.grounds.settling_questions(
                analyser.answers, outcome, analyser.assessor.modal(analyser.answers), area.id
            )
            obstacles.append(analyser.unassessed_area(area.id, list(questions)))
    floor = kb.param("not_ready_below_score")
    for area in core:
        if outcome.status[area.id] not in UNRATED and outcome.levels[area.id] < floor:
            obstacles += analyser.area("core_area_zero", area.id, floor)
    if target == "conditional":
        return obstacles
    obstacles += [
        analyser.flag("medium_flag", f) for f in outcome.flags if kb.flags[f].severity == "medium"
    ]
    level = kb.param("ready_min_area_score")
    for area in core:
        if outcome.status[area.id] != NOT_APPLICABLE and outcome.levels[area.id] < level:
            obstacles += analyser.area("core_area_below_ready", area.id, level)
    ready_step = STEPS.index(kb.param("ready_from_step"))
    obstacles += [
        analyser.step(s)
        for s in STEPS[:ready_step]
        if s not in (*outcome.steps_done, *outcome.steps_presumed)
    ]
    keys = {o.item for o in obstacles}
    obstacles += [
        analyser.open_question("open_question", q)
        for q in outcome.open_questions
        if q not in keys and analyser.answers.get(q, UNKNOWN) == UNKNOWN
    ]
    return _unique(obstacles)


def _unique(obstacles: list[Obstacle]) -> list[Obstacle]:
    seen, kept = set(), []
    for obstacle in obstacles:
        key = (obstacle.code, obstacle.item)
        if key not in seen:
            seen.add(key)
            kept.append(obstacle)
    return kept


def why_not(
    assessor: Assessor, answers: dict[str, str], target: str, lang: str = "fr"
) -> WhyNotReport:
    """What stands between the profile and a target verdict or next step."""
    outcome = assessor.outcome(answers)
    analyser = _Analyser(assessor, answers, outcome, lang)
    kind: Literal["verdict", "next_step"]
    if target in STEPS:
        kind, current = "next_step", outcome.next_step
        reached = STEPS.index(current) >= STEPS.index(target)
        obstacles = [
            analyser.step(s)
            for s in STEPS[: STEPS.index(target)]
            if s not in (*outcome.steps_done, *outcome.steps_presumed)
        ]
    elif target in VERDICT_RANK:
        kind, current = "verdict", outcome.verdict
        reached = VERDICT_RANK[current] >= VERDICT_RANK[target]
        obstacles = [] if reached else verdict_obstacles(analyser, target)
    else:
        raise ValueError(
            f"target '{target}' is neither a verdict nor a step; allowed: "
            f"{', '.join([*TARGET_VERDICTS, *STEPS])}"
        )
    return WhyNotReport(
        lang=lang,
        target=target,
        target_kind=kind,
        current=current,
        reached=reached,
        obstacles=[] if reached else obstacles,
    )
