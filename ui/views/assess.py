"""Évaluer / Assess: the guided interview, grouped by the method's steps.

Never a dead end: the questions the verdict's reasons name are always on the page, and "nothing
can change the result" is said only when `Assessment.missing` is empty. The next decisive
question (the first unanswered one of `missing`, from Assessor.next_questions) comes first, in
its own box; each step then shows its answered questions and those that can still change the
result; the relevant questions that stopped mattering stay answerable, folded away in the step
("answers never lost": answers live in the session, not in the widgets). The verdict and the
progress stay in view in the sidebar while answering.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from coopdec_expert.assessment import Assessment
from coopdec_expert.i18n import t, tn
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import Profile, ProfileError, field_message
from coopdec_expert.vocabulary import REQUESTER

from .. import profile_io, state
from ..state import tr
from ..widgets import kb_text, summary_card, user_text

NOTICE = "coopdec.notice"  # (kind, catalogue key, values, answers when given): until they change
META_TEXT = "coopdec.meta_text"  # the partnership fields as typed
UPLOAD_KEY = "coopdec.upload"
EXAMPLE_KEY = "coopdec.example_choice"
META_FIELDS = ("title", "south_name", "south_country", "north_name", "north_country")


def problem_notice(error: ProfileError) -> tuple[str, str, dict]:
    """The message for a profile that cannot be used: the file and each problem, as the CLI
    names them (kept as key and values, so it follows the language)."""
    return ("error", "load.error", {"source": error.source, "problems": error.problems})


def _notify(notice: tuple[str, str, dict]) -> None:
    """A notice about the last load, shown until the answers change (then it is stale)."""
    st.session_state[NOTICE] = (*notice, state.answers_key())


def _loaded_notice(source: str, loaded: Profile) -> tuple[str, str, dict]:
    return ("success", "load.done", {"source": source, "n": len(loaded.answers)})


def load_upload(name: str, data: bytes) -> bool:
    """Replace the current profile by an uploaded one; on a bad file keep the answers and
    leave a message naming the problem. Returns whether the profile was loaded."""
    try:
        loaded = profile_io.read_uploaded_profile(name, data, state.assessor().kb, state.lang())
    except ProfileError as error:
        _notify(problem_notice(error))
        return False
    _replace(loaded)
    _notify(_loaded_notice(name, loaded))
    return True


def load_example(name: str) -> None:
    try:
        loaded = profile_io.load_example(name, state.assessor().kb)
    except ProfileError as error:
        _notify(problem_notice(error))
        return
    _replace(loaded)
    _notify(_loaded_notice(name, loaded))


def _replace(loaded: Profile) -> None:
    state.replace_profile(loaded)
    st.session_state[META_TEXT] = {
        "title": loaded.title or "",
        "south_name": loaded.south.name if loaded.south else "",
        "south_country": loaded.south.country if loaded.south else "",
        "north_name": loaded.north.name if loaded.north else "",
        "north_country": loaded.north.country if loaded.north else "",
    }


def _on_upload() -> None:
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is not None:
        load_upload(uploaded.name, uploaded.getvalue())


def _on_example() -> None:
    choice = st.session_state.get(EXAMPLE_KEY)
    if choice:
        load_example(choice)


def _on_reset() -> None:
    _replace(Profile())
    _notify(("success", "load.reset_done", {}))


def _on_answer(question_id: str, widget_key: str) -> None:
    state.set_answer(question_id, st.session_state.get(widget_key))


def _on_meta(field: str, widget_key: str) -> None:
    typed = dict(st.session_state.get(META_TEXT, {}))
    typed[field] = (st.session_state.get(widget_key) or "").strip()
    st.session_state[META_TEXT] = typed
    update: dict = {"title": typed.get("title") or None}
    current = state.profile()
    for side in ("south", "north"):
        name, country = typed.get(f"{side}_name"), typed.get(f"{side}_country")
        kept = getattr(current, side)  # its other fields (kind) stay as loaded
        fields = kept.model_dump() if kept else {}
        update[side] = {**fields, "name": name, "country": country} if name and country else None
    try:
        meta = Profile.model_validate(
            {**current.model_dump(exclude_none=True), **update, "answers": {}}
        )
    except ValidationError as error:
        problem = field_message(error.errors()[0], state.lang())
        _notify(("error", "meta.invalid", {"problem": problem}))
        return
    state.set_meta(title=meta.title, south=meta.south, north=meta.north)


def example_titles() -> dict[str, str]:
    """Each shipped example file with its title, for the select boxes."""
    return state.memo(
        "example_titles",
        None,
        lambda: profile_io.example_titles(state.assessor().kb),
    )


def _loading_panel() -> None:
    generation = st.session_state[state.GENERATION]  # a new profile: the panel folds again
    with st.expander(
        tr("load.title"), expanded=not state.answers(), key=f"coopdec.load_panel.{generation}"
    ):
        left, right = st.columns(2)
        with left:
            st.file_uploader(
                tr("load.upload"),  # no `type=`: our check names the problem in the message
                key=UPLOAD_KEY,
                max_upload_size=1,  # MB: profiles are small (MAX_PROFILE_BYTES)
                on_change=_on_upload,
            )
            st.caption(tr("load.upload_help"))
        with right:
            st.selectbox(
                tr("load.example"),
                profile_io.examples(),
                format_func=example_titles().__getitem__,
                index=None,
                placeholder=tr("load.example_placeholder"),
                key=EXAMPLE_KEY,
                on_change=_on_example,
            )
            st.button(tr("load.reset"), on_click=_on_reset, icon=":material/restart_alt:")


def _partnership_panel() -> None:
    generation = st.session_state[state.GENERATION]
    typed = st.session_state.setdefault(META_TEXT, {})
    with st.expander(tr("meta.title"), key="coopdec.meta_panel"):
        st.text_input(
            tr("meta.field.title"),
            value=typed.get("title", ""),
            key=f"coopdec.meta.{generation}.title",
            on_change=_on_meta,
            args=("title", f"coopdec.meta.{generation}.title"),
        )
        south, north = st.columns(2)
        for column, side in ((south, "south"), (north, "north")):
            with column:
                for part in ("name", "country"):
                    field = f"{side}_{part}"
                    key = f"coopdec.meta.{generation}.{field}"
                    st.text_input(
                        tr(f"meta.field.{field}"),
                        value=typed.get(field, ""),
                        key=key,
                        on_change=_on_meta,
                        args=(field, key),
                    )


def _notice() -> None:
    notice = st.session_state.get(NOTICE)
    if not notice:
        return
    kind, key, values, answers_then = notice
    if answers_then != state.answers_key():  # the answers changed since: no longer true
        st.session_state.pop(NOTICE, None)
        return
    shown = dict(values)  # file names, problems quoting values: the user's text
    if "problems" in shown:
        shown["problems"] = "\n".join(f"- {user_text(p)}" for p in values["problems"])
    shown = {
        name: value if name == "problems" else user_text(value) for name, value in shown.items()
    }
    if key == "load.done":
        text = tn(state.lang(), "ui.load.loaded", values["n"], source=shown["source"])
    else:
        text = tr(key, **shown)
    (st.error if kind == "error" else st.success)(text)


def named_by_verdict(assessment: Assessment) -> list[str]:
    """The questions the verdict's reasons rest on, in their order."""
    return list(dict.fromkeys(q for r in assessment.readiness.reasons for q in r.questions))


