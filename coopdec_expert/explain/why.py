"""Why: for the verdict, the next step, each score, flag and recommendation, the chain of rules
the engine really fired, the answers each one matched, its `because` and its seed quote."""

from __future__ import annotations

from ..assessment import Assessment, SourceRef
from ..engine.assess import Assessor, Outcome
from ..i18n import t
from .labels import option_label
from .models import AnswerUsed, RuleLink, WhyItem, WhyReport
from .whynot import _Analyser


def rule_link(assessor: Assessor, outcome: Outcome, rule_id: str, lang: str) -> RuleLink:
    kb = assessor.kb
    rule = kb.rules[rule_id]
    matched = outcome.record.matched.get(rule_id, {})
    facts = outcome.record.used_facts.get(rule_id, [])
    return RuleLink(
        rule=rule_id,
        because=rule.because.get(lang),
        source=SourceRef(section=rule.source.section, quote=rule.source.quote),
        answers=[
            AnswerUsed(
                question=q,
                question_text=kb.questions[q].text.get(lang),
                option=o,
                option_label=option_label(assessor, q, o, lang),
            )
            for q, o in sorted(matched.items())
        ],
        facts=list(facts),
        depends_on=[outcome.record.concluded_by[f] for f in facts],
    )


def chain(assessor: Assessor, outcome: Outcome, rule_ids: list[str], lang: str) -> list[RuleLink]:
    """The rules and, recursively, the rules that concluded the facts they used, in firing order."""
    needed: set[str] = set()
    todo = list(rule_ids)
    while todo:
        rule_id = todo.pop()
        if rule_id in needed:
            continue
        needed.add(rule_id)
        for fact in outcome.record.used_facts.get(rule_id, []):
            todo.append(outcome.record.concluded_by[fact])
    return [rule_link(assessor, outcome, r, lang) for r in outcome.record.fired if r in needed]


def _flag_rules(assessor: Assessor, outcome: Outcome, flag_id: str) -> list[str]:
    return [r for r in outcome.record.fired if flag_id in assessor.kb.rules[r].then.flags]


def explain_why(assessor: Assessor, answers: dict[str, str], lang: str = "fr") -> WhyReport:
    """Every item of the assessment with the chain of fired rules that produced it."""
    from ..profile import Profile

    kb = assessor.kb
    outcome = assessor.outcome(answers)
    assessment: Assessment = assessor.assess(Profile(answers=answers), lang, with_missing=False)
    scores = {score.area: score for score in assessment.scores}
    items: list[WhyItem] = []

    verdict_rules: list[str] = []
    for _code, ids in outcome.reasons:
        for item in ids:
            if item in kb.flags:
                verdict_rules += _flag_rules(assessor, outcome, item)
            elif item in kb.areas:
                verdict_rules += _score_rules(assessor, outcome, scores[item])
    items.append(
        WhyItem(
            kind="verdict",
            id=outcome.verdict,
            text=assessment.readiness.verdict_label,
            notes=[r.text for r in assessment.readiness.reasons],
            chain=chain(assessor, outcome, verdict_rules, lang),
        )
    )

    step_rules = [r for r in outcome.record.fired if kb.rules[r].then.step_done]
    step_notes = [
        t(lang, "why.step_done", step=kb.steps[s].name.get(lang)) for s in outcome.steps_done
    ]
    for state in assessment.readiness.steps:
        if state.state == "presumed":
            confirm = "; ".join(kb.questions[q].text.get(lang) for q in state.confirm)
            step_notes.append(t(lang, "why.step_presumed", step=state.name, questions=confirm))
        elif state.state == "contrary" and state.against:
            against = "; ".join(kb.questions[q].text.get(lang) for q in state.against)
            step_notes.append(t(lang, "why.step_contrary", step=state.name, questions=against))
    if outcome.next_step not in outcome.steps_done:
        step_notes.append(
            t(lang, "why.step_not_done", step=kb.steps[outcome.next_step].name.get(lang))
        )
        step_notes += _step_requirements(assessor, answers, outcome, lang)
    items.append(
        WhyItem(
            kind="next_step",
            id=outcome.next_step,
            text=assessment.readiness.next_step_label,
            notes=step_notes,
            chain=chain(assessor, outcome, step_rules, lang),
        )
    )

    for score in assessment.scores:
        notes = []
        settle = "; ".join(kb.questions[q].text.get(lang) for q in score.settle)
        if score.status == "not_applicable":
            notes.append(t(lang, "why.not_applicable"))
        elif not score.assessed:
            notes.append(t(lang, "why.not_assessed", questions=settle))
        elif score.evidence:
            notes.append(t(lang, "why.level_reached", level=score.score))
        else:
            notes.append(t(lang, "why.no_evidence"))
        notes += [
            t(lang, "why.capped", flag=kb.flags[f].text.get(lang), level=score.score)
            for f in score.capped_by
        ]
        if score.status == "partial":
            notes.append(t(lang, "why.partial", upper=score.upper, questions=settle))
        shown = f"{score.score}/3 ({score.label})" if score.assessed else score.label
        items.append(
            WhyItem(
                kind="score",
                id=score.area,
                text=f"{score.name}: {shown}",
                notes=notes,
                chain=chain(assessor, outcome, _score_rules(assessor, outcome, score), lang),
            )
        )

    for flag in assessment.flags:
        items.append(
            WhyItem(
                kind="flag",
                id=flag.id,
                text=flag.text,
                notes=[f"§{flag.source.section}: « {flag.source.quote} »"],
                chain=chain(assessor, outcome, flag.raised_by, lang),
            )
        )

    for rec in assessment.recommendations:
        rules: list[str] = []
        notes = [f"§{rec.source.section}: « {rec.source.quote} »"]
        for flag_id in rec.addresses:
            rules += _flag_rules(assessor, outcome, flag_id)
            notes.append(t(lang, "why.addresses", flag=kb.flags[flag_id].text.get(lang)))
        if rec.why == "next_step":
            notes.append(t(lang, "why.for_next_step", step=kb.steps[rec.step].name.get(lang)))
            notes += _step_requirements(assessor, answers, outcome, lang)
            rules += step_rules
        rules += [r for r in outcome.record.fired if rec.id in kb.rules[r].then.recommend]
        items.append(
            WhyItem(
                kind="recommendation",
                id=rec.id,
                text=rec.text,
                notes=notes,
                chain=chain(assessor, outcome, rules, lang),
            )
        )
    return WhyReport(lang=lang, verdict=outcome.verdict, next_step=outcome.next_step, items=items)


def _score_rules(assessor: Assessor, outcome: Outcome, score) -> list[str]:
    """Rules that set the area's level (its evidence), and those raising the flags capping it."""
    return list(score.evidence) + [
        rule for flag_id in score.capped_by for rule in _flag_rules(assessor, outcome, flag_id)
    ]


def _step_requirements(assessor: Assessor, answers, outcome: Outcome, lang: str) -> list[str]:
    """What the next step's completion rule still needs, one line per answer."""
    obstacle = _Analyser(assessor, answers, outcome, lang).step(outcome.next_step, presumable=False)
    return [
        t(
            lang,
            "why.step_needs",
            question=r.question_text,
            now=r.current_label,
            needed=" / ".join(r.needed_labels),
        )
        for rule in obstacle.rules
        for r in rule.requirements
    ]
