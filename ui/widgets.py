"""Shared displays: verdict badge, method ladder, approach path, scores chart, flags,
why-chains. Colours and layout only; every text comes from the kb or the `ui.` catalogue."""

from __future__ import annotations

import html
import re

import altair as alt
import pandas as pd
import streamlit as st

from coopdec_expert.assessment import Assessment
from coopdec_expert.explain.models import PathReport, RuleLink
from coopdec_expert.i18n import t
from coopdec_expert.knowledge.models import APPROACHES, STEPS
from coopdec_expert.report import markdown_escape

from .state import assessor, lang, tr

VERDICT_COLOURS = {
    "ready": "#1b7f3b",
    "conditional": "#c77700",
    "not_ready": "#b3261e",
    "insufficient_information": "#5f6b7a",
}
SEVERITY_BOX = {"high": st.error, "medium": st.warning, "low": st.info}


# GitHub-flavoured Markdown (Streamlit's) turns bare `https://…`, `www.…` and e-mail addresses
# into live links, and `$…$` into formulas: a backslash before ':' '.' '@' '$' keeps them text.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]):(?=//)|(?<=www)\.|[@$]")


def user_text(value: object) -> str:
    """What a user typed or uploaded (a title, a file name, an id, a message quoting them), for
    every element that renders Markdown (st.markdown, st.error, st.caption, st.header…): shown
    as typed, never as a link, an image, HTML or formatting."""
    return _AUTOLINK.sub(r"\\\g<0>", markdown_escape(value))


def _esc(text: object) -> str:
    return html.escape(str(text))


def verdict_badge(assessment: Assessment) -> None:
    verdict = assessment.readiness.verdict
    st.markdown(
        f'<div class="coopdec-verdict" data-verdict="{verdict}" '
        f'style="background:{VERDICT_COLOURS[verdict]};color:#fff;padding:0.6em 1em;'
        f'border-radius:0.5em;font-size:1.6em;font-weight:700;display:inline-block">'
        f"{_esc(tr('result.badge', verdict=assessment.readiness.verdict_label))}</div>",
        unsafe_allow_html=True,
    )


def _chain_of_boxes(items: list[tuple[str, str]], arrow: str = "→") -> str:
    """Boxes joined by arrows; `state` is done / presumed / current / todo / placed / other."""
    styles = {
        "done": "background:#d8f0de;border:2px solid #1b7f3b;color:#123",
        "presumed": "background:#eef7f0;border:2px dashed #1b7f3b;color:#123",
        "current": "background:#fff4d6;border:3px solid #c77700;font-weight:700;color:#000",
        "todo": "background:#f2f2f2;border:1px dashed #999;color:#555",
        "placed": "background:#dde8ff;border:3px solid #1d4ed8;font-weight:700;color:#000",
        "other": "background:#f7f7f7;border:1px solid #bbb;color:#555",
    }
    boxes = [
        f'<div style="{styles[state]};padding:0.5em 0.6em;border-radius:0.4em;'
        f'flex:1;min-width:7.5em;text-align:center;font-size:0.9em;hyphens:auto">{label}</div>'
        for label, state in items
    ]
    joined = f'<div style="align-self:center;font-size:1.3em">{arrow}</div>'.join(boxes)
    return f'<div style="display:flex;gap:0.4em;flex-wrap:wrap;margin:0.5em 0">{joined}</div>'


def method_ladder(assessment: Assessment) -> None:
    """The six steps of the method, done ones ticked, the next step marked."""
    kb = assessor().kb
    done = set(assessment.readiness.steps_done)
    presumed = set(assessment.readiness.steps_presumed)
    items = []
    for number, step in enumerate(STEPS, start=1):
        name = _esc(kb.steps[step].name.get(lang()))
        if step == assessment.readiness.next_step and step not in done:
            state, mark = "current", "▶ " + _esc(tr("result.next_step_mark"))
        elif step in done:
            state, mark = "done", "✓ " + _esc(tr("result.step_done"))
        elif step in presumed:
            state, mark = "presumed", "? " + _esc(tr("result.step_presumed"))
        elif step == assessment.readiness.next_step:
            state, mark = "current", "▶ " + _esc(tr("result.next_step_mark"))
        else:
            state, mark = "todo", ""
        items.append((f"{number}. {name}<br><small>{mark}</small>", state))
    st.markdown(_chain_of_boxes(items), unsafe_allow_html=True)


