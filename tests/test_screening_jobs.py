"""The app's batch (coopdec_expert.screening.jobs): screened in a process of its own that reports
rows done / total, stops within its time and memory limits or when cancelled (leaving no process
behind and the register's committed chunks), and rows already in the register (same answers,
same rules, same language) are not assessed again."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from coopdec_expert.screening.jobs import BatchJob, BatchLimits
from coopdec_expert.screening.run import ScreenOptions, screen_requests
from coopdec_expert.screening.table import RequestTable

from .conftest import ROOT
from .registers import record_count
from .support import SERVER_CEILING_S

sys.path.insert(0, str(ROOT / "bench"))
from bench_screening import generate  # noqa: E402


@pytest.fixture(scope="module")
def requests_csv(tmp_path_factory) -> Path:
    """200 realistic requests (a third sparse), as the benchmark generates them."""
    path = tmp_path_factory.mktemp("requests") / "demandes.csv"
    generate(path, 200, "realistic")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _run_until(job: BatchJob, stop) -> list:
    """Poll the job (as the page does) until `stop(progress)` or its end; every progress seen."""
    seen = []
    deadline = time.monotonic() + SERVER_CEILING_S
    while time.monotonic() < deadline:
        progress = job.poll()
        seen.append(progress)
        if progress.finished or stop(progress):
            return seen
        time.sleep(0.1)  # polling interval
    raise AssertionError("the batch did not end")


def test_a_batch_runs_in_its_own_process_and_reports_rows_done_of_total(tmp_path, requests_csv):
    url = f"sqlite:///{tmp_path}/register.sqlite"
    job = BatchJob(requests_csv.read_bytes(), "demandes.csv", "fr", url)
    assert job.pid != os.getpid()
    seen = _run_until(job, lambda p: False)
    final = seen[-1]
    assert final.state == "done", final.message
    assert final.result.assessed == 200 and final.result.stored == 200
    assert {"results.xlsx", "results.csv", "errors.csv", "summary.pdf"} <= set(final.files)
    running = [p for p in seen if p.state == "running" and p.total]
    assert running and all(p.total == 200 for p in running)  # rows, estimated from the lines
    assert any(0 < p.done < 200 for p in running)  # rows done, shown as they come
    assert any(p.remaining_seconds is not None for p in running)
    assert not job.folder.exists()  # nothing left on the server's disk
    assert not _alive(job.pid)


def test_cancel_stops_the_process_and_keeps_the_committed_records(tmp_path, requests_csv):
    url = f"sqlite:///{tmp_path}/register.sqlite"
    job = BatchJob(requests_csv.read_bytes(), "demandes.csv", "fr", url)
    _run_until(job, lambda p: p.done > 0)
    final = job.cancel()
    assert final.state == "cancelled" and final.done > 0
    assert not _alive(job.pid)
    assert 0 < record_count(url) < 200  # whole chunks committed, not all
    assert not job.folder.exists()


def test_a_batch_past_its_time_is_stopped(tmp_path, requests_csv):
    url = f"sqlite:///{tmp_path}/register.sqlite"
    job = BatchJob(
        requests_csv.read_bytes(), "demandes.csv", "fr", url, limits=BatchLimits(seconds=0.5)
    )
    final = _run_until(job, lambda p: False)[-1]
    assert final.state == "timeout"
    assert not _alive(job.pid)


def test_a_batch_past_its_memory_is_stopped(tmp_path, requests_csv):
    url = f"sqlite:///{tmp_path}/register.sqlite"
    job = BatchJob(
        requests_csv.read_bytes(), "demandes.csv", "fr", url, limits=BatchLimits(memory_mb=64)
    )
    final = _run_until(job, lambda p: False)[-1]
    assert final.state == "memory"  # the engine and its rules alone hold more than 64 MB
    assert not _alive(job.pid)


def test_a_file_that_is_not_a_table_is_refused_with_its_message(tmp_path):
    job = BatchJob(b"\x89PNG\r\n\x1a\n\x00binary", "photo.png", "fr", None)
    final = _run_until(job, lambda p: False)[-1]
    assert final.state == "refused" and "photo.png" in final.message


def test_rows_already_in_the_register_are_not_assessed_again(
    tmp_path, requests_csv, kb, monkeypatch
):
    from coopdec_expert.engine.assess import Assessor

    url = f"sqlite:///{tmp_path}/register.sqlite"
    calls = []
    assess = Assessor.assess
    monkeypatch.setattr(
        Assessor, "assess", lambda self, *a, **k: calls.append(1) or assess(self, *a, **k)
    )

    def screen(data: bytes, lang: str = "fr"):
        options = ScreenOptions(
            lang=lang, store_url=url, keep_results=True, reuse_stored=True, chunk_size=10
        )
        with RequestTable(data, "demandes.csv", kb, lang) as table:
            return screen_requests(table, kb, options)

    data = requests_csv.read_bytes()
    first = screen(data)
    assert first.reused == 0 and first.stored == 200
    assert len(calls) == 200
    second = screen(data)
    assert second.reused == 200 and second.stored == 0
    assert len(calls) == 200  # none assessed again
    assert second.results == first.results  # the same summaries, read back
    # one row's answers changed: that row only is assessed again
    lines = data.decode("utf-8").splitlines()
    cells = lines[5].split(";")
    cells[-1] = "unknown" if cells[-1] != "unknown" else ""
    lines[5] = ";".join(cells)
    third = screen("\n".join(lines).encode("utf-8"))
    assert third.reused == 199 and third.stored == 1
    # another language: its texts differ, so assessed again (and not stored twice)
    english = screen(data, "en")
    assert english.reused == 0 and english.stored == 0
