"""Workspaces of the register, on SQLite and PostgreSQL: each directorate or team reads and
re-assesses only its own assessments, and each assessment records who stored it. The command
line chooses the workspace with --workspace (or $COOPDEC_WORKSPACE), else the default one."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.i18n import t
from coopdec_expert.screening.store import DEFAULT_WORKSPACE, Store

from .registers import all_records
from .test_screening import example_profiles

runner = CliRunner()


def _screen(data, out, store: str, *options: str):
    command = ["screen", str(data), "--out", str(out), "--store", store, "--workers", "1"]
    return runner.invoke(app, [*command, "--no-reports", *options])


def _history(store: str, partnership: str, *options: str) -> list[dict]:
    result = runner.invoke(app, ["history", partnership, "--store", store, "-f", "json", *options])
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_a_workspace_sees_only_its_own_assessments(tmp_path, register_url):
    profiles = example_profiles()[:4]
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(profiles), encoding="utf-8")
    first = _screen(data, tmp_path / "a", register_url, "--workspace", "dgcl")
    assert first.exit_code == 0, first.stderr
    partnership = profiles[0]["id"]

    # The same partnership id in another workspace is another partnership: its register starts
    # empty, and the same file is stored again there, not skipped as already kept.
    assert _history(register_url, partnership, "--workspace", "daect") == []
    second = _screen(data, tmp_path / "b", register_url, "--workspace", "daect")
    assert second.exit_code == 0 and "4 nouvelle" in second.stdout, second.stdout
    assert len(_history(register_url, partnership, "--workspace", "dgcl")) == 1
    assert len(_history(register_url, partnership, "--workspace", "daect")) == 1
    assert _history(register_url, partnership) == []  # the default workspace has none

    dgcl = Store(register_url, "dgcl")
    daect = Store(register_url, "daect")
    try:
        assert (dgcl.count(), daect.count()) == (4, 4)
        theirs = daect.stale_ids("other rules")
        assert len(theirs) == 4 and dgcl.records(theirs) == []  # ids of another workspace
        assert {r.workspace for r in daect.records(theirs)} == {"daect"}
    finally:
        dgcl.close()
        daect.close()

    records = all_records(register_url)
    assert sorted({(r[0], r[8].split(":")[0]) for r in records}) == [
        ("daect", "cli"),
        ("dgcl", "cli"),
    ]  # who stored each: the command line's user


def test_rescreen_and_the_environment_keep_to_one_workspace(tmp_path, register_url, monkeypatch):
    profiles = example_profiles()[:3]
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(profiles), encoding="utf-8")
    monkeypatch.setenv("COOPDEC_WORKSPACE", "team-b")
    assert _screen(data, tmp_path / "a", register_url).exit_code == 0
    monkeypatch.delenv("COOPDEC_WORKSPACE")
    assert _screen(data, tmp_path / "b", register_url).exit_code == 0  # the default one
    assert {r[0] for r in all_records(register_url)} == {"team-b", DEFAULT_WORKSPACE}

    store = Store(register_url, "team-b")
    try:  # make team-b's records look assessed under older rules
        with store.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE coopdec_assessments SET rules_version = 'old' WHERE workspace = 'team-b'"
            )
    finally:
        store.close()
    nothing = runner.invoke(app, ["rescreen", "--store", register_url, "-f", "json"])
    assert nothing.exit_code == 0 and json.loads(nothing.stdout) == []  # default: up to date
    done = runner.invoke(
        app, ["rescreen", "--store", register_url, "--workspace", "team-b", "-f", "json"]
    )
    assert done.exit_code == 0, done.stderr
    assert sorted(c["partnership_id"] for c in json.loads(done.stdout)) == sorted(
        p["id"] for p in profiles
    )
    workspaces = [r[0] for r in all_records(register_url)]
    assert workspaces.count("team-b") == 6 and workspaces.count(DEFAULT_WORKSPACE) == 3


def test_a_workspace_name_not_allowed_is_bad_input(tmp_path):
    store = f"sqlite:///{tmp_path / 'r.sqlite'}"
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(example_profiles()[:1]), encoding="utf-8")
    bad = ["--workspace", "DGCL Afrique"]
    for command, lang in (
        (["history", "x", "--store", store, *bad], "fr"),
        (["rescreen", "--store", store, *bad, "--lang", "en"], "en"),
        (["screen", str(data), "--out", str(tmp_path / "o"), "--store", store, *bad], "fr"),
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        said = " ".join(result.stderr.split())
        expected = t(lang, "store.workspace.invalid", value="DGCL Afrique")
        assert said == "error: " + " ".join(expected.split())  # spaces as the terminal wraps
    assert not (tmp_path / "r.sqlite").exists()
