"""End to end in a real headless browser (Debian's chromium, driven by Playwright): the app as
`streamlit run` serves it, an example loaded and one question answered through the page until the
verdict shows, then English, the Result page and its PDF. Skipped locally without chromium; with
CI set, a browser that cannot start is a failure. Every wait is on the page's state (Streamlit's
run finished, the expected element shown), within a generous ceiling for a busy machine."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.i18n import t
from coopdec_expert.profile import load_profile

from .support import (
    SERVER_CEILING_S,
    free_port,
    start_server,
    stop,
    unavailable,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLE = "ziniare_recherche_de_partenaire.yaml"
# The ceiling of every wait on the page (a ceiling, not a pause: a wait ends when the state is
# reached). A rerun takes well under a second on an idle machine and far longer on a busy one.
WAIT_MS = SERVER_CEILING_S * 1000


def _unavailable(reason: str) -> None:
    unavailable(f"no headless browser here: {reason}")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = tmp_path / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.port", str(port)]
    process = start_server([*command, "--server.address", "127.0.0.1"], ROOT, log)
    try:
        wait_until_healthy(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def browser_page(tmp_path):
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        _unavailable(f"playwright is not installed ({error})")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"),
                executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                headless=True,
                args=ARGS,
                viewport={"width": 1400, "height": 1000},
                accept_downloads=True,
                timeout=WAIT_MS,
            )
        except Error as error:
            _unavailable(f"chromium did not start: {error}")
        context.set_default_timeout(WAIT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()


def _settled(page) -> None:
    """Wait until Streamlit has finished its rerun, as a person waits for the page to stop
    changing: the app says its script is not running (the `data-test-script-state` Streamlit
    sets on the app for its own browser tests), and no greyed-out element of the previous run
    is left beside the new ones. Called after waiting for something the new run shows, so that
    the run has started."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=WAIT_MS
    )
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.locator('[data-stale="true"]').first.wait_for(state="detached", timeout=WAIT_MS)


def _badge(page, verdict: str):
    return page.locator(f'.coopdec-verdict[data-verdict="{verdict}"]')


def test_interview_in_a_real_browser(server, browser_page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)  # the same ceiling for assertions that wait
    page = browser_page
    assessor = default_assessor()
    kb = assessor.kb
    profile = load_profile(ROOT / "examples" / EXAMPLE, kb)
    change = paths_to_next_level(assessor, dict(profile.answers), "fr").paths[0].changes[0]
    changed = {**profile.answers, change.question: change.after}
    expected = assessor.outcome(changed)

    page.goto(server)
    page.get_by_role("heading", name=t("fr", "ui.assess.title")).wait_for()
    # load a shipped example through the select box
    page.get_by_role("combobox", name=t("fr", "ui.load.example")).click()
    page.get_by_role("option", name=EXAMPLE).click()
    page.get_by_text(t("fr", "ui.load.done", source=EXAMPLE, n=len(profile.answers))).wait_for()
    _badge(page, assessor.outcome(dict(profile.answers)).verdict).wait_for()
    _settled(page)

    # answer one question through the page: the option of the shortest path to the next level
    group = page.locator('[data-testid="stRadio"]').filter(
        has_text=kb.questions[change.question].text.fr
    )
    expect(group).to_have_count(1)  # the widgets of the previous run are gone
    group.get_by_text(change.after_label, exact=True).click()
    badge = _badge(page, expected.verdict)
    badge.wait_for()
    _settled(page)
    page.get_by_text(
        t("fr", "ui.load.done", source=EXAMPLE, n=len(profile.answers))
    ).wait_for()  # the page is still whole
    page.screenshot(path=tmp_path / "assess-fr.png")

    # switch to English: the answers stay, the verdict is in English
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=t("en", "ui.assess.title")).wait_for()
    _settled(page)
    label = t("en", f"verdict.{expected.verdict}")
    expect(_badge(page, expected.verdict)).to_have_text(
        t("en", "ui.result.badge", verdict=label), timeout=WAIT_MS
    )
    radio = page.locator('[data-testid="stRadio"]').filter(
        has_text=kb.questions[change.question].text.en
    )
    option_en = next(
        o.label.en for o in kb.questions[change.question].options if o.id == change.after
    )
    expect(radio.locator("label", has=page.locator("input:checked"))).to_have_text(option_en)

    # the Result page, then its PDF report, as a person would download it
    page.get_by_role("link", name=t("en", "ui.page.result")).click()
    page.get_by_role("heading", name=t("en", "ui.result.title")).wait_for()
    _badge(page, expected.verdict).wait_for()
    page.screenshot(path=tmp_path / "result-en.png", full_page=True)
    with page.expect_download(timeout=WAIT_MS) as download_info:
        page.get_by_role("button", name=t("en", "ui.result.download_pdf")).click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert (tmp_path / "assess-fr.png").stat().st_size > 10_000
