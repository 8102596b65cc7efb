"""Run mutants in forked children, a few at a time, each against the battery of checks."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from . import battery


@dataclass
class Job:
    id: str
    kind: str
    family: str  # "kb" | "code" | "baseline"
    prepare: Callable[[Path], Path]  # in the child: the rules tree to check (may write `work`)


@dataclass
class Outcome:
    job: Job
    killed_by: str | None
    detail: str
    seconds: float
    tests_run: int = 0

    @property
    def killed(self) -> bool:
        return self.killed_by is not None


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def family(self, name: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.job.family == name]


def sample(jobs: Sequence[Job], budget: int | None, seed: int) -> list[Job]:
    """All jobs, or `budget` of them drawn with a fixed seed, stratified by kind: every kind
    gets its share (at least a few), so a sampled score still covers every operator."""
    if budget is None or budget >= len(jobs):
        return list(jobs)
    rng = random.Random(seed)
    by_kind: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        by_kind[job.kind].append(job)
    shares = {
        kind: min(len(group), max(3, round(budget * len(group) / len(jobs))))
        for kind, group in by_kind.items()
    }
    chosen = {id(j) for kind, group in by_kind.items() for j in rng.sample(group, shares[kind])}
    return [job for job in jobs if id(job) in chosen]


def _child(job: Job, work: Path, examples: int, seed: int, quick: bool, connection) -> None:
    try:
        rules_dir = job.prepare(work)
        result = battery.run(rules_dir, job.family, examples, seed, quick_only=quick)
    except BaseException as error:  # the mutant broke something before the tests: killed
        result = {
            "killed_by": "error",
            "detail": f"{type(error).__name__}: {error}"[:240],
            "tests_run": 0,
            "seconds": 0.0,
        }
    connection.send(result)
    connection.close()
    os._exit(0)  # skip the parent's exit handlers inherited by the fork


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int,
    examples: int,
    seed: int,
    timeout: float,
    quick: bool = False,
    progress: Callable[[Outcome, int, int], None] | None = None,
) -> Report:
    """Each job in its own forked child (at most `workers` at a time); a child still running
    after `timeout` seconds is stopped and its mutant counted as killed (the tests hang)."""
    context = multiprocessing.get_context("fork")
    report = Report()
    pending = list(jobs)
    running: dict[object, tuple[Job, object, float, Path]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="coopdec-mutants-"))
    total = len(pending)
    # stopped from outside (SIGTERM), the run still stops its children (the `finally` below)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                receive, send = context.Pipe(duplex=False)
                work = scratch / f"m{total - len(pending)}"
                process = context.Process(
                    target=_child, args=(job, work, examples, seed, quick, send), daemon=True
                )
                process.start()
                send.close()
                running[receive] = (job, process, time.monotonic(), work)
            ready = wait(list(running), timeout=1.0)
            now = time.monotonic()
            for receive in list(running):
                job, process, started, work = running[receive]
                if receive in ready:
                    try:
                        result = receive.recv()
                    except EOFError:  # the child died without a word (a crash): killed
                        result = {
                            "killed_by": "crash",
                            "detail": f"exit code {process.exitcode}",
                            "tests_run": 0,
                            "seconds": round(now - started, 2),
                        }
                elif now - started > timeout:
                    os.kill(process.pid, signal.SIGKILL)
                    result = {
                        "killed_by": "timeout",
                        "detail": f"still running after {timeout:.0f} s",
                        "tests_run": 0,
                        "seconds": round(now - started, 2),
                    }
                else:
                    continue
                process.join(timeout=30)
                receive.close()
                del running[receive]
                shutil.rmtree(work, ignore_errors=True)
                outcome = Outcome(
                    job,
                    result["killed_by"],
                    result["detail"],
                    result["seconds"],
                    result["tests_run"],
                )
                report.outcomes.append(outcome)
                if progress is not None:
                    progress(outcome, len(report.outcomes), total)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for _, process, _, _ in running.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
        shutil.rmtree(scratch, ignore_errors=True)
    order = {id(job): index for index, job in enumerate(jobs)}
    report.outcomes.sort(key=lambda o: order[id(o.job)])
    return report
