"""Shared fixtures: the shipped knowledge base and its assessor, built once per test session, and
the reference text the quotes are checked against."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import unavailable

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "tests" / "cases"
EXAMPLES_DIR = ROOT / "examples"


@pytest.fixture(scope="session")
def kb():
    from coopdec_expert.knowledge.lint import load_checked

    return load_checked()


@pytest.fixture(scope="session")
def assessor(kb):
    from coopdec_expert.engine.assess import Assessor

    return Assessor(kb)


@pytest.fixture(scope="session")
def reference_text() -> str:
    """The reference text (the "seed"), white space normalised. It is not in the repository:
    --source/COOPDEC_SOURCE or ../shared/seed/ beside the checkout. Without it the quote checks
    are skipped here and fail under CI, whose clone has ../shared beside it."""
    from coopdec_expert.knowledge.lint import seed_text

    text = seed_text()
    if text is None:
        unavailable(
            "the reference text is not here (../shared/seed/ beside the checkout, or "
            "COOPDEC_SOURCE): quotes not checked"
        )
    return text


def load_cases() -> list[tuple[str, dict]]:
    """The regression cases of tests/cases (knowledge/cases.py), each as (id, {name,
    description, profile written out, expect})."""
    from coopdec_expert.knowledge.cases import load_cases as load

    return [
        (
            case.id,
            {
                "name": case.case.name,
                "description": case.case.description,
                "profile": case.profile,
                "expect": case.case.expect,
            },
        )
        for case in load([CASES_DIR])
    ]
