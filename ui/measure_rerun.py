"""Server time of the app after one answer, with the answers advisors really give.

    uv run python ui/measure_rerun.py [--answers 15] [--interviews 3] [--seed 5]

Uses streamlit.testing's AppTest, whose `run()` executes the whole script as the server does
(plus the test harness's own parsing of the page, so the numbers are an upper bound). Each
interview starts from an empty profile on the Assess page and answers the questions the page
shows, one at a time, with *middling* answers — any option with equal chance, "don't know"
one time in seven — never only the most favourable one: every answer is a combination the
assessor has not seen, so the `missing` analysis runs in full each time. CPU time of the process
(`process_time`) is reported beside wall time. The first usable page is measured apart, from a
fresh AppTest (the assessor already built, as on a server that has started).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit import config  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from coopdec_expert.knowledge.models import UNKNOWN  # noqa: E402
from ui.state import assessor  # noqa: E402

APP = str(ROOT / "ui" / "app.py")
# AppTest reads no config file: the app measured is the one served on this machine (no sign-in).
config.set_option("server.address", "127.0.0.1")


def question_radios(at: AppTest) -> list:
    return [r for r in at.radio if r.key and r.key.startswith("coopdec.q.")]


def interview(rng: random.Random, answers: int) -> tuple[list[float], list[float]]:
    """(CPU ms, wall ms) of each rerun after an answer, middling answers."""
    kb = assessor().kb
    at = AppTest.from_file(APP, default_timeout=300).run()
    cpu, wall = [], []
    for _ in range(answers):
        open_radios = [r for r in question_radios(at) if r.value is None]
        if not open_radios:
            break
        radio = open_radios[0]  # the page puts the most decisive question first
        question = kb.questions[radio.key.split(".", 4)[4]]
        options = question.option_ids()
        choice = UNKNOWN if rng.random() < 1 / 7 else rng.choice(options)
        if choice not in radio.options and choice == UNKNOWN:
            choice = rng.choice(options)
        radio.set_value(choice)
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        at.run()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start_wall) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return cpu, wall


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=15)
    parser.add_argument("--interviews", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    assessor()  # the server builds and warms it once, before the first page
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    AppTest.from_file(APP, default_timeout=300).run()
    print(
        f"first page, assessor built: {(time.process_time() - start_cpu) * 1000:.0f} ms CPU, "
        f"{(time.perf_counter() - start_wall) * 1000:.0f} ms wall"
    )
    cpu, wall = [], []
    for _ in range(args.interviews):
        one_cpu, one_wall = interview(rng, args.answers)
        cpu += one_cpu
        wall += one_wall
    print(
        f"rerun after one middling answer ({len(cpu)} answers in {args.interviews} interviews): "
        f"CPU median {statistics.median(cpu):.0f} ms, p95 {p95(cpu):.0f} ms; "
        f"wall median {statistics.median(wall):.0f} ms, p95 {p95(wall):.0f} ms"
    )


if __name__ == "__main__":
    main()
