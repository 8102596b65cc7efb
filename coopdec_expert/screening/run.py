"""The batch: rows of a table → assessments (in a process pool) → results, reports, register.

Rows are streamed in chunks with a bounded number of chunks in flight, so memory stays flat
whatever the number of rows; results come back in file order. Each worker process builds one
Assessor at start (the engine is not shared across processes) and writes the per-request
reports itself, so the costly PDF layout runs in parallel too; a worker ends when the batch's
process dies, even by kill -9. The register is written by the main process only, one
transaction per chunk. Output files are written in a hidden folder inside --out and moved into
place when the batch is done: a batch that fails leaves no empty or partial result file.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import make_url

from ..i18n import t
from ..inputs import shorten
from ..knowledge.loader import KnowledgeBase
from ..profile import Profile
from .outputs import (
    RequestSummary,
    SummaryCounts,
    TableWriter,
    error_columns,
    flags_as_labels,
    problem_values,
    result_columns,
    result_values,
    result_widths,
    safe_name,
    write_summary,
)
from .store import (
    HistoryEntry,
    NewRecord,
    Saved,
    Store,
    StoreError,
    profile_hash,
    workspace_name,
)
from .store import store_url as store_url_of
from .table import RequestTable, RowProblem
from .worker import Item, Worker, _assess_in_worker, _init_worker

Progress = Callable[[int, int | None], None]
Language = Literal["fr", "en"]  # ScreenOptions checks it when built


class ScreenOptions(BaseModel):
    """How to run a batch (validated, as it comes from the CLI or the app)."""

    model_config = ConfigDict(extra="forbid")

    lang: Language = "fr"
    out_dir: Path | None = None
    reports: bool = True
    pdf: bool = True  # with reports: the PDF too (~1 s each for a full report; Markdown ~20 ms)
    workers: int = Field(default=1, ge=1, le=64)
    chunk_size: int = Field(default=20, ge=1, le=10_000)
    rules_dir: Path | None = None
    store_url: str | None = None
    workspace: str | None = None  # the register's workspace (None: the default one)
    user_id: str | None = None  # who stores the assessments (recorded on each)
    keep_results: bool = False
    # Rows whose (id, answers and metadata, rules version) the register already holds, in the
    # same language, are not assessed again: their stored result is used (the app's re-uploads).
    reuse_stored: bool = False


@dataclass
class ScreenResult:
    """What a batch did. `results` holds the compact per-request summaries (see `summarise`)
    only when `keep_results` was asked (the app); the CLI streams them to files instead."""

    source: str
    assessed: int = 0
    stored: int = 0
    reused: int = 0  # rows whose result came from the register (reuse_stored)
    not_stored: int = 0  # assessed, but refused by the register (each one in errors.csv)
    rejected: list[RowProblem] = field(default_factory=list)
    rejected_rows: int = 0
    warnings: list[str] = field(default_factory=list)
    counts: SummaryCounts = field(default_factory=SummaryCounts)
    results: list[RequestSummary] = field(default_factory=list)
    out_dir: Path | None = None
    charts: list[Path] = field(default_factory=list)


def pipeline(
    chunks: Iterable[list[Item]],
    options: ScreenOptions,
    reports_dir: Path | None,
) -> Iterator[list[tuple[bytes, bytes, RequestSummary]]]:
    """Assess chunks in order, in `options.workers` processes with at most two chunks per
    worker in flight (so a 10-million-row file does not queue 10 million profiles)."""
    if options.workers <= 1:
        worker = Worker(options.rules_dir, options.lang, reports_dir, options.pdf)
        for chunk in chunks:
            yield worker.assess_chunk(chunk)
        return
    # spawn, not fork: the parent may run threads (progress bar, database driver).
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=options.workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(options.rules_dir, options.lang, reports_dir, options.pdf),
    )
    in_flight: deque[Future] = deque()
    try:
        for chunk in chunks:
            in_flight.append(pool.submit(_assess_in_worker, chunk))
            if len(in_flight) >= 2 * options.workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- the batch -----------------------------------------------------------------------


def screen_requests(
    table: RequestTable,
    kb: KnowledgeBase,
    options: ScreenOptions,
    progress: Progress | None = None,
) -> ScreenResult:
    """Screen every row of an opened table; write the outputs in options.out_dir (if any)
    and the records in the store (if a URL is given)."""
    result = ScreenResult(source=table.filename, out_dir=options.out_dir)
    result.warnings = table.warnings()
    areas = list(kb.areas)
    out = options.out_dir
    store = (  # fails before any output
        Store(options.store_url, options.workspace, options.user_id) if options.store_url else None
    )
    reports_dir = staging = None
    results_writer = errors_writer = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(out)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
        results_writer = TableWriter(
            staging / "results",
            result_columns(areas),
            options.lang,
            xlsx_values=flags_as_labels(kb, options.lang, areas),
            widths=result_widths(areas),
        )
        errors_writer = TableWriter(
            staging / "errors", error_columns(options.lang), options.lang, xlsx=False
        )
        if options.reports:
            reports_dir = staging / "reports"
            reports_dir.mkdir()
    taken: set[str] = set()
    source_name = Path(table.filename).name
    row_numbers: deque[list[int]] = deque()  # the file's row numbers of the chunks in flight

    def reject(problems: list[RowProblem]) -> None:
        if options.keep_results:  # the CLI streams them to errors.csv only
            result.rejected.extend(problems)
        if errors_writer is not None:
            for problem in problems:
                errors_writer.write(problem_values(problem))

    known = (
        StoredResults(store, kb.version, options.lang)
        if store is not None and options.reuse_stored
        else None
    )

    def chunks() -> Iterator[list[Item]]:
        chunk: list[tuple[Profile, str | None]] = []
        numbers: list[int] = []
        for row in table.rows():
            if row.profile is None:
                result.rejected_rows += 1
                reject(row.problems)
                continue
            name = safe_name(row.profile.id or "", taken) if reports_dir else None
            chunk.append((row.profile, name))
            numbers.append(row.number)
            if len(chunk) >= options.chunk_size:
                row_numbers.append(numbers)
                yield items(chunk)
                chunk, numbers = [], []
        if chunk:
            row_numbers.append(numbers)
            yield items(chunk)

    def items(chunk: list[tuple[Profile, str | None]]) -> list[Item]:
        stored = known.lookup([profile for profile, _ in chunk]) if known else {}
        result.reused += len(stored)
        return [
            (profile.model_dump(mode="json"), name, stored.get(index))
            for index, (profile, name) in enumerate(chunk)
        ]

    try:
        for done in pipeline(chunks(), options, reports_dir):
            numbers = row_numbers.popleft()
            records = []
            for profile_z, result_z, summary in done:
                result.assessed += 1
                result.counts.add(summary)
                if results_writer is not None:
                    results_writer.write(result_values(summary, areas))
                if options.keep_results:
                    result.results.append(summary)
                records.append(
                    NewRecord(
                        partnership_id=summary.id,
                        profile_hash=summary.profile_hash,
                        rules_version=summary.rules_version,
                        source_file=source_name,
                        lang=options.lang,
                        verdict=summary.verdict,
                        next_step=summary.next_step,
                        profile_z=profile_z,
                        result_z=result_z,
                    )
                )
            if store is not None:
                saved = _save(store, records, result.stored, options.lang)
                result.stored += saved.stored
                result.not_stored += len(saved.refused)
                reject(
                    [
                        not_stored_problem(numbers[index], records[index], reason, options.lang)
                        for index, reason in saved.refused
                    ]
                )
            if progress is not None:
                progress(result.assessed + result.rejected_rows, table.estimated_rows)
        for writer in (results_writer, errors_writer):
            if writer is not None:
                writer.close()
        result.counts.rejected_rows = result.rejected_rows
        if out is not None and staging is not None:
            write_summary(staging, result.counts, kb, options.lang, source_name)
            _publish(staging, out)
            result.charts = sorted((out / "charts").glob("*.*"))
    finally:
        for writer in (results_writer, errors_writer):
            if writer is not None:
                writer.close()
        if store is not None:
            store.close()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return result


class StoredResults:
    """The results the register already holds for rows of a batch: same partnership id, same
    answers and metadata (profile hash), same rules version and language. Read one chunk at a
    time, so the batch's memory does not grow with the register."""

    def __init__(self, store: Store, rules_version: str, lang: str):
        self.store, self.rules_version, self.lang = store, rules_version, lang

    def lookup(self, profiles: list[Profile]) -> dict[int, bytes]:
        """Position in `profiles` -> stored result (compressed JSON), for those already assessed."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from .store import AssessmentRecord

        keys = {(p.id or "", profile_hash(p)): i for i, p in enumerate(profiles)}
        ids = sorted({partnership for partnership, _ in keys})
        query = (
            select(
                AssessmentRecord.partnership_id,
                AssessmentRecord.profile_hash,
                AssessmentRecord.result_z,
            )
            .where(AssessmentRecord.partnership_id.in_(ids))
            .where(AssessmentRecord.rules_version == self.rules_version)
            .where(AssessmentRecord.lang == self.lang)
            .where(AssessmentRecord.workspace == self.store.workspace)
        )
        found: dict[int, bytes] = {}
        # the store's own guard: its errors name the register with the password masked
        with self.store._guard("cannot be read"), Session(self.store.engine) as session:
            for partnership, digest, result_z in session.execute(query):
                position = keys.get((partnership, digest))
                if position is not None:
                    found[position] = result_z
        return found


def _save(store: Store, records: list[NewRecord], stored_before: int, lang: str) -> Saved:
    """Save a chunk; if the register fails as a whole, say how much of the batch is kept and
    that running it again stores the rest (nothing is stored twice)."""
    try:
        return store.save(records)
    except StoreError as error:
        message = t(lang, "screen.store.stopped", error=error, stored=stored_before)
        raise StoreError(message) from None


def not_stored_problem(row: int, record: NewRecord, reason: str, lang: str) -> RowProblem:
    """A row assessed but refused by the register: its own line in errors.csv."""
    return RowProblem(
        row=row,
        column=t(lang, "screen.column.register"),
        value=shorten(record.partnership_id),
        problem=t(lang, "screen.problem.not_stored", reason=reason),
    )


STAGING_PREFIX = ".coopdec-partial-"


def _remove_abandoned(out: Path) -> None:
    """Remove the hidden folders of batches whose process is gone (killed mid-way)."""
    if os.name != "posix":  # os.kill(pid, 0) is a probe on POSIX only
        return
    for folder in out.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, someone else's
            pass


def _publish(staging: Path, out: Path) -> None:
    """Move a finished batch's files into --out: results, errors and summary replace those
    of an earlier batch, the charts folder is replaced whole, reports are added."""
    if (staging / "charts").is_dir():
        shutil.rmtree(out / "charts", ignore_errors=True)
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            target = out / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


def screen_table(
    file_bytes: bytes,
    filename: str,
    lang: str = "fr",
    store_url: str | None = None,
    out_dir: Path | None = None,
    reports: bool = False,
    rules_dir: Path | None = None,
    workers: int = 1,
    workspace: str | None = None,
    user_id: str | None = None,
) -> ScreenResult:
    """For the app: screen an uploaded table (CSV, XLSX or JSON bytes).

    Returns accepted results (`results`, one summary dict per request, in file order),
    rejected rows (`rejected`, one RowProblem per problem), warnings (unknown columns),
    summary counts (`counts`) and the chart files (`charts`, PNG and SVG). Outputs go to
    `out_dir` (a new temporary folder when None, so results.xlsx and summary.pdf can be
    offered for download); records go to the store when `store_url` is given, in `workspace`
    (None: the default one), recorded as stored by `user_id`. Raises `TableError` (one message)
    when the file is not a table of requests, `StoreError` when the register cannot be used."""
    from ..engine.assess import default_assessor
    from ..knowledge.lint import load_checked

    kb = load_checked(rules_dir) if rules_dir else default_assessor().kb
    options = ScreenOptions(
        lang=cast(Language, lang),
        out_dir=out_dir or Path(tempfile.mkdtemp(prefix="coopdec-screen-")),
        reports=reports,
        workers=workers,
        rules_dir=rules_dir,
        store_url=store_url,
        workspace=workspace,
        user_id=user_id,
        keep_results=True,
    )
    with RequestTable(file_bytes, filename, kb, lang) as table:
        return screen_requests(table, kb, options)


def history(
    store_url: str | None, partnership_id: str, workspace: str | None = None
) -> list[HistoryEntry]:
    """For the app and `coopdec history`: the assessments of one partnership in one workspace
    (None: the default one), oldest first (store_url None = $COOPDEC_STORE or
    ./coopdec.sqlite)."""
    url = store_url_of(store_url)
    database = make_url(url).database if url.startswith("sqlite") else None
    if database and database != ":memory:" and not Path(database).exists():
        workspace_name(workspace)  # a bad name is said even when there is nothing to read
        return []  # reading must not create an empty register
    store = Store(url, workspace)
    try:
        return store.history(partnership_id)
    finally:
        store.close()


class Change(BaseModel):
    """A partnership re-assessed under new rules: what it said before and what it says now."""

    partnership_id: str
    verdict_before: str
    verdict_after: str
    next_step_before: str
    next_step_after: str
    rules_before: str
    rules_after: str

    @property
    def changed(self) -> bool:
        return (self.verdict_before, self.next_step_before) != (
            self.verdict_after,
            self.next_step_after,
        )


def rescreen(
    store_url: str | None,
    kb: KnowledgeBase,
    options: ScreenOptions,
    progress: Progress | None = None,
) -> list[Change]:
    """Re-assess the latest profile of each partnership of the workspace (options.workspace)
    whose rules_version is not the current one, store the new assessments and say what
    changed."""
    store = Store(store_url, options.workspace, options.user_id)
    changes: list[Change] = []
    pending: deque[list] = deque()  # the stored records of the chunks in flight
    try:
        stale_ids = store.stale_ids(kb.version)

        def chunks() -> Iterator[list[Item]]:
            for start in range(0, len(stale_ids), options.chunk_size):
                batch = store.records(stale_ids[start : start + options.chunk_size])
                pending.append(batch)
                yield [(json.loads(r.profile_json), None, None) for r in batch]

        for done in pipeline(chunks(), options, None):
            records = []
            for before, (profile_z, result_z, summary) in zip(pending.popleft(), done, strict=True):
                changes.append(
                    Change(
                        partnership_id=before.partnership_id,
                        verdict_before=before.verdict,
                        verdict_after=summary.verdict,
                        next_step_before=before.next_step,
                        next_step_after=summary.next_step,
                        rules_before=before.rules_version,
                        rules_after=summary.rules_version,
                    )
                )
                records.append(
                    NewRecord(
                        partnership_id=before.partnership_id,
                        profile_hash=summary.profile_hash,
                        rules_version=summary.rules_version,
                        source_file=f"rescreen ({before.source_file})"[:500],
                        lang=options.lang,
                        verdict=summary.verdict,
                        next_step=summary.next_step,
                        profile_z=profile_z,
                        result_z=result_z,
                    )
                )
            saved = _save(store, records, 0, options.lang)
            if saved.refused:  # a profile the register kept is always storable again
                index, reason = saved.refused[0]
                raise StoreError(f"{records[index].partnership_id}: {reason}")
            if progress is not None:
                progress(len(changes), len(stale_ids))
    finally:
        store.close()
    return changes


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
