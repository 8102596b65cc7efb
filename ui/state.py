"""Session state of the app under its own keys, the cached assessor and per-answers memos.

Answers live in `st.session_state[ANSWERS]`, never only in widget keys (Streamlit deletes the
state of widgets that are not rendered), so they survive page and language changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from coopdec_expert.assessment import Assessment
from coopdec_expert.engine.assess import Assessor, default_assessor
from coopdec_expert.i18n import t
from coopdec_expert.profile import Profile
from coopdec_expert.serve import wait_until_warm

LANG = "coopdec.lang"
ANSWERS = "coopdec.answers"
META = "coopdec.meta"  # the profile without its answers
GENERATION = "coopdec.generation"  # bumped when answers are replaced: fresh widget keys
MEMO = "coopdec.memo"


@st.cache_resource(show_spinner=False)
def assessor() -> Assessor:
    """One assessor (one experta engine) per server process, warmed on the empty profile,
    whose `missing` analysis is the slowest (its outcomes are then cached)."""
    wait_until_warm()  # `coopdec ui` may be building it already: share it, do not build twice
    shared = default_assessor()
    shared.assess(Profile(), "fr")
    return shared


def init() -> None:
    st.session_state.setdefault(LANG, "fr")
    st.session_state.setdefault(ANSWERS, {})
    st.session_state.setdefault(META, Profile())
    st.session_state.setdefault(GENERATION, 0)
    st.session_state.setdefault(MEMO, {})


def lang() -> str:
    return st.session_state.get(LANG, "fr")


def tr(key: str, **values: object) -> str:
    """An interface text of the `ui.` catalogue in the current language."""
    return t(lang(), f"ui.{key}", **values)


def answers() -> dict[str, str]:
    return dict(st.session_state[ANSWERS])


def set_answer(question_id: str, option: str | None) -> None:
    current = dict(st.session_state[ANSWERS])
    if option is None:
        current.pop(question_id, None)
    else:
        current[question_id] = option
    st.session_state[ANSWERS] = current


def profile() -> Profile:
    """The current profile: metadata plus the answers."""
    return st.session_state[META].model_copy(update={"answers": answers()})


def engine_answers() -> dict[str, str]:
    """The answers the rules read: the profile's, with who requests, without the answers to
    questions that do not apply (Assessor.answers_for)."""
    return assessor().answers_for(profile())


def replace_profile(new: Profile) -> None:
    """Load a whole profile (file, example, reset): the answer widgets start afresh."""
    st.session_state[META] = new.model_copy(update={"answers": {}})
    st.session_state[ANSWERS] = dict(new.answers)
    st.session_state[GENERATION] += 1


def set_meta(**fields: Any) -> None:
    st.session_state[META] = st.session_state[META].model_copy(update=fields)


def memo(name: str, key: object, compute: Callable[[], Any]) -> Any:
    """The last result of `compute` for (name, key) in this session: one assessment per
    rerun at most, none when nothing changed."""
    store = st.session_state[MEMO]
    cached = store.get(name)
    if cached is not None and cached[0] == key:
        return cached[1]
    value = compute()
    store[name] = (key, value)
    return value


def answers_key(answers_: dict[str, str] | None = None) -> frozenset:
    return frozenset((answers_ if answers_ is not None else answers()).items())


def assessment(for_profile: Profile | None = None, language: str | None = None) -> Assessment:
    """The assessment of the current profile (or of `for_profile`), memoised per answers."""
    chosen = for_profile if for_profile is not None else profile()
    code = language or lang()
    key = (chosen.model_dump_json(), code)
    name = "assessment" if for_profile is None else "assessment.other"
    return memo(name, key, lambda: assessor().assess(chosen, code))
