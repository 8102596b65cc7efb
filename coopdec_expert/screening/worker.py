"""The worker side of a batch: one Assessor per process, each chunk of rows assessed, its
results packed as the register keeps them, its reports written (coopdec_expert/screening/run.py
runs the batch).

A pool process imports this module only, not the batch's: neither SQLAlchemy nor openpyxl is
loaded in a worker (measured: ~1 s of CPU less per worker at start, without bytecode caches).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import threading
from pathlib import Path

from ..assessment import Assessment
from ..profile import Profile, validate_profile
from .outputs import RequestSummary
from .packing import pack, profile_hash, unpack

# What a worker receives per request: the profile's data, the stem of its report file (None: no
# report), and the result the register already holds for it (None: to assess).
Item = tuple[dict, str | None, bytes | None]


def summarise(profile: Profile, assessment: Assessment) -> RequestSummary:
    """The compact view of one result: one row of results.csv, one bar of the charts."""
    return RequestSummary(
        id=profile.id or "",
        north_name=profile.north.name if profile.north else "",
        north_country=profile.north.country if profile.north else "",
        south_name=profile.south.name if profile.south else "",
        south_country=profile.south.country if profile.south else "",
        verdict=assessment.readiness.verdict,
        verdict_label=assessment.readiness.verdict_label,
        next_step=assessment.readiness.next_step,
        next_step_label=assessment.readiness.next_step_label,
        scores={s.area: (s.score if s.assessed else None) for s in assessment.scores},
        flags=[f.id for f in assessment.flags],  # already highest severity first
        recommendations=[(r.id, r.text) for r in assessment.recommendations[:3]],
        rules_version=assessment.rules_version,
        profile_hash=profile_hash(profile),
    )


class Worker:
    """One assessor and what to do with each result; lives in a pool process or inline."""

    def __init__(
        self, rules_dir: Path | None, lang: str, reports_dir: Path | None, pdf: bool = True
    ):
        from ..engine.assess import Assessor, default_assessor
        from ..knowledge.lint import load_checked

        self.assessor = Assessor(load_checked(rules_dir)) if rules_dir else default_assessor()
        self.kb = self.assessor.kb
        self.lang = lang
        self.reports_dir = reports_dir
        self.pdf = pdf

    def assess_chunk(self, items: list[Item]) -> list[tuple[bytes, bytes, RequestSummary]]:
        """(profile data, report file stem, stored result) → (profile, result, summary) each,
        the profile and the result as the register keeps them (compressed JSON: here, in
        parallel); a stored result is read back instead of assessing again."""
        done = []
        for data, report_name, stored in items:
            # a profile stored under earlier rules is read as a file is: its old answers
            # migrated (rules/migrations.yaml), its problems named
            profile = validate_profile(data, self.kb, str(data.get("id") or "profile"), self.lang)
            if stored is not None:
                assessment = Assessment.model_validate_json(unpack(stored))
            else:
                assessment = self.assessor.assess(profile, self.lang)
            if report_name and self.reports_dir is not None:
                self._write_report(profile, assessment, report_name)
            summary = summarise(profile, assessment)
            result_z = stored if stored is not None else pack(assessment.model_dump_json())
            done.append((pack(profile.model_dump_json()), result_z, summary))
        return done

    def _write_report(self, profile: Profile, assessment: Assessment, name: str) -> None:
        from ..pdf import markdown_to_pdf
        from ..report import render

        assert self.reports_dir is not None  # called only when reports are asked
        text = render(assessment, profile, self.kb, "markdown")
        (self.reports_dir / f"{name}.md").write_text(text, encoding="utf-8")
        if not self.pdf:
            return
        title = profile.title or profile.id or name
        (self.reports_dir / f"{name}.pdf").write_bytes(markdown_to_pdf(text, title))


_WORKER: Worker | None = None
WORKER_CACHE_SIZE = 512


def _init_worker(rules_dir: Path | None, lang: str, reports_dir: Path | None, pdf: bool) -> None:
    global _WORKER
    _exit_with_parent()
    _WORKER = Worker(rules_dir, lang, reports_dir, pdf)
    # Rows share few answer sets: small caches keep the worker's heap small, and the objects
    # built at start (rules, engine) are moved out of the garbage collector's passes, which
    # then run less often (measured: ~1.5 ms of a ~10 ms row went to collections).
    _WORKER.assessor.resize_caches(WORKER_CACHE_SIZE)
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _exit_with_parent() -> None:
    """End this worker when the batch's process dies. Killed by SIGKILL, the parent cannot
    stop its pool: the workers would wait forever on their queue (each holds the queue's other
    end), and multiprocessing's resource tracker with them. `parent_process().sentinel` becomes
    ready when the parent is gone, on every platform."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="coopdec-parent-watch", daemon=True).start()


def _assess_in_worker(items: list[Item]) -> list[tuple[bytes, bytes, RequestSummary]]:
    assert _WORKER is not None, "pool initializer did not run"
    return _WORKER.assess_chunk(items)
