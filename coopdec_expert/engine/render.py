"""An Outcome into an Assessment in one language: labels, citations, the recommendations chosen
by the documented priorities, and the reasons with the answers they rest on."""

from __future__ import annotations

from typing import Literal

from ..assessment import (
    ApproachOut,
    AreaScore,
    Assessment,
    FlagOut,
    MissingQuestion,
    Readiness,
    Reason,
    RecommendationOut,
    SourceRef,
    StepState,
)
from ..i18n import t
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import STEPS
from ..profile import Profile
from ..vocabulary import REQUESTER, Approach, AreaStatus, Step, Verdict
from ..vocabulary import StepState as StepStateName
from .evaluator import Modal
from .grounds import Grounds
from .policy import PRESUMED, UNRATED, Outcome, Policy

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


def _source(entry) -> SourceRef:
    return SourceRef(section=entry.source.section, quote=entry.source.quote)


class Renderer:
    def __init__(self, kb: KnowledgeBase, policy: Policy, grounds: Grounds):
        self.kb = kb
        self.policy = policy
        self.grounds = grounds
        self.order = {q: i for i, q in enumerate(kb.questions)}

    def assessment(
        self,
        profile: Profile,
        answers: dict[str, str],
        base: Outcome,
        modal: Modal,
        missing: list[str],
        lang: str,
        set_aside: tuple[str, ...] = (),
    ) -> Assessment:
        kb = self.kb
        fired = base.trace.fired if base.trace is not None else sorted(base.fired)
        raised_by: dict[str, list[str]] = {}
        for rule_id in fired:
            for flag_id in kb.rules[rule_id].then.flags:
                raised_by.setdefault(flag_id, []).append(rule_id)
        flags = [
            FlagOut(
                id=f,
                severity=kb.flags[f].severity,
                area=kb.flags[f].area,
                text=kb.flags[f].text.get(lang),
                source=_source(kb.flags[f]),
                raised_by=raised_by[f],
                source_kind=kb.flags[f].source_kind,
                severity_rationale=kb.flags[f].severity_rationale.get(lang),
            )
            for f in sorted(base.flags, key=lambda f: (SEVERITY_RANK[kb.flags[f].severity], f))
        ]
        approach = None
        if base.approach:
            approach = ApproachOut(
                id=Approach(base.approach),
                label=kb.approaches[base.approach].name.get(lang),
                evidence=[r for r in fired if kb.rules[r].then.approach],
            )
        readiness = Readiness(
            verdict=Verdict(base.verdict),
            verdict_label=t(lang, f"verdict.{base.verdict}"),
            next_step=Step(base.next_step),
            next_step_label=kb.steps[base.next_step].name.get(lang),
            steps_done=[Step(s) for s in base.steps_done],
            steps_presumed=[Step(s) for s in base.steps_presumed],
            steps=self._steps(answers, base, modal, lang),
            reasons=[self._reason(answers, base, modal, c, i, lang) for c, i in base.reasons],
        )
        missing_out = [
            MissingQuestion(
                question=q,
                text=kb.questions[q].text.get(lang),
                step=kb.questions[q].step,
                key=kb.questions[q].key
                and self.policy.blocks_verdict(q, answers.get(REQUESTER, "south")),
                status="unanswered" if q not in answers else "unknown",
            )
            for q in missing
        ]
        return Assessment(
            lang="en" if lang == "en" else "fr",
            partnership=profile.id,
            readiness=readiness,
            approach=Approach(base.approach) if base.approach else None,
            approach_detail=approach,
            scores=self._scores(answers, base, modal, fired, lang),
            flags=flags,
            recommendations=self.recommendations(base, lang),
            missing=missing_out,
            fired=list(fired),
            matched=(
                {r: dict(sorted(m.items())) for r, m in base.trace.matched.items()}
                if base.trace is not None
                else {}
            ),
            relevant_questions=sorted(base.relevant, key=self.order.__getitem__),
            set_aside=list(set_aside),
            rules_version=kb.version,
            rules_release=kb.release,
        )

    def _scores(self, answers, base: Outcome, modal: Modal, fired, lang) -> list[AreaScore]:
        kb = self.kb
        caps = kb.param("severity_score_cap")
        scores = []
        for area in kb.areas.values():
            level, status = base.levels[area.id], base.status[area.id]
            assessed = status not in UNRATED
            evidence = [
                r
                for r in fired
                for s in kb.rules[r].then.scores
                if s.area == area.id and s.level == level
            ]
            capped_by = [
                f
                for f in base.flags
                if kb.flags[f].area == area.id and caps[kb.flags[f].severity] == level
            ]
            settle = (
                self.grounds.settling_questions(answers, base, modal, area.id)
                if status != "assessed"
                else ()
            )
            scores.append(
                AreaScore(
                    area=area.id,
                    name=area.name.get(lang),
                    status=AreaStatus(status),
                    score=level if assessed else None,
                    upper=base.upper[area.id],
                    label=kb.score_labels[level].label.get(lang)
                    if assessed
                    else t(lang, f"score.{status}"),
                    evidence=evidence if assessed else [],
                    capped_by=capped_by if assessed else [],
                    settle=list(settle),
                    assessed=assessed,
                    complete=status == "assessed",
                )
            )
        return scores

    def _steps(self, answers, base: Outcome, modal: Modal, lang) -> list[StepState]:
        states = []
        for step in STEPS:
            state = base.steps[step]
            confirm: tuple[str, ...] = ()
            against: tuple[str, ...] = ()
            if state != "done":
                confirm, against = self.grounds.step_evidence(answers, base, modal, step)
            states.append(
                StepState(
                    step=step,
                    name=self.kb.steps[step].name.get(lang),
                    state=StepStateName(state),
                    label=t(lang, f"step_state.{state}"),
                    confirm=list(confirm) if state in (PRESUMED, "not_done") else [],
                    against=list(against) if state == "contrary" else [],
                )
            )
        return states

    def recommendations(self, base: Outcome, lang: str) -> list[RecommendationOut]:
        """Recommendations for the flags raised, the next step and the rules that ask for
        them, ordered by the priorities of rules/parameters.yaml."""
        kb = self.kb
        priorities = kb.param("recommendation_priority")
        asked_by_rules = {r for rule in base.fired for r in kb.rules[rule].then.recommend}
        chosen = []
        for position, rec in enumerate(kb.recommendations.values()):
            addressed = [f for f in base.flags if f in rec.addresses]
            candidates = [priorities[kb.flags[f].severity] for f in addressed]
            why: Literal["flag", "next_step", "rule"] = "flag"
            if rec.when_next_step and rec.step == base.next_step:
                candidates.append(priorities["next_step"])
                why = "flag" if addressed else "next_step"
            if rec.id in asked_by_rules:
                candidates.append(priorities["rule"])
                why = why if (addressed or why == "next_step") else "rule"
            if not candidates:
                continue
            chosen.append(
                (
                    min(candidates),
                    STEPS.index(rec.step),
                    position,
                    RecommendationOut(
                        id=rec.id,
                        priority=min(candidates),
                        step=rec.step,
                        text=rec.text.get(lang),
                        source=_source(rec),
                        addresses=addressed,
                        why=why,
                    ),
                )
            )
        chosen.sort(key=lambda item: item[:3])
        return [item[3] for item in chosen]

    def _reason(self, answers, base: Outcome, modal: Modal, code: str, items, lang) -> Reason:
        kb = self.kb
        questions = list(self.grounds.grounds(answers, base, modal, code, items))
        if code == "step_not_reached":
            step, following = items
            text = t(
                lang,
                "reason.step_not_reached",
                step=kb.steps[step].name.get(lang),
                next=kb.steps[following].name.get(lang),
            )
        elif code == "all_clear":
            text = t(
                lang,
                "reason.all_clear",
                level=kb.param("ready_min_area_score"),
                step=kb.steps[kb.param("ready_from_step")].name.get(lang),
            )
        else:

            def name(item: str) -> str:
                if item in kb.flags:
                    return kb.flags[item].text.get(lang).rstrip(".")
                if item in kb.areas:
                    return kb.areas[item].name.get(lang)
                return kb.questions[item].text.get(lang).rstrip(".")

            values = {"items": "; ".join(name(i) for i in items)}
            if code == "core_area_below_ready":
                values["level"] = kb.param("ready_min_area_score")
            text = t(lang, f"reason.{code}", **values)
        return Reason(code=code, items=list(items), text=text, questions=questions)
