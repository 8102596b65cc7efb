"""Time to the first usable page of the app, as a user meets it after `coopdec ui` starts.

    uv run python tools/measure_start.py [--runs 3]

Each run starts `coopdec ui` (the installed command's code: `python -m coopdec_expert.cli ui`)
on a free port, then measures, wall clock from the start of the command:
- `healthy`: Streamlit's health endpoint answers (the server listens);
- `first page`: a first browser (Debian's chromium, headless) shows the Assess page usable — its
  title, the "next question" box with its answers, the verdict in the sidebar, Streamlit's run
  finished; with `--idle S`, the browser comes S seconds after the server is up (as users do)
  and the time is counted from its request;
- `new session`: a second browser session, opened right after, shows the same.
Not a test: numbers for the README, on this machine as it is (other jobs running or not).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from screenshots import CHROMIUM, CHROMIUM_ARGS, free_port, settled  # noqa: E402

from coopdec_expert.i18n import t  # noqa: E402

CEILING_S = 300


def _usable(page) -> None:
    page.get_by_role("heading", name=t("fr", "ui.assess.title")).wait_for(timeout=CEILING_S * 1000)
    page.locator(".st-key-coopdec-next-question [data-testid='stRadio']").wait_for(
        timeout=CEILING_S * 1000
    )
    page.locator(".st-key-coopdec-summary .coopdec-verdict").wait_for(timeout=CEILING_S * 1000)
    settled(page, CEILING_S * 1000)


def one_run(playwright, warmed: bool = True, idle: float = 0) -> tuple[float, float, float]:
    port = free_port()
    folder = tempfile.mkdtemp(prefix="coopdec-start-")
    env = {**os.environ, "COOPDEC_STORE": str(Path(folder) / "r.sqlite")}
    if warmed:
        command = [sys.executable, "-m", "coopdec_expert.cli", "ui", "--port", str(port)]
    else:  # as `coopdec ui` did before issue 13: Streamlit straight away, nothing warmed
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py")]
        command += ["--server.port", str(port)]
    command += ["--address" if warmed else "--server.address", "127.0.0.1"]
    start = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.05)  # polling interval
            if time.perf_counter() - start > CEILING_S:
                raise SystemExit("the server did not answer")
        healthy = time.perf_counter() - start
        time.sleep(idle)  # the server up before anyone comes: a first user a little later
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        times = []
        for _ in range(2):
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            opened = time.perf_counter()
            page.goto(url)
            _usable(page)
            times.append(time.perf_counter() - (start if not times and not idle else opened))
            context.close()
        browser.close()
        return healthy, times[0], times[1]
    finally:
        os.killpg(server.pid, 15)
        server.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--compare", action="store_true", help="alternate with Streamlit started unwarmed"
    )
    parser.add_argument(
        "--idle",
        type=float,
        default=0,
        help="seconds between the server's health and the first browser; the first page is "
        "then timed from the browser's request",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    kinds = [True, False] if args.compare else [True]
    results: dict[bool, list] = {kind: [] for kind in kinds}
    with sync_playwright() as playwright:
        for number in range(args.runs):
            for warmed in kinds:
                healthy, first, second = one_run(playwright, warmed, args.idle)
                results[warmed].append((healthy, first, second))
                print(
                    f"run {number + 1} ({'warmed' if warmed else 'not warmed'}): healthy "
                    f"{healthy:.1f} s, first usable page {first:.1f} s after start, a new "
                    f"session {second:.1f} s",
                    flush=True,
                )
    for warmed, rows in results.items():
        print("warmed (coopdec ui):" if warmed else "not warmed (streamlit run):")
        for name, index in (("healthy", 0), ("first usable page", 1), ("new session", 2)):
            values = [r[index] for r in rows]
            print(
                f"  {name}: median {statistics.median(values):.1f} s "
                f"(min {min(values):.1f}, max {max(values):.1f})"
            )


if __name__ == "__main__":
    main()
