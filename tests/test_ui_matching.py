"""The Mise en relation / Partner matching page driven by AppTest: the example sheets matched as
`coopdec match` ranks them, each proposal explained with the seed's quote, an uploaded table with
a bad row (named, the good rows kept), a refused file, downloads, English."""

from __future__ import annotations

import pytest

from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.i18n import t
from coopdec_expert.matching.explain import proposals_for
from coopdec_expert.matching.score import Matcher
from ui.views.matching import EXAMPLES_KEY, PICK_KEY, UPLOAD_KEY, example_sheets

from .test_matching_cli import BAD, GOOD, _table
from .test_ui import download, english, start_app

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it


@pytest.fixture
def page(monkeypatch):
    at = start_app(monkeypatch)
    at.switch_page("page_scripts/matching.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("fr", "matching.app.title")
    return at


def _expected(sheet_id: str, top: int = 5) -> list[str]:
    """The partners `coopdec match --for` proposes, best first, as the page titles them."""
    from coopdec_expert.matching.sheet import load_sheets

    kb = default_assessor().kb
    sheets = [s for p in example_sheets() for s in load_sheets(p, kb)]
    return [
        f"{p.rank}. {p.north_name if p.south == sheet_id else p.south_name} — {p.score:g}"
        for p in proposals_for(Matcher(sheets, kb), sheet_id, top)
    ]


def test_examples_ranked_and_explained(page):
    page.selectbox(key=PICK_KEY).select("ziniare").run()
    assert not page.exception
    titles = [e.label for e in page.expander]
    ranked = [label for label in titles if label[:1].isdigit()]
    expected = _expected("ziniare")
    assert len(ranked) == len(expected) == 4  # the four Northern example sheets
    for label, start in zip(ranked, expected, strict=True):
        assert label.startswith(start), (label, start)
    text = "\n".join(m.value for m in page.markdown)
    assert "« La coopération décentralisée ne doit pas être vue comme un simple guichet" in text
    assert "Commune de Kongoussi" not in "\n".join(titles)  # same side: never proposed
    assert download(page, "coopdec.matching.csv").decode("utf-8-sig").startswith("pour;rang")
    assert download(page, "coopdec.matching.presentation").startswith(b"%PDF")


def test_uploaded_table_bad_rows_named_good_rows_kept(page):
    kb = default_assessor().kb
    data = _table(kb, [GOOD[0], BAD[0], GOOD[1]])
    page.checkbox(key=EXAMPLES_KEY).uncheck().run()
    page.file_uploader(key=UPLOAD_KEY).set_value([("fiches.csv", data, "text/csv")]).run()
    assert not page.exception, [e.value for e in page.exception]
    options = page.selectbox(key=PICK_KEY).options
    assert len(options) == 2  # sud-1 and nord-1; the bad row left out
    text = "\n".join(m.value for m in page.markdown)
    assert "bad\\-theme" in text or "bad-theme" in text
    page.file_uploader(key=UPLOAD_KEY).set_value([("x.yaml", b"id: [", "text/yaml")]).run()
    assert page.error and "x.yaml" in page.error[0].value


def test_english(page):
    english(page)
    assert page.title[0].value == t("en", "matching.app.title")
    text = "\n".join(m.value for m in page.markdown)
    assert "Shared stakes" in text or "What each brings" in text
