"""Regression cases (tests/cases/*.yaml, OpenFisca style), run by the same functions as
`coopdec test` (coopdec_expert/knowledge/cases.py): each `expect` lists what it is about."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coopdec_expert.assessment import VERDICTS
from coopdec_expert.cli import app
from coopdec_expert.knowledge.cases import CaseError, check_case, load_cases, run_cases
from coopdec_expert.knowledge.models import APPROACHES, STEPS

from .conftest import CASES_DIR

CASES = load_cases([CASES_DIR])
runner = CliRunner()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, assessor):
    result = check_case(assessor, case)
    assert result.passed, f"{case.id} ({case.case.name}):\n" + "\n".join(result.differences)


def test_cases_cover_every_verdict_step_and_approach(assessor):
    seen: dict[str, set] = {"verdict": set(), "next_step": set(), "approach": set()}
    for case in CASES:
        from coopdec_expert.profile import validate_profile

        result = assessor.assess(validate_profile(case.profile, assessor.kb), with_missing=False)
        seen["verdict"].add(result.readiness.verdict)
        seen["next_step"].add(result.readiness.next_step)
        seen["approach"].add(result.approach)
    assert set(VERDICTS) <= seen["verdict"]
    assert set(STEPS) <= seen["next_step"]
    assert set(APPROACHES) <= seen["approach"]
    assert len(CASES) >= 15


def test_every_rule_fired_by_some_case(assessor):
    """Rule coverage: the list of rules no regression case fires must stay empty."""
    assert run_cases(assessor, CASES).never_fired == []


# --- `coopdec test` -----------------------------------------------------------------------

FAILING = """
name: "A case that expects the wrong verdict"
description: "Léo is ready; this case claims otherwise, so coopdec test must say so."
profile:
  base: leo_interet_mutuel_en_action
  answers: {governance.dependence_on_officials: shared}
expect:
  verdict: not_ready
  flags: {include: [personal_capture]}
"""

PASSING = """
name: "A single visit before signing"
description: "A short case: a base profile and the answer it is about."
profile:
  base: leo_interet_mutuel_en_action
  answers: {initiation.missions: one_way}
expect:
  next_step: initiation
  flags: {include: [agreement_without_initiation]}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


def test_cli_test_passes_on_the_shipped_cases():
    result = runner.invoke(app, ["test", str(CASES_DIR), "--lang", "en"])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().endswith(f"{len(CASES)}/{len(CASES)} cases passed.")


def test_cli_test_prints_one_difference_per_failure_and_exits_1(tmp_path):
    _write(tmp_path, "good.yaml", PASSING)
    bad = _write(tmp_path, "bad.yaml", FAILING)
    result = runner.invoke(app, ["test", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"FAILED {bad} — A case that expects the wrong verdict"
    assert lines[1].startswith("    verdict: expected not_ready, got ready")
    assert lines[2].startswith("    flags: expected personal_capture among")
    assert "Rules no case fires:" in result.stdout  # two cases fire only some rules
    assert result.stdout.strip().endswith("1/2 cases passed.")


def test_cli_test_rule_filter(tmp_path):
    _write(tmp_path, "good.yaml", PASSING)
    only = runner.invoke(
        app, ["test", str(tmp_path), "--rule", "method.agreement_without_initiation", "-l", "en"]
    )
    assert only.exit_code == 0 and "1/1 cases passed." in only.stdout
    none = runner.invoke(app, ["test", str(tmp_path), "--rule", "method.personal_capture"])
    assert none.exit_code == 1 and "méthode" not in none.stdout
    assert "Aucun cas ne déclenche la règle method.personal_capture" in none.stdout
    unknown = runner.invoke(app, ["test", str(tmp_path), "--rule", "no.such_rule"])
    assert unknown.exit_code == 2 and "no.such_rule" in unknown.stderr


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("name: x\ndescription: y\nprofile: {}\nexpect: {verdict: perfect}\n", "expect.verdict"),
        ("name: x\ndescription: y\nprofile: {base: nowhere}\nexpect: {}\n", "'nowhere' not found"),
        ("name: x\ndescription: y\nprofile: {}\nexpect: {colour: red}\n", "expect.colour"),
        (
            "name: x\ndescription: y\nprofile: {base: leo_interet_mutuel_en_action, "
            "unset: [foo.bar]}\nexpect: {}\n",
            "unset: 'foo.bar'",
        ),
    ],
)
def test_bad_case_files_are_named(tmp_path, text, fragment):
    path = _write(tmp_path, "case.yaml", text)
    with pytest.raises(CaseError) as error:
        load_cases([path])
    assert fragment in str(error.value) and str(path) in str(error.value)
    result = runner.invoke(app, ["test", str(path)])
    assert result.exit_code == 2 and fragment in result.stderr
