"""Shared displays: verdict badge, method ladder, approach path, scores chart, flags,
why-chains. Colours and layout only; every text comes from the kb or the `ui.` catalogue."""

from __future__ import annotations

import html
import re
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from coopdec_expert.assessment import Assessment
from coopdec_expert.explain.models import PathReport, Requirement, RuleLink
from coopdec_expert.i18n import french_spacing, t, tn
from coopdec_expert.knowledge.models import APPROACHES, STEPS, UNKNOWN
from coopdec_expert.report import markdown_escape

from .state import assessor, lang, tr

HERE = Path(__file__).resolve().parent

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


def kb_text(text) -> str:
    """A text of the knowledge base (question, option, flag…) in the page's language, with
    French spacing in French."""
    value = text.get(lang()) if text is not None else ""
    return french_spacing(value) if lang() == "fr" and value else value


def verdict_badge(assessment: Assessment, size: str = "1.6em") -> None:
    verdict = assessment.readiness.verdict
    st.markdown(
        f'<div class="coopdec-verdict" data-verdict="{verdict}" '
        f'style="background:{VERDICT_COLOURS[verdict]};color:#fff;padding:0.45em 0.9em;'
        f'border-radius:0.5em;font-size:{size};font-weight:700;display:inline-block">'
        f"{_esc(tr('result.badge', verdict=assessment.readiness.verdict_label))}</div>",
        unsafe_allow_html=True,
    )


