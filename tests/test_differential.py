"""Three evaluations of rules/ agree: the experta engine of record, the compiled evaluator the
searches use (engine/evaluator.py), and the independent evaluator of
tests/independent_evaluator.py — on the shipped examples and regression cases, on every
one-answer change of the most and least favourable profiles, and on hypothesis-generated
profiles (sparse, middling and complete)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import EXAMPLES_DIR, load_cases
from .independent_evaluator import UNKNOWN, IndependentEvaluator, disagreements, profiles

EVALUATOR = IndependentEvaluator()


def _example_profiles() -> list[tuple[str, dict[str, str]]]:
    found = []
    for path in sorted(Path(EXAMPLES_DIR).glob("*")):
        if path.suffix not in {".yaml", ".yml", ".json"}:
            continue
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        for index, item in enumerate(data if isinstance(data, list) else [data]):
            if isinstance(item, dict) and isinstance(item.get("answers"), dict):
                found.append((f"{path.name}[{index}]", dict(item["answers"])))
    for name, case in load_cases():
        answers = (case.get("profile") or {}).get("answers")
        if isinstance(answers, dict):
            found.append((f"case:{name}", dict(answers)))
    return found


EXAMPLES = _example_profiles()


def _one_change_neighbourhood() -> list[tuple[str, dict[str, str]]]:
    """The most favourable, least favourable and empty profiles, and each one-answer change of
    the first: deterministic coverage of every option of every question."""
    questions = sorted(EVALUATOR.questions)
    best = {q: EVALUATOR.options(q)[-1] for q in questions}
    worst = {q: EVALUATOR.options(q)[0] for q in questions}
    found = [("best", best), ("worst", worst), ("empty", {})]
    for q in questions:
        for choice in [None, UNKNOWN, *EVALUATOR.options(q)[:-1]]:
            answers = dict(best)
            if choice is None:
                del answers[q]
            else:
                answers[q] = choice
            found.append((f"best with {q}={choice}", answers))
    return found


def _problems(assessor, answers: dict[str, str]) -> list[str]:
    recorded, compiled = assessor.outcome(answers), assessor.quick(answers)
    problems = disagreements(recorded, EVALUATOR.evaluate(answers))
    if compiled != recorded:
        problems.append(f"compiled evaluator {compiled} != experta {recorded}")
    return problems


def _check(assessor, answers: dict[str, str]) -> None:
    problems = _problems(assessor, answers)
    assert not problems, f"evaluations disagree on {answers}:\n" + "\n".join(problems)


def test_evaluator_reads_the_same_rules_as_the_engine(kb):
    assert set(EVALUATOR.questions) == set(kb.questions)
    assert {rule["id"] for rule in EVALUATOR.rules} == set(kb.rules)
    assert set(EVALUATOR.flags) == set(kb.flags)
    assert [area["id"] for area in EVALUATOR.areas] == list(kb.areas)


@pytest.mark.parametrize("answers", [a for _, a in EXAMPLES], ids=[n for n, _ in EXAMPLES])
def test_examples_agree(assessor, answers):
    _check(assessor, answers)


def test_one_change_neighbourhood_agrees(assessor):
    failures = []
    for name, answers in _one_change_neighbourhood():
        problems = _problems(assessor, answers)
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=profiles(EVALUATOR))
def test_generated_profiles_agree(assessor, answers):
    _check(assessor, answers)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=profiles(EVALUATOR))
def test_relevance_without_the_rules_equals_a_full_conclusion(assessor, answers):
    """The open-question analysis asks which questions are relevant without running the rules
    (no ask_if reads a derived fact): the same set as a full conclusion's."""
    assert assessor.rules.relevant(answers) == assessor.rules.conclude(answers).relevant


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=profiles(EVALUATOR), data=st.data())
def test_nearby_evaluation_equals_a_full_one(assessor, answers, data):
    """The compiled evaluator re-running only the rules a changed answer can reach gives the
    same conclusions and possible reading as evaluating the changed answers afresh, and the
    policy's short decision the same verdict and next step as its full classification."""
    rules = assessor.rules
    changed = data.draw(
        st.lists(st.sampled_from(sorted(EVALUATOR.questions)), min_size=1, max_size=3, unique=True)
    )
    new = dict(answers)
    for question in changed:
        choice = data.draw(st.sampled_from([None, UNKNOWN, *EVALUATOR.options(question)]))
        if choice is None:
            new.pop(question, None)
        else:
            new[question] = choice
    base = rules.conclude(answers)
    both = rules.nearby(new, frozenset(changed), base, rules.modal(answers, base))
    if both is None:  # the possible reading is not a single pass: evaluated in full instead
        assert not rules.modal_single_pass
        return
    conclusions, modal = both
    fresh = rules.conclude(new)
    assert conclusions == fresh
    assert modal.possible == rules.modal(new, fresh).possible
    base_outcome, fresh_outcome = assessor.quick(answers), assessor.quick(new)
    decided = assessor.nearby(new, base_outcome, assessor.modal(answers), frozenset(changed))
    assert decided == (fresh_outcome.verdict, fresh_outcome.next_step)