def page_plan(assessment: Assessment, answers: dict[str, str]) -> dict[str, object]:
    """Which question goes where: the next one to ask, those shown in their step, those folded
    away because they can no longer change the result. Only what the assessment says."""
    missing = [m.question for m in assessment.missing]
    named = [q for q in named_by_verdict(assessment) if q not in answers or q in missing]
    unanswered = [q for q in missing if q not in answers]
    next_question = unanswered[0] if unanswered else None
    # who requests is always in view: every other question is routed by it
    shown = set(answers) | set(missing) | set(named) | {REQUESTER}
    folded = [q for q in assessment.relevant_questions if q not in shown]
    return {
        "missing": missing,
        "named": set(named),
        "next": next_question,
        "shown": shown - {next_question},
        "folded": set(folded),
    }


def _question(question, answers: dict[str, str], marks: list[str], where: str = "") -> None:
    lang = state.lang()
    options = question.answer_ids()
    labels = {o.id: kb_text(o.label) for o in question.options}
    labels[UNKNOWN] = t(lang, "option.unknown")
    generation = st.session_state[state.GENERATION]
    key = f"coopdec.q.{generation}.{lang}.{question.id}"
    current = answers.get(question.id)
    if question.id == REQUESTER and current is None:
        current = state.engine_answers()[REQUESTER]  # as the rules read it until answered
    label = kb_text(question.text) + (f"  — *{' · '.join(marks)}*" if marks else "")
    st.radio(
        label + where,
        options,
        index=options.index(current) if current in options else None,
        format_func=labels.__getitem__,
        key=key,
        help=kb_text(question.help) or None,
        on_change=_on_answer,
        args=(question.id, key),
    )