def summary_card(assessment: Assessment, answered: int, left: int) -> None:
    """The verdict, the next step and the progress of the interview, kept in view (in the
    sidebar) while answering, with a link to the detailed result."""
    code = lang()
    total = answered + left
    text = tn(code, "ui.assess.answered", answered)
    text += " · " + (tn(code, "ui.assess.left", left) if left else tr("assess.nothing_left"))
    with st.container(key="coopdec-summary"):
        st.markdown(f"**{tr('assess.summary')}**")
        verdict_badge(assessment, size="1.05em")
        st.progress(answered / total if total else 1.0, text=text)
        st.caption(tr("assess.summary_step", step=assessment.readiness.next_step_label))
    st.page_link(
        str(HERE / "page_scripts" / "result.py"),
        label=tr("assess.see_result_link"),
        icon=":material/verified:",
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
    return (
        '<div class="coopdec-boxes" style="display:flex;gap:0.4em;flex-wrap:wrap;'
        f'margin:0.5em 0">{joined}</div>'
    )


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


def scores_chart(assessment: Assessment, large: bool = False) -> None:
    """The six criteria as bars (0-3), each labelled with its level; "not assessed" criteria
    shown apart. `large`: for a projector (bigger text, taller bars)."""
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
    font = 17 if large else 12
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(
        x=alt.X(
            f"{score}:Q",
            scale=alt.Scale(domain=[0, 4.6]),  # room for the labels after the bars
            axis=alt.Axis(values=[0, 1, 2, 3], format="d", labelFontSize=font),
            title=None,
        ),
        y=alt.Y(
            f"{area}:N",
            sort=None,
            title=None,
            axis=alt.Axis(labelLimit=0, labelFontSize=font),
        ),
        color=alt.Color(
            f"{score}:Q",
            scale=alt.Scale(domain=[0, 3], range=["#b3261e", "#1b7f3b"]),
            legend=None,
        ),
        tooltip=[area, score, level],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=font).encode(
        x=alt.X(f"{score}:Q"), y=alt.Y(f"{area}:N", sort=None), text=f"{level}:N"
    )
    chart = (bars + labels).properties(height=alt.Step(44 if large else 34))
    st.altair_chart(chart, width="stretch")
    not_assessed = [s.name for s in assessment.scores if s.status == "not_assessed"]
    if not_assessed:
        st.caption(tr("result.not_assessed", areas=", ".join(not_assessed)))


def flags_by_severity(
    assessment: Assessment, severities: tuple[str, ...] = ("high", "medium", "low"), quiet=False
) -> None:
    """The flags raised, in one box per severity (those asked); `quiet`: nothing when none."""
    if not any(f.severity in severities for f in assessment.flags):
        if not quiet:
            st.success(tr("result.no_flags"))
        return
    for severity in severities:
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
    """A why-chain: each fired rule's *because*, the answers it matched and its quote; the rule
    ids (for experts, who look them up in the knowledge base) folded at the end."""
    if not links:
        st.caption(tr("why.no_rules"))
        return
    for link in links:
        st.markdown(f"**{link.because}**")
        for used in link.answers:
            st.markdown(f"- {used.question_text} → *{used.option_label}*")
        for fact in link.facts:
            st.markdown(f"- {tr('why.fact', fact=fact)}")
        quote(link.source.section, link.source.quote)
    experts_rule_ids([link.rule for link in links])


def experts_rule_ids(rules: list[str]) -> None:
    """The ids of the rules behind what is shown, folded away: elected officials do not need
    them, rule authors find them in the knowledge base."""
    if rules:
        with st.expander(tr("why.rule_ids")):
            st.markdown(" · ".join(f"`{r}`" for r in dict.fromkeys(rules)))


def requirement_line(requirement: Requirement) -> str:
    """An answer that would have to change: what it is now and the better answers that would
    do; "to answer" for an open question any answer of which would do."""
    code = lang()
    question = assessor().kb.questions[requirement.question]
    open_now = requirement.current in ("unanswered", UNKNOWN)
    context = "" if requirement.actionable else f" ({t(code, 'explain.context')})"
    if open_now and set(requirement.needed) >= set(question.option_ids()):
        return tr("why.requirement_open", question=requirement.question_text) + context
    return (
        tr(
            "why.requirement",
            question=requirement.question_text,
            now=requirement.current_label,
            needed=" / ".join(requirement.needed_labels),
        )
        + context
    )


PROJECTOR_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {
  display: none !important;
}
html { font-size: clamp(12px, 1.8vh, 30px) !important; }
.stMainBlockContainer { padding: 0.8rem 2.5rem 0.4rem !important; max-width: 100% !important; }
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer label,
.stMainBlockContainer [data-testid="stMarkdownContainer"] { font-size: 1.08rem; }
.st-key-coopdec-slide h2 { font-size: 2.1rem; padding-top: 0.2rem; }
.st-key-coopdec-slide h3 { font-size: 1.45rem; }
.st-key-coopdec-slide blockquote p { font-size: 0.95rem; }
.st-key-coopdec-slide [data-testid="stCaptionContainer"] p { font-size: 0.95rem; }
.st-key-coopdec-slide .coopdec-verdict { font-size: 2.3rem !important; }
.st-key-coopdec-slide .coopdec-boxes div { font-size: 1.05rem; }
.st-key-coopdec-answers p { font-size: 1.3rem !important; line-height: 1.45; }
.st-key-coopdec-slide [data-testid="stAlert"] li { margin-bottom: 0.1rem; }
</style>"""


def projector_style() -> None:
    """Projector view: the sidebar and Streamlit's header hidden, text scaled to the screen's
    height, so that each slide fits one screen."""
    st.html(PROJECTOR_CSS)


def path_list(report: PathReport, limit: int, verdict_only: bool = False) -> int:
    """The smallest sets of answer changes to the next level, each verified by the engine and
    saying what it moves; `verdict_only` keeps those that change the verdict. Returns how many
    were shown."""
    kb, code = assessor().kb, lang()
    paths = [p for p in report.paths if "verdict" in p.moves or not verdict_only]
    for number, path in enumerate(paths[:limit], start=1):
        verdict = t(code, f"verdict.{path.verdict}")
        step = kb.steps[path.next_step].name.get(code)
        if "verdict" in path.moves:
            goal = tr("why.path_verdict", verdict=verdict, step=step)
        else:
            goal = tr("why.path_step", verdict=verdict, step=step)
        changes = tn(code, "ui.why.changes", len(path.changes))
        st.markdown(tr("why.path", n=number, changes=changes, goal=goal))
        lines = [
            "- "
            + tr(
                "why.change_line",
                question=change.question_text,
                before=change.before_label,
                after=change.after_label,
            )
            for change in path.changes
        ]
        st.markdown("\n".join(lines))
    return min(len(paths), limit)


def blockers(report: PathReport) -> None:
    """The context facts that block the next level: to find out or wait for, not to change."""
    if report.blocked_by_context:
        st.markdown(f"**{t(lang(), 'explain.blocked')}**")
        st.markdown("\n".join(f"- {requirement_line(r)}" for r in report.blocked_by_context))
