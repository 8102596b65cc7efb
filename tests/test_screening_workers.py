"""kill -9 of `coopdec screen` (issue 14): its worker processes and multiprocessing's resource
tracker end with it instead of waiting forever, and the next batch in the same --out folder
removes the hidden folder the killed one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coopdec_expert.cli import app

from .conftest import ROOT
from .registers import record_count

PROC = Path("/proc")
pytestmark = [
    pytest.mark.skipif(not PROC.is_dir(), reason="reads the process table in /proc"),
    pytest.mark.slow,
]


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, parent, …"""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has ended


def wait_until(condition, ceiling: float) -> bool:
    """Poll a state until it holds (a busy machine may take long: the ceiling is generous)."""
    deadline = time.monotonic() + ceiling
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_workers_and_resource_tracker_end_when_the_batch_is_killed(tmp_path):
    rows = ["id;south_name;south_country;relationship.purpose"]
    rows += [f"r{i};Commune {i};Mali;projects" for i in range(400)]  # sparse: slow rows
    source = tmp_path / "d.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store, out = f"sqlite:///{tmp_path / 'r.sqlite'}", tmp_path / "out"
    command = [sys.executable, "-m", "coopdec_expert.cli", "screen", str(source)]
    command += ["--out", str(out), "--store", str(store), "--workers", "2", "--chunk-size", "5"]
    batch = subprocess.Popen(
        [*command, "--no-reports"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    spawned: list[int] = []
    try:
        # mid-batch: two workers and the resource tracker started, records being stored
        assert wait_until(lambda: len(children(batch.pid)) >= 3 and record_count(store) >= 5, 300)
        spawned = children(batch.pid)
        assert batch.poll() is None, "the batch must be killed mid-run"
        os.kill(batch.pid, signal.SIGKILL)  # the batch's process only, not its group
        batch.wait()
        ended = wait_until(lambda: not any(alive(pid) for pid in spawned), 120)
        assert ended, f"still running after the batch was killed: {spawned}"
    finally:
        for pid in [batch.pid, *spawned]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        batch.wait()
    assert 5 <= record_count(store) < 400
    left = [p.name for p in out.iterdir()]
    assert len(left) == 1 and left[0].startswith(".coopdec-partial-")  # outputs not published

    small = tmp_path / "small.csv"
    small.write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    again = CliRunner().invoke(
        app,
        ["screen", str(small), "--out", str(out), "--store", str(store)]
        + ["--workers", "1", "--no-reports"],
    )
    assert again.exit_code == 0, again.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the abandoned one removed
