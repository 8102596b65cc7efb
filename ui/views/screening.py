"""Tri des demandes / Screening: a table of requests screened by `screen_table`, as the CLI's
`coopdec screen` does, with the rejected rows, a filterable results table, the distributions,
the output files to download and the history of a partnership from the register.

The batch writes its files in a temporary folder that is deleted at once: the page keeps only
their bytes (and the compact results) in the session, so nothing is left on the server's disk.
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from coopdec_expert.i18n import t
from coopdec_expert.screening import StoreError, TableError, history, screen_table
from coopdec_expert.screening.outputs import RequestSummary
from coopdec_expert.screening.store import store_url

from .. import state
from ..state import tr
from ..widgets import VERDICT_COLOURS, user_text

LOG = logging.getLogger("coopdec.ui.screening")

# A directorate's table is larger than a profile (whose uploader keeps 1 MB): this page takes up
# to 20 MB, but the server refuses any upload above server.maxUploadSize
# (ui/.streamlit/config.toml), so the limit offered and said is the smaller of the two
# (`upload_limit_mb`).
MAX_UPLOAD_MB = 20
UPLOAD_KEY = "coopdec.screening.upload"
REPORTS_KEY = "coopdec.screening.reports"
LAST = "coopdec.screening.last"  # the last batch: results, problems, counts, file bytes
ERROR = "coopdec.screening.error"  # why the last click screened nothing (a message)
FILTER_KEYS = {
    "verdict": "coopdec.screening.filter.verdict",
    "next_step": "coopdec.screening.filter.next_step",
    "country": "coopdec.screening.filter.country",
}
HISTORY_PICK = "coopdec.screening.history.pick"
HISTORY_TYPED = "coopdec.screening.history.typed"
# (file in the batch's folder, catalogue key of the button, MIME type)
DOWNLOADS = [
    (
        "results.xlsx",
        "ui.screening.download.results_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("results.csv", "ui.screening.download.results_csv", "text/csv"),
    ("errors.csv", "ui.screening.download.errors_csv", "text/csv"),
    ("summary.pdf", "ui.screening.download.summary_pdf", "application/pdf"),
]
REPORTS_ZIP = "reports.zip"


def upload_limit_mb() -> int:
    """The largest table this page accepts, in MB: MAX_UPLOAD_MB unless the server's own
    limit (which applies to every upload) is lower."""
    return max(1, min(MAX_UPLOAD_MB, int(st.get_option("server.maxUploadSize"))))


def register_url() -> str:
    """The register the batch writes to, as the CLI chooses it: $COOPDEC_STORE, else
    ./coopdec.sqlite. Never shown in the page (it may hold a password, and says where the
    server keeps its data): a register that fails is named in the server's log only."""
    return store_url(None)


def _register_failed(error: StoreError) -> str:
    """Log the register's problem (its URL masked by StoreError) for the administrator; the
    page says only that the register is unavailable."""
    LOG.error("screening register unavailable: %s", error)
    return tr("screening.register_unavailable")


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def run_screening(name: str, data: bytes, reports: bool) -> None:
    """Screen the uploaded bytes; keep what the page shows and the files' bytes, or the
    message naming why the file was refused (the previous batch stays shown)."""
    st.session_state[ERROR] = None
    limit = upload_limit_mb()
    if len(data) > limit * 1024 * 1024:
        too_big = tr("screening.too_big", file=user_text(name), limit=limit)
        st.session_state[ERROR] = tr("screening.refused", message=too_big)
        return
    lang = state.lang()
    with tempfile.TemporaryDirectory(prefix="coopdec-ui-screen-") as folder:
        out = Path(folder)
        try:
            result = screen_table(data, name, lang, register_url(), out_dir=out, reports=reports)
        except TableError as error:
            st.session_state[ERROR] = tr("screening.refused", message=user_text(error))
            return
        except StoreError as error:
            st.session_state[ERROR] = _register_failed(error)
            return
        files = {f: (out / f).read_bytes() for f, _, _ in DOWNLOADS if (out / f).exists()}
        if reports and (out / "reports").is_dir():
            files[REPORTS_ZIP] = _zip_folder(out / "reports")
    st.session_state[LAST] = {
        "source": name,
        "lang": lang,
        "results": result.results,
        "rejected": [p.model_dump() for p in result.rejected],
        "rejected_rows": result.rejected_rows,
        "warnings": list(result.warnings),
        "stored": result.stored,
        "counts": {
            "verdicts": dict(result.counts.verdicts),
            "next_steps": dict(result.counts.next_steps),
            "south_countries": dict(result.counts.south_countries),
            "north_countries": dict(result.counts.north_countries),
            "flags": dict(result.counts.flags),
        },
        "files": files,
    }
    for key in (*FILTER_KEYS.values(), HISTORY_PICK):
        st.session_state.pop(key, None)  # the options change with the file