def approach_path(assessment: Assessment) -> None:
    """The seed's path humanitarian → development → institutional support → mutual interest."""
    kb = assessor().kb
    items = []
    for approach in APPROACHES:
        name = _esc(kb.approaches[approach].name.get(lang()))
        if approach == assessment.approach:
            items.append((f"{name}<br><small>◆ {_esc(tr('result.here'))}</small>", "placed"))
        else:
            items.append((name, "other"))
    st.markdown(_chain_of_boxes(items), unsafe_allow_html=True)
    if assessment.approach is None:
        st.caption(tr("result.approach_unknown"))


def scores_chart(assessment: Assessment) -> None:
    rows = [
        {
            tr("result.area"): s.name,
            tr("result.score"): s.score or 0,
            tr("result.level"): (
                f"{s.score} — {s.label}"
                + (f" ({tr('result.partial')})" if s.status == "partial" else "")
                if s.assessed
                else s.label
            ),
            "assessed": s.assessed,
        }
        for s in assessment.scores
    ]
    frame = pd.DataFrame(rows)
    area, score, level = tr("result.area"), tr("result.score"), tr("result.level")
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(
        x=alt.X(
            f"{score}:Q",
            scale=alt.Scale(domain=[0, 3.9]),  # room for the labels after the bars
            axis=alt.Axis(values=[0, 1, 2, 3], format="d"),
        ),
        y=alt.Y(f"{area}:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.Color(
            f"{score}:Q",
            scale=alt.Scale(domain=[0, 3], range=["#b3261e", "#1b7f3b"]),
            legend=None,
        ),
        tooltip=[area, score, level],
    )
    labels = base.mark_text(align="left", dx=4).encode(
        x=alt.X(f"{score}:Q"), y=alt.Y(f"{area}:N", sort=None), text=f"{level}:N"
    )
    chart = (bars + labels).properties(height=alt.Step(34))
    st.altair_chart(chart, width="stretch")
    not_assessed = [s.name for s in assessment.scores if s.status == "not_assessed"]
    if not_assessed:
        st.caption(tr("result.not_assessed", areas=", ".join(not_assessed)))


def flags_by_severity(assessment: Assessment) -> None:
    if not assessment.flags:
        st.success(tr("result.no_flags"))
        return
    for severity in ("high", "medium", "low"):
        flags = [f for f in assessment.flags if f.severity == severity]
        if not flags:
            continue
        lines = "\n".join(f"- {f.text}" for f in flags)
        SEVERITY_BOX[severity](
            f"**{tr('severity', level=t(lang(), f'severity.{severity}'))}**\n\n{lines}"
        )


def quote(section: str, text: str) -> None:
    st.markdown(f"> « {text} »  \n> — {tr('source_section', section=section)}")


def rule_links(links: list[RuleLink]) -> None:
    """A why-chain: each fired rule with its because, the answers it matched and its quote."""
    if not links:
        st.caption(tr("why.no_rules"))
        return
    for link in links:
        st.markdown(f"**{link.because}**  \n`{link.rule}`")
        for used in link.answers:
            st.markdown(f"- {used.question_text} → *{used.option_label}*")
        for fact in link.facts:
            st.markdown(f"- {tr('why.fact', fact=fact)}")
        quote(link.source.section, link.source.quote)


def large_fonts() -> None:
    """Projector view: larger text everywhere on the page."""
    st.markdown(
        "<style>.stMainBlockContainer p, .stMainBlockContainer li, "
        ".stMainBlockContainer td, .stMainBlockContainer label {font-size:1.45rem !important}"
        " .stMainBlockContainer h1 {font-size:3rem} .stMainBlockContainer h2 {font-size:2.4rem}"
        " .coopdec-verdict {font-size:2.4em !important}</style>",
        unsafe_allow_html=True,
    )


def path_list(report: PathReport, limit: int) -> None:
    """The smallest sets of answer changes to the next level, each verified by the engine."""
    kb = assessor().kb
    if not report.paths:
        st.info(t(lang(), "explain.no_path", n=report.max_changes))
    for number, path in enumerate(report.paths[:limit], start=1):
        verdict = t(lang(), f"verdict.{path.verdict}")
        step = kb.steps[path.next_step].name.get(lang())
        changes = len(path.changes)
        st.markdown(tr("why.path", n=number, changes=changes, verdict=verdict, step=step))
        for change in path.changes:
            before, after = change.before_label, change.after_label
            st.markdown(f"  - {change.question_text}: *{before}* → **{after}**")
