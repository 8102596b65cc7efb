"""Properties of the whole rule set on generated profiles (hypothesis): order independence,
monotonicity, "unknown" never gives ready, every flag addressed, every output cited, well-formed
outputs, and a stateful advisor session checked against the independent evaluator."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from coopdec_expert.assessment import VERDICT_RANK
from coopdec_expert.engine.assess import Assessor
from coopdec_expert.knowledge.lint import load_checked, normalise
from coopdec_expert.knowledge.models import STEPS
from coopdec_expert.profile import Profile

from .independent_evaluator import UNKNOWN, IndependentEvaluator, disagreements, profiles

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

EVALUATOR = IndependentEvaluator()
QUESTION_IDS = sorted(EVALUATOR.questions)
PROFILES = profiles(EVALUATOR, requester=True)
# Close to the most favourable profile: where "ready" is common and one answer can tip it.
NEAR_BEST = profiles(EVALUATOR, max_edits=3, shapes=("favourable",), requester=True)
# assess() also computes `missing` (one engine run per open question and option): fewer examples.
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def options(question_id: str) -> list[str]:
    return EVALUATOR.options(question_id)


def is_known(answers: dict[str, str], question_id: str) -> bool:
    return answers.get(question_id, UNKNOWN) != UNKNOWN


@cache
def fresh_assessor() -> Assessor:
    """A second assessor with its own engine and cache, independent of the session one."""
    return Assessor(load_checked())


class UncachedAssessor(Assessor):
    """Keeps nothing between calls, so every outcome re-runs the one reused engine."""

    CACHE_SIZE = 0


@cache
def uncached_assessor() -> UncachedAssessor:
    return UncachedAssessor(load_checked())


# --- determinism ------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=PROFILES, data=st.data(), lang=st.sampled_from(["fr", "en"]))
def test_answer_order_does_not_matter(assessor, answers, data, lang):
    shuffled = dict(data.draw(st.permutations(sorted(answers.items())), label="order"))
    ordered = dict(sorted(answers.items()))
    assert fresh_assessor().outcome(shuffled) == assessor.outcome(ordered)
    first = assessor.assess(Profile(answers=ordered), lang).model_dump()
    second = fresh_assessor().assess(Profile(answers=shuffled), lang).model_dump()
    assert second == first


# --- monotonicity -----------------------------------------------------------------------------


ORDINAL = frozenset(q for q, d in EVALUATOR.questions.items() if d.get("ordinal", True))


@st.composite
def improvements(draw):
    """A profile, a question with a known answer, and a strictly more favourable option."""
    answers = draw(NEAR_BEST | PROFILES)
    # only questions whose options are ordered (who requests is a point of view, not better)
    improvable = [
        q
        for q in sorted(answers)
        if q in ORDINAL
        and is_known(answers, q)
        and options(q).index(answers[q]) < len(options(q)) - 1
    ]
    if not improvable:
        q = draw(st.sampled_from(sorted(ORDINAL)))
        answers = {**answers, q: options(q)[0]}
        improvable = [q]
    question = draw(st.sampled_from(improvable))
    better = draw(
        st.sampled_from(options(question)[options(question).index(answers[question]) + 1 :])
    )
    return answers, question, better


@MANY
@given(change=improvements())
def test_a_better_answer_never_lowers_verdict_nor_next_step(assessor, change):
    answers, question, better = change
    before = assessor.outcome(answers)
    after = assessor.outcome({**answers, question: better})
    event(f"{before.verdict} -> {after.verdict}")
    where = f"{question}: {answers[question]} -> {better}"
    assert STEPS.index(after.next_step) >= STEPS.index(before.next_step), (
        f"{where} lowers next_step {before.next_step} -> {after.next_step}"
    )
    assert VERDICT_RANK[after.verdict] >= VERDICT_RANK[before.verdict], (
        f"{where} lowers the verdict {before.verdict} -> {after.verdict} "
        f"(reasons before {before.reasons}, after {after.reasons})"
    )


# --- unknown never gives "ready" --------------------------------------------------------------


@st.composite
def profiles_with_gaps(draw):
    """A profile where some answers were then made unknown or removed; mostly near the most
    favourable profile, so that "ready" with open questions is frequent."""
    answers = dict(draw(NEAR_BEST | PROFILES))
    for question in draw(st.lists(st.sampled_from(QUESTION_IDS), min_size=1, max_size=6)):
        if draw(st.booleans()):
            answers[question] = UNKNOWN
        else:
            answers.pop(question, None)
    return answers


@MANY
@given(answers=profiles_with_gaps())
def test_ready_survives_the_least_favourable_answers_to_open_questions(assessor, answers):
    outcome = assessor.outcome(answers)
    open_relevant = [q for q in outcome.relevant if not is_known(answers, q)]
    event(f"{outcome.verdict}, open questions: {bool(open_relevant)}")
    if outcome.verdict != "ready" or not open_relevant:
        return
    worst = {**answers, **{q: options(q)[0] for q in open_relevant}}
    completed = assessor.outcome(worst)
    assert completed.verdict == "ready", (
        f"ready with open questions {sorted(open_relevant)}, but {completed.verdict} "
        f"when they get their least favourable answer ({completed.reasons})"
    )


@MANY
@given(answers=NEAR_BEST | PROFILES, data=st.data())
def test_forgetting_a_known_answer_never_makes_ready(assessor, answers, data):
    known = [q for q in sorted(answers) if is_known(answers, q)]
    if not known:
        known = [QUESTION_IDS[0]]
        answers = {**answers, known[0]: options(known[0])[0]}
    # Half the time pick among answers that are not the most favourable: where it matters.
    weak = [q for q in known if answers[q] != options(q)[-1]]
    question = data.draw(
        st.sampled_from(known) | (st.sampled_from(weak) if weak else st.nothing()),
        label="question",
    )
    forget = data.draw(st.sampled_from(["unknown", "unanswered"]), label="replaced by")
    forgotten = dict(answers)
    if forget == "unknown":
        forgotten[question] = UNKNOWN
    else:
        del forgotten[question]
    before, after = assessor.outcome(answers), assessor.outcome(forgotten)
    event(f"{before.verdict} -> {after.verdict}")
    assert before.verdict == "ready" or after.verdict != "ready", (
        f"{question}={answers[question]} -> {forget} turns {before.verdict} into ready"
    )


# --- outputs ----------------------------------------------------------------------------------


def test_every_flag_of_the_rules_has_a_recommendation(kb):
    """The static side of the next property, for flags the generated profiles never raise."""
    addressed = {f for rec in kb.recommendations.values() for f in rec.addresses}
    assert sorted(set(kb.flags) - addressed) == []


@FAST
@given(answers=PROFILES, lang=st.sampled_from(["fr", "en"]))
def test_every_flag_is_addressed_by_a_recommendation(assessor, answers, lang):
    result = assessor.assess(Profile(answers=answers), lang)
    addressed = {f for rec in result.recommendations for f in rec.addresses}
    unaddressed = [flag.id for flag in result.flags if flag.id not in addressed]
    assert not unaddressed, f"flags without a recommendation in the assessment: {unaddressed}"


@FAST
@given(answers=PROFILES)
def test_every_flag_and_recommendation_is_cited_in_the_seed(assessor, reference_text, answers):
    seed = reference_text
    result = assessor.assess(Profile(answers=answers), "fr")
    uncited = [
        f"{item.id}: {item.source.quote!r}"
        for item in [*result.flags, *result.recommendations]
        if normalise(item.source.quote) not in seed
    ]
    assert not uncited, "quotes not found in the seed:\n" + "\n".join(uncited)


@FAST
@given(answers=PROFILES)
def test_scores_missing_and_fired_are_well_formed(kb, assessor, answers):
    result = assessor.assess(Profile(answers=answers), "en")
    for score in result.scores:
        if score.status == "not_assessed":
            assert score.score is None and score.upper > 0 and score.settle, score
        elif score.status == "not_applicable":  # none of its questions applies yet
            assert score.score is None and score.upper == 0 and not score.capped_by, score
            assert not kb.areas[score.area].core or score.area not in {
                a for r in result.readiness.reasons for a in r.items
            }, score
        else:
            assert type(score.score) is int and 0 <= score.score <= score.upper <= 3, score
    relevant = set(result.relevant_questions)
    for missing in result.missing:
        assert missing.question in relevant, f"{missing.question} is not relevant"
        assert not is_known(answers, missing.question), f"{missing.question} is answered"
        expected = "unanswered" if missing.question not in answers else "unknown"
        assert missing.status == expected, missing
    assert len(result.fired) == len(set(result.fired)), f"duplicates in {result.fired}"
    assert set(result.fired) <= set(kb.rules), set(result.fired) - set(kb.rules)


# --- stateful: an advisor filling in the questionnaire --------------------------------------


class AdvisorSession(RuleBasedStateMachine):
    """Answers given, changed and cleared one at a time, in any order, on one reused engine
    (outcome cache off); after each change the result must equal a from-scratch evaluation."""

    def __init__(self):
        super().__init__()
        self.answers: dict[str, str] = {}

    @initialize(answers=PROFILES)
    def start_from(self, answers):
        self.answers = dict(answers)

    @rule(question=st.sampled_from(QUESTION_IDS), index=st.integers(0, 3))
    def answer(self, question, index):
        self.answers[question] = options(question)[index % len(options(question))]

    @rule(question=st.sampled_from(QUESTION_IDS))
    def mark_unknown(self, question):
        if EVALUATOR.questions[question].get("accepts_unknown", True):
            self.answers[question] = UNKNOWN

    @rule(question=st.sampled_from(QUESTION_IDS))
    def clear(self, question):
        self.answers.pop(question, None)

    @invariant()
    def agrees_with_a_fresh_evaluation(self):
        outcome = uncached_assessor().outcome(self.answers)
        problems = disagreements(outcome, EVALUATOR.evaluate(self.answers))
        assert not problems, f"after {self.answers}:\n" + "\n".join(problems)


AdvisorSession.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_advisor_session = AdvisorSession.TestCase