def _marks(question, plan: dict, answers: dict[str, str]) -> list[str]:
    marks = []
    if question.id in plan["named"]:
        marks.append(tr("assess.named"))
    elif question.id in plan["missing"] and answers.get(question.id) == UNKNOWN:
        marks.append(tr("assess.still_open"))
    if question.key:
        marks.append(tr("assess.key"))
    return marks


def _next_question_box(assessment: Assessment, plan: dict, answers: dict[str, str]) -> None:
    kb, lang = state.assessor().kb, state.lang()
    with st.container(border=True, key="coopdec-next-question"):
        if plan["next"] is not None:
            question = kb.questions[plan["next"]]
            st.markdown(f"**:material/arrow_forward: {tr('assess.next_question')}**")
            step_number = list(kb.steps).index(question.step) + 1
            step = kb.steps[question.step].name.get(lang)
            st.caption(tr("assess.next_question_where", n=step_number, step=step))
            _question(question, answers, _marks(question, plan, answers))
        elif plan["missing"]:  # every open question that matters was answered "don't know"
            st.info(tn(lang, "ui.assess.only_unknown_left", len(plan["missing"])))
        else:
            st.success(tr("assess.done"))


def render() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    st.title(tr("assess.title"))
    st.caption(tr("assess.intro"))
    _notice()
    answers = state.answers()
    assessment = state.assessment()
    plan = page_plan(assessment, answers)
    with st.sidebar:
        summary_card(assessment, len(answers), len(plan["missing"]))
    _next_question_box(assessment, plan, answers)  # first: what to do now
    _loading_panel()
    _partnership_panel()
    left, right = st.columns([2, 3], vertical_alignment="center")
    with left:
        profile = state.profile()
        st.download_button(
            tr("assess.download_yaml"),
            data=profile_io.profile_yaml(profile),
            file_name=f"{profile_io.file_stem(profile, tr('file.profile'))}.yaml",
            mime="application/x-yaml",
            icon=":material/download:",
            key="coopdec.download_yaml",
            on_click="ignore",
        )
    with right:
        st.caption(tr("assess.see_result"))

    for number, step in enumerate(kb.steps.values(), start=1):
        in_step = [q for q in kb.questions.values() if q.step == step.id]
        shown = [q for q in in_step if q.id in plan["shown"]]
        folded = [q for q in in_step if q.id in plan["folded"]]
        if not shown and not folded:
            continue
        st.subheader(tr("assess.step", n=number, name=step.name.get(lang)))
        st.caption(step.description.get(lang))
        for question in shown:
            _question(question, answers, _marks(question, plan, answers))
        if folded:
            label = tn(lang, "ui.assess.folded", len(folded))
            with st.expander(label, key=f"coopdec.folded.{step.id}"):
                st.caption(tr("assess.folded_help"))
                for question in folded:
                    _question(question, answers, [])
