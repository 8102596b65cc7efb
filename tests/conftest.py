"""Shared fixtures: the shipped knowledge base and its assessor, built once per test session, and
the reference text the quotes are checked against."""

from __future__ import annotations

from pathlib import Path

import pytest

from .registers import BACKENDS, new_register
from .support import unavailable

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "tests" / "cases"
EXAMPLES_DIR = ROOT / "examples"


@pytest.fixture(scope="session", autouse=True)
def app_served_on_this_machine():
    """AppTest reads no config file (ui/.streamlit/config.toml binds the server to 127.0.0.1),
    and no address means every interface, behind sign-in: the app under test is the one served
    on this machine, unless a test sets another address (tests/test_ui_auth.py)."""
    from streamlit import config

    config.set_option("server.address", "127.0.0.1")


@pytest.fixture(autouse=True)
def main_module_kept():
    """AppTest runs the app as `__main__` and leaves it there: a batch's pool started later in
    the same test process (spawn) would run ui/app.py in each worker, outside any server, and
    the pool would break. Each test gets back the `__main__` it started with."""
    import sys

    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def kb():
    from coopdec_expert.knowledge.lint import load_checked

    return load_checked()


@pytest.fixture(scope="session")
def assessor(kb):
    from coopdec_expert.engine.assess import Assessor

    return Assessor(kb)


@pytest.fixture(params=BACKENDS)
def register_url(request, tmp_path):
    """A new register's URL, once on SQLite and once on PostgreSQL (tests/registers.py)."""
    with new_register(request.param, tmp_path) as url:
        yield url


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
