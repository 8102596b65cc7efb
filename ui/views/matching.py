"""Mise en relation / Partner matching: presentation sheets (the shipped examples, or files and
tables uploaded), a sheet chosen, its candidate partners on the other side ranked and explained
(each criterion with its points, because, quote, what produced it, what would strengthen it),
its presentation document and the proposals to download. Everything shown comes from
coopdec_expert.matching, as `coopdec match` and `coopdec sheet render` print it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from coopdec_expert.i18n import t
from coopdec_expert.matching.explain import Explainer, Proposal
from coopdec_expert.matching.render import (
    presentation_markdown,
    proposal_rows,
    proposals_markdown,
    write_rows,
)
from coopdec_expert.matching.score import Matcher
from coopdec_expert.matching.sources import SHEET_SUFFIXES, SourceProblem, merged, read_source
from coopdec_expert.resources import shipped

from .. import state
from ..widgets import _AUTOLINK, quote, user_text

MAX_UPLOAD_MB = 20
UPLOAD_KEY = "coopdec.matching.upload"
EXAMPLES_KEY = "coopdec.matching.examples"
PICK_KEY = "coopdec.matching.pick"
TOP_KEY = "coopdec.matching.top"


def tm(key: str, **values: object) -> str:
    """A text of the `matching.` catalogue in the page's language."""
    return t(state.lang(), f"matching.{key}", **values)


def example_sheets() -> list[Path]:
    folder = shipped("examples") / "sheets"
    return sorted(p for p in folder.iterdir() if p.suffix in SHEET_SUFFIXES)


def gather(kb, lang: str) -> tuple[list, list[str], list[str]]:
    """The sheets of the examples (if chosen) and of the uploads; files refused (messages) and
    rows left out (messages). A file refused takes none of the others with it."""
    found, refused, left_out = [], [], []
    sources: list[tuple[str, bytes]] = []
    if st.session_state.get(EXAMPLES_KEY, True):
        sources += [(p.name, p.read_bytes()) for p in example_sheets()]
    for upload in st.session_state.get(UPLOAD_KEY) or []:
        data = upload.getvalue()
        if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
            refused.append(tm("app.too_big", file=upload.name, limit=MAX_UPLOAD_MB))
            continue
        sources.append((upload.name, data))
    for name, data in sources:
        try:
            sheets, problems = read_source(name, data, kb, lang)
        except SourceProblem as error:
            refused.append(str(error))
            continue
        found += sheets
        left_out += problems
    try:
        return merged(found, lang), refused, left_out
    except SourceProblem as error:
        return [], [*refused, str(error)], left_out


def _component_table(proposal: Proposal) -> pd.DataFrame:
    status = {
        "yes": "",
        "partly": tm("render.partly"),
        "no": tm("render.not_assessed"),
    }
    return pd.DataFrame(
        [
            {
                tm("render.criterion"): c.name,
                tm("render.points"): f"{c.points:g} / {c.weight}",
                tm("app.assessed"): status[c.assessed],
            }
            for c in proposal.components
        ]
    )


def _proposal(sheet, proposal: Proposal) -> None:
    partner = proposal.south_name if sheet.side == "north" else proposal.north_name
    title = f"{proposal.rank}. {partner} — {proposal.score:g} / {proposal.out_of}"
    with st.expander(user_text(title), expanded=proposal.rank == 1):
        st.dataframe(_component_table(proposal), hide_index=True, width="stretch")
        for component in proposal.components + proposal.notes:
            if component.points is None and not component.findings:
                continue
            st.markdown(f"**{user_text(component.name)}** — {user_text(component.because)}")
            for finding in component.findings:
                st.markdown(f"- {user_text(finding)}")
            for stronger in component.stronger:
                st.markdown(f"- {tm('render.stronger')} {user_text(stronger)}")
            if component.fields:
                st.caption(tm("app.fields", fields=", ".join(component.fields)))
            quote(component.source.section, component.source.quote)


def _downloads(sheet, proposals: list[Proposal], kb, lang: str) -> None:
    from coopdec_expert.pdf import markdown_to_pdf

    groups = [(sheet, proposals)]
    columns = st.columns(4)
    with tempfile.TemporaryDirectory(prefix="coopdec-ui-match-") as folder:
        path = Path(folder) / "proposals.xlsx"
        write_rows(proposal_rows(groups, lang), path, lang)
        xlsx = path.read_bytes()
        path = path.with_suffix(".csv")
        write_rows(proposal_rows(groups, lang), path, lang)
        csv_bytes = path.read_bytes()
    columns[0].download_button(
        tm("app.download.csv"),
        csv_bytes,
        f"propositions-{sheet.id}.csv",
        "text/csv",
        key="coopdec.matching.csv",
    )
    columns[1].download_button(
        tm("app.download.xlsx"),
        xlsx,
        f"propositions-{sheet.id}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="coopdec.matching.xlsx",
    )
    columns[2].download_button(
        tm("app.download.pdf"),
        lambda: markdown_to_pdf(proposals_markdown(groups, lang), tm("render.title")),
        f"propositions-{sheet.id}.pdf",
        "application/pdf",
        key="coopdec.matching.pdf",
    )
    columns[3].download_button(
        tm("app.download.presentation"),
        lambda: markdown_to_pdf(presentation_markdown(sheet, kb, lang), sheet.name),
        f"presentation-{sheet.id}.pdf",
        "application/pdf",
        key="coopdec.matching.presentation",
    )


def render() -> None:
    kb = state.assessor().kb
    lang = state.lang()
    st.title(tm("app.title"))
    st.caption(tm("app.intro"))
    st.checkbox(tm("app.examples"), value=True, key=EXAMPLES_KEY)
    st.file_uploader(
        tm("app.upload", limit=MAX_UPLOAD_MB),
        key=UPLOAD_KEY,
        accept_multiple_files=True,
        help=tm("app.upload_help"),
    )
    sheets, refused, left_out = gather(kb, lang)
    for message in refused:
        st.error(user_text(message))
    if left_out:
        with st.expander(tm("app.left_out", count=len(left_out)), expanded=True):
            for message in left_out:
                st.markdown(f"- {user_text(message)}")
    if not sheets:
        st.info(tm("app.no_sheets"))
        return
    by_id = {s.id: s for s in sheets}
    choice = st.selectbox(
        tm("app.pick"),
        list(by_id),
        key=PICK_KEY,
        format_func=lambda i: f"{by_id[i].label()} — {tm(f'side.{by_id[i].side}')}",
    )
    top = st.slider(tm("app.top"), 1, 20, 5, key=TOP_KEY)
    sheet = by_id[choice]
    matcher = Matcher(sheets, kb)
    pairs = [(i, j) for i, j, _ in matcher.top_for(sheet.id, top)]
    proposals = Explainer(matcher, lang).proposals(pairs)
    st.subheader(tm("render.for", name=user_text(sheet.label()), id=user_text(sheet.id)))
    if not proposals:
        st.info(tm("render.none"))
    for proposal in proposals:
        _proposal(sheet, proposal)
    _downloads(sheet, proposals, kb, lang)
    with st.expander(tm("app.presentation")):
        # escaped for Markdown already; bare addresses kept from turning into links as
        # user_text does
        st.markdown(_AUTOLINK.sub(r"\\\g<0>", presentation_markdown(sheet, kb, lang)))
