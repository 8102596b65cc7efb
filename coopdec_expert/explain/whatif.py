"""What-if: the difference between the assessment of a profile and of the same profile with some
answers changed; and the sweep over every single-answer alternative."""

from __future__ import annotations

from ..assessment import Assessment
from ..engine.assess import Assessor
from ..knowledge.models import UNKNOWN
from ..profile import Profile, ProfileError, check_answers
from .labels import option_label
from .models import Change, ScoreChange, WhatIfReport


def parse_changes(pairs: list[str], assessor: Assessor) -> dict[str, str]:
    """`question=option` strings into a dict; raise ProfileError naming each bad one."""
    changes: dict[str, str] = {}
    problems = []
    for pair in pairs:
        question, sep, option = pair.partition("=")
        if not sep or not question.strip() or not option.strip():
            problems.append(f"what-if '{pair}': expected question=option")
            continue
        changes[question.strip()] = option.strip()
    problems += check_answers(changes, assessor.kb)
    if problems:
        raise ProfileError(problems, "--what-if")
    return changes


def change_list(
    assessor: Assessor, before: dict[str, str], changes: dict[str, str], lang: str
) -> list[Change]:
    kb = assessor.kb
    return [
        Change(
            question=q,
            question_text=kb.questions[q].text.get(lang),
            before=before.get(q, "unanswered"),
            before_label=option_label(assessor, q, before.get(q), lang),
            after=o,
            after_label=option_label(assessor, q, o, lang),
            actionable=kb.questions[q].actionable,
        )
        for q, o in sorted(changes.items())
    ]


def diff(first: Assessment, second: Assessment, changes: list[Change], lang: str) -> WhatIfReport:
    """What moved between two assessments."""
    before_scores = {s.area: s for s in first.scores}
    flags_before = [f.id for f in first.flags]
    flags_after = [f.id for f in second.flags]
    recs_before = [r.id for r in first.recommendations]
    recs_after = [r.id for r in second.recommendations]
    return WhatIfReport(
        lang=lang,
        changes=changes,
        verdict=(first.readiness.verdict, second.readiness.verdict),
        next_step=(first.readiness.next_step, second.readiness.next_step),
        approach=(first.approach, second.approach),
        scores=[
            ScoreChange(area=s.area, name=s.name, before=before_scores[s.area].score, after=s.score)
            for s in second.scores
            if s.score != before_scores[s.area].score
        ],
        flags_added=[f for f in flags_after if f not in flags_before],
        flags_removed=[f for f in flags_before if f not in flags_after],
        recommendations_added=[r for r in recs_after if r not in recs_before],
        recommendations_removed=[r for r in recs_before if r not in recs_after],
    )


def what_if(
    assessor: Assessor, profile: Profile, changes: dict[str, str], lang: str = "fr"
) -> WhatIfReport:
    """The assessment's diff when `changes` replace the profile's answers."""
    problems = check_answers(changes, assessor.kb)
    if problems:
        raise ProfileError(problems, "--what-if")
    changed = profile.model_copy(update={"answers": {**profile.answers, **changes}})
    real = {q: o for q, o in changes.items() if profile.answers.get(q) != o}
    return diff(
        assessor.assess(profile, lang, with_missing=False),  # the diff does not show `missing`
        assessor.assess(changed, lang, with_missing=False),
        change_list(assessor, profile.answers, real, lang),
        lang,
    )


def single_answer_alternatives(assessor: Assessor, answers: dict[str, str]):
    """Every profile that differs from `answers` by one answer (each option and `unknown`)."""
    for question in assessor.kb.questions.values():
        for option in [*question.option_ids(), UNKNOWN]:
            if answers.get(question.id, UNKNOWN) != option:
                yield question.id, option


def sweep(assessor: Assessor, answers: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(question, option, verdict, next step) for every single-answer alternative, from the
    compiled evaluator: what a facilitator scans before opening one what-if (which `what_if`
    then assesses on the experta engine of record)."""
    return [
        (q, o, result.verdict, result.next_step)
        for q, o in single_answer_alternatives(assessor, answers)
        for result in [assessor.quick({**answers, q: o})]
    ]
