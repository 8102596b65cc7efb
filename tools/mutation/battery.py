"""The checks a mutant must fail to count as killed: `coopdec lint`, then the fast relevant tests
of the suite — the regression cases, the examples, the matching policy, the judgement properties,
the properties and the differential tests — run by pytest inside the mutant's own process, with
a fixed hypothesis seed and a cap on examples, stopping at the first failure.

The tests are the suite's own: the battery only points them at the mutated rules tree (the
loaders' default folder, and the independent evaluators the test modules hold, read the same
copy) and leaves the shipped rules/ alone.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In this order: the cheapest and most telling first (the first failure ends a mutant's run).
TESTS = (
    "tests/test_cases.py::test_case",
    "tests/test_cases.py::test_every_rule_fired_by_some_case",
    "tests/test_cases.py::test_cases_cover_every_verdict_step_and_approach",
    "tests/test_examples.py",
    "tests/test_matching_policy.py",
    "tests/test_judgement.py",
    "tests/test_properties.py",
    "tests/test_differential.py",
    "tests/test_condition_semantics.py",
)
# The tests comparing the engines with the independent evaluator read the same rules tree on
# both sides: they pin the meaning of conditions (code mutants), not the knowledge base.
DIFFERENTIAL = (
    "tests/test_differential.py",
    "tests/test_condition_semantics.py",
    "tests/test_properties.py::test_advisor_session",
)


def _exists(test: str) -> bool:
    return (ROOT / test.split("::")[0]).exists()


def selection(family: str) -> list[str]:
    """The pytest arguments selecting the battery of one family of mutants."""
    chosen = [str(ROOT / t) for t in TESTS if _exists(t)]
    if family == "kb":
        for test in DIFFERENTIAL:
            if not _exists(test):
                continue
            if "::" in test:
                chosen += ["--deselect", str(ROOT / test)]
            else:
                chosen.remove(str(ROOT / test))
    return chosen


TEST_MODULES = tuple(
    dict.fromkeys("tests." + Path(t.split("::")[0]).stem for t in TESTS if _exists(t))
)


def preload() -> None:
    """Import what every mutant's run needs once, in the parent, before the children fork."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import importlib

    import pytest  # noqa: F401
    from hypothesis import Phase, settings

    # No shrinking: a mutant is killed by the first failing example; shrinking it (minutes on a
    # slow mutant) would only make the run wait, or time out, for a smaller counterexample.
    settings.register_profile(
        "mutation",
        database=None,
        deadline=None,
        print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    for name in dict.fromkeys(TEST_MODULES):
        importlib.import_module(name)
    import coopdec_expert.engine.assess  # noqa: F401


def point_at(rules_dir: Path) -> None:
    """Make the loaders' default rules folder, and the test modules' independent evaluators,
    read `rules_dir` (in this process)."""
    from coopdec_expert.knowledge import loader

    loader.DEFAULT_RULES_DIR = rules_dir
    from tests.independent_evaluator import IndependentEvaluator

    evaluator = IndependentEvaluator(rules_dir)
    for name, module in list(sys.modules.items()):
        if name.startswith("tests.") and isinstance(
            getattr(module, "EVALUATOR", None), IndependentEvaluator
        ):
            module.EVALUATOR = evaluator


class _Recorder:
    """A pytest plugin: caps hypothesis's examples, and records the first failure."""

    def __init__(self, examples: int):
        self.examples = examples
        self.failure: tuple[str, str] | None = None
        self.ran = 0

    def pytest_collection_modifyitems(self, items):
        from hypothesis import settings

        # A test's own @settings were made when its module was imported, from the profile of
        # that moment: the cap, and the mutation profile's phases (no shrinking), go on each.
        for item in items:
            function = getattr(item, "obj", None)
            current = getattr(function, "_hypothesis_internal_use_settings", None)
            if isinstance(current, settings):
                function._hypothesis_internal_use_settings = self._capped(current, self.examples)
            case = getattr(item, "cls", None)
            stateful = getattr(case, "settings", None)
            if isinstance(stateful, settings):
                case.settings = self._capped(stateful, max(1, self.examples // 2))

    @staticmethod
    def _capped(current, examples: int):
        from hypothesis import settings

        return settings(
            current,
            max_examples=min(current.max_examples, examples),
            phases=settings.get_profile("mutation").phases,
            database=None,
            deadline=None,
        )

    def pytest_collectreport(self, report):
        if report.failed and self.failure is None:
            self.failure = (report.nodeid or "collection", _summary(report))

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.ran += 1
        if report.failed and self.failure is None:
            self.failure = (report.nodeid, _summary(report))


def _summary(report) -> str:
    text = getattr(report, "longreprtext", "") or str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    chosen = errors[0] if errors else (lines[-1] if lines else "")
    return " ".join(chosen.split())[:240]


def quick(rules_dir: Path) -> tuple[str, str] | None:
    """The rule author's loop in this process: `coopdec lint`, then the regression cases (what
    `make rules` runs). The first failure as (check, detail), or None."""
    from coopdec_expert.engine.assess import Assessor
    from coopdec_expert.knowledge.cases import check_case, load_cases
    from coopdec_expert.knowledge.lint import lint, locate_source

    kb, problems = lint(rules_dir, source=locate_source())
    if problems or kb is None:
        return "coopdec lint", problems[0] if problems else "not loaded"
    assessor = Assessor(kb)
    for case in load_cases([ROOT / "tests" / "cases"]):
        result = check_case(assessor, case)
        if not result.passed:
            where = case.path.relative_to(ROOT).as_posix()
            return f"{where}[{case.id.rsplit('[', 1)[-1]}", result.differences[0]
    return None


def run(
    rules_dir: Path,
    family: str,
    examples: int,
    seed: int,
    quick_only: bool = False,
    quiet: bool = True,
) -> dict:
    """Lint and the cases in this process, then (unless `quick_only`) the tests by pytest,
    against `rules_dir`. Returns {killed_by, detail, tests_run, seconds}; killed_by None when
    everything passed."""
    started = time.monotonic()
    point_at(rules_dir)
    failure = quick(rules_dir)
    if failure is not None:
        return _result(failure[0], failure[1], 0, started)
    if quick_only:
        return _result(None, "", 0, started)
    import pytest

    recorder = _Recorder(examples)
    args = [
        *selection(family),
        "--deselect",
        str(ROOT / "tests/test_cases.py::test_case"),  # run above, one by one
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "--assert=plain",
        "-o",
        "addopts=",
        "--rootdir",
        str(ROOT),
        f"--hypothesis-seed={seed}",
        "--hypothesis-profile=mutation",
    ]
    if quiet:  # pytest's report is not read: the recorder keeps the first failure
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
    code = pytest.main(args, plugins=[recorder])
    if recorder.failure is not None:
        return _result(recorder.failure[0], recorder.failure[1], recorder.ran, started)
    if code not in (0, pytest.ExitCode.OK):
        return _result("pytest", f"exit code {int(code)}", recorder.ran, started)
    return _result(None, "", recorder.ran, started)


def _result(killed_by: str | None, detail: str, ran: int, started: float) -> dict:
    return {
        "killed_by": killed_by,
        "detail": detail,
        "tests_run": ran,
        "seconds": round(time.monotonic() - started, 2),
    }
