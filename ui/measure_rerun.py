"""Server time of one rerun after one answer change, on the largest shipped example.

    uv run python ui/measure_rerun.py [--runs 30]

Uses streamlit.testing's AppTest, whose `run()` executes the whole script as the server does
(plus the test harness's own parsing of the page, so the numbers are an upper bound). Each
change alternates one answer between two options, so both results are cached by the assessor
after the first two runs, as they are for a person editing an answer back and forth; the first
run of a new combination is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from ui.profile_io import EXAMPLES_DIR, examples  # noqa: E402
from ui.state import assessor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    largest = max(examples(), key=lambda name: (EXAMPLES_DIR / name).stat().st_size)
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120).run()
    at.selectbox(key="coopdec.example_choice").select(largest).run()
    radio = next(r for r in at.radio if r.key and r.key.startswith("coopdec.q."))
    question = radio.key.split(".", 4)[4]
    first, second = (o.id for o in assessor().kb.questions[question].options[:2])
    timings = []
    for index in range(runs + 2):
        radio = next(r for r in at.radio if r.key == radio.key)
        radio.set_value(second if index % 2 == 0 else first)
        start = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - start) * 1000)
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["coopdec.answers"][question] == radio.value
    warm = sorted(timings[2:])
    print(f"example: {largest} ({len(at.session_state['coopdec.answers'])} answers), {question}")
    print(f"first change (new combination): {timings[0]:.0f} ms")
    print(
        f"rerun after one answer change, {runs} runs: median {statistics.median(warm):.0f} ms, "
        f"p95 {warm[int(0.95 * (len(warm) - 1))]:.0f} ms"
    )
    interview_from_scratch()


def interview_from_scratch(answers: int = 12) -> None:
    """A new interview: each answer is a combination never seen, so the `missing` analysis of
    a sparse profile (the costly case) runs in full."""
    at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120).run()
    kb = assessor().kb
    timings = []
    for _ in range(answers):
        radio = next(r for r in at.radio if r.key.startswith("coopdec.q.") and r.value is None)
        radio.set_value(kb.questions[radio.key.split(".", 4)[4]].options[-1].id)
        start = time.perf_counter()
        at.run()
        timings.append((time.perf_counter() - start) * 1000)
    print(
        f"new interview, first {answers} answers (each a new combination): "
        f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms"
    )


if __name__ == "__main__":
    main()
