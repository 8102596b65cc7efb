"""Atelier / Workshop: one shipped example walked through as slides for elected officials —
the context, the answers step by step, the verdict, the criteria and flags, why, and what would
change it — with a projector view that fits each slide on one screen (1920×1080 with no scroll):
sidebar and page header hidden, controls on one line, everything scaled to the screen's height,
long parts (a step's 22 answers, a chain of 9 rules) split over several slides.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from coopdec_expert.assessment import VERDICT_RANK
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.why import explain_why
from coopdec_expert.explain.whynot import TARGET_VERDICTS, why_not
from coopdec_expert.i18n import t, tn
from coopdec_expert.profile import Profile, ProfileError

from .. import profile_io, state
from ..state import tr
from ..widgets import (
    approach_path,
    blockers,
    experts_rule_ids,
    flags_by_severity,
    kb_text,
    method_ladder,
    path_list,
    projector_style,
    quote,
    scores_chart,
    user_text,
    verdict_badge,
)
from .assess import example_titles

CASE = "coopdec.workshop_case"
SLIDE = "coopdec.workshop_stage"
PROJECTOR = "coopdec.workshop_projector"
ANSWERS_PER_SLIDE = 8  # two columns of four: readable from the back of a room
RULES_PER_SLIDE = 3
PATHS_SHOWN = 3


@dataclass(frozen=True)
class Slide:
    """One screen of the workshop: its part, and what of it this slide shows."""

    part: str  # context | answers | verdict | criteria | why | change
    items: tuple = ()  # the questions (answers) or the chain's rule positions (why)
    step: str | None = None
    page: int = 1
    pages: int = 1


def _pages(items: list, size: int) -> list[tuple]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)] or [()]


def build_slides(profile: Profile, chain_length: int) -> list[Slide]:
    """The deck of a case: its answers split by step and by pages of ANSWERS_PER_SLIDE, the
    verdict's chain of rules by pages of RULES_PER_SLIDE."""
    kb = state.assessor().kb
    deck = [Slide("context")]
    for step in kb.steps.values():
        asked = [q for q in kb.questions if kb.questions[q].step == step.id]
        answered = [q for q in asked if q in profile.answers]
        if not answered:
            continue
        pages = _pages(answered, ANSWERS_PER_SLIDE)
        for page, items in enumerate(pages, start=1):
            deck.append(Slide("answers", items, step.id, page, len(pages)))
    deck += [Slide("verdict"), Slide("criteria")]
    pages = [(), *(_pages(list(range(chain_length)), RULES_PER_SLIDE) if chain_length else [])]
    deck += [Slide("why", items, None, page, len(pages)) for page, items in enumerate(pages, 1)]
    deck.append(Slide("change"))
    return deck


def slide_title(slide: Slide) -> str:
    """The slide's heading: its part, and for a step's answers the step and the page."""
    kb, lang = state.assessor().kb, state.lang()
    title = tr(f"workshop.stage.{slide.part}")
    if slide.step is not None:
        title = tr("workshop.answers_of", step=kb.steps[slide.step].name.get(lang))
    if slide.pages > 1:
        title += f" ({slide.page}/{slide.pages})"
    return title


def _on_case() -> None:
    st.session_state[CASE] = st.session_state["coopdec.workshop_case_choice"]
    st.session_state[SLIDE] = 0


def _on_projector() -> None:
    st.session_state[PROJECTOR] = st.session_state["coopdec.workshop_projector_toggle"]


def _move(delta: int, count: int) -> None:
    st.session_state[SLIDE] = max(0, min(count - 1, st.session_state[SLIDE] + delta))


def _why_report(profile: Profile):
    lang = state.lang()
    return state.memo(
        "workshop.why",
        (st.session_state[CASE], lang),
        lambda: explain_why(state.assessor(), state.assessor().answers_for(profile), lang),
    )


def _context(profile: Profile) -> None:
    if profile.title:
        st.header(user_text(profile.title))
    lines = []
    for side in ("south", "north"):
        government = getattr(profile, side)
        if government:
            name, country = user_text(government.name), user_text(government.country)
            label = t(state.lang(), f"report.{side}")
            lines.append("- " + tr("workshop.side", side=label, name=name, country=country))
    if lines:
        st.markdown("\n".join(lines))
    if profile.notes:
        st.info(user_text(profile.notes))


def _answers(profile: Profile, slide: Slide) -> None:
    kb, lang = state.assessor().kb, state.lang()
    columns = st.columns(2, gap="large")
    half = (len(slide.items) + 1) // 2
    for index, question_id in enumerate(slide.items):
        question = kb.questions[question_id]
        option = profile.answers[question_id]
        labels = {o.id: kb_text(o.label) for o in question.options}
        answer = labels.get(option, t(lang, "option.unknown"))
        with columns[0 if index < half else 1]:
            st.markdown(f"{kb_text(question.text)}  \n→ **{answer}**")


def _verdict(assessment) -> None:
    verdict_badge(assessment)
    st.subheader(tr("result.ladder"))
    method_ladder(assessment)
    st.subheader(tr("result.approach"))
    approach_path(assessment)


def _criteria(assessment, projector: bool) -> None:
    """Scores and flags side by side; the low flags go under the chart when the serious ones
    are many, so that the two columns share the screen's height."""
    serious = sum(f.severity in ("high", "medium") for f in assessment.flags)
    low = len(assessment.flags) - serious
    low_left = serious > low + 4
    left, right = st.columns([5, 6], gap="large")
    with left:
        st.subheader(tr("result.scores"))
        scores_chart(assessment, large=projector)
        if low_left:
            flags_by_severity(assessment, ("low",), quiet=True)
    with right:
        st.subheader(tr("result.flags"))
        flags_by_severity(assessment, ("high", "medium") if low_left else ("high", "medium", "low"))


