"""Tri des demandes / Screening: a table of requests screened by `screen_table`'s batch, as the
CLI's `coopdec screen` does, with the rejected rows, a filterable results table, distributions
that follow the filters, the output files to download and the history of a partnership.

The batch runs in a process of its own (`coopdec_expert.screening.jobs.BatchJob`), never in the
server's: the page shows rows done / total with an estimate while it runs (refreshed every
second), lets the user cancel it, and allows one batch at a time per session. Rows already in
the register with the same answers and rules are not assessed again. The batch's folder is
temporary and deleted once read: the page keeps only the files' bytes and the compact results.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass, field
from functools import cache

import altair as alt
import pandas as pd
import streamlit as st

from coopdec_expert.i18n import t, tn
from coopdec_expert.screening import StoreError, history
from coopdec_expert.screening.jobs import BatchJob, BatchLimits, Progress
from coopdec_expert.screening.outputs import RequestSummary
from coopdec_expert.screening.run import ScreenResult
from coopdec_expert.screening.store import store_url
from coopdec_expert.screening.table import RowProblem, Vocabulary

from .. import auth, state
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
JOB = "coopdec.screening.job"  # the BatchJob running for this session (one at a time)
LAST = "coopdec.screening.last"  # the last batch done: a Batch
ERROR = "coopdec.screening.error"  # why the last click screened nothing (a message)
NOTICE = "coopdec.screening.notice"  # how the last batch ended when it did not finish
FILTER_KEYS = {
    "verdict": "coopdec.screening.filter.verdict",
    "next_step": "coopdec.screening.filter.next_step",
    "country": "coopdec.screening.filter.country",
}
HISTORY_PICK = "coopdec.screening.history.pick"
HISTORY_TYPED = "coopdec.screening.history.typed"
# (file of the batch, catalogue key of the button, MIME type)
DOWNLOADS = [
    (
        "results.xlsx",
        "ui.screening.download.results_xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("results.csv", "ui.screening.download.results_csv", "text/csv"),
    ("errors.csv", "ui.screening.download.errors_csv", "text/csv"),
    ("summary.pdf", "ui.screening.download.summary_pdf", "application/pdf"),
    ("reports.zip", "ui.screening.download.reports_zip", "application/zip"),
]
REFRESH_S = 1.0  # how often the progress of a running batch is shown again
LABEL_WIDTH = 42  # characters per line of a chart's labels (wrapped, never cut)


@dataclass
class Batch:
    """What the page keeps of a finished batch."""

    source: str
    lang: str
    result: ScreenResult
    files: dict[str, bytes] = field(default_factory=dict)
    seconds: float = 0.0


def upload_limit_mb() -> int:
    """The largest table this page accepts, in MB: MAX_UPLOAD_MB unless the server's own
    limit (which applies to every upload) is lower."""
    return max(1, min(MAX_UPLOAD_MB, int(st.get_option("server.maxUploadSize"))))


def register_url() -> str:
    """The register the batch writes to, as the CLI chooses it: $COOPDEC_STORE, else
    ./coopdec.sqlite. Never shown in the page (it may hold a password, and says where the
    server keeps its data): a register that fails is named in the server's log only."""
    return store_url(None)


def _register_failed(message: object) -> str:
    """Log the register's problem (its URL masked by StoreError) for the administrator; the
    page says only that the register is unavailable."""
    LOG.error("screening register unavailable: %s", message)
    return tr("screening.register_unavailable")


# --- running a batch ------------------------------------------------------------------------


def running_job() -> BatchJob | None:
    return st.session_state.get(JOB)


def start_batch(name: str, data: bytes, reports: bool) -> None:
    """Start screening the uploaded bytes in a batch process, unless one runs already for this
    session; a file over the page's limit is refused before it is read."""
    if running_job() is not None:
        return
    st.session_state[ERROR] = None
    st.session_state[NOTICE] = None
    limit = upload_limit_mb()
    if len(data) > limit * 1024 * 1024:
        too_big = tr("screening.too_big", file=user_text(name), limit=limit)
        st.session_state[ERROR] = tr("screening.refused", message=too_big)
        return
    limits = BatchLimits.from_environment()
    user = auth.current()  # the signed-in user's workspace, recorded as theirs
    st.session_state[JOB] = BatchJob(
        data,
        name,
        state.lang(),
        register_url(),
        reports,
        limits,
        workspace=user.workspace,
        user_id=user.user_id,
    )


