"""Évaluer / Assess: the guided interview, grouped by the method's steps.

Shown: the questions already answered (always editable) and those that can still change the
result (`Assessment.missing`, from Assessor.next_questions), the most decisive marked.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from coopdec_expert.i18n import t
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import Profile, ProfileError
from coopdec_expert.vocabulary import REQUESTER

from .. import profile_io, state
from ..state import tr
from ..widgets import user_text, verdict_badge

NOTICE = "coopdec.notice"  # (kind, catalogue key, values) of the last load, shown until the next
META_TEXT = "coopdec.meta_text"  # the partnership fields as typed
UPLOAD_KEY = "coopdec.upload"
EXAMPLE_KEY = "coopdec.example_choice"
META_FIELDS = ("title", "south_name", "south_country", "north_name", "north_country")


def problem_notice(error: ProfileError) -> tuple[str, str, dict]:
    """The message for a profile that cannot be used: the file and each problem, as the CLI
    names them (kept as key and values, so it follows the language)."""
    return ("error", "load.error", {"source": error.source, "problems": "; ".join(error.problems)})


def _loaded_notice(source: str, loaded: Profile) -> tuple[str, str, dict]:
    return ("success", "load.done", {"source": source, "n": len(loaded.answers)})


def load_upload(name: str, data: bytes) -> bool:
    """Replace the current profile by an uploaded one; on a bad file keep the answers and
    leave a message naming the problem. Returns whether the profile was loaded."""
    try:
        loaded = profile_io.read_uploaded_profile(name, data, state.assessor().kb, state.lang())
    except ProfileError as error:
        st.session_state[NOTICE] = problem_notice(error)
        return False
    _replace(loaded)
    st.session_state[NOTICE] = _loaded_notice(name, loaded)
    return True


def load_example(name: str) -> None:
    try:
        loaded = profile_io.load_example(name, state.assessor().kb)
    except ProfileError as error:
        st.session_state[NOTICE] = problem_notice(error)
        return
    _replace(loaded)
    st.session_state[NOTICE] = _loaded_notice(name, loaded)


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
    st.session_state[NOTICE] = ("success", "load.reset_done", {})


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
        st.session_state[NOTICE] = ("error", "meta.invalid", {"problem": error.errors()[0]["msg"]})
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
    with st.expander(tr("load.title"), expanded=not state.answers()):
        left, right = st.columns(2)
        with left:
            st.file_uploader(
                tr("load.upload"),  # no `type=`: our check names the problem in the message
                key=UPLOAD_KEY,
                max_upload_size=1,  # MB: profiles are small (MAX_PROFILE_BYTES)
                on_change=_on_upload,
                help=tr("load.upload_help"),
            )
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
    with st.expander(tr("meta.title")):
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


def render() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    st.title(tr("assess.title"))
    st.caption(tr("assess.intro"))
    notice = st.session_state.get(NOTICE)
    if notice:
        kind, key, values = notice  # file names, problems quoting values: the user's text
        shown = {name: user_text(value) for name, value in values.items()}
        (st.error if kind == "error" else st.success)(tr(key, **shown))
    _loading_panel()
    _partnership_panel()

    answers = state.answers()
    assessment = state.assessment()
    missing = [m.question for m in assessment.missing]
    open_left = [q for q in missing if q not in answers]
    answered = len(answers)
    total = answered + len(open_left)

    top_left, top_right = st.columns([3, 2])
    with top_left:
        verdict_badge(assessment)
        st.progress(
            answered / total if total else 1.0,
            text=tr("assess.progress", answered=answered, left=len(missing)),
        )
        if not missing:
            st.success(tr("assess.done"))
    with top_right:
        profile = state.profile()
        st.download_button(
            tr("assess.download_yaml"),
            data=profile_io.profile_yaml(profile),
            file_name=f"{profile_io.file_stem(profile)}.yaml",
            mime="application/x-yaml",
            icon=":material/download:",
            key="coopdec.download_yaml",
        )
        st.caption(tr("assess.see_result"))

    most_decisive = missing[0] if missing else None
    generation = st.session_state[state.GENERATION]
    unknown_label = t(lang, "option.unknown")
    for number, step in enumerate(kb.steps.values(), start=1):
        shown = [
            q
            for q in kb.questions.values()
            if q.step == step.id and (q.id in answers or q.id in missing or q.id == REQUESTER)
        ]
        if not shown:
            continue
        st.subheader(tr("assess.step", n=number, name=step.name.get(lang)))
        st.caption(step.description.get(lang))
        for question in shown:
            options = question.option_ids() + ([UNKNOWN] if question.accepts_unknown else [])
            labels = {o.id: o.label.get(lang) for o in question.options}
            labels[UNKNOWN] = unknown_label
            marks = []
            if question.id == most_decisive:
                marks.append(":material/star: " + tr("assess.most_decisive"))
            elif question.id in missing:
                marks.append(tr("assess.can_change"))
            if question.key:
                marks.append(tr("assess.key"))
            key = f"coopdec.q.{generation}.{lang}.{question.id}"
            current = answers.get(question.id)
            if question.id == REQUESTER and current is None:
                current = state.engine_answers()[REQUESTER]  # as the rules read it until answered
            st.radio(
                question.text.get(lang) + (f"  — *{' · '.join(marks)}*" if marks else ""),
                options,
                index=options.index(current) if current in options else None,
                format_func=labels.__getitem__,
                key=key,
                help=question.help.get(lang),
                on_change=_on_answer,
                args=(question.id, key),
            )
