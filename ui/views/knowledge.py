"""Base de connaissances / Knowledge base: every question, rule, flag, recommendation and
parameter with its seed quote, searchable; which rules fired for the current profile."""

from __future__ import annotations

import streamlit as st
import yaml

from coopdec_expert.i18n import t

from .. import state
from ..state import tr
from ..widgets import quote

SEARCH = "coopdec.kb_search"


def _matches(needle: str, *texts: object) -> bool:
    return not needle or any(needle in str(text).lower() for text in texts)


def _condition(condition) -> str:
    """The rule's condition as written in rules/ (YAML), for reading beside its quote."""
    data = condition.model_dump(by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).strip()


def render() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    fired = set(state.assessment().fired)
    st.title(tr("kb.title"))
    st.caption(tr("kb.counts", **kb.counts(), version=kb.version))
    needle = st.text_input(tr("kb.search"), key=SEARCH, placeholder=tr("kb.search_hint"))
    needle = (needle or "").strip().lower()
    only_fired = st.toggle(tr("kb.only_fired", n=len(fired)), key="coopdec.kb_only_fired")
    tabs = st.tabs(
        [
            tr("kb.rules"),
            tr("kb.questions"),
            tr("kb.flags"),
            tr("kb.recommendations"),
            tr("kb.parameters"),
        ]
    )
    with tabs[0]:
        shown = 0
        for rule in kb.rules.values():
            if only_fired and rule.id not in fired:
                continue
            if not _matches(needle, rule.id, rule.because.get(lang), rule.source.quote):
                continue
            shown += 1
            left, right = st.columns(2)
            with left:
                mark = (
                    f":green[:material/check_circle: {tr('kb.fired')}]"
                    if rule.id in fired
                    else tr("kb.not_fired")
                )
                st.markdown(f"**`{rule.id}`** — {mark}  \n{rule.because.get(lang)}")
                st.caption(kb.where("rules", rule.id))
                st.code(_condition(rule.when), language="yaml")
            with right:
                quote(rule.source.section, rule.source.quote)
            st.divider()
        if not shown:
            st.info(tr("kb.nothing"))
    with tabs[1]:
        for question in kb.questions.values():
            labels = [o.label.get(lang) for o in question.options]
            if not _matches(
                needle, question.id, question.text.get(lang), question.source.quote, *labels
            ):
                continue
            step = kb.steps[question.step].name.get(lang)
            with st.expander(f"{question.text.get(lang)}  ·  `{question.id}`"):
                st.caption(tr("kb.question_step", step=step))
                st.markdown(question.help.get(lang))
                options = (
                    [*labels, t(lang, "option.unknown")] if question.accepts_unknown else labels
                )
                st.markdown(tr("kb.options") + " " + " · ".join(options))
                quote(question.source.section, question.source.quote)
    with tabs[2]:
        for flag in kb.flags.values():
            if not _matches(needle, flag.id, flag.text.get(lang), flag.source.quote):
                continue
            severity = t(lang, f"severity.{flag.severity}")
            st.markdown(f"**{flag.text.get(lang)}** — {severity} · `{flag.id}`")
            quote(flag.source.section, flag.source.quote)
            kind = t(lang, f"source_kind.{flag.source_kind}")
            set_by = (
                " · " + tr("kb.severity_from", parameter=flag.severity_from)
                if flag.severity_from
                else ""
            )
            st.caption(
                f"{t(lang, 'report.severity_why')} ({kind}{set_by})"
                f"{' : ' if lang == 'fr' else ': '}{flag.severity_rationale.get(lang)}"
            )
    with tabs[3]:
        for rec in kb.recommendations.values():
            if not _matches(needle, rec.id, rec.text.get(lang), rec.source.quote):
                continue
            st.markdown(f"**{rec.text.get(lang)}** · `{rec.id}`")
            quote(rec.source.section, rec.source.quote)
    with tabs[4]:
        for parameter in kb.parameters.values():
            if not _matches(needle, parameter.id, parameter.description.get(lang)):
                continue
            st.markdown(
                f"**`{parameter.id}`** = `{parameter.value}`  \n{parameter.description.get(lang)}"
            )
            if parameter.source == "policy choice":
                st.caption(tr("kb.policy_choice"))
            else:
                quote(parameter.source.section, parameter.source.quote)
