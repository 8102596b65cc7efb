"""End to end in a real headless browser (Debian's chromium, driven by Playwright), the app as
`coopdec ui` serves it, as its three users meet it:

- an advisor loads an example, answers through the page, switches to English, downloads the
  Markdown then at once the PDF report; from an empty profile, an interview with middling
  answers reaches a verdict other than "insufficient information" without a dead end;
- a facilitator's projector view: every slide of the largest case fits 1920×1080, no scroll;
- a directorate screens 200 requests and sees rows done / total while the batch runs.

The page says `<html lang>` in its language and none of Streamlit's English words in French.
Skipped locally without chromium; with CI set, a browser that cannot start is a failure. Every
wait is on the page's state (Streamlit's run finished, the expected element shown), within a
generous ceiling for a busy machine — never a fixed pause.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.i18n import french_spacing, t, tn
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import Profile, load_profile

from .support import (
    SERVER_CEILING_S,
    free_port,
    headless_chromium,
    start_server,
    stop,
    wait_until_healthy,
)

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))

from screenshots import (  # noqa: E402
    CHROMIUM_ARGS,
    choose_case,
    click_and_wait,
    go_to,
    load_example,
    next_slide,
    projector,
    scroll_height,
    settled,
    switch_to_english,
)

EXAMPLE = "ziniare_recherche_de_partenaire.yaml"
WAIT_MS = SERVER_CEILING_S * 1000  # a ceiling, not a pause: each wait ends with its state
ENGLISH_OF_STREAMLIT = ("Drag and drop", "Browse files", "per file", "Select all", "Upload")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app as `coopdec ui` serves it, with a register of its own."""
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "COOPDEC_STORE": str(folder / "register.sqlite")}
    command = [sys.executable, "-m", "coopdec_expert.cli", "ui", "--port", str(port)]
    process = start_server([*command, "--address", "127.0.0.1"], folder, log, env)
    try:
        wait_until_healthy(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    with headless_chromium(CHROMIUM_ARGS) as launched:
        yield launched


def _page(browser, server, width: int = 1400, height: int = 1000):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)  # the same ceiling for assertions that wait
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(server)
    page.get_by_role("heading", name=t("fr", "ui.assess.title")).wait_for()
    settled(page)
    return context, page


def _badge(page, verdict: str):
    return page.locator(f'.st-key-coopdec-summary .coopdec-verdict[data-verdict="{verdict}"]')


def _visible_text(page) -> str:
    return page.locator("body").inner_text()


