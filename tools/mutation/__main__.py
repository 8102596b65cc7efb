"""`uv run python -m tools.mutation` — the mutation run: how much of the judgement the tests pin.

Generates single mutations of rules/ (tools/mutation/kb.py) and of the condition semantics and
verdict policy (tools/mutation/code.py), runs the battery of checks on each in a forked child
(tools/mutation/battery.py), prints every mutant's fate, the score per family and kind, and the
survivors (with the reason a survivor is harmless when tools/mutation/equivalent.py gives one).
Exit 1 when a family's score is below --min-score, 2 when the unmutated tree fails the battery
or the table of code mutants is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from . import battery
from .code import MUTANTS, stale
from .equivalent import EQUIVALENT
from .kb import KbMutant, enumerate_mutants, read_raw
from .runner import Job, Outcome, Report, run_jobs, sample

RULES = battery.ROOT / "rules"


def kb_jobs() -> list[Job]:
    raw = read_raw(RULES)

    def prepare_with(mutant: KbMutant):
        def prepare(work: Path) -> Path:
            mutant.write(RULES, work, raw)
            return work

        return prepare

    return [Job(m.id, m.kind, "kb", prepare_with(m)) for m in enumerate_mutants(RULES)]


def code_jobs() -> list[Job]:
    def prepare_with(mutant):
        def prepare(work: Path) -> Path:
            mutant.apply()
            return RULES

        return prepare

    return [Job(m.id, m.kind, "code", prepare_with(m)) for m in MUTANTS]


def baseline_job() -> Job:
    return Job("baseline", "baseline", "baseline", lambda work: RULES)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__)
    parser.add_argument(
        "--kb",
        default="300",
        help="knowledge-base mutants to run: a number (sampled with --seed, stratified by "
        "kind), 'all', or 0 (default 300)",
    )
    parser.add_argument(
        "--code", default="all", help="condition-semantics mutants: 'all' (default) or 0"
    )
    parser.add_argument(
        "--only",
        default="",
        help="only mutants whose id contains this text (several: separated by ' | ')",
    )
    parser.add_argument("--seed", type=int, default=12, help="sampling and hypothesis seed")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument(
        "--examples", type=int, default=25, help="cap on each property test's examples"
    )
    parser.add_argument(
        "--timeout", type=float, default=0, help="seconds per mutant (default: 8x the baseline)"
    )
    parser.add_argument(
        "--min-score", type=float, default=90.0, help="exit 1 below this %% killed (per family)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="lint and the regression cases only (what `make rules` runs), no pytest",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--nodes",
        type=int,
        metavar="N",
        help="instead of mutants: over N profiles the differential tests generate, how often "
        "each node of each rule's condition is decided true and false (shipped and probe rules)",
    )
    parser.add_argument("--json", type=Path, help="write every mutant's outcome to this file")
    return parser.parse_args(argv)


def _budget(value: str) -> int | None:
    return None if value == "all" else int(value)


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    if options.nodes:
        return nodes(options.nodes)
    problems = stale()
    if problems:
        print("The table of code mutants is stale (tools/mutation/code.py):", *problems, sep="\n  ")
        return 2
    jobs: list[Job] = []
    kb_budget, code_budget = _budget(options.kb), _budget(options.code)
    if kb_budget != 0:
        jobs += sample(kb_jobs(), kb_budget, options.seed)
    if code_budget != 0:
        jobs += sample(code_jobs(), code_budget, options.seed)
    if options.only:
        wanted = [text.strip() for text in options.only.split(" | ")]
        jobs = [job for job in jobs if any(text in job.id for text in wanted)]
    if options.list:
        for job in jobs:
            print(f"{job.family:4}  {job.kind:14}  {job.id}")
        print(f"{len(jobs)} mutants")
        return 0

    battery.preload()
    started = time.monotonic()
    print("Baseline: the unmutated rules and code against the battery…", flush=True)
    base = run_jobs(
        [baseline_job()],
        workers=1,
        examples=options.examples,
        seed=options.seed,
        timeout=3600,
        quick=options.quick,
    ).outcomes[0]
    if base.killed:
        print(f"The battery fails without any mutation: {base.killed_by}: {base.detail}")
        return 2
    timeout = options.timeout or max(60.0 if options.quick else 120.0, 8 * base.seconds)
    print(
        f"Baseline passes ({base.tests_run} tests, {base.seconds:.0f} s). "
        f"{len(jobs)} mutants, {options.jobs} at a time, timeout {timeout:.0f} s each.",
        flush=True,
    )

    def progress(outcome: Outcome, done: int, total: int) -> None:
        fate = f"killed by {outcome.killed_by}" if outcome.killed else "SURVIVED"
        print(
            f"[{done}/{total}] {outcome.seconds:5.1f}s  {fate:40.40}  {outcome.job.id}", flush=True
        )

    report = run_jobs(
        jobs,
        workers=options.jobs,
        examples=options.examples,
        seed=options.seed,
        timeout=timeout,
        quick=options.quick,
        progress=progress,
    )
    elapsed = time.monotonic() - started
    failed = summarise(report, options.min_score, elapsed)
    if options.json:
        options.json.write_text(
            json.dumps(
                [
                    {
                        "id": o.job.id,
                        "family": o.job.family,
                        "kind": o.job.kind,
                        "killed_by": o.killed_by,
                        "detail": o.detail,
                        "seconds": o.seconds,
                    }
                    for o in report.outcomes
                ],
                indent=1,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    return 1 if failed else 0


def nodes(examples: int) -> int:
    """Print how often the generated profiles decide each condition node each way; 1 when a
    node (other than a probe's contradiction) is decided only one way."""
    battery.preload()
    import shutil
    import tempfile

    from tests.independent_evaluator import IndependentEvaluator
    from tests.test_condition_semantics import NEVER, PROBES, SHIPPED, node_coverage

    with tempfile.TemporaryDirectory() as scratch:
        probed = Path(scratch) / "rules"
        shutil.copytree(RULES, probed)
        shutil.copy(PROBES, probed / "zz_probes.yaml")
        runs = (
            ("shipped rules", node_coverage(SHIPPED, examples)),
            ("probe rules", node_coverage(IndependentEvaluator(probed), examples, "probe.")),
        )
    one_way_anywhere = False
    for title, counts in runs:
        both = {key: seen for key, seen in counts.items() if seen[True] and seen[False]}
        one_way = {key: seen for key, seen in counts.items() if key not in both}
        fewest = min((min(seen[True], seen[False]) for seen in both.values()), default=0)
        print(
            f"{title}: {len(both)}/{len(counts)} condition nodes decided both ways over "
            f"{examples} generated profiles (the rarer way at least {fewest} times)"
        )
        for (rule, path), seen in sorted(one_way.items()):
            expected = (
                " (a contradiction: never true, as it should)" if (rule, path) in NEVER else ""
            )
            one_way_anywhere |= not expected
            print(f"  one way only: {rule} {path or 'root'}: {dict(seen)}{expected}")
    return 1 if one_way_anywhere else 0


def summarise(report: Report, min_score: float, elapsed: float) -> bool:
    """Print the scores and the survivors; True when a family is below min_score.

    The score that --min-score checks leaves out the survivors declared equivalent
    (tools/mutation/equivalent.py: no test can tell them apart); the raw score is printed too."""
    below = False
    print()
    for family, title in (
        ("kb", "Knowledge-base mutants"),
        ("code", "Condition-semantics mutants"),
    ):
        outcomes = report.family(family)
        if not outcomes:
            continue
        killed = sum(o.killed for o in outcomes)
        survivors = [o for o in outcomes if not o.killed]
        equivalent = [o for o in survivors if o.job.id in EQUIVALENT]
        judged = len(outcomes) - len(equivalent)
        score = 100 * killed / judged if judged else 100.0
        below |= score < min_score
        timeouts = sum(o.killed_by == "timeout" for o in outcomes)
        print(
            f"{title}: {killed}/{len(outcomes)} killed ({100 * killed / len(outcomes):.1f}%); "
            f"{killed}/{judged} killed ({score:.1f}%) of those not declared equivalent"
            + (f"; {timeouts} of the killed by timeout" if timeouts else "")
        )
        kinds = Counter(o.job.kind for o in outcomes)
        for kind in sorted(kinds):
            of_kind = [o for o in outcomes if o.job.kind == kind]
            print(f"  {kind:16} {sum(o.killed for o in of_kind):4}/{len(of_kind)}")
        killers = Counter(o.killed_by.split("[")[0] for o in outcomes if o.killed_by)
        print("  killed by: " + ", ".join(f"{k} {n}" for k, n in killers.most_common(8)))
        if survivors:
            print(f"  Survivors ({len(survivors)}, {len(equivalent)} declared equivalent):")
            for outcome in survivors:
                reason = EQUIVALENT.get(outcome.job.id)
                print(f"    {outcome.job.id}")
                print(f"      {'equivalent: ' + reason if reason else 'NO REASON DECLARED'}")
    print(f"\n{len(report.outcomes)} mutants in {elapsed / 60:.1f} min")
    return below


if __name__ == "__main__":
    sys.exit(main())
