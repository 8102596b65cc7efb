"""A smoke test of the mutation runner (tools/mutation; the full run is `uv run python -m
tools.mutation`, minutes, not part of the suite): its tables follow the code and the rules, a
known-bad mutant of each family is killed, a mutant that changes nothing is not, and the report
names a declared equivalent survivor with its reason and leaves it out of the score."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.mutation import __main__ as cli
from tools.mutation.code import MUTANTS, stale
from tools.mutation.equivalent import EQUIVALENT
from tools.mutation.kb import KbMutant, enumerate_mutants, read_raw
from tools.mutation.runner import Job, run_jobs, sample

RULES = Path(__file__).resolve().parents[1] / "rules"


def test_code_mutants_still_match_the_code():
    """Each entry's snippet occurs exactly once in its function: none silently mutates nothing."""
    assert stale() == []
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)


def test_kb_mutants_cover_every_kind_of_judgement():
    kinds = {m.kind for m in enumerate_mutants(RULES)}
    assert {
        "option",
        "structure",
        "drop_rule",
        "level",
        "severity",
        "flag_area",
        "param",
        "rec_step",
        "ask_if",
        "key",
        "core",
    } <= kinds


def test_equivalent_mutants_name_mutants_that_exist():
    ids = {m.id for m in enumerate_mutants(RULES)} | {m.id for m in MUTANTS}
    assert set(EQUIVALENT) <= ids, sorted(set(EQUIVALENT) - ids)


def test_sampling_is_fixed_by_the_seed_and_reaches_every_kind():
    jobs = cli.kb_jobs()
    first = [j.id for j in sample(jobs, 60, seed=12)]
    assert first == [j.id for j in sample(jobs, 60, seed=12)]
    assert first != [j.id for j in sample(jobs, 60, seed=13)]
    assert {j.kind for j in jobs} == {j.kind for j in sample(jobs, 60, seed=12)}


def _kb_job(mutant_id: str) -> Job:
    return next(job for job in cli.kb_jobs() if job.id == mutant_id)


def _code_job(mutant_id: str) -> Job:
    return next(job for job in cli.code_jobs() if job.id == mutant_id)


def _noop_job() -> Job:
    """A knowledge-base 'mutant' that rewrites one file without changing its meaning."""
    raw = read_raw(RULES)
    mutant = KbMutant("noop:rewritten", "noop", "parameters.yaml", lambda data: None)

    def prepare(work: Path) -> Path:
        mutant.write(RULES, work, raw)
        return work

    return Job(mutant.id, mutant.kind, "kb", prepare)


@pytest.mark.slow
def test_a_known_bad_mutant_is_killed_and_a_harmless_one_survives(capsys, monkeypatch):
    """Lint and the cases (the runner's --quick battery) in forked children: a high flag made
    low, the approach taken as the minimum, each killed by a case; a file rewritten unchanged
    survives, and the report names it with its declared reason, outside the score."""
    jobs = [
        _kb_job("flag:fragile_dependence:severity high->low"),
        _code_job("policy.approach_minimum"),
        _noop_job(),
    ]
    report = run_jobs(jobs, workers=2, examples=5, seed=12, timeout=300, quick=True)
    fate = {o.job.id: o for o in report.outcomes}
    assert fate["flag:fragile_dependence:severity high->low"].killed_by.startswith("tests/cases/")
    assert fate["policy.approach_minimum"].killed_by.startswith("tests/cases/")
    assert not fate["noop:rewritten"].killed, fate["noop:rewritten"].detail

    monkeypatch.setitem(cli.EQUIVALENT, "noop:rewritten", "the file is rewritten unchanged")
    below = cli.summarise(report, min_score=90.0, elapsed=1.0)
    printed = capsys.readouterr().out
    assert "equivalent: the file is rewritten unchanged" in printed
    assert "Knowledge-base mutants: 1/2 killed" in printed
    assert "1/1 killed (100.0%) of those not declared equivalent" in printed
    assert below is False
