"""The output contract: an Assessment, as `coopdec assess --format json` prints it.

Ids are stable; other tools (explanations, the app, screening) depend on them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .knowledge.models import Approach, Severity, Step

Verdict = Literal["ready", "conditional", "not_ready", "insufficient_information"]
VERDICTS: tuple[str, ...] = ("ready", "conditional", "not_ready", "insufficient_information")
# Order used to compare verdicts ("improving an answer never lowers the verdict"):
# insufficient_information sits above not_ready because a known blocker is worse news than a gap.
VERDICT_RANK: dict[str, int] = {
    "not_ready": 0,
    "insufficient_information": 1,
    "conditional": 2,
    "ready": 3,
}


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(Out):
    section: str
    quote: str


class Reason(Out):
    """One reason for the verdict: a machine code, the ids involved, a sentence, and the
    questions it rests on (the known answers behind a not_ready or conditional, the open
    questions that would settle an insufficient_information)."""

    code: str
    items: list[str] = []
    text: str
    questions: list[str] = []


StepStateName = Literal["done", "presumed", "contrary", "not_done"]


class StepState(Out):
    """One step of the method: done by its own answers, presumed done (a later step is done and
    no answer contradicts it: to confirm), contrary (an answer rules it out), or not done."""

    step: Step
    name: str
    state: StepStateName
    label: str
    confirm: list[str] = []  # open questions that would confirm it
    against: list[str] = []  # answered questions that rule it out


class Readiness(Out):
    verdict: Verdict
    verdict_label: str
    next_step: Step
    next_step_label: str
    steps_done: list[Step]
    steps_presumed: list[Step] = []
    steps: list[StepState] = []
    reasons: list[Reason]


AreaStatus = Literal["assessed", "partial", "not_assessed"]


class AreaScore(Out):
    """One criterion: `score` (0-3) is the level the known answers reach, None when the
    criterion is not assessed (answers that could raise it from 0 are open: an unknown is never
    a zero); `partial` when open answers could still move it (up to `upper`)."""

    area: str
    name: str
    status: AreaStatus
    score: int | None
    upper: int
    label: str
    evidence: list[str]
    capped_by: list[str]
    settle: list[str] = []  # open questions that could raise it
    assessed: bool  # status != not_assessed (kept for earlier readers of the JSON)
    complete: bool  # status == assessed


class FlagOut(Out):
    id: str
    severity: Severity
    area: str
    text: str
    source: SourceRef
    raised_by: list[str]


class RecommendationOut(Out):
    id: str
    priority: int
    step: Step
    text: str
    source: SourceRef
    addresses: list[str]
    why: Literal["flag", "next_step", "rule"]


class MissingQuestion(Out):
    question: str
    text: str
    step: Step
    key: bool
    status: Literal["unanswered", "unknown"]


class ApproachOut(Out):
    id: Approach
    label: str
    evidence: list[str]


class Assessment(Out):
    lang: Literal["fr", "en"]
    partnership: str | None
    readiness: Readiness
    approach: Approach | None
    approach_detail: ApproachOut | None
    scores: list[AreaScore]
    flags: list[FlagOut]
    recommendations: list[RecommendationOut]
    missing: list[MissingQuestion]
    fired: list[str]
    matched: dict[str, dict[str, str]]
    relevant_questions: list[str]
    rules_version: str
