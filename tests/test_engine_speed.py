"""The speed-ups of the experta engine of record change nothing it concludes: the engine with
experta's own Rete matcher and deffacts lookup, and the engine with the tracking matcher and
cached deffacts, give the same whole trace (rules fired in the same order, the answers and facts
each matched, which rule concluded each fact, relevance) on generated profiles."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from coopdec_expert.engine.compiler import (
    CoopdecEngineBase,
    ReteMatcher,
    TrackingReteMatcher,
    build_engine_class,
)

from .independent_evaluator import IndependentEvaluator, profiles

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

EVALUATOR = IndependentEvaluator()


@pytest.fixture(scope="module")
def engines(kb):
    fast_class = build_engine_class(kb)

    class PlainEngine(fast_class):
        __matcher__ = ReteMatcher

        def get_deffacts(self):
            return super(CoopdecEngineBase, self).get_deffacts()

    fast, plain = fast_class(), PlainEngine()
    assert isinstance(fast.matcher, TrackingReteMatcher)
    assert type(plain.matcher) is ReteMatcher
    return fast, plain


def _trace(engine, answers):
    trace = engine.start(answers)
    return (
        list(trace.fired),
        {r: dict(m) for r, m in trace.matched.items()},
        {r: list(f) for r, f in trace.used_facts.items()},
        dict(trace.concluded_by),
        set(trace.relevant),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=profiles(EVALUATOR))
def test_tracking_matcher_gives_the_same_trace(engines, answers):
    fast, plain = engines
    assert _trace(fast, answers) == _trace(plain, answers)
    # reused engines: a second run after a different one is unaffected
    assert _trace(fast, {}) == _trace(plain, {})
    assert _trace(fast, answers) == _trace(plain, answers)
