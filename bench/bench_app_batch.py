"""A directorate's batch as the app runs it (not a test): the screening page's BatchJob.

    uv run python bench/bench_app_batch.py [--rows 200] [--workers 1]

Generates realistic requests (a third sparse, fixed seed: bench_screening.generate), screens
them twice through `coopdec_expert.screening.jobs.BatchJob` — a process of its own, polled as
the page polls it — with a fresh SQLite register: the second time every row is already in the
register (same answers, same rules) and is read back instead of assessed. Prints the time to
the first rows shown, the total time, and the peak memory of the batch's largest process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_screening import generate  # noqa: E402

from coopdec_expert.screening.jobs import BatchJob, BatchLimits  # noqa: E402


def run(data: bytes, url: str, workers: int) -> tuple[float, float, int, int]:
    job = BatchJob(data, "demandes.csv", "fr", url, limits=BatchLimits(workers=workers))
    start, first = time.perf_counter(), None
    while True:
        progress = job.poll()
        if progress.done and first is None:
            first = time.perf_counter() - start
        if progress.finished:
            break
        time.sleep(0.05)  # the page refreshes every second; finer here for the figures
    if progress.state != "done":
        raise SystemExit(f"batch ended {progress.state}: {progress.message}")
    result = progress.result
    return time.perf_counter() - start, first or 0.0, result.assessed, result.reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "demandes.csv"
        generate(source, args.rows, "realistic")
        url = f"sqlite:///{folder}/register.sqlite"
        for label in ("new rows", "same file again (rows in the register)"):
            total, first, assessed, reused = run(source.read_bytes(), url, args.workers)
            print(
                f"{label}: {assessed} rows in {total:.1f} s (first rows shown after "
                f"{first:.1f} s, {assessed / total:.0f} rows/s, {reused} read from the register)"
            )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of the batch's largest process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
