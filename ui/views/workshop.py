"""Atelier / Workshop: one shipped example walked through step by step for elected officials
(context → answers by method step → verdict → why → what would change), projector view."""

from __future__ import annotations

import streamlit as st

from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.why import explain_why
from coopdec_expert.i18n import t
from coopdec_expert.profile import ProfileError

from .. import profile_io, state
from ..state import tr
from ..widgets import (
    approach_path,
    flags_by_severity,
    large_fonts,
    method_ladder,
    path_list,
    rule_links,
    scores_chart,
    user_text,
    verdict_badge,
)
from .assess import example_titles

CASE = "coopdec.workshop_case"
STAGE = "coopdec.workshop_stage"
PROJECTOR = "coopdec.workshop_projector"
STAGES = ("context", "answers", "verdict", "why", "change")


def _on_case() -> None:
    st.session_state[CASE] = st.session_state["coopdec.workshop_case_choice"]
    st.session_state[STAGE] = 0


def _on_projector() -> None:
    st.session_state[PROJECTOR] = st.session_state["coopdec.workshop_projector_toggle"]


def _move(delta: int) -> None:
    st.session_state[STAGE] = max(0, min(len(STAGES) - 1, st.session_state[STAGE] + delta))


def _context(profile) -> None:
    if profile.title:
        st.header(user_text(profile.title))
    for side in ("south", "north"):
        government = getattr(profile, side)
        if government:
            name, country = user_text(government.name), user_text(government.country)
            st.markdown(f"**{t(state.lang(), f'report.{side}')}**: {name} ({country})")
    if profile.notes:
        st.info(user_text(profile.notes))


def _answers(profile) -> None:
    kb = state.assessor().kb
    lang = state.lang()
    for step in kb.steps.values():
        rows = []
        for question in kb.questions.values():
            if question.step != step.id or question.id not in profile.answers:
                continue
            option = profile.answers[question.id]
            labels = {o.id: o.label.get(lang) for o in question.options}
            rows.append(
                {
                    tr("workshop.question"): question.text.get(lang),
                    tr("workshop.answer"): labels.get(option, t(lang, "option.unknown")),
                }
            )
        if rows:
            st.subheader(step.name.get(lang))
            st.table(rows)


def render() -> None:
    lang = state.lang()
    st.session_state.setdefault(STAGE, 0)
    examples = profile_io.examples()
    st.session_state.setdefault(CASE, examples[0])
    st.title(tr("workshop.title"))
    st.session_state["coopdec.workshop_case_choice"] = st.session_state[CASE]
    st.selectbox(
        tr("workshop.case"),
        examples,
        format_func=example_titles().__getitem__,
        key="coopdec.workshop_case_choice",
        on_change=_on_case,
    )
    st.session_state.setdefault(PROJECTOR, False)
    st.session_state["coopdec.workshop_projector_toggle"] = st.session_state[PROJECTOR]
    st.toggle(
        tr("workshop.projector"),
        key="coopdec.workshop_projector_toggle",
        on_change=_on_projector,
    )
    if st.session_state[PROJECTOR]:
        large_fonts()
    try:
        profile = profile_io.load_example(st.session_state[CASE], state.assessor().kb)
    except ProfileError as error:
        problems = user_text("; ".join(error.problems))
        st.error(tr("load.error", source=user_text(error.source), problems=problems))
        return
    stage = st.session_state[STAGE]
    st.progress(
        (stage + 1) / len(STAGES),
        text=tr(
            "workshop.stage",
            n=stage + 1,
            total=len(STAGES),
            name=tr(f"workshop.stage.{STAGES[stage]}"),
        ),
    )
    back, forward, restart = st.columns(3)
    back.button(tr("workshop.back"), on_click=_move, args=(-1,), disabled=stage == 0)
    forward.button(
        tr("workshop.next"),
        on_click=_move,
        args=(1,),
        disabled=stage == len(STAGES) - 1,
        type="primary",
    )
    restart.button(tr("workshop.restart"), on_click=lambda: st.session_state.update({STAGE: 0}))

    # one part at a time, as on a slide: the case's title, then the current part only
    if stage == 0:
        _context(profile)
    elif profile.title:
        st.caption(user_text(profile.title))
    if stage == 1:
        st.header(tr("workshop.stage.answers"))
        _answers(profile)
    if stage == 2:
        assessment = state.assessment(profile)
        st.header(tr("workshop.stage.verdict"))
        verdict_badge(assessment)
        method_ladder(assessment)
        approach_path(assessment)
        scores_chart(assessment)
        flags_by_severity(assessment)
    if stage == 3:
        st.header(tr("workshop.stage.why"))
        report = state.memo(
            "workshop.why",
            (st.session_state[CASE], lang),
            lambda: explain_why(state.assessor(), state.assessor().answers_for(profile), lang),
        )
        verdict_item = report.items[0]
        for note in verdict_item.notes:
            st.markdown(f"- {note}")
        rule_links(verdict_item.chain)
    if stage == 4:
        st.header(tr("workshop.stage.change"))
        paths = state.memo(
            "workshop.path",
            (st.session_state[CASE], lang),
            lambda: paths_to_next_level(
                state.assessor(), state.assessor().answers_for(profile), lang
            ),
        )
        path_list(paths, limit=3)
