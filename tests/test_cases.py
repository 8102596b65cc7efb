"""Regression cases (tests/cases/*.yaml, OpenFisca style): each `expect` lists what it is about."""

from __future__ import annotations

import pytest

from coopdec_expert.profile import validate_profile

from .conftest import load_cases

CASES = load_cases()
EXPECT_KEYS = {
    "verdict",
    "next_step",
    "approach",
    "steps_done",
    "scores",
    "flags",
    "recommendations",
    "missing",
    "fired",
    "first_recommendation",
    "steps_presumed",
    "area_status",
}


def _check_set(label: str, actual: list[str], wanted: dict) -> list[str]:
    errors = []
    for item in wanted.get("include", []):
        if item not in actual:
            errors.append(f"{label}: expected '{item}' in {actual}")
    for item in wanted.get("exclude", []):
        if item in actual:
            errors.append(f"{label}: did not expect '{item}'")
    if "exactly" in wanted and sorted(wanted["exactly"]) != sorted(actual):
        errors.append(
            f"{label}: expected exactly {sorted(wanted['exactly'])}, got {sorted(actual)}"
        )
    return errors


@pytest.mark.parametrize("case_id,case", CASES, ids=[c[0] for c in CASES])
def test_case(case_id, case, kb, assessor):
    assert {"name", "description", "profile", "expect"} <= set(case), case_id
    unknown = set(case["expect"]) - EXPECT_KEYS
    assert not unknown, f"{case_id}: unknown expect keys {unknown}"
    profile = validate_profile(case["profile"], kb, case_id)
    result = assessor.assess(profile, "fr")
    expect = case["expect"]
    errors = []
    if "verdict" in expect and result.readiness.verdict != expect["verdict"]:
        reasons = [r.code + ":" + ",".join(r.items) for r in result.readiness.reasons]
        errors.append(f"verdict {result.readiness.verdict} != {expect['verdict']} ({reasons})")
    if "next_step" in expect and result.readiness.next_step != expect["next_step"]:
        errors.append(f"next_step {result.readiness.next_step} != {expect['next_step']}")
    if "approach" in expect and result.approach != expect["approach"]:
        errors.append(f"approach {result.approach} != {expect['approach']}")
    if "steps_done" in expect and result.readiness.steps_done != expect["steps_done"]:
        errors.append(f"steps_done {result.readiness.steps_done} != {expect['steps_done']}")
    if "steps_presumed" in expect and result.readiness.steps_presumed != expect["steps_presumed"]:
        errors.append(
            f"steps_presumed {result.readiness.steps_presumed} != {expect['steps_presumed']}"
        )
    status = {s.area: s.status for s in result.scores}
    for area, wanted in expect.get("area_status", {}).items():
        if status[area] != wanted:
            errors.append(f"area {area} status {status[area]} != {wanted}")
    scores = {s.area: s.score for s in result.scores}
    for area, score in expect.get("scores", {}).items():
        if scores[area] != score:
            errors.append(f"score {area} {scores[area]} != {score}")
    errors += _check_set("flags", [f.id for f in result.flags], expect.get("flags", {}))
    errors += _check_set(
        "recommendations", [r.id for r in result.recommendations], expect.get("recommendations", {})
    )
    errors += _check_set("missing", [m.question for m in result.missing], expect.get("missing", {}))
    errors += _check_set("fired", result.fired, expect.get("fired", {}))
    if "first_recommendation" in expect:
        first = result.recommendations[0].id if result.recommendations else None
        if first != expect["first_recommendation"]:
            errors.append(f"first recommendation {first} != {expect['first_recommendation']}")
    assert not errors, f"{case_id} ({case['name']}):\n" + "\n".join(errors)


def test_cases_cover_every_verdict_step_and_approach(assessor, kb):
    from coopdec_expert.assessment import VERDICTS
    from coopdec_expert.knowledge.models import APPROACHES, STEPS

    seen = {"verdict": set(), "next_step": set(), "approach": set()}
    for case_id, case in CASES:
        result = assessor.assess(validate_profile(case["profile"], kb, case_id))
        seen["verdict"].add(result.readiness.verdict)
        seen["next_step"].add(result.readiness.next_step)
        seen["approach"].add(result.approach)
    assert set(VERDICTS) <= seen["verdict"]
    assert set(STEPS) <= seen["next_step"]
    assert set(APPROACHES) <= seen["approach"]
    assert len(CASES) >= 15


def test_every_rule_fired_by_some_case(assessor, kb):
    """Rule coverage: the list of rules no regression case fires must stay empty."""
    fired = set()
    for case_id, case in CASES:
        fired |= set(assessor.assess(validate_profile(case["profile"], kb, case_id)).fired)
    never = sorted(set(kb.rules) - fired)
    assert never == [], f"rules no regression case fires: {never}"
