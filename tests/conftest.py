"""Shared fixtures: the shipped knowledge base and its assessor, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


def load_cases() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, case in enumerate(data if isinstance(data, list) else [data]):
            cases.append((f"{path.stem}[{index}]", case))
    return cases
