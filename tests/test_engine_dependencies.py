"""experta 1.9.4 runs under the uv override (frozendict >= 2.4, schema >= 0.7), and a
frozendict 1.x install is reported in one line with its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest

from coopdec_expert._compat import EngineDependencyError, check_frozendict

from .conftest import ROOT


def test_override_versions_are_installed():
    assert version("experta") == "1.9.4"
    major, minor = (int(x) for x in version("frozendict").split(".")[:2])
    assert (major, minor) >= (2, 4)
    assert tuple(int(x) for x in version("schema").split(".")[:2]) >= (0, 7)


def test_small_experta_engine_runs_under_the_override():
    """Chaining, P predicates, NOT and OR: the constructs the generated engine relies on."""
    from experta import AND, NOT, OR, Fact, KnowledgeEngine, P, Rule

    class Answer(Fact):
        pass

    class Derived(Fact):
        pass

    class Engine(KnowledgeEngine):
        def __init__(self):
            super().__init__()
            self.log = []

        @Rule(Answer(q="a", o=P(lambda v: v in {"x", "y"})))
        def first(self):
            self.log.append("first")
            self.declare(Derived(id="d"))

        @Rule(AND(Derived(id="d"), NOT(Answer(q="b"))))
        def second(self):
            self.log.append("second")

        @Rule(OR(Answer(q="a", o="z"), Answer(q="c", o="z")))
        def never(self):
            self.log.append("never")

    engine = Engine()
    engine.reset()
    engine.declare(Answer(q="a", o="y"))
    engine.run()
    assert engine.log == ["first", "second"]
    engine.reset()
    engine.declare(Answer(q="a", o="z"), Answer(q="b", o="x"))
    engine.run()
    assert engine.log == ["first", "second", "never"]


@pytest.mark.parametrize("found", ["1.2", "2.3.8", "garbage"])
def test_old_frozendict_is_refused_with_the_fix(found):
    with pytest.raises(EngineDependencyError) as raised:
        check_frozendict(found)
    message = str(raised.value)
    assert "\n" not in message
    assert f"frozendict {found} is installed" in message
    assert "uv sync" in message


def test_recent_frozendict_is_accepted():
    check_frozendict("2.4.0")
    check_frozendict("2.5.1")


def test_cli_with_frozendict_1_prints_one_line(tmp_path):
    """A fake frozendict 1.2 first on sys.path, as pip would leave it: one line, exit 2."""
    package = tmp_path / "frozendict"
    package.mkdir()
    # frozendict 1.2 fails like this on Python >= 3.10.
    (package / "__init__.py").write_text("from collections import Mapping\n")
    metadata = tmp_path / "frozendict-1.2.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: frozendict\nVersion: 1.2\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text("answers: {search.partner_status: searching}\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "coopdec_expert.cli", "assess", str(profile)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "frozendict 1.2 is installed" in lines[0]
