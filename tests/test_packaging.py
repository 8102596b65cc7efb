"""The package as a user gets it: every imported package declared, and the built wheel installed
as a tool outside the checkout, running `coopdec examples`, `assess`, `lint` and the app from a
folder of its own (README, "Install as a tool")."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from coopdec_expert.examples import EXAMPLES_DIR
from coopdec_expert.profile import load_profile

from .conftest import ROOT
from .support import free_port, start_server, stop, unavailable, wait_until_healthy

RULES = ROOT / "rules"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXAMPLE = "koudougou_pret_a_conventionner"
COMMAND_CEILING_S = 600  # a ceiling for one command on a busy machine (building, installing)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules(folder: Path) -> set[str]:
    """Top-level names of the absolute imports of every .py file under `folder`."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_package_the_code_imports_is_declared():
    imported = _imported_modules(ROOT / "coopdec_expert") | _imported_modules(ROOT / "ui")
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "coopdec_expert", "ui"}
    assert {"experta", "streamlit", "yaml"} <= third_party  # the scan sees the imports
    declared = {
        _canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group())
        for requirement in PYPROJECT["project"]["dependencies"]
    }
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module: distributions.get(module, ["(not installed)"])
        for module in sorted(third_party)
        if not declared & {_canonical(d) for d in distributions.get(module, [])}
    }
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"


def test_version_comes_from_the_package_metadata():
    import coopdec_expert

    assert coopdec_expert.__version__ == importlib.metadata.version("coopdec-expert")
    assert coopdec_expert.__version__ == PYPROJECT["project"]["version"]


# --- the wheel, installed as a tool outside the checkout ---------------------------------


