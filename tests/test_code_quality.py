"""ruff and mypy are part of the test command: lint, format and types are checked like any other
behaviour."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import ROOT


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_clean(command):
    ruff = shutil.which("ruff")
    assert ruff, "ruff is a dev dependency: run through `uv run pytest`"
    done = subprocess.run([ruff, *command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_clean():
    """The type checker over coopdec_expert/ (pyproject's [tool.mypy]) finds nothing: a type
    error is a failing test, as a lint error is."""
    mypy = shutil.which("mypy")
    assert mypy, "mypy is a dev dependency: run through `uv run pytest`"
    done = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
