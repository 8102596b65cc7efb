"""Speed of the engine and the explanations (issue: fast enough to be interactive).

Run: `uv run python bench/bench_engine.py` (numbers go in README.md, not in tests).
Measures, on this machine:
- one assessment with full trace (experta engine + classification, cache off), median and p95,
  on the shipped examples and on generated profiles, and the same for the independent
  evaluator of tests/;
- `assess()` (the Assessment, including the `missing` analysis);
- the what-if sweep over every single-answer alternative of a profile (cache off);
- explain --why and --path.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coopdec_expert.engine.assess import Assessor  # noqa: E402
from coopdec_expert.explain.path import paths_to_next_level  # noqa: E402
from coopdec_expert.explain.whatif import sweep  # noqa: E402
from coopdec_expert.explain.why import explain_why  # noqa: E402
from coopdec_expert.knowledge.lint import load_checked  # noqa: E402
from coopdec_expert.knowledge.models import UNKNOWN  # noqa: E402
from coopdec_expert.profile import Profile, load_profile  # noqa: E402
from tests.independent_evaluator import IndependentEvaluator  # noqa: E402


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return (time.perf_counter() - start) * 1000


def summary(label: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    median = statistics.median(samples)
    return f"{label:58s} n={len(samples):4d}  median {median:7.1f} ms  p95 {p95:7.1f} ms"


def generated_profiles(kb, count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    profiles = []
    for _ in range(count):
        answers = {}
        for question in kb.questions.values():
            roll = rng.random()
            if roll < 0.1:
                continue
            if roll < 0.2:
                answers[question.id] = UNKNOWN
            else:  # skewed towards favourable answers, as real files are
                options = question.option_ids()
                answers[question.id] = options[-1] if rng.random() < 0.5 else rng.choice(options)
        profiles.append(answers)
    return profiles


def main() -> None:
    kb = load_checked()
    assessor = Assessor(kb)
    evaluator = IndependentEvaluator()
    examples = [
        dict(load_profile(p, kb).answers)
        for p in sorted((ROOT / "examples").iterdir())
        if p.suffix in {".yaml", ".json"}
    ]
    generated = generated_profiles(kb, 300)

    def uncached(answers):
        assessor._cache.clear()
        assessor.outcome(answers)

    for answers in examples[:3]:  # warm-up
        uncached(answers)
    print(f"rules: {len(kb.rules)}, questions: {len(kb.questions)}")
    print(summary("engine + trace, examples (x20)", [timed(uncached, a) for a in examples * 20]))
    print(summary("engine + trace, generated profiles", [timed(uncached, a) for a in generated]))
    print(
        summary(
            "independent evaluator, examples (x20)",
            [timed(evaluator.evaluate, a) for a in examples * 20],
        )
    )
    print(
        summary(
            "independent evaluator, generated profiles",
            [timed(evaluator.evaluate, a) for a in generated],
        )
    )

    def full_assess(answers):
        assessor._cache.clear()
        assessor.assess(Profile(answers=answers))

    print(
        summary(
            "assess() with missing analysis, examples", [timed(full_assess, a) for a in examples]
        )
    )
    print(
        summary(
            "assess() with missing analysis, generated",
            [timed(full_assess, a) for a in generated[:40]],
        )
    )

    def full_sweep(answers):
        assessor._cache.clear()
        sweep(assessor, answers)

    alternatives = len(sweep(assessor, examples[0]))
    print(
        summary(
            f"what-if sweep, every single-answer alternative (~{alternatives})",
            [timed(full_sweep, a) for a in examples],
        )
    )

    def why(answers):
        assessor._cache.clear()
        explain_why(assessor, answers, "fr")

    def path(answers):
        assessor._cache.clear()
        paths_to_next_level(assessor, answers, "fr")

    print(summary("explain why (cache off)", [timed(why, a) for a in examples]))
    print(summary("explain --path, 3 changes (cache off)", [timed(path, a) for a in examples]))


if __name__ == "__main__":
    main()
