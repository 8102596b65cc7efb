"""Screenshots of every page of the app, in French and English, as a new user sees them.

    uv run python tools/screenshots.py [--out screenshots] [--sizes 1366x768,1920x1080]
                                    [--langs fr,en] [--url http://127.0.0.1:8501]

Starts the app (`streamlit run ui/app.py` on a free port, a temporary register) unless --url
names a running one, and drives Debian's chromium (/usr/bin/chromium) with Playwright through
each page: the interview with an example loaded, the result, the four tabs of "Why?", the
knowledge base, the workshop's five parts (normal, then the projector view of each part at the
screen's size), and the screening page after a 200-row batch. Each image is a PNG named
`<lang>-<width>x<height>-<number>-<page>.png`; full-page images end in `-full`. Every wait is on
the page's state (Streamlit's run finished, an element shown), within a generous ceiling.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coopdec_expert.i18n import t  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CEILING_MS = 240_000  # a ceiling, not a pause: a busy 2-core machine can be slow
EXAMPLE = "ziniare_recherche_de_partenaire.yaml"
WORKSHOP_CASE = "bousse_cooperation_container.yaml"  # the most answers, flags and rules


# --- waiting on Streamlit, shared with tests/test_ui_browser.py ------------------------


def settled(page, timeout: int = CEILING_MS) -> None:
    """Wait until Streamlit has finished its rerun, as a person waits for the page to stop
    changing: the app says its script is not running, its status widget is gone, and no
    greyed-out (stale) element of the previous run nor placeholder of a widget is left. Call it
    after waiting for something the new run shows, so that the run has started."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=timeout
    )
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout)
    page.locator('[data-stale="true"]').first.wait_for(state="detached", timeout=timeout)
    # widgets whose code is still loading show a skeleton in their place
    page.locator('[data-testid="stSkeleton"]').first.wait_for(state="detached", timeout=timeout)


def badge(page, verdict: str | None = None):
    """The verdict badge (of a given verdict)."""
    selector = ".coopdec-verdict" + (f'[data-verdict="{verdict}"]' if verdict else "")
    return page.locator(selector).first


def go_to(page, lang: str, page_key: str, heading_key: str) -> None:
    """Open a page through the sidebar's navigation, as a person does (the session, hence the
    answers, stay)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=t(lang, page_key), exact=True).click()
    page.get_by_role("heading", name=t(lang, heading_key)).first.wait_for(timeout=CEILING_MS)
    settled(page)


def switch_to_english(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_text("English", exact=True).click()
    page.get_by_role("heading", name=t("en", "ui.assess.title")).wait_for(timeout=CEILING_MS)
    settled(page)


def load_example(page, lang: str, name: str) -> None:
    """Open the loading panel if closed, and pick a shipped example in its select box."""
    box = page.get_by_role("combobox", name=t(lang, "ui.load.example"))
    if not box.is_visible():
        page.get_by_text(t(lang, "ui.load.title"), exact=True).click()
    box.click()
    page.get_by_role("option", name=name).first.click()
    page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=CEILING_MS)
    settled(page)


def answer_next_question(page, middling: bool = True) -> str:
    """Answer the question in the "next question" box (a middle option, as advisors often
    do, or the first); returns the option's label."""
    box = page.locator(".st-key-coopdec-next-question")
    labels = box.locator('[data-testid="stRadio"] label')
    count = labels.count()
    if not count:
        return ""
    choice = labels.nth((count - 1) // 2 if middling else 0)
    text = choice.inner_text()
    click_and_wait(page, choice, ".st-key-coopdec-summary")
    return text


# --- the server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(store: Path) -> Iterator[str]:
    """The app on a free port of this machine, with its own register; stopped at the end."""
    port = free_port()
    env = {**os.environ, "COOPDEC_STORE": str(store)}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py")]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    log = store.with_suffix(".log").open("w")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + CEILING_MS / 1000
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the app exited: see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.25)  # polling interval while the server starts
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)
        log.close()


def requests_table(path: Path, rows: int = 200) -> Path:
    """A realistic table of requests (the benchmark's generator: a third sparse rows)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_screening import generate

    generate(path, rows, "realistic")
    return path


# --- the tour --------------------------------------------------------------------------


class Camera:
    def __init__(self, page, out: Path, prefix: str):
        self.page, self.out, self.prefix, self.count = page, out, prefix, 0

    def shot(self, name: str, full: bool = True) -> None:
        """The visible screen and, when the page is taller, the whole page (the window made as
        tall as the page: Streamlit scrolls its main section, not the document)."""
        self.count += 1
        stem = f"{self.prefix}-{self.count:02d}-{name}"
        self.page.screenshot(path=self.out / f"{stem}.png")
        size = dict(self.page.viewport_size)
        height = scroll_height(self.page)
        if full and height > size["height"] + 4:
            self.page.set_viewport_size({"width": size["width"], "height": min(height, 16_000)})
            settled(self.page)
            self.page.screenshot(path=self.out / f"{stem}-full.png")
            self.page.set_viewport_size(size)
            settled(self.page)


def scroll_height(page) -> int:
    """The height of what would scroll: the document's, or Streamlit's main section's."""
    return page.evaluate(_SCROLL_HEIGHT)