def finish_batch(job: BatchJob, progress: Progress) -> None:
    """Keep what a finished batch gives: its results and files, or why it stopped."""
    st.session_state.pop(JOB, None)
    limits, name = job.limits, user_text(job.filename)
    if progress.state == "done" and progress.result is not None:
        st.session_state[LAST] = Batch(
            job.filename, state.lang(), progress.result, progress.files, progress.elapsed
        )
        for key in (*FILTER_KEYS.values(), HISTORY_PICK):
            st.session_state.pop(key, None)  # the options change with the file
    elif progress.state == "refused":
        st.session_state[ERROR] = tr("screening.refused", message=user_text(progress.message))
    elif progress.state == "register":
        st.session_state[ERROR] = _register_failed(progress.message)
    elif progress.state == "timeout":
        minutes = max(1, round(limits.seconds / 60))
        st.session_state[ERROR] = tr("screening.timeout", file=name, minutes=minutes)
    elif progress.state == "memory":
        st.session_state[ERROR] = tr("screening.memory", file=name, limit=limits.memory_mb)
    elif progress.state == "cancelled":
        st.session_state[NOTICE] = tn(state.lang(), "ui.screening.cancelled", progress.done)
    else:
        LOG.error("screening batch failed: %s", progress.message)
        st.session_state[ERROR] = tr("screening.failed", file=name)


def _on_run() -> None:
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None:
        st.session_state[ERROR] = tr("screening.no_file")
        return
    start_batch(uploaded.name, uploaded.getvalue(), bool(st.session_state.get(REPORTS_KEY)))


def _on_cancel() -> None:
    job = running_job()
    if job is not None:
        finish_batch(job, job.cancel())


