"""What several tests share: "skip here, fail under CI" for a missing prerequisite, a server
started, waited for (on its state, within a generous ceiling) and stopped, and the headless
browser of the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# A ceiling, not a pause: waits end as soon as the state is reached. Generous, because the
# machine running the suite may be shared with other test runs.
SERVER_CEILING_S = 240
CHROMIUM = "/usr/bin/chromium"  # Debian's, which .ci/run installs


def unavailable(reason: str) -> None:
    """A prerequisite is missing: skip with the reason locally; under CI (env CI set), where
    .ci/run installs every prerequisite, the same thing is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"under CI this must run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(command: list[str], cwd: Path, log: Path, env: dict | None = None):
    """Start a server in its own process group (so that it is stopped with its children)."""
    with log.open("w") as output:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_until_healthy(process: subprocess.Popen, port: int, log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers "ok"; fail with the server's log if
    the process exits or the ceiling is reached."""
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + SERVER_CEILING_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200 and answer.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)  # polling interval
    pytest.fail(f"no answer from {url} within {SERVER_CEILING_S} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> int:
    """Stop the server's process group: SIGTERM, then SIGKILL if it does not stop in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=30)


@contextmanager
def headless_chromium(args: list[str]) -> Iterator:
    """Debian's chromium, headless, driven by Playwright; a missing browser is `unavailable`."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        unavailable(f"no headless browser here: playwright is not installed ({error})")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        unavailable(f"no headless browser here: {CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                args=args,
                timeout=SERVER_CEILING_S * 1000,
            )
        except Error as error:
            unavailable(f"no headless browser here: chromium did not start: {error}")
        try:
            yield launched
        finally:
            launched.close()