# Streamlit scrolls its main section, not the document: the height of what would scroll.
_SCROLL_HEIGHT = """() => Math.max(
    document.scrollingElement.scrollHeight,
    ...Array.from(document.querySelectorAll('[data-testid="stMain"], section.main'))
        .map(e => e.scrollHeight))"""


def choose_case(page, lang: str, name: str) -> None:
    page.get_by_role("combobox", name=t(lang, "ui.workshop.case")).click()
    page.get_by_role("option", name=name).first.click()
    settled(page)


def click_and_wait(page, target, watched: str) -> None:
    """Click, then wait until the text of `watched` (a CSS selector) changes — what the new run
    shows — and the run has settled."""
    before = page.locator(watched).first.inner_text()
    target.click()
    page.wait_for_function(
        "([selector, before]) => {"
        " const e = document.querySelector(selector); return e && e.innerText !== before; }",
        arg=[watched, before],
        timeout=CEILING_MS,
    )
    settled(page)


def next_slide(page, lang: str) -> bool:
    """Click "next" on the workshop; False when the last slide is shown."""
    button = page.get_by_role("button", name=t(lang, "ui.workshop.next"))
    if button.is_disabled():
        return False
    click_and_wait(page, button, ".st-key-coopdec-slide-counter")
    return True


def projector(page, lang: str, on: bool) -> None:
    """Switch the workshop's projector view; it hides the sidebar."""
    page.get_by_text(t(lang, "ui.workshop.projector"), exact=True).click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.wait_for(state="hidden" if on else "visible", timeout=CEILING_MS)
    settled(page)


heights: list[tuple[str, int, int]] = []  # (screenshot prefix, slide, height to scroll)


def tour(page, lang: str, out: Path, prefix: str, table: Path) -> None:
    camera = Camera(page, out, prefix)
    page.get_by_role("heading", name=t("fr", "ui.assess.title")).wait_for(timeout=CEILING_MS)
    settled(page)
    if lang == "en":
        switch_to_english(page)
    camera.shot("assess-empty")
    for _ in range(3):
        answer_next_question(page, middling=True)
    camera.shot("assess-answering")
    load_example(page, lang, EXAMPLE)
    camera.shot("assess-example")

    go_to(page, lang, "ui.page.result", "ui.result.title")
    camera.shot("result")

    go_to(page, lang, "ui.page.why", "ui.why.title")
    for number, key in enumerate(
        ("ui.why.why_title", "ui.why.whynot_title", "ui.why.whatif_title", "ui.why.path_title")
    ):
        page.get_by_role("tab", name=t(lang, key)).click()
        settled(page)
        if key == "ui.why.whynot_title":  # the question an advisor asks: why not ready?
            target = t(lang, "ui.why.target_verdict", verdict=t(lang, "verdict.ready"))
            page.get_by_role("combobox", name=t(lang, "ui.why.target")).click()
            page.get_by_role("option", name=target).click()
            settled(page)
        camera.shot(f"why-{number + 1}")

    go_to(page, lang, "ui.page.knowledge", "ui.kb.title")
    camera.shot("knowledge")

    go_to(page, lang, "ui.page.workshop", "ui.workshop.title")
    choose_case(page, lang, WORKSHOP_CASE)
    camera.shot("workshop-1")
    for number in range(2, 5):
        next_slide(page, lang)
        camera.shot(f"workshop-{number}")
    projector(page, lang, on=True)
    restart = page.get_by_role("button", name=t(lang, "ui.workshop.restart"))
    if not page.get_by_role("button", name=t(lang, "ui.workshop.back")).is_disabled():
        click_and_wait(page, restart, ".st-key-coopdec-slide-counter")
    number = 1
    while True:
        camera.shot(f"projector-{number:02d}", full=False)
        heights.append((camera.prefix, number, scroll_height(page)))
        if not next_slide(page, lang):
            break
        number += 1
    projector(page, lang, on=False)

    go_to(page, lang, "ui.page.screening", "ui.screening.title")
    camera.shot("screening-empty")
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(table))
    settled(page)
    page.get_by_role("button", name=t(lang, "ui.screening.run")).click()
    progress = page.locator(".st-key-coopdec-screening-progress")
    progress.wait_for(timeout=CEILING_MS)
    camera.shot("screening-running", full=False)
    page.get_by_role("heading", name=t(lang, "ui.screening.validation")).wait_for(
        timeout=CEILING_MS
    )
    settled(page)
    camera.shot("screening-done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--sizes", default="1366x768,1920x1080")
    parser.add_argument("--langs", default="fr,en")
    parser.add_argument("--url", help="a running app (default: start one)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if chromium is None:
        raise SystemExit(f"{CHROMIUM} not found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="coopdec-screenshots-") as folder:
        table = requests_table(Path(folder) / "demandes.csv")
        server = contextlib.nullcontext(args.url) if args.url else serve(Path(folder) / "r.sqlite")
        with server as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            for size in args.sizes.split(","):
                width, height = (int(v) for v in size.split("x"))
                for lang in args.langs.split(","):
                    context = browser.new_context(viewport={"width": width, "height": height})
                    context.set_default_timeout(CEILING_MS)
                    page = context.new_page()
                    page.goto(url)
                    tour(page, lang, args.out, f"{lang}-{width}x{height}", table)
                    context.close()
                    print(f"{lang} {width}x{height}: done", flush=True)
            browser.close()
    for prefix, number, height in heights:
        print(f"{prefix} projector slide {number}: page height {height} px")
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