def _screen_upload() -> None:
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        st.session_state[ERROR] = tr("screening.no_file")
        return
    with st.spinner(tr("screening.running", file=user_text(uploaded.name))):
        run_screening(uploaded.name, uploaded.getvalue(), bool(st.session_state.get(REPORTS_KEY)))


# --- labels in the page's language (the results keep ids) -------------------------------


def verdict_label(verdict: str) -> str:
    return t(state.lang(), f"verdict.{verdict}")


def step_label(step: str) -> str:
    found = state.assessor().kb.steps.get(step)
    return found.name.get(state.lang()) if found else step


# --- the parts of the page ----------------------------------------------------------------


def _upload_panel() -> None:
    limit = upload_limit_mb()
    st.file_uploader(
        tr("screening.upload", limit=limit),  # no `type=`: the reader names the problem
        key=UPLOAD_KEY,
        max_upload_size=limit,
        help=tr("screening.upload_help"),
    )
    st.checkbox(tr("screening.reports"), key=REPORTS_KEY, help=tr("screening.reports_help"))
    clicked = st.button(
        tr("screening.run"),
        key="coopdec.screening.run",
        type="primary",
        icon=":material/play_arrow:",
    )
    st.caption(tr("screening.register_kept"))
    if clicked:  # in the script, not a callback, so that the spinner shows while it runs
        _screen_upload()


def _validation_report(last: dict[str, Any]) -> None:
    st.subheader(tr("screening.validation"))
    for warning in last["warnings"]:
        st.warning(user_text(warning))
    if not last["rejected"]:
        st.success(tr("screening.no_rejected"))
        return
    st.error(tr("screening.rejected", rows=last["rejected_rows"]))
    frame = pd.DataFrame(
        [
            {
                tr("screening.col.row"): p["row"],
                tr("screening.col.column"): p["column"],
                tr("screening.col.value"): p["value"],
                tr("screening.col.problem"): p["problem"],
                tr("screening.col.allowed"): ", ".join(p["allowed"]),
            }
            for p in last["rejected"]
        ]
    )
    st.dataframe(frame, hide_index=True)


def _countries(result: RequestSummary) -> set[str]:
    return {c for c in (result.south_country, result.north_country) if c}


def _results_table(last: dict[str, Any]) -> None:
    results = last["results"]
    st.subheader(tr("screening.results", n=len(results)))
    if not results:
        st.info(tr("screening.no_results"))
        return
    verdicts = [v for v in VERDICT_COLOURS if any(r.verdict == v for r in results)]
    steps = [s for s in state.assessor().kb.steps if any(r.next_step == s for r in results)]
    countries = sorted(set().union(*(_countries(r) for r in results)))
    left, middle, right = st.columns(3)
    with left:
        chosen_verdicts = st.multiselect(
            tr("screening.filter.verdict"),
            verdicts,
            format_func=verdict_label,
            key=FILTER_KEYS["verdict"],
            placeholder=tr("screening.filter.all"),
        )
    with middle:
        chosen_steps = st.multiselect(
            tr("screening.filter.next_step"),
            steps,
            format_func=step_label,
            key=FILTER_KEYS["next_step"],
            placeholder=tr("screening.filter.all"),
        )
    with right:
        chosen_countries = st.multiselect(
            tr("screening.filter.country"),
            countries,
            key=FILTER_KEYS["country"],
            placeholder=tr("screening.filter.all"),
        )
    shown = [
        r
        for r in results
        if (not chosen_verdicts or r.verdict in chosen_verdicts)
        and (not chosen_steps or r.next_step in chosen_steps)
        and (not chosen_countries or _countries(r) & set(chosen_countries))
    ]
    kb, lang = state.assessor().kb, state.lang()
    rows = []
    for r in shown:
        row = {
            tr("screening.col.id"): r.id,
            tr("screening.col.south"): r.south_name,
            tr("screening.col.south_country"): r.south_country,
            tr("screening.col.north"): r.north_name,
            tr("screening.col.north_country"): r.north_country,
            tr("screening.col.verdict"): verdict_label(r.verdict),
            tr("screening.col.next_step"): step_label(r.next_step),
        }
        for area, score in r.scores.items():
            row[kb.areas[area].name.get(lang) if area in kb.areas else area] = score
        row[tr("screening.col.flags")] = ", ".join(r.flags)
        rows.append(row)
    st.caption(tr("screening.shown", shown=len(shown), total=len(results)))
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _bar_chart(title: str, items: list[tuple[str, int]]) -> None:
    if not items:
        return
    label, count = tr("screening.chart.label"), tr("screening.chart.count")
    frame = pd.DataFrame([{label: name, count: n} for name, n in items])
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar(color="#2f6f9f")
        .encode(
            x=alt.X(f"{count}:Q", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y(f"{label}:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            tooltip=[label, count],
        )
        .properties(height=alt.Step(26))
    )
    st.altair_chart(chart, width="stretch")


def _charts(last: dict[str, Any]) -> None:
    """The distributions of summary.pdf, re-drawn in the page's language."""
    counts, kb, lang = last["counts"], state.assessor().kb, state.lang()
    if not last["results"]:
        return
    st.subheader(tr("screening.charts"))

    def ranked(counter: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))

    verdicts = [
        (verdict_label(v), counts["verdicts"][v])
        for v in VERDICT_COLOURS
        if v in counts["verdicts"]
    ]
    steps = [
        (step_label(s), counts["next_steps"][s]) for s in kb.steps if s in counts["next_steps"]
    ]
    flags = [
        (kb.flags[f].text.get(lang) if f in kb.flags else f, n)
        for f, n in ranked(counts["flags"])[:10]
    ]
    left, right = st.columns(2)
    with left:
        _bar_chart(t(lang, "screen.summary.by_verdict"), verdicts)
        _bar_chart(t(lang, "screen.summary.by_south_country"), ranked(counts["south_countries"]))
        _bar_chart(t(lang, "screen.summary.top_flags"), flags)
    with right:
        _bar_chart(t(lang, "screen.summary.by_next_step"), steps)
        _bar_chart(t(lang, "screen.summary.by_north_country"), ranked(counts["north_countries"]))


