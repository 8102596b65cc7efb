"""Résultat / Result: the verdict at a glance, the method ladder, scores, the approach path,
flags by severity, recommendations with their reasons and quotes, reports to download."""

from __future__ import annotations

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


def report_pdf(markdown: bytes) -> bytes:
    """The PDF of the same report, made now (not when the button is clicked: a deferred file
    could be gone by then if another click reran the page), once per report text."""
    profile = state.profile()
    return _pdf_of(markdown.decode("utf-8"), profile.title or profile.id or "coopdec-expert")


@st.cache_data(max_entries=64, show_spinner=False)
def _pdf_of(markdown: str, title: str) -> bytes:
    return profile_io.markdown_pdf(markdown, title)


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
    stem = profile_io.file_stem(profile, tr("file.report"))
    markdown = report_markdown()
    md_col, pdf_col = st.columns(2)
    # on_click="ignore": a download does not rerun the page, so the other button's file stays
    # where the browser will ask for it; the bytes are made now, their address is stable.
    with md_col:
        st.download_button(
            tr("result.download_md"),
            data=markdown,
            file_name=f"{stem}-{lang}.md",
            mime="text/markdown",
            icon=":material/description:",
            key="coopdec.download_md",
            on_click="ignore",
        )
    with pdf_col:
        st.download_button(
            tr("result.download_pdf"),
            data=report_pdf(markdown),
            file_name=f"{stem}-{lang}.pdf",
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key="coopdec.download_pdf",
            on_click="ignore",
        )
