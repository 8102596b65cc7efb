"""The words of the method, written once: steps, verdicts, severities, approaches, the states of
a criterion and of a step. StrEnums, so that they compare and serialise as the plain ids the
JSON contract, rules/ and the catalogues use ("commitment", "not_ready", …)."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    """The six steps of the method (§4), in order."""

    commitment = "commitment"
    partner_search = "partner_search"
    presentation = "presentation"
    initiation = "initiation"
    agreement = "agreement"
    action = "action"


class Verdict(StrEnum):
    ready = "ready"
    conditional = "conditional"
    not_ready = "not_ready"
    insufficient_information = "insufficient_information"


class Severity(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Approach(StrEnum):
    """The four approaches of §2, in the order of the path most partnerships walk."""

    humanitarian = "humanitarian"
    development = "development"
    institutional_support = "institutional_support"
    mutual_interest = "mutual_interest"


class AreaStatus(StrEnum):
    """A criterion: assessed, partial (open answers could still move it), not assessed (its
    level is 0 only because answers that could raise it are open) or not applicable yet (none
    of its questions applies: e.g. the partner's context, for a request that has no partner)."""

    assessed = "assessed"
    partial = "partial"
    not_assessed = "not_assessed"
    not_applicable = "not_applicable"


class StepState(StrEnum):
    done = "done"
    presumed = "presumed"  # a later step is done and no answer rules it out: to confirm
    contrary = "contrary"  # an answer rules it out
    not_done = "not_done"


STEPS: tuple[Step, ...] = tuple(Step)
VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
SEVERITIES: tuple[Severity, ...] = tuple(Severity)
APPROACHES: tuple[Approach, ...] = tuple(Approach)
# Order used to compare verdicts ("improving an answer never lowers the verdict"):
# insufficient_information sits above not_ready because a known blocker is worse news than a gap.
VERDICT_RANK: dict[str, int] = {
    Verdict.not_ready: 0,
    Verdict.insufficient_information: 1,
    Verdict.conditional: 2,
    Verdict.ready: 3,
}
UNKNOWN = "unknown"  # the answer "don't know", accepted by every question unless it says not
# The question saying which local government requests the assessment (its own commitment is
# assessed; a key question about one side blocks the verdict only for that side's own request).
REQUESTER = "partnership.requester"
