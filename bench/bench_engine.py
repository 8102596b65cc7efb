"""Speed of the engine, the open-question analysis and the explanations, on the profiles users
have: sparse (a shipped example cut to 3, 8 and 15 answers, three draws each), middling (every
option equally likely, some unknown or unanswered) and the complete shipped examples.

Run: `uv run python bench/bench_engine.py [--rounds 3]` (figures go in README.md, not in tests).
Each figure is the median over the profiles of the per-profile CPU time (`process_time`), with
its p95 and the wall-clock median beside it, and its ratio to the floor measured in the same
run: one conclusion of the compiled evaluator on the same profiles. Caches are cleared before
each measured call; each measure is repeated `--rounds` times and the median round is kept.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
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

Answers = dict[str, str]


def examples(kb) -> list[Answers]:
    return [
        dict(load_profile(p, kb).answers)
        for p in sorted((ROOT / "examples").iterdir())
        if p.suffix in {".yaml", ".yml", ".json"}
    ]


def sparse_profiles(full: list[Answers], seed: int = 11) -> list[Answers]:
    """Each example cut to 3, 8 and 15 of its answers, three draws each."""
    rng = random.Random(seed)
    found = []
    for answers in full:
        for size in (3, 8, 15):
            for _ in range(3):
                kept = rng.sample(sorted(answers), min(size, len(answers)))
                found.append({q: answers[q] for q in kept})
    return found


def middling_profiles(kb, count: int = 40, seed: int = 13) -> list[Answers]:
    """Every question: unanswered 15%, unknown 15%, else any option with equal chance."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        answers = {}
        for question in kb.questions.values():
            roll = rng.random()
            if roll < 0.15:
                continue
            unknown = roll < 0.30 and question.accepts_unknown  # who requests is always known
            answers[question.id] = UNKNOWN if unknown else rng.choice(question.option_ids())
        found.append(answers)
    return found


class Bench:
    def __init__(self, assessor: Assessor, rounds: int):
        self.assessor = assessor
        self.rounds = rounds

    def clear(self) -> None:
        for cache in (self.assessor._outcomes, self.assessor._quick, self.assessor._modal):
            cache.items.clear()

    def measure(self, work: Callable[[Answers], object], profiles: list[Answers]):
        """(cpu samples, wall samples) in ms, per profile, median round kept."""
        rounds = []
        for _ in range(self.rounds):
            cpu, wall = [], []
            for answers in profiles:
                self.clear()
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                work(answers)
                cpu.append((time.process_time() - start_cpu) * 1000)
                wall.append((time.perf_counter() - start_wall) * 1000)
            rounds.append((statistics.median(cpu), cpu, wall))
        rounds.sort(key=lambda r: r[0])
        _, cpu, wall = rounds[len(rounds) // 2]
        return cpu, wall


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def row(label: str, cpu: list[float], wall: list[float], floor: float) -> str:
    median = statistics.median(cpu)
    return (
        f"| {label} | {len(cpu)} | {median:.2f} | {p95(cpu):.2f} | "
        f"{statistics.median(wall):.2f} | {median / floor:.0f}× |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    kb = load_checked()
    assessor = Assessor(kb)
    bench = Bench(assessor, rounds)
    evaluator = IndependentEvaluator()
    complete = examples(kb)
    # Each set as the rules read it (Assessor.answers_for: who requests, answers to questions
    # that do not apply set aside), so that every measure below works on what assess() reads.
    sets = {
        name: [assessor.answers_for(Profile(answers=a)) for a in answer_sets]
        for name, answer_sets in {
            "complete examples": complete,
            "sparse (3/8/15 answers)": sparse_profiles(complete),
            "middling": middling_profiles(kb),
        }.items()
    }
    for answers in complete:  # warm-up
        assessor.assess(Profile(answers=answers))

    print(f"rules: {len(kb.rules)}, questions: {len(kb.questions)}; ms of CPU per profile")
    print()
    print("| work | profiles | median | p95 | wall median | × floor |")
    print("|---|---|---|---|---|---|")
    for name, profiles in sets.items():
        floor_cpu, _ = bench.measure(assessor.rules.conclude, profiles)
        floor = statistics.median(floor_cpu)
        print(row(f"floor: one conclusion, compiled evaluator — {name}", floor_cpu, _, floor))
        measures: list[tuple[str, Callable[[Answers], object]]] = [
            ("outcome, compiled evaluator (with the possible reading)", assessor.quick),
            ("outcome, experta engine of record (with trace)", assessor.outcome),
            ("independent evaluator of tests/", evaluator.evaluate),
            (
                "`assess()` with the `missing` analysis",
                lambda a: assessor.assess(Profile(answers=a)),
            ),
        ]
        if name == "complete examples":
            measures += [
                ("what-if sweep, every single-answer alternative", lambda a: sweep(assessor, a)),
                ("`explain --path` (up to 3 changes)", lambda a: paths_to_next_level(assessor, a)),
                ("`explain` why", lambda a: explain_why(assessor, a, "fr")),
            ]
        if name == "middling":
            measures += [
                ("what-if sweep, every single-answer alternative", lambda a: sweep(assessor, a)),
                ("`explain --path` (up to 3 changes)", lambda a: paths_to_next_level(assessor, a)),
            ]
        for label, work in measures:
            cpu, wall = bench.measure(work, profiles)
            print(row(f"{label} — {name}", cpu, wall, floor))


if __name__ == "__main__":
    main()
