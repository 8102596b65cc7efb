"""Throughput of `coopdec screen`: requests per second and peak memory (not a test).

    uv run python bench/bench_screening.py                 # 10,000 realistic rows, reports off
    uv run python bench/bench_screening.py --rows 2000     # another size, to see memory flat

Each measurement runs in a fresh subprocess so that its peak memory (getrusage: the main
process and the largest worker) is its own. Rows are generated with a fixed seed, as a register
really is: a third sparse (a third of the questions answered: first letters, files to complete),
the rest middling (every question answered with any of its options, about one in seven
"unknown"); and, for comparison, complete rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(path: Path, rows: int, mix: str, seed: int = 7) -> None:
    """A CSV in the template's layout with random but valid answers; `mix` is "realistic" (a
    third sparse, the rest middling) or "complete" (every question answered)."""
    from coopdec_expert.knowledge.lint import load_checked
    from coopdec_expert.screening.table import META_COLUMNS

    kb = load_checked()
    rng = random.Random(seed)
    questions = list(kb.questions.values())
    countries = ["Burkina Faso", "Cameroun", "RD Congo", "Tchad", "Bénin", "Sénégal"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([*META_COLUMNS, *(q.id for q in questions)])
        for index in range(rows):
            meta = {
                "id": f"req-{index:06d}",
                "north_name": f"Commune du Nord {index % 97}",
                "north_country": "France",
                "south_name": f"Commune du Sud {index % 89}",
                "south_country": rng.choice(countries),
            }
            sparse = mix == "realistic" and index % 3 == 0
            unknown = 0.15 if mix == "realistic" else 0.0
            answers = []
            for question in questions:
                roll = rng.random()
                if sparse and roll > 0.33:
                    answers.append("")
                elif roll < unknown and question.accepts_unknown:
                    answers.append("unknown")
                else:
                    answers.append(rng.choice(question.option_ids()))
            writer.writerow([*(meta.get(c, "") for c in META_COLUMNS), *answers])


def measure(rows: int, workers: int, reports: bool, mix: str) -> dict:
    """One run of the batch, in this process; returns the numbers as a dict."""
    from coopdec_expert.knowledge.lint import load_checked
    from coopdec_expert.screening.run import ScreenOptions, screen_requests
    from coopdec_expert.screening.table import RequestTable

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "requests.csv"
        generate(source, rows, mix)
        kb = load_checked()
        options = ScreenOptions(
            out_dir=Path(folder) / "out",
            reports=reports,
            workers=workers,
            store_url=f"sqlite:///{folder}/register.sqlite",
        )
        start = time.perf_counter()
        with RequestTable(source, source.name, kb, "fr") as table:
            result = screen_requests(table, kb, options)
        elapsed = time.perf_counter() - start
    own_usage = resource.getrusage(resource.RUSAGE_SELF)
    children_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = own_usage.ru_maxrss / 1024
    children = children_usage.ru_maxrss / 1024
    return {
        "rows": rows,
        "workers": workers,
        "reports": reports,
        "mix": mix,
        "assessed": result.assessed,
        "stored": result.stored,
        "seconds": round(elapsed, 2),
        "per_second": round(result.assessed / elapsed, 1),
        "peak_rss_main_mb": round(own, 1),
        "peak_rss_worker_mb": round(children, 1),
        "cpu_main_s": round(own_usage.ru_utime + own_usage.ru_stime, 1),  # generation included
        "cpu_workers_s": round(children_usage.ru_utime + children_usage.ru_stime, 1),
    }


def _in_subprocess(rows: int, workers: int, reports: bool, mix: str) -> dict:
    command = [sys.executable, __file__, "--one", str(rows), "--workers", str(workers)]
    command += ["--reports"] * reports + ["--mix", mix]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reports-rows", type=int, default=100)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reports", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mix", default="realistic", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.workers, args.reports, args.mix)))
        return
    runs = [
        (args.rows // 5, False, "realistic"),
        (args.rows, False, "realistic"),
        (args.rows, False, "complete"),
        (args.reports_rows, True, "realistic"),
    ]
    header = (
        "rows  workers  reports  rows mix   seconds  req/s  peak main MB  peak worker MB"
        "  CPU main s  CPU workers s"
    )
    print(header)
    for rows, reports, mix in runs:
        r = _in_subprocess(rows, args.workers, reports, mix)
        print(
            f"{r['rows']:>5}  {r['workers']:>7}  {str(r['reports']):>7}  {r['mix']:>9}  "
            f"{r['seconds']:>7}  {r['per_second']:>5}  {r['peak_rss_main_mb']:>12}  "
            f"{r['peak_rss_worker_mb']:>14}  {r['cpu_main_s']:>10}  {r['cpu_workers_s']:>13}"
        )


if __name__ == "__main__":
    main()
