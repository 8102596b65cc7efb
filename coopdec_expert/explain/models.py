"""Output models of the explanations: why, why not, what-if, paths. Ids as in Assessment."""

from __future__ import annotations

from typing import Literal

from ..assessment import Out, SourceRef

Kind = Literal["verdict", "next_step", "score", "flag", "recommendation"]


class AnswerUsed(Out):
    """An answer of the profile, as the person gave it."""

    question: str
    question_text: str
    option: str
    option_label: str


class RuleLink(Out):
    """One fired rule of a why-chain, with what it matched in the engine's real run."""

    rule: str
    because: str
    source: SourceRef
    answers: list[AnswerUsed]
    facts: list[str]
    depends_on: list[str]


class WhyItem(Out):
    kind: Kind
    id: str
    text: str
    notes: list[str]
    chain: list[RuleLink]


class WhyReport(Out):
    lang: str
    verdict: str
    next_step: str
    items: list[WhyItem]


class Requirement(Out):
    """An answer that would have to change (or be given) for a rule to hold or to stop."""

    question: str
    question_text: str
    current: str
    current_label: str
    needed: list[str]
    needed_labels: list[str]
    actionable: bool


class RuleObstacle(Out):
    """A rule that must stop holding (it raises a blocking flag) or must come to hold (a step,
    a score level). `any_of`: changing one requirement is enough; otherwise all are needed."""

    rule: str
    because: str
    source: SourceRef
    must: Literal["stop_holding", "hold"]
    any_of: bool
    requirements: list[Requirement]
    via: list[RuleObstacle]


class Obstacle(Out):
    """One reason the target is not reached, with the rules to act on."""

    code: str
    item: str
    text: str
    alternatives: bool
    rules: list[RuleObstacle]
    questions: list[Requirement]


class WhyNotReport(Out):
    lang: str
    target: str
    target_kind: Literal["verdict", "next_step"]
    current: str
    reached: bool
    obstacles: list[Obstacle]


class ScoreChange(Out):
    """A criterion's score before and after (None: not assessed)."""

    area: str
    name: str
    before: int | None
    after: int | None


class Change(Out):
    question: str
    question_text: str
    before: str
    before_label: str
    after: str
    after_label: str
    actionable: bool


class WhatIfReport(Out):
    lang: str
    changes: list[Change]
    verdict: tuple[str, str]
    next_step: tuple[str, str]
    approach: tuple[str | None, str | None]
    scores: list[ScoreChange]
    flags_added: list[str]
    flags_removed: list[str]
    recommendations_added: list[str]
    recommendations_removed: list[str]

    @property
    def empty(self) -> bool:
        return not (
            self.verdict[0] != self.verdict[1]
            or self.next_step[0] != self.next_step[1]
            or self.approach[0] != self.approach[1]
            or self.scores
            or self.flags_added
            or self.flags_removed
            or self.recommendations_added
            or self.recommendations_removed
        )


class PathOut(Out):
    """A smallest set of answer changes that moves the verdict or the next step up."""

    changes: list[Change]
    verdict: str
    next_step: str
    moves: list[Literal["verdict", "next_step"]]


class PathReport(Out):
    lang: str
    verdict: str
    next_step: str
    max_changes: int
    paths: list[PathOut]
    blocked_by_context: list[Requirement]
    searched: int
