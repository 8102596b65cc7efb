"""The open-question analysis (engine/analysis.py) gives the same answers whichever way it is
computed: on the compiled evaluator or on the experta engine of record, and with or without the
shortcut that builds the completions of questions that change nothing of what is asked from
one shared completion."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from coopdec_expert.engine.analysis import OpenQuestions

from .independent_evaluator import IndependentEvaluator, profiles

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

EVALUATOR = IndependentEvaluator()
SPARSE = profiles(EVALUATOR, shapes=("sparse", "uniform"), requester=True)
MIDDLING = profiles(EVALUATOR, requester=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=MIDDLING)
def test_shared_completion_shortcut_changes_no_impact(assessor, answers):
    analysis = assessor.questions
    base = assessor.quick(answers)
    if not base.open_questions:
        return
    best = analysis.completion(answers, keep="")
    for question_id in base.open_questions:
        if question_id not in analysis.influential:
            continue
        fast = analysis.impact(answers, question_id, base, best)
        slow = analysis.impact(answers, question_id, base)
        assert fast == slow, question_id


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=SPARSE)
def test_missing_list_is_the_same_on_experta(assessor, answers):
    """The analysis run on the engine of record (hundreds of experta runs) lists the same
    questions, in the same order, with the same impacts, as on the compiled evaluator."""
    on_experta = OpenQuestions(assessor.kb, assessor.policy, assessor.outcome, assessor.modal)
    assert on_experta.next_questions(answers) == assessor.next_questions(answers)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=SPARSE | MIDDLING)
def test_missing_without_impacts_lists_what_next_questions_lists(assessor, answers):
    """`missing` (what assess, screening and the interview use) skips the impact of the
    questions the verdict names as blocking: the same questions, in the same order."""
    assert assessor.missing(answers) == [i.question for i in assessor.next_questions(answers)]
