"""Cold start of the command line: a new process running `coopdec assess` on a shipped example,
as a user or a script calls it (imports, reading rules/, building the experta engine, one
assessment with its `missing` analysis).

    uv run python bench/bench_cold.py [--runs 5] [--example ziniare_recherche_de_partenaire.yaml]

Each run is a separate process; its CPU time (user + system, from the operating system's
accounting of the finished child) and wall time are reported, median and range. Python writes
no bytecode cache where PYTHONDONTWRITEBYTECODE is set (this project's machines): imports are
then compiled on every start, which this figure includes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(example: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "coopdec_expert.cli", "assess", str(example)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ},
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", default="ziniare_recherche_de_partenaire.yaml")
    args = parser.parse_args()
    example = ROOT / "examples" / args.example
    one_run(example)  # warm-up: file system caches
    runs = [one_run(example) for _ in range(args.runs)]
    cpu = [c for c, _ in runs]
    wall = [w for _, w in runs]
    print(
        f"cold `coopdec assess {args.example}`, {args.runs} runs: "
        f"CPU median {statistics.median(cpu):.2f} s ({min(cpu):.2f}–{max(cpu):.2f}), "
        f"wall median {statistics.median(wall):.2f} s ({min(wall):.2f}–{max(wall):.2f})"
    )


if __name__ == "__main__":
    main()
