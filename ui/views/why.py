"""Pourquoi ? / Why?: the why-chain of any item, why not a target, what-if (without touching
the saved answers) and the fewest changes to the next level."""

from __future__ import annotations

import streamlit as st

from coopdec_expert.assessment import VERDICT_RANK
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.whatif import what_if
from coopdec_expert.explain.whynot import TARGET_VERDICTS, why_not
from coopdec_expert.i18n import t, tn
from coopdec_expert.knowledge.models import STEPS, UNKNOWN

from .. import state
from ..state import tr
from ..widgets import blockers, experts_rule_ids, path_list, requirement_line, rule_links
from .result import why_report

WHATIF = "coopdec.whatif"  # {question: option}: the what-if changes, apart from the answers


def _why_panel() -> None:
    st.subheader(tr("why.why_title"))
    report = why_report()
    labels = [f"{t(state.lang(), f'explain.kind.{i.kind}')} — {i.text}" for i in report.items]
    chosen = st.selectbox(
        tr("why.item"),
        range(len(labels)),
        format_func=labels.__getitem__,
        key=f"coopdec.why_item.{state.lang()}",
    )
    item = report.items[chosen]
    for note in item.notes:
        st.markdown(f"- {note}")
    st.markdown(f"**{t(state.lang(), 'explain.chain')}**")
    rule_links(item.chain)


def _target_labels(lang: str) -> dict[str, str]:
    kb = state.assessor().kb
    labels = {
        v: t(lang, "ui.why.target_verdict", verdict=t(lang, f"verdict.{v}"))
        for v in TARGET_VERDICTS
    }
    for step in STEPS[1:]:
        labels[step] = t(lang, "ui.why.target_step", step=kb.steps[step].name.get(lang))
    return labels


def _default_target(labels: dict[str, str]) -> int:
    """The target an advisor asks about first: the verdict just above the current one (else
    the first step not reached)."""
    current = state.assessment().readiness.verdict
    above = [v for v in TARGET_VERDICTS if VERDICT_RANK[v] > VERDICT_RANK[current]]
    targets = list(labels)
    return targets.index(above[0]) if above else len(TARGET_VERDICTS)


def _why_not_panel() -> None:
    """What stands in the way, compact: each obstacle once with the rules that would lift it
    (a rule already listed is only named again), the answers they need as "now → needed"
    (better answers only), and the open questions gathered in one list, each once."""
    lang = state.lang()
    st.subheader(tr("why.whynot_title"))
    labels = _target_labels(lang)
    target = st.selectbox(
        tr("why.target"),
        list(labels),
        index=_default_target(labels),
        format_func=labels.__getitem__,
        key=f"coopdec.target.{lang}",
    )
    report = why_not(state.assessor(), state.engine_answers(), target, lang)
    if report.reached:
        st.success(t(lang, "explain.reached"))
        return
    listed: set[str] = set()
    named: set[str] = set()  # questions already named by an obstacle above
    open_questions = []
    rule_ids = []
    key_questions = [o for o in report.obstacles if o.code == "unknown_key_question"]
    if key_questions:  # one line each: the question, to be answered
        with st.container(border=True):
            st.markdown(f"**{tn(lang, 'ui.why.key_questions', len(key_questions))}**")
            st.markdown(
                "\n".join(f"- {requirement_line(r)}" for o in key_questions for r in o.questions)
            )
        named |= {o.item for o in key_questions}
    for obstacle in report.obstacles:
        if obstacle.code == "open_question":
            open_questions.append(obstacle)
            continue
        if obstacle.code == "unknown_key_question":
            continue
        lines = []
        needs = {
            rule.rule: {(r.question, tuple(r.needed)): r for r in _requirements(rule)}
            for rule in obstacle.rules
        }
        common: dict = {}
        if len(obstacle.rules) > 1 and obstacle.alternatives:
            shared = set.intersection(*(set(n) for n in needs.values()))
            common = {k: r for k, r in needs[obstacle.rules[0].rule].items() if k in shared}
            if common:  # an answer every way needs: said once
                lines += [tr("why.in_every_case"), ""]
                lines += [f"- {requirement_line(r)}" for r in common.values()]
                lines.append("")  # the list ends here
            lines += [t(lang, "explain.one_of_rules"), ""]
        for rule in obstacle.rules:
            rule_ids.append(rule.rule)
            if rule.rule in listed:
                lines.append(f"- {rule.because} — *{tr('why.see_above')}*")
                continue
            listed.add(rule.rule)
            lines.append(f"- {rule.because}")
            own = [r for k, r in needs[rule.rule].items() if k not in common]
            lines += [f"    - {requirement_line(r)}" for r in own]
        lines += [
            f"- {r.question_text} — *{tr('why.see_above')}*"
            if r.question in named
            else f"- {requirement_line(r)}"
            for r in obstacle.questions
        ]
        named |= {q for n in needs.values() for q, _ in n} | {
            r.question for r in obstacle.questions
        }
        with st.container(border=True):
            st.markdown(f"**{obstacle.text}**")
            if lines:
                st.markdown("\n".join(lines))
    open_questions = [o for o in open_questions if o.item not in named]
    if open_questions:
        with st.container(border=True):
            st.markdown(f"**{tn(lang, 'ui.why.open_questions', len(open_questions))}**")
            st.caption(tr("why.open_questions_help"))
            st.markdown("\n".join(f"- {o.text}" for o in open_questions))
    experts_rule_ids(rule_ids)