def _duration(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return tn(state.lang(), "ui.screening.seconds", seconds)
    return tn(state.lang(), "ui.screening.minutes", round(seconds / 60))


@st.fragment(run_every=REFRESH_S)
def _progress_panel() -> None:
    """Rows done / total and the time left while the batch runs; the whole page again when it
    ends (the results then show)."""
    job = running_job()
    if job is None:
        return
    progress = job.poll()
    if progress.finished:
        finish_batch(job, progress)
        st.rerun()
        return
    lang = state.lang()
    with st.container(border=True, key="coopdec-screening-progress"):
        if progress.total:
            left = progress.remaining_seconds
            text = tn(lang, "ui.screening.progress", progress.total, done=progress.done)
            if left is not None:
                text += " — " + tr("screening.time_left", time=_duration(left))
            st.progress(min(1.0, progress.done / progress.total), text=text)
        else:
            st.progress(0.0, text=tr("screening.starting", file=user_text(job.filename)))
        st.caption(tr("screening.elapsed", time=_duration(progress.elapsed)))
        st.button(
            tr("screening.cancel"),
            key="coopdec.screening.cancel",
            on_click=_on_cancel,
            icon=":material/stop_circle:",
        )


# --- labels in the page's language (the results keep ids) -------------------------------


def verdict_label(verdict: str) -> str:
    return t(state.lang(), f"verdict.{verdict}")


def step_label(step: str) -> str:
    found = state.assessor().kb.steps.get(step)
    return found.name.get(state.lang()) if found else step


def flag_label(flag: str) -> str:
    found = state.assessor().kb.flags.get(flag)
    return found.text.get(state.lang()) if found else flag


@cache
def _vocabulary() -> Vocabulary:
    return Vocabulary(state.assessor().kb)


def allowed_labels(problem: RowProblem) -> str:
    """The allowed values of a problem with their labels (`safe (Oui)`) when they are a
    question's options, so that a person can read them in the page's language."""
    question_id = _vocabulary().column(problem.column) if problem.code == "option" else None
    question = state.assessor().kb.questions.get(question_id or "")
    if question is None:
        return ", ".join(problem.allowed)
    labels = {o.id: o.label.get(state.lang()) for o in question.options}
    labels["unknown"] = t(state.lang(), "option.unknown")
    return ", ".join(f"{o} ({labels[o]})" if o in labels else o for o in problem.allowed)


# --- the parts of the page ----------------------------------------------------------------


def _upload_panel() -> None:
    limit = upload_limit_mb()
    busy = running_job() is not None
    st.file_uploader(
        tr("screening.upload", limit=limit),  # no `type=`: the reader names the problem
        key=UPLOAD_KEY,
        max_upload_size=limit,
        disabled=busy,
    )
    st.caption(tr("screening.upload_help"))
    st.checkbox(tr("screening.reports"), key=REPORTS_KEY, disabled=busy)
    st.caption(tr("screening.reports_help"))
    st.button(
        tr("screening.run"),
        key="coopdec.screening.run",
        type="primary",
        icon=":material/play_arrow:",
        on_click=_on_run,
        disabled=busy,
    )
    if busy:
        st.caption(tr("screening.one_at_a_time"))
    st.caption(tr("screening.register_kept"))


def _validation_report(batch: Batch) -> None:
    result = batch.result
    st.subheader(tr("screening.validation"))
    for warning in result.warnings:
        st.warning(user_text(warning))
    duplicates = [p for p in result.rejected if p.code == "duplicate_id"]
    if duplicates:
        ids = ", ".join(dict.fromkeys(user_text(p.value) for p in duplicates))
        st.warning(tn(state.lang(), "ui.screening.duplicates", len(duplicates), ids=ids))
    if not result.rejected:
        st.success(tr("screening.no_rejected"))
        return
    st.error(tn(state.lang(), "ui.screening.rejected", result.rejected_rows))
    frame = pd.DataFrame(
        [
            {
                tr("screening.col.row"): p.row,
                tr("screening.col.column"): p.column,
                tr("screening.col.value"): p.value,
                tr("screening.col.problem"): p.problem,
                tr("screening.col.allowed"): allowed_labels(p),
            }
            for p in result.rejected
        ]
    )
    st.dataframe(frame, hide_index=True)


def _countries(result: RequestSummary) -> set[str]:
    return {c for c in (result.south_country, result.north_country) if c}


def _filters(results: list[RequestSummary]) -> list[RequestSummary]:
    """The three filters (verdict, next step, country); the requests they keep."""
    verdicts = [v for v in VERDICT_COLOURS if any(r.verdict == v for r in results)]
    steps = [s for s in state.assessor().kb.steps if any(r.next_step == s for r in results)]
    countries = sorted(set().union(*(_countries(r) for r in results)))
    left, middle, right = st.columns(3)
    choices = {}
    for column, name, options, label in (
        (left, "verdict", verdicts, verdict_label),
        (middle, "next_step", steps, step_label),
        (right, "country", countries, str),
    ):
        with column:
            choices[name] = st.multiselect(
                tr(f"screening.filter.{name}"),
                options,
                format_func=label,
                key=FILTER_KEYS[name],
                placeholder=tr("screening.filter.all"),
                select_all=False,
            )
    return [
        r
        for r in results
        if (not choices["verdict"] or r.verdict in choices["verdict"])
        and (not choices["next_step"] or r.next_step in choices["next_step"])
        and (not choices["country"] or _countries(r) & set(choices["country"]))
    ]


def _results_table(batch: Batch) -> list[RequestSummary]:
    results = batch.result.results
    st.subheader(tn(state.lang(), "ui.screening.results", len(results)))
    if not results:
        st.info(tr("screening.no_results"))
        return []
    shown = _filters(results)
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
            name = kb.areas[area].name.get(lang) if area in kb.areas else area
            row[name] = "—" if score is None else str(score)  # — : not assessed
        row[tr("screening.col.flags")] = " · ".join(flag_label(f) for f in r.flags)
        rows.append(row)
    st.caption(tn(lang, "ui.screening.shown", len(results), shown=len(shown)))
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={tr("screening.col.flags"): st.column_config.TextColumn(width="large")},
    )
    return shown


def _wrapped(label: str) -> str:
    """A chart label on several lines of LABEL_WIDTH characters (Vega splits on newlines)."""
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH)) or label


