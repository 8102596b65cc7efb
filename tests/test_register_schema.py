"""The register's schema, on SQLite and PostgreSQL: made by Alembic's migrations, once, however
many processes open a new register at the same moment; a register of the first releases is
upgraded with its records intact (history, rescreen); a register upgraded by a newer release is
refused rather than written to."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.profile import Profile
from coopdec_expert.screening import schema
from coopdec_expert.screening.run import history
from coopdec_expert.screening.store import (
    DEFAULT_WORKSPACE,
    NewRecord,
    Store,
    StoreError,
    pack,
    profile_hash,
    unpack,
)

from .conftest import ROOT
from .registers import all_records, make_first_release_register, record_count
from .support import SERVER_CEILING_S
from .test_screening import example_profiles

OPENERS = 4  # processes opening the same new register at once (the reproducer)
ROUNDS = 2


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return schema.current_revision(connection)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_head_is_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", "coopdec_expert.screening:migrations")
    assert ScriptDirectory.from_config(config).get_heads() == [schema.HEAD]


def test_a_new_register_is_made_by_the_migrations(register_url):
    Store(register_url).close()
    assert _revision(register_url) == schema.HEAD
    assert _tables(register_url) == {"alembic_version", "coopdec_assessments", "coopdec_sheets"}
    Store(register_url).close()  # opened again: nothing to do
    assert _revision(register_url) == schema.HEAD
    if register_url.startswith("sqlite"):  # pages that hold several packed records
        engine = create_engine(register_url)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 16384
        engine.dispose()


def _open_at_once(url: str, folder: Path, names: list[str]) -> list[subprocess.CompletedProcess]:
    """Start one opener per name, wait until each has imported everything, then let them all
    open the register at the same moment; their results once they have finished."""
    folder.mkdir()
    start = folder / "start"
    openers = []
    for name in names:
        command = [sys.executable, "-m", "tests.register_opener", url]
        command += [str(folder / f"{name}.ready"), str(start), name]
        openers.append(
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    try:
        deadline = time.monotonic() + SERVER_CEILING_S
        while not all((folder / f"{name}.ready").exists() for name in names):
            assert all(p.poll() is None for p in openers), [p.communicate() for p in openers]
            assert time.monotonic() < deadline, "the openers did not start"
            time.sleep(0.05)
        start.touch()
        done = []
        for process in openers:
            out, err = process.communicate(timeout=SERVER_CEILING_S)
            done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        return done
    finally:
        for process in openers:
            if process.poll() is None:
                process.kill()
                process.wait()


def _assert_all_opened(done: list[subprocess.CompletedProcess]) -> None:
    failures = [
        (d.stdout.decode()[-500:], d.stderr.decode()[-1500:]) for d in done if d.returncode != 0
    ]
    assert not failures, f"{len(failures)}/{len(done)} openers failed: {failures}"
    assert all(d.stdout.decode().strip() == "ok 1" for d in done)


@pytest.mark.slow  # starts processes
def test_processes_creating_a_new_register_at_once_create_it_once(register_url, tmp_path):
    """Four processes opening a register that does not exist yet, at the same moment, several
    times (a new database each round on PostgreSQL, a new file on SQLite): every one opens it
    and stores its record. Without the schema lock this failed (PostgreSQL IntegrityError,
    SQLite "table already exists")."""
    urls = [register_url]
    if register_url.startswith("sqlite"):
        urls += [f"sqlite:///{tmp_path / f'round{n}.sqlite'}" for n in range(1, ROUNDS)]
    else:
        urls += [_fresh_postgres_database(register_url, n) for n in range(1, ROUNDS)]
    try:
        for round_number, url in enumerate(urls):
            names = [f"opener-{round_number}-{n}" for n in range(OPENERS)]
            _assert_all_opened(_open_at_once(url, tmp_path / f"round{round_number}", names))
            assert record_count(url) == OPENERS
            assert _revision(url) == schema.HEAD
    finally:
        for url in urls[1:]:
            _drop_postgres_database(url)


def _fresh_postgres_database(url: str, number: int) -> str:
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_r{number}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        return
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


# --- a register of the first releases ------------------------------------------------------


def _first_release_rows(assessor) -> list[dict]:
    """Records as the first releases stored them: JSON text, no workspace, no user; one
    partnership assessed twice (older rules, then the current ones)."""
    rows = []
    start = dt.datetime(2026, 1, 5, 9, 30)
    profiles = [Profile.model_validate(p) for p in example_profiles()[:3]]
    for number, (profile, rules) in enumerate(
        [(profiles[0], "0ld-rules"), (profiles[0], None), (profiles[1], None), (profiles[2], None)]
    ):
        result = assessor.assess(profile, "fr")
        rows.append(
            {
                "partnership_id": profile.id,
                "profile_hash": profile_hash(profile),
                "rules_version": rules or result.rules_version,
                "assessed_at": start + dt.timedelta(days=number),
                "source_file": f"lot-{number}.csv",
                "lang": "fr",
                "verdict": "not_ready" if rules else result.readiness.verdict,
                "next_step": result.readiness.next_step,
                "profile_json": profile.model_dump_json(),
                "result_json": result.model_dump_json(),
            }
        )
    return rows


def test_a_first_release_register_is_upgraded_with_its_records(register_url, assessor):
    rows = _first_release_rows(assessor)
    make_first_release_register(register_url, rows)
    assert _revision(register_url) is None

    store = Store(register_url)
    assert _revision(register_url) == schema.HEAD
    assert _tables(register_url) == {"alembic_version", "coopdec_assessments", "coopdec_sheets"}
    kept = all_records(register_url)
    assert [r[:8] for r in kept] == [
        (
            DEFAULT_WORKSPACE,
            row["partnership_id"],
            row["profile_hash"],
            row["rules_version"],
            row["verdict"],
            row["next_step"],
            row["result_json"],
            row["profile_json"],
        )
        for row in rows
    ]
    assert all(r[8] is None for r in kept)  # who stored them was not recorded then
    twice = rows[0]["partnership_id"]
    entries = history(register_url, twice)
    assert [(e.source_file, e.rules_version) for e in entries] == [
        ("lot-0.csv", "0ld-rules"),
        ("lot-1.csv", rows[1]["rules_version"]),
    ]
    assert entries[0].assessed_at == rows[0]["assessed_at"]

    # New records get new ids after the copied ones (PostgreSQL's sequence was moved).
    new = NewRecord(
        partnership_id="after-upgrade",
        profile_hash="1" * 64,
        rules_version="r",
        source_file="n.csv",
        lang="fr",
        verdict="ready",
        next_step="action",
        profile_z=pack("{}"),
        result_z=pack("{}"),
    )
    assert store.save([new]).stored == 1
    store.close()
    assert all_records(register_url)[-1][1] == "after-upgrade"


def test_rescreen_after_an_upgrade_reassesses_old_rules(register_url, assessor):
    rows = _first_release_rows(assessor)
    make_first_release_register(register_url, rows[:1])  # only the assessment of old rules
    result = CliRunner().invoke(
        app, ["rescreen", "--store", register_url, "--workers", "1", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    changes = json.loads(result.stdout)
    assert [(c["partnership_id"], c["rules_before"]) for c in changes] == [
        (rows[0]["partnership_id"], "0ld-rules")
    ]
    assert changes[0]["verdict_before"] == "not_ready"
    assert changes[0]["verdict_after"] == rows[1]["verdict"]
    assert len(history(register_url, rows[0]["partnership_id"])) == 2


@pytest.mark.slow  # starts processes
def test_processes_upgrading_a_first_release_register_at_once(register_url, assessor, tmp_path):
    rows = _first_release_rows(assessor)
    make_first_release_register(register_url, rows)
    names = [f"upgrader-{n}" for n in range(OPENERS)]
    _assert_all_opened(_open_at_once(register_url, tmp_path / "upgrade", names))
    assert _revision(register_url) == schema.HEAD
    kept = all_records(register_url)
    assert len(kept) == len(rows) + OPENERS  # each old record copied once, each new one kept
    assert [r[1] for r in kept[: len(rows)]] == [row["partnership_id"] for row in rows]


def test_a_register_of_a_newer_release_is_refused(register_url):
    Store(register_url).close()
    engine = create_engine(register_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError) as refused:
        Store(register_url)
    message = str(refused.value)
    assert "9999" in message and schema.HEAD in message and "upgrade coopdec-expert" in message
    assert _revision(register_url) == "9999"  # untouched


def test_a_register_written_by_the_first_release_is_upgraded(tmp_path):
    """The same, on a SQLite file that the first releases' own code wrote (tests/fixtures)."""
    import shutil
    import sqlite3

    path = tmp_path / "register.sqlite"
    shutil.copy(ROOT / "tests" / "fixtures" / "register_first_release.sqlite", path)
    connection = sqlite3.connect(path)
    before = connection.execute(
        "SELECT partnership_id, profile_hash, rules_version, verdict, next_step, result_json, "
        "profile_json FROM screening_assessments ORDER BY id"
    ).fetchall()
    connection.close()
    assert len(before) == 3
    url = f"sqlite:///{path}"
    entries = history(url, "exemple-ziniare-recherche")
    assert _revision(url) == schema.HEAD
    assert [e.source_file for e in entries] == ["lot-janvier.json", "lot-mars.json"]
    assert [r[1:8] for r in all_records(url)] == before
    assert {r[0] for r in all_records(url)} == {DEFAULT_WORKSPACE}


# Every packing dictionary ever shipped, by the Adler-32 its records carry: a record packed with
# one can be read only while that file is unchanged.
SHIPPED_DICTIONARIES = {"v1.txt": 0x2AFB6BD4, "v2.txt": 0xFC987BCB}


def test_packing_dictionaries_never_change():
    from coopdec_expert.screening import packing

    found = {p.name: zlib.adler32(p.read_bytes()) for p in packing.DICTIONARIES.glob("*.txt")}
    assert found == SHIPPED_DICTIONARIES, (
        "a packing dictionary was changed or removed (records packed with it could no longer "
        "be read): add a new file instead, and list it here"
    )
    packed = pack('{"verdict": "ready"}')
    assert packed[1] & 0x20  # zlib's FDICT: packed from a dictionary, named in the header
    assert int.from_bytes(packed[2:6], "big") == SHIPPED_DICTIONARIES[packing.PACKING_DICTIONARY]
    assert unpack(packed) == '{"verdict": "ready"}'
    assert unpack(zlib.compress(b'{"a": 1}')) == '{"a": 1}'  # records copied by migration 0002
