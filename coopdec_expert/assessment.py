"""The output contract: an Assessment, as `coopdec assess --format json` prints it.

Ids are stable; other tools (explanations, the app, screening) depend on them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .knowledge.models import Approach, Severity, Step
from .vocabulary import VERDICT_RANK, VERDICTS, AreaStatus, Verdict  # noqa: F401 - re-exported
from .vocabulary import StepState as StepStateName


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


class AreaScore(Out):
    """One criterion: `score` (0-3) is the level the known answers reach, None when the
    criterion is not assessed (answers that could raise it from 0 are open: an unknown is never
    a zero) or not applicable yet (none of its questions applies, e.g. the partner's context
    before there is a partner); `partial` when open answers could still move it (up to
    `upper`)."""

    area: str
    name: str
    status: AreaStatus
    score: int | None
    upper: int
    label: str
    evidence: list[str]
    capped_by: list[str]
    settle: list[str] = []  # open questions that could raise it
    assessed: bool  # a score was given: status is assessed or partial (kept for earlier readers)
    complete: bool  # status == assessed


class FlagOut(Out):
    id: str
    severity: Severity
    area: str
    text: str
    source: SourceRef
    raised_by: list[str]
    # the judgement declared: what the flag rests on (the reference text itself, a reading of
    # it, or a policy choice) and why it has this severity
    source_kind: Literal["seed", "interpretation", "policy"] = "seed"
    severity_rationale: str = ""


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
    # answers given to questions that do not apply (a relationship question before there is a
    # partner…): kept in the profile, not read by the rules
    set_aside: list[str] = []
    rules_version: str  # content hash of rules/
    rules_release: str = ""  # the knowledge base's release (semver, rules/catalogue.yaml)