def _run(command: list, cwd: Path, env: dict, expect: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=COMMAND_CEILING_S,
    )
    assert done.returncode == expect, f"{command}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The README's install: build the wheel, export the locked versions, `uv tool install`
    into folders of this test (never the user's tools), from a folder outside the checkout."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        unavailable("uv is not on the PATH: the wheel cannot be built and installed")
    base = tmp_path_factory.mktemp("installed")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "COOPDEC_SOURCE", "COOPDEC_SEED"}
        and not key.startswith("COOPDEC_")
    }
    env.update(
        UV_TOOL_DIR=str(base / "tools"),
        UV_TOOL_BIN_DIR=str(base / "bin"),
        UV_PYTHON_DOWNLOADS="never",
        COOPDEC_STORE=str(base / "register.sqlite"),
    )
    dist = base / "dist"
    _run([uv, "build", "--wheel", "--out-dir", dist], ROOT, env)
    requirements = dist / "requirements.txt"
    export = ["export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "-q"]
    _run([uv, *export, "-o", requirements], ROOT, env)
    (wheel,) = dist.glob("coopdec_expert-*.whl")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    _run(
        [uv, "tool", "install", "--python", sys.executable, "--overrides", requirements, wheel],
        elsewhere,
        env,
    )
    return {
        "coopdec": base / "bin" / "coopdec",
        "python": base / "tools" / "coopdec-expert" / "bin" / "python",
        "tools": base / "tools",
        "env": env,
        "folder": elsewhere,
    }


@pytest.mark.slow
def test_the_installed_tool_reads_its_own_copy_of_the_shipped_folders(installed):
    code = (
        "import coopdec_expert, json; from coopdec_expert.resources import shipped; "
        "print(json.dumps([coopdec_expert.__file__] + [str(shipped(n)) for n in "
        "('rules', 'examples', 'ui')]))"
    )
    done = _run([installed["python"], "-c", code], installed["folder"], installed["env"])
    package, rules, examples, ui = (Path(p) for p in json.loads(done.stdout))
    for path in (package, rules, examples, ui):
        assert path.is_relative_to(installed["tools"]), path  # not the checkout
        assert path.exists(), path
    assert (ui / ".streamlit" / "config.toml").is_file()  # the server's settings
    shipped_examples = sorted(p.name for p in EXAMPLES_DIR.iterdir())
    assert sorted(p.name for p in examples.iterdir()) == shipped_examples
    assert sorted(p.name for p in rules.iterdir()) == sorted(p.name for p in RULES.iterdir())


@pytest.mark.slow
def test_the_installed_tool_copies_an_example_and_assesses_it(installed, kb, assessor):
    coopdec, env, folder = installed["coopdec"], installed["env"], installed["folder"]
    listing = _run([coopdec, "examples", "--lang", "en"], folder, env)
    assert f"{EXAMPLE}.yaml" in listing.stdout
    _run([coopdec, "examples", EXAMPLE, "--out", "."], folder, env)
    report = _run([coopdec, "assess", f"{EXAMPLE}.yaml", "--format", "json"], folder, env)
    expected = assessor.assess(load_profile(EXAMPLES_DIR / f"{EXAMPLE}.yaml", kb), "fr")
    result = json.loads(report.stdout)
    assert result["readiness"]["verdict"] == expected.readiness.verdict
    assert result["readiness"]["next_step"] == expected.readiness.next_step
    assert result["rules_version"] == kb.version  # the same knowledge base as the checkout's
    _run([coopdec, "examples", "nowhere"], folder, env, expect=2)


@pytest.mark.slow
def test_the_installed_tool_keeps_a_register(installed):
    """The register from the wheel: its migrations create it, its packing dictionary packs the
    records, a workspace reads them back."""
    import yaml

    coopdec, env, folder = installed["coopdec"], installed["env"], installed["folder"]
    profile = yaml.safe_load((EXAMPLES_DIR / f"{EXAMPLE}.yaml").read_text(encoding="utf-8"))
    (folder / "lot.json").write_text(json.dumps([profile], default=str), encoding="utf-8")
    store = ["--store", "sqlite:///register-of-the-tool.sqlite", "--workspace", "dgcl"]
    _run([coopdec, "screen", "lot.json", *store, "--no-reports", "--workers", "1"], folder, env)
    done = _run([coopdec, "history", profile["id"], *store, "--format", "json"], folder, env)
    [entry] = json.loads(done.stdout)
    assert entry["source_file"] == "lot.json" and entry["user_id"].startswith("cli")


@pytest.mark.slow
def test_the_installed_tool_lints_and_says_when_quotes_are_not_checked(installed):
    from coopdec_expert.i18n import t

    coopdec, env, folder = installed["coopdec"], installed["env"], installed["folder"]
    done = _run([coopdec, "lint"], folder, env)
    assert done.stderr.strip() == t("fr", "lint.source_missing")
    assert done.stdout.startswith("Base de connaissances valide")
    source = folder / "reference.txt"
    source.write_text("un texte qui ne contient aucune citation", encoding="utf-8")
    done = _run([coopdec, "lint", "--source", source, "--lang", "en"], folder, env, expect=1)
    assert "quote not found in the source text" in done.stdout


@pytest.mark.slow
def test_the_installed_tool_serves_the_app(installed, tmp_path):
    coopdec, env, folder = installed["coopdec"], installed["env"], installed["folder"]
    port = free_port()
    log = tmp_path / "ui.log"
    process = start_server(
        [coopdec, "ui", "--port", str(port), "--address", "127.0.0.1"], folder, log, env
    )
    try:
        wait_until_healthy(process, port, log)
    finally:
        assert stop(process) == 0, log.read_text()
    # the app's pages run from the installed copy (its `ui` package, its rules), as served on
    # 127.0.0.1 (AppTest reads no config file; no address would mean every interface)
    script = (
        "from streamlit.testing.v1 import AppTest; from coopdec_expert.resources import shipped; "
        "from streamlit import config; config.set_option('server.address', '127.0.0.1'); "
        "at = AppTest.from_file(str(shipped('ui') / 'app.py'), default_timeout=300).run(); "
        "print(repr([e.value for e in at.exception])); print(at.title[0].value)"
    )
    done = _run([installed["python"], "-c", script], folder, env)
    from coopdec_expert.i18n import t

    assert done.stdout.splitlines()[-2:] == ["[]", t("fr", "ui.assess.title")]
