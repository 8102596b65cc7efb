"""Résultat / Result: the verdict at a glance, the method ladder, scores, the approach path,
flags by severity, recommendations with their reasons and quotes, reports to download."""

from __future__ import annotations

from functools import partial

import streamlit as st

from coopdec_expert.explain.why import explain_why

from .. import profile_io, state
from ..state import tr
from ..widgets import (
    approach_path,
    flags_by_severity,
    method_ladder,
    quote,
    rule_links,
    scores_chart,
    user_text,
    verdict_badge,
)


def why_report():
    """explain_why of the current answers, memoised per answers and language."""
    answers = state.engine_answers()
    return state.memo(
        "why",
        (state.answers_key(answers), state.lang()),
        lambda: explain_why(state.assessor(), answers, state.lang()),
    )


def report_markdown() -> bytes:
    """The Markdown report of the current profile in the current language."""
    kb = state.assessor().kb
    return profile_io.report_markdown(state.assessment(), state.profile(), kb).encode("utf-8")


def report_pdf_maker():
    """A callable making the PDF of the same report when the button is clicked (it runs off
    the script thread, so everything it needs is captured now)."""
    kb, assessment, profile = state.assessor().kb, state.assessment(), state.profile()
    return partial(profile_io.report_pdf, assessment, profile, kb)


def render() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    assessment = state.assessment()
    profile = state.profile()
    st.title(tr("result.title"))
    if profile.title:
        st.caption(user_text(profile.title))
    if not profile.answers:
        st.info(tr("result.empty"))

    verdict_badge(assessment)
    for reason in assessment.readiness.reasons:
        st.markdown(f"- {reason.text}")

    st.subheader(tr("result.ladder"))
    method_ladder(assessment)

    left, right = st.columns(2)
    with left:
        st.subheader(tr("result.scores"))
        scores_chart(assessment)
    with right:
        st.subheader(tr("result.flags"))
        flags_by_severity(assessment)

    st.subheader(tr("result.approach"))
    approach_path(assessment)

    st.subheader(tr("result.recommendations"))
    if not assessment.recommendations:
        st.success(tr("result.no_recommendations"))
    items = {(i.kind, i.id): i for i in why_report().items}
    for rec in assessment.recommendations:
        step = kb.steps[rec.step].name.get(lang)
        with st.expander(tr("result.rec_title", priority=rec.priority, text=rec.text)):
            st.caption(tr("result.rec_step", step=step))
            item = items.get(("recommendation", rec.id))
            if item is not None:
                for note in item.notes[1:]:
                    st.markdown(f"- {note}")
                st.markdown(f"**{tr('result.because')}**")
                rule_links(item.chain)
            st.markdown(f"**{tr('result.source')}**")
            quote(rec.source.section, rec.source.quote)

    st.subheader(tr("result.downloads"))
    stem = profile_io.file_stem(profile)
    md_col, pdf_col = st.columns(2)
    with md_col:
        st.download_button(
            tr("result.download_md"),
            data=report_markdown(),
            file_name=f"{stem}-{lang}.md",
            mime="text/markdown",
            icon=":material/description:",
            key="coopdec.download_md",
        )
    with pdf_col:
        st.download_button(
            tr("result.download_pdf"),
            data=report_pdf_maker(),
            file_name=f"{stem}-{lang}.pdf",
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key="coopdec.download_pdf",
        )