def _bar_chart(title: str, items: list[tuple[str, int]], colours: list[str] | None = None) -> None:
    """Horizontal bars with their labels whole (wrapped, never cut), counts at the bar's end."""
    if not items:
        return
    label, count = tr("screening.chart.label"), tr("screening.chart.count")
    frame = pd.DataFrame([{label: _wrapped(name), count: n} for name, n in items])
    lines = max(text.count("\n") + 1 for text in frame[label])
    colour = (
        alt.Color(f"{label}:N", scale=alt.Scale(domain=list(frame[label]), range=colours))
        if colours
        else alt.value("#2f6f9f")
    )
    base = alt.Chart(frame, title=title)
    bars = base.mark_bar().encode(
        x=alt.X(f"{count}:Q", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y(
            f"{label}:N",
            sort=None,
            title=None,
            axis=alt.Axis(labelLimit=0, labelExpr="split(datum.label, '\\n')"),
        ),
        color=colour,
        tooltip=[label, count],
    )
    numbers = base.mark_text(align="left", dx=4).encode(
        x=alt.X(f"{count}:Q"), y=alt.Y(f"{label}:N", sort=None), text=f"{count}:Q"
    )
    chart = (bars + numbers).properties(height=alt.Step(max(26, 15 * lines + 8)))
    st.altair_chart(chart.configure_legend(disable=True), width="stretch")


def _charts(shown: list[RequestSummary], total: int) -> None:
    """The distributions of the requests the filters keep, verdicts in their colours."""
    if not shown:
        return
    kb, lang = state.assessor().kb, state.lang()
    st.subheader(tr("screening.charts"))
    if len(shown) != total:
        st.caption(tn(lang, "ui.screening.charts_filtered", total, shown=len(shown)))

    def ranked(values: list[str]) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    verdict_counts = dict(ranked([r.verdict for r in shown]))
    verdicts = [v for v in VERDICT_COLOURS if v in verdict_counts]
    step_counts = dict(ranked([r.next_step for r in shown]))
    left, right = st.columns(2)
    with left:
        _bar_chart(
            t(lang, "screen.summary.by_verdict"),
            [(verdict_label(v), verdict_counts[v]) for v in verdicts],
            [VERDICT_COLOURS[v] for v in verdicts],
        )
        _bar_chart(
            t(lang, "screen.summary.by_south_country"),
            ranked([r.south_country or "—" for r in shown]),
        )
    with right:
        _bar_chart(
            t(lang, "screen.summary.by_next_step"),
            [(step_label(s), step_counts[s]) for s in kb.steps if s in step_counts],
        )
        _bar_chart(
            t(lang, "screen.summary.by_north_country"),
            ranked([r.north_country or "—" for r in shown]),
        )
    flags = ranked([f for r in shown for f in r.flags])[:10]
    _bar_chart(t(lang, "screen.summary.top_flags"), [(flag_label(f), n) for f, n in flags])


def _downloads(batch: Batch) -> None:
    st.subheader(tr("screening.downloads"))
    entries = [entry for entry in DOWNLOADS if entry[0] in batch.files]
    columns = st.columns(len(entries))
    for column, (name, key, mime) in zip(columns, entries, strict=True):
        with column:
            st.download_button(
                t(state.lang(), key),
                data=batch.files[name],
                file_name=name,
                mime=mime,
                icon=":material/download:",
                key=f"coopdec.screening.download.{name}",
                on_click="ignore",
            )
    if batch.lang != state.lang():
        made_in = {"fr": tr("screening.lang_fr"), "en": tr("screening.lang_en")}[batch.lang]
        st.caption(tr("screening.files_language", language=made_in))


def _history(batch: Batch | None) -> None:
    st.subheader(tr("screening.history"))
    ids = list(dict.fromkeys(r.id for r in batch.result.results)) if batch else []
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
    try:  # the user's workspace only: another directorate's partnerships are not theirs
        entries = history(register_url(), partnership, auth.current().workspace)
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
                t(lang, "screen.history.user"): e.user_id or "",
            }
            for e in entries
        ]
    )
    st.dataframe(frame, hide_index=True)


def render() -> None:
    st.title(tr("screening.title"))
    st.caption(tr("screening.intro"))
    _upload_panel()
    _progress_panel()
    error = st.session_state.get(ERROR)
    if error:
        st.error(error)
    notice = st.session_state.get(NOTICE)
    if notice:
        st.info(notice)
    batch: Batch | None = st.session_state.get(LAST)
    if batch is not None:
        result = batch.result
        st.divider()
        lang = state.lang()
        st.markdown(
            tr("screening.done", file=user_text(batch.source))
            + " "
            + tn(lang, "ui.screening.done_assessed", result.assessed)
            + ", "
            + tn(lang, "ui.screening.done_rejected", result.rejected_rows)
            + ", "
            + tn(lang, "ui.screening.done_stored", result.stored)
            + (", " + tn(lang, "ui.screening.done_reused", result.reused) if result.reused else "")
            + " — "
            + tr("screening.done_time", time=_duration(batch.seconds))
        )
        _validation_report(batch)
        shown = _results_table(batch)
        _charts(shown, len(result.results))
        _downloads(batch)
    st.divider()
    _history(batch)