def _why(profile: Profile, slide: Slide) -> None:
    """The verdict's reasons first, then the rules that led to it, a few per slide."""
    verdict_item = _why_report(profile).items[0]
    if not slide.items:
        st.markdown("\n".join(f"- {note}" for note in verdict_item.notes))
        if not verdict_item.chain:
            st.caption(tr("why.no_rules"))
        return
    links = [verdict_item.chain[i] for i in slide.items]
    for link in links:
        st.markdown(f"**{link.because}**")
        if link.answers:
            st.markdown(
                "\n".join(f"- {a.question_text} → *{a.option_label}*" for a in link.answers)
            )
        quote(link.source.section, link.source.quote)
    experts_rule_ids([link.rule for link in links])


def _change(profile: Profile, assessment) -> None:
    """The real blockers (context facts to find out or wait for) and the fewest changes that
    would change the verdict — never a path that leaves the verdict as it is."""
    lang = state.lang()
    report = state.memo(
        "workshop.path",
        (st.session_state[CASE], lang),
        lambda: paths_to_next_level(state.assessor(), state.assessor().answers_for(profile), lang),
    )
    if assessment.readiness.verdict == "ready":
        st.success(tr("workshop.already_ready"))
        return
    blockers(report)
    shown = path_list(report, limit=PATHS_SHOWN, verdict_only=True)
    if not shown:
        st.info(tn(lang, "ui.workshop.no_verdict_path", report.max_changes))
        _what_stands_in_the_way(profile, assessment)


def _what_stands_in_the_way(profile: Profile, assessment) -> None:
    """When no short path changes the verdict: what the next verdict up needs, headline by
    headline (the obstacles of `why_not`), so that the slide still says what would change it."""
    lang = state.lang()
    current = assessment.readiness.verdict
    above = [v for v in TARGET_VERDICTS if VERDICT_RANK[v] > VERDICT_RANK[current]]
    if not above:
        return
    report = why_not(state.assessor(), state.assessor().answers_for(profile), above[0], lang)
    headlines = list(dict.fromkeys(o.text for o in report.obstacles if o.code != "open_question"))
    if headlines:
        target = t(lang, f"verdict.{above[0]}")
        st.markdown(f"**{tr('workshop.for_verdict', verdict=target)}**")
        st.markdown("\n".join(f"- {text}" for text in headlines[:6]))


def _controls(deck: list[Slide], index: int, projector: bool) -> None:
    """Case, slide, previous / next / restart and the projector switch, on one line."""
    examples = profile_io.examples()
    case, where, back, forward, restart, toggle = st.columns(
        [6, 1.5, 2, 2, 2.4, 2.6], vertical_alignment="center", gap="small"
    )
    with case:
        st.session_state["coopdec.workshop_case_choice"] = st.session_state[CASE]
        st.selectbox(
            tr("workshop.case"),
            examples,
            format_func=example_titles().__getitem__,
            key="coopdec.workshop_case_choice",
            on_change=_on_case,
            label_visibility="collapsed",
        )
    with where, st.container(key="coopdec-slide-counter"):
        st.markdown(tr("workshop.stage", n=index + 1, total=len(deck)))
    back.button(
        tr("workshop.back"),
        on_click=_move,
        args=(-1, len(deck)),
        disabled=index == 0,
        icon=":material/arrow_back:",
        width="stretch",
    )
    forward.button(
        tr("workshop.next"),
        on_click=_move,
        args=(1, len(deck)),
        disabled=index == len(deck) - 1,
        type="primary",
        icon=":material/arrow_forward:",
        width="stretch",
    )
    restart.button(
        tr("workshop.restart"),
        on_click=lambda: st.session_state.update({SLIDE: 0}),
        width="stretch",
    )
    with toggle:
        st.session_state["coopdec.workshop_projector_toggle"] = projector
        st.toggle(
            tr("workshop.projector"),
            key="coopdec.workshop_projector_toggle",
            on_change=_on_projector,
        )


def render() -> None:
    st.session_state.setdefault(SLIDE, 0)
    st.session_state.setdefault(CASE, profile_io.examples()[0])
    projector = bool(st.session_state.setdefault(PROJECTOR, False))
    if projector:
        projector_style()
    else:
        st.title(tr("workshop.title"))
        st.caption(tr("workshop.intro"))
    try:
        profile = profile_io.load_example(st.session_state[CASE], state.assessor().kb)
    except ProfileError as error:
        problems = user_text("; ".join(error.problems))
        st.error(tr("load.error", source=user_text(error.source), problems=problems))
        return
    deck = build_slides(profile, len(_why_report(profile).items[0].chain))
    index = min(st.session_state[SLIDE], len(deck) - 1)
    st.session_state[SLIDE] = index
    _controls(deck, index, projector)
    slide = deck[index]

    # one part at a time, as on a slide
    with st.container(key="coopdec-slide"):
        if slide.part == "context":
            _context(profile)
            return
        if profile.title:
            st.caption(user_text(profile.title))
        st.header(slide_title(slide))
        assessment = state.assessment(profile)
        if slide.part == "answers":
            with st.container(key="coopdec-answers"):
                _answers(profile, slide)
        elif slide.part == "verdict":
            _verdict(assessment)
        elif slide.part == "criteria":
            _criteria(assessment, projector)
        elif slide.part == "why":
            _why(profile, slide)
        else:
            _change(profile, assessment)
