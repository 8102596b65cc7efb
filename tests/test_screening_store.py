"""The screening register, on SQLite and on PostgreSQL (the `register_url` fixture): idempotent
re-runs, no partial record after kill -9, history in time order, and rescreen after a change of
rules."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from typer.testing import CliRunner

from coopdec_expert.assessment import Assessment
from coopdec_expert.cli import app
from coopdec_expert.knowledge.loader import DEFAULT_RULES_DIR

from .conftest import ROOT
from .registers import all_records, record_count
from .test_screening import HEADER, example_profiles, write_csv

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

runner = CliRunner()


def _records(url: str) -> list[tuple]:
    """(partnership_id, profile_hash, rules_version, verdict, next_step, result_json,
    profile_json) of every record, in id order."""
    return [r[1:8] for r in all_records(url)]


def _screen(*args: str):
    return runner.invoke(app, ["screen", *args, "--workers", "1", "--no-reports"])


def test_rerunning_a_file_is_idempotent(tmp_path, register_url):
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(example_profiles()[:6]), encoding="utf-8")
    store = register_url
    first = _screen(str(data), "--out", str(tmp_path / "a"), "--store", str(store))
    assert first.exit_code == 0, first.stderr
    again = _screen(str(data), "--out", str(tmp_path / "b"), "--store", str(store))
    assert again.exit_code == 0, again.stderr
    assert "0 nouvelle" in again.stdout
    records = _records(store)
    assert len(records) == 6
    assert len({r[:3] for r in records}) == 6


def test_history_orders_assessments_by_time(tmp_path, register_url):
    store = register_url
    answers = ["funding_counter", "projects", "relationship"]
    for step, answer in enumerate(answers):
        path = write_csv(
            tmp_path / f"round{step}.csv",
            [HEADER, ["bf-1", "Koudougou", "Burkina Faso", answer, "stable"]],
        )
        assert (
            _screen(str(path), "--out", str(tmp_path / f"o{step}"), "--store", store).exit_code == 0
        )
        time.sleep(0.01)
    result = runner.invoke(app, ["history", "bf-1", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [e["source_file"] for e in entries] == ["round0.csv", "round1.csv", "round2.csv"]
    times = [e["assessed_at"] for e in entries]
    assert times == sorted(times)
    text = runner.invoke(app, ["history", "bf-1", "--store", store, "--lang", "en"])
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("History of partnership bf-1")
    assert "round0.csv" in lines[3] and "round2.csv" in lines[5]
    missing = runner.invoke(app, ["history", "nobody", "--store", store])
    assert missing.exit_code == 1 and missing.stdout == ""
    absent = tmp_path / "absent.sqlite"
    assert runner.invoke(app, ["history", "bf-1", "--store", str(absent)]).exit_code == 1
    assert not absent.exists()  # reading never creates a register


@pytest.mark.slow
def test_batch_killed_mid_run_leaves_whole_records_and_resumes(tmp_path, register_url):
    """kill -9 during a batch with reports on: every stored record is complete, and re-running
    the file completes the rest without duplicating anything."""
    rows = [HEADER] + [
        [
            f"req-{i:04d}",
            f"Commune {i}",
            "Burkina Faso",
            ["projects", "relationship"][i % 2],
            ["fragile", "stable", "unknown"][i % 3],
        ]
        for i in range(300)
    ]
    source = write_csv(tmp_path / "big.csv", rows)
    store = register_url
    command = [
        sys.executable,
        "-m",
        "coopdec_expert.cli",
        "screen",
        str(source),
        "--out",
        str(tmp_path / "out"),
        "--store",
        str(store),
        "--workers",
        "1",
        "--chunk-size",
        "5",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while record_count(store) < 10 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    kept = _records(store)
    assert 10 <= len(kept) < 300, "the batch must be killed mid-run"
    assert len(kept) % 5 == 0  # whole chunks only: one transaction per chunk
    for partnership, _, version, verdict, step, result_json, profile_json in kept:
        result = Assessment.model_validate_json(result_json)
        assert (result.partnership, result.rules_version) == (partnership, version)
        assert (result.readiness.verdict, result.readiness.next_step) == (verdict, step)
        assert json.loads(profile_json)["id"] == partnership
    again = _screen(str(source), "--out", str(tmp_path / "out2"), "--store", str(store))
    assert again.exit_code == 0, again.stderr
    final = _records(store)
    assert len(final) == 300
    assert len({r[0] for r in final}) == 300
    assert final[: len(kept)] == kept  # nothing committed was lost or rewritten


def test_rescreen_after_a_rules_change_reports_what_changed(tmp_path, register_url):
    store = register_url
    profiles = example_profiles()
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(profiles), encoding="utf-8")
    assert _screen(str(data), "--out", str(tmp_path / "o"), "--store", store).exit_code == 0
    nothing = runner.invoke(app, ["rescreen", "--store", store, "--workers", "1"])
    assert nothing.exit_code == 0 and nothing.stdout.startswith("0 partenariat")

    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules)
    parameters = yaml.safe_load((rules / "parameters.yaml").read_text(encoding="utf-8"))
    for parameter in parameters["parameters"]:
        if parameter["id"] == "ready_min_area_score":
            parameter["value"] = 3  # a stricter ministry: "ready" needs every key criterion at 3
    (rules / "parameters.yaml").write_text(
        yaml.safe_dump(parameters, allow_unicode=True), encoding="utf-8"
    )
    result = runner.invoke(
        app,
        ["rescreen", "--store", store, "--rules", str(rules), "--workers", "1", "--format", "json"],
    )
    assert result.exit_code == 0, result.stderr
    changes = json.loads(result.stdout)
    assert len(changes) == len(profiles)
    changed = {c["partnership_id"]: c for c in changes if c["changed"]}
    assert "bf-dedougou-03" in changed  # ready with a key criterion at 2
    assert changed["bf-dedougou-03"]["verdict_before"] == "ready"
    assert changed["bf-dedougou-03"]["verdict_after"] == "conditional"
    assert all(c["verdict_before"] == "ready" for c in changed.values())
    assert len(_records(store)) == 2 * len(profiles)

    text = runner.invoke(
        app, ["rescreen", "--store", store, "--rules", str(rules), "--lang", "en", "--workers", "1"]
    )
    assert text.exit_code == 0 and text.stdout.startswith("0 partnership(s) re-assessed")
    history = runner.invoke(app, ["history", "bf-dedougou-03", "--store", store, "-f", "json"])
    versions = [e["rules_version"] for e in json.loads(history.stdout)]
    assert len(versions) == 2 and versions[0] != versions[1]


def _errors(out, lang: str = "fr") -> list[dict]:
    """errors.csv's rows, keyed row / column / value / problem whatever the batch's language
    (its headers are in that language)."""
    import csv

    from coopdec_expert.i18n import t

    names = {t(lang, f"screen.errors.{k}"): k for k in ("row", "column", "value", "problem")}
    with (out / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [
            {names.get(k, k): v for k, v in row.items()}
            for row in csv.DictReader(handle, delimiter=";")
        ]


def test_a_nul_in_an_id_is_that_rows_error_and_every_other_row_is_stored(tmp_path, register_url):
    """The issue's reproducer: a NUL in one id made PostgreSQL refuse the whole chunk of 20
    rows holding it. Now that row is refused at validation, named with its row, column and
    character, and every other row of its chunk is stored."""
    profiles = example_profiles()[:25]
    profiles[6] = {**profiles[6], "id": "bf-nul\u0000-07"}
    data = tmp_path / "requests.json"
    data.write_text(json.dumps(profiles), encoding="utf-8")
    out = tmp_path / "out"
    result = _screen(str(data), "--out", str(out), "--store", register_url, "--chunk-size", "20")
    assert result.exit_code == 1, result.stderr
    [error] = _errors(out)
    assert (error["row"], error["column"]) == ("7", "id")
    assert "U+0000" in error["problem"]
    stored = {r[0] for r in _records(register_url)}
    assert stored == {p["id"] for p in profiles} - {"bf-nul\u0000-07"}


def test_a_record_the_register_refuses_is_reported_and_its_chunk_is_kept(
    tmp_path, register_url, kb, monkeypatch
):
    """Whatever the database refuses in one record (here a verdict it must not be without:
    NOT NULL), the other records of the chunk are stored one by one and the refused one is
    that row's error, never lost without a word."""
    from coopdec_expert.screening.run import ScreenOptions, screen_requests
    from coopdec_expert.screening.store import Store
    from coopdec_expert.screening.table import RequestTable

    rows = Store._rows

    def refusing(self, records):
        made = rows(self, records)
        return [{**r, "verdict": None} if r["partnership_id"] == "r-05" else r for r in made]

    monkeypatch.setattr(Store, "_rows", refusing)
    cells = [[f"r-{i:02d}", f"C{i}", "Mali", "projects", "stable"] for i in range(12)]
    source = write_csv(tmp_path / "d.csv", [HEADER, *cells])
    options = ScreenOptions(
        out_dir=tmp_path / "out", reports=False, store_url=register_url, keep_results=True
    )
    with RequestTable(source, source.name, kb, "fr") as table:
        result = screen_requests(table, kb, options)
    assert (result.assessed, result.stored, result.not_stored) == (12, 11, 1)
    [problem] = result.rejected
    assert (problem.row, problem.column, problem.value) == (7, "(registre)", "r-05")
    assert "null" in problem.problem.lower()  # the database's reason
    [error] = _errors(tmp_path / "out")
    assert (error["row"], error["value"]) == ("7", "r-05")
    assert sorted(r[0] for r in _records(register_url)) == [
        f"r-{i:02d}" for i in range(12) if i != 5
    ]


