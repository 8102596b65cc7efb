"""Shared fixtures: the shipped knowledge base and its assessor, built once per test session, and
the reference text the quotes are checked against."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


@pytest.fixture(scope="session")
def kb():
    from coopdec_expert.knowledge.lint import load_checked

    return load_checked()


@pytest.fixture(scope="session")
def assessor(kb):
    from coopdec_expert.engine.assess import Assessor

    return Assessor(kb)


def _base_profile(name: str) -> dict:
    for suffix in (".yaml", ".yml", ".json"):
        path = EXAMPLES_DIR / f"{name}{suffix}"
        if path.is_file():
            return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    raise FileNotFoundError(f"base profile '{name}' not found in {EXAMPLES_DIR}")


def materialise(profile: dict) -> dict:
    """A case's profile: written out in full, or `base` (an example's file name) with the
    case's own metadata, `answers` overriding the base's and `unset` removing some."""
    if "base" not in profile:
        return profile
    base = _base_profile(profile["base"])
    overrides = {k: v for k, v in profile.items() if k not in ("base", "answers", "unset")}
    answers = {**base.get("answers", {}), **(profile.get("answers") or {})}
    for question in profile.get("unset") or []:
        answers.pop(question)
    return {**base, **overrides, "answers": answers}


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
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, case in enumerate(data if isinstance(data, list) else [data]):
            cases.append(
                (f"{path.stem}[{index}]", {**case, "profile": materialise(case["profile"])})
            )
    return cases