def test_an_advisor_answers_switches_language_and_downloads_both_reports(browser, server):
    from playwright.sync_api import expect

    context, page = _page(browser, server)
    try:
        assessor = default_assessor()
        kb = assessor.kb
        assert page.evaluate("document.documentElement.lang") == "fr"
        text = _visible_text(page)
        assert not [word for word in ENGLISH_OF_STREAMLIT if word in text]
        profile = load_profile(ROOT / "examples" / EXAMPLE, kb)
        change = paths_to_next_level(assessor, dict(profile.answers), "fr").paths[0].changes[0]
        changed = {**profile.answers, change.question: change.after}
        expected = assessor.outcome(changed)

        load_example(page, "fr", EXAMPLE)
        loaded = tn("fr", "ui.load.loaded", len(profile.answers), source=EXAMPLE)
        page.get_by_text(loaded).wait_for()
        _badge(page, assessor.outcome(dict(profile.answers)).verdict).wait_for()

        # answer one question through the page: the option of the shortest path up
        group = page.locator('[data-testid="stRadio"]').filter(
            has_text=french_spacing(kb.questions[change.question].text.fr)
        )
        expect(group).to_have_count(1)  # the widgets of the previous run are gone
        click_and_wait(
            page,
            group.get_by_text(french_spacing(change.after_label), exact=True),
            ".st-key-coopdec-summary",
        )
        _badge(page, expected.verdict).wait_for()

        # English: the answers stay, the verdict and the page's language are English
        switch_to_english(page)
        label = t("en", f"verdict.{expected.verdict}")
        expect(_badge(page, expected.verdict)).to_have_text(
            t("en", "ui.result.badge", verdict=label)
        )
        assert page.evaluate("document.documentElement.lang") == "en"
        radio = page.locator('[data-testid="stRadio"]').filter(
            has_text=kb.questions[change.question].text.en
        )
        option_en = next(
            o.label.en for o in kb.questions[change.question].options if o.id == change.after
        )
        expect(radio.locator("label", has=page.locator("input:checked"))).to_have_text(option_en)

        # the Result page: the Markdown report, then at once the PDF (the old race)
        go_to(page, "en", "ui.page.result", "ui.result.title")
        with page.expect_download() as markdown_download:
            page.get_by_role("button", name=t("en", "ui.result.download_md")).click()
        with page.expect_download() as pdf_download:
            page.get_by_role("button", name=t("en", "ui.result.download_pdf")).click()
        markdown = Path(markdown_download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith("# " + t("en", "report.title"))
        assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF")
        slug = "assessment-" + (profile.id or "").lower()
        assert pdf_download.value.suggested_filename == f"{slug}-en.pdf"
    finally:
        context.close()


def test_an_interview_with_middling_answers_reaches_a_verdict_without_a_dead_end(browser, server):
    """From an empty profile, the advisor answers the "next question" box with a middle option
    each time (never the best one): the verdict the sidebar shows is the assessor's, the next
    question is always there while the verdict is insufficient information, until it is not."""
    context, page = _page(browser, server)
    try:
        assessor = default_assessor()
        kb = assessor.kb
        answers: dict[str, str] = {}
        box = page.locator(".st-key-coopdec-next-question")
        for _ in range(40):
            # read as the page reads them: who requests (the South until answered), answers to
            # questions that do not apply set aside
            outcome = assessor.outcome(assessor.answers_for(Profile(answers=answers)))
            _badge(page, outcome.verdict).wait_for()
            if outcome.verdict != "insufficient_information":
                break
            # no dead end: an open question to answer is always offered first
            heading = box.get_by_text(t("fr", "ui.assess.next_question"))
            assert heading.count() == 1, _visible_text(page)[:2000]
            assert t("fr", "ui.assess.done") not in _visible_text(page)
            label = box.locator('[data-testid="stWidgetLabel"]').first.inner_text()
            question = next(
                q
                for q in kb.questions.values()
                if q.id not in answers and label.startswith(french_spacing(q.text.fr))
            )
            middle = question.options[(len(question.options) - 1) // 2]
            answers[question.id] = middle.id
            option = box.locator('[role="radiogroup"] label').filter(
                has_text=french_spacing(middle.label.fr)
            )
            click_and_wait(page, option.first, ".st-key-coopdec-summary")
        final = assessor.assess(Profile(answers=answers))
        assert final.readiness.verdict != "insufficient_information", answers
        assert UNKNOWN not in answers.values()
    finally:
        context.close()


def test_every_projector_slide_fits_1920_by_1080(browser, server):
    context, page = _page(browser, server, 1920, 1080)
    try:
        go_to(page, "fr", "ui.page.workshop", "ui.workshop.title")
        choose_case(page, "fr", "bousse_cooperation_container.yaml")  # the most to show
        projector(page, "fr", on=True)
        heights = []
        while True:
            heights.append(
                (
                    page.locator(".st-key-coopdec-slide-counter").inner_text(),
                    page.evaluate("document.scrollingElement.scrollHeight"),
                    scroll_height(page),
                )
            )
            if not next_slide(page, "fr"):
                break
        assert len(heights) > 10
        assert all(document <= 1080 and main <= 1080 for _, document, main in heights), heights
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
    finally:
        context.close()


def test_a_directorate_sees_rows_done_of_total_while_200_requests_are_screened(
    browser, server, tmp_path
):
    from bench_screening import generate

    source = tmp_path / "deux-cents.csv"
    generate(source, 200, "realistic")
    context, page = _page(browser, server)
    try:
        go_to(page, "fr", "ui.page.screening", "ui.screening.title")
        text = _visible_text(page)
        assert not [word for word in ENGLISH_OF_STREAMLIT if word in text]
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(source)
        )
        page.get_by_text("deux-cents.csv").wait_for()
        settled(page)
        page.get_by_role("button", name=t("fr", "ui.screening.run")).click()
        progress = page.locator(".st-key-coopdec-screening-progress")
        progress.get_by_text(" sur 200 lignes traitées").wait_for()  # rows done / total
        page.get_by_role("heading", name=t("fr", "ui.screening.validation")).wait_for()
        settled(page)
        done = tn("fr", "ui.screening.done_assessed", 200)
        page.get_by_text(done, exact=False).first.wait_for()
    finally:
        context.close()