def test_rescreen_reads_profiles_stored_under_release_1(tmp_path):
    """A register kept under the first knowledge base holds answers release 2 renamed: rescreen
    migrates them (rules/migrations.yaml) instead of stopping, and stores the migrated profile."""
    from coopdec_expert.screening.store import NewRecord, Store, pack

    url = f"sqlite:///{tmp_path}/register.sqlite"
    old = {
        "id": "bf-old-01",
        "requester": "south",
        "answers": {
            "practice.main_actions": "in_kind_aid",
            "south.motivation.financial_openness": "hidden",
            "search.partner_status": "committed_partner",
            "relationship.purpose": "projects",
        },
    }
    store = Store(url)
    try:
        store.save(
            [
                NewRecord(
                    partnership_id="bf-old-01",
                    profile_hash="v1",
                    rules_version="release-1",
                    source_file="demandes-2025.csv",
                    lang="fr",
                    verdict="conditional",
                    next_step="commitment",
                    profile_z=pack(json.dumps(old)),
                    result_z=pack("{}"),
                )
            ]
        )
    finally:
        store.close()
    result = runner.invoke(
        app, ["rescreen", "--store", url, "--workers", "1", "--format", "json", "--lang", "en"]
    )
    assert result.exit_code == 0, result.stderr
    [change] = json.loads(result.stdout)
    assert change["partnership_id"] == "bf-old-01" and change["verdict_before"] == "conditional"
    latest = _records(url)[-1]
    answers = json.loads(latest[6])["answers"]
    assert "practice.main_actions" not in answers
    assert answers["practice.in_kind"] == "present"
    assert answers["south.motivation.financial"] == "present"