def _downloads(last: dict[str, Any]) -> None:
    st.subheader(tr("screening.downloads"))
    files = last["files"]
    entries = list(DOWNLOADS)
    if REPORTS_ZIP in files:
        entries.append((REPORTS_ZIP, "ui.screening.download.reports_zip", "application/zip"))
    columns = st.columns(len(entries))
    for column, (name, key, mime) in zip(columns, entries, strict=True):
        if name not in files:
            continue
        with column:
            st.download_button(
                t(state.lang(), key),
                data=files[name],
                file_name=name,
                mime=mime,
                icon=":material/download:",
                key=f"coopdec.screening.download.{name}",
            )
    if last["lang"] != state.lang():
        made_in = {"fr": tr("screening.lang_fr"), "en": tr("screening.lang_en")}[last["lang"]]
        st.caption(tr("screening.files_language", language=made_in))


def _history(last: dict[str, Any] | None) -> None:
    st.subheader(tr("screening.history"))
    ids = list(dict.fromkeys(r.id for r in last["results"])) if last else []
    left, right = st.columns(2)
    with left:
        picked = st.selectbox(
            tr("screening.history.pick"),
            ids,
            index=None,
            key=HISTORY_PICK,
            placeholder=tr("screening.history.pick_placeholder"),
        )
    with right:
        typed = st.text_input(tr("screening.history.typed"), key=HISTORY_TYPED)
    partnership = (typed or "").strip() or picked
    if not partnership:
        st.caption(tr("screening.history.hint"))
        return
    try:
        entries = history(register_url(), partnership)
    except StoreError as error:
        st.error(_register_failed(error))
        return
    if not entries:
        st.info(tr("screening.history.none", id=user_text(partnership)))
        return
    lang = state.lang()
    st.markdown(f"**{t(lang, 'screen.history.title', id=user_text(partnership))}**")
    frame = pd.DataFrame(
        [
            {
                t(lang, "screen.history.date"): e.assessed_at.strftime("%Y-%m-%d %H:%M:%S"),
                t(lang, "screen.history.verdict"): verdict_label(e.verdict),
                t(lang, "screen.history.next_step"): step_label(e.next_step),
                t(lang, "screen.history.rules_version"): e.rules_version,
                t(lang, "screen.history.source"): e.source_file,
            }
            for e in entries
        ]
    )
    st.dataframe(frame, hide_index=True)


def render() -> None:
    st.title(tr("screening.title"))
    st.caption(tr("screening.intro"))
    _upload_panel()
    error = st.session_state.get(ERROR)
    if error:
        st.error(error)
    last = st.session_state.get(LAST)
    if last:
        st.divider()
        st.markdown(
            tr(
                "screening.done",
                file=user_text(last["source"]),
                assessed=len(last["results"]),
                rejected=last["rejected_rows"],
                stored=last["stored"],
            )
        )
        _validation_report(last)
        _results_table(last)
        _charts(last)
        _downloads(last)
    st.divider()
    _history(last)