def _requirements(rule):
    """The answers a rule obstacle needs, its sub-rules' included, each once."""
    yield from rule.requirements
    for via in rule.via:
        yield from _requirements(via)


def _on_whatif(question_id: str, widget_key: str) -> None:
    changes = dict(st.session_state.get(WHATIF, {}))
    changes[question_id] = st.session_state[widget_key]
    st.session_state[WHATIF] = changes


def _on_whatif_questions(chooser: str) -> None:
    chosen = st.session_state.get(chooser) or []
    changes = st.session_state.get(WHATIF, {})
    answers = state.answers()
    st.session_state[WHATIF] = {q: changes.get(q, answers.get(q, UNKNOWN)) for q in chosen}


def _what_if_panel() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    answers = state.answers()
    st.subheader(tr("why.whatif_title"))
    st.caption(tr("why.whatif_intro"))
    changes = {
        q: o for q, o in st.session_state.setdefault(WHATIF, {}).items() if q in kb.questions
    }
    chooser = f"coopdec.whatif_questions.{lang}"
    st.session_state[chooser] = list(changes)
    st.multiselect(
        tr("why.whatif_questions"),
        list(kb.questions),
        format_func=lambda q: kb.questions[q].text.get(lang),
        placeholder=tr("why.whatif_placeholder"),
        select_all=False,
        key=chooser,
        on_change=_on_whatif_questions,
        args=(chooser,),
    )
    for question_id in st.session_state[chooser]:
        question = kb.questions[question_id]
        options = question.option_ids() + [UNKNOWN]
        labels = {o.id: o.label.get(lang) for o in question.options}
        labels[UNKNOWN] = t(lang, "option.unknown")
        current = changes.get(question_id, answers.get(question_id, UNKNOWN))
        key = f"coopdec.whatif.{lang}.{question_id}"
        st.session_state[key] = current
        st.selectbox(
            question.text.get(lang),
            options,
            format_func=labels.__getitem__,
            key=key,
            on_change=_on_whatif,
            args=(question_id, key),
        )
        changes.setdefault(question_id, current)
    if not changes:
        return
    report = state.memo(
        "whatif",
        (state.answers_key(answers), frozenset(changes.items()), lang),
        lambda: what_if(state.assessor(), state.profile(), changes, lang),
    )
    if report.empty:
        st.info(t(lang, "explain.nothing_moves"))
        return
    before, after = report.verdict
    st.markdown(
        tr(
            "why.whatif_verdict",
            before=t(lang, f"verdict.{before}"),
            after=t(lang, f"verdict.{after}"),
        )
    )
    step_before, step_after = report.next_step
    st.markdown(
        tr(
            "why.whatif_step",
            before=kb.steps[step_before].name.get(lang),
            after=kb.steps[step_after].name.get(lang),
        )
    )
    for score in report.scores:
        before = "–" if score.before is None else score.before
        after = "–" if score.after is None else score.after
        st.markdown(f"- {score.name}: {before} → {after}")
    for flag in report.flags_added:
        st.markdown(f"- ➕ {t(lang, 'explain.flag_added')}: {kb.flags[flag].text.get(lang)}")
    for flag in report.flags_removed:
        st.markdown(f"- ➖ {t(lang, 'explain.flag_removed')}: {kb.flags[flag].text.get(lang)}")
    for rec in report.recommendations_added:
        st.markdown(
            f"- ➕ {t(lang, 'explain.rec_added')}: {kb.recommendations[rec].text.get(lang)}"
        )
    for rec in report.recommendations_removed:
        st.markdown(
            f"- ➖ {t(lang, 'explain.rec_removed')}: {kb.recommendations[rec].text.get(lang)}"
        )


def paths_panel() -> None:
    lang = state.lang()
    answers = state.engine_answers()
    st.subheader(tr("why.path_title"))
    report = state.memo(
        "path",
        (state.answers_key(answers), lang),
        lambda: paths_to_next_level(state.assessor(), answers, lang),
    )
    if not report.paths:
        st.info(t(lang, "explain.no_path", n=report.max_changes))
    path_list(report, limit=5)
    blockers(report)


def render() -> None:
    st.title(tr("why.title"))
    tabs = st.tabs(
        [tr("why.why_title"), tr("why.whynot_title"), tr("why.whatif_title"), tr("why.path_title")]
    )
    with tabs[0]:
        _why_panel()
    with tabs[1]:
        _why_not_panel()
    with tabs[2]:
        _what_if_panel()
    with tabs[3]:
        paths_panel()
