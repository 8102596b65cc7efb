"""The app and hostile text (issue 14): what users type or upload is shown as typed — never a
live link, a remote image or HTML —, the register's URL and password are never shown, and a
crash shows a message while the traceback goes to the server's log."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from markdown_it import MarkdownIt

from coopdec_expert.i18n import t
from ui.views.screening import HISTORY_TYPED, UPLOAD_KEY
from ui.widgets import user_text

from .test_ui import EXAMPLES, ROOT, go, start_app
from .test_ui_screening import wait_for_batch

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

HOSTILE = (
    "[click me](https://evil.example/phish) ![pixel](https://evil.example/track.png) "
    "<img src=https://evil.example/x.png> <https://evil.example> **bold** `code` "
    "https://evil.example/bare www.evil.example mail@evil.example $x^2$"
)
PASSWORD = "S3cret-Pa55word"


def rendered(markdown_text: str) -> str:
    """HTML as CommonMark renders it (Streamlit's renderer adds GFM autolinks and maths,
    which `user_text` breaks with backslashes: checked on the source below)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown_text)


def test_user_text_renders_as_plain_text():
    html = rendered(user_text(HOSTILE))
    assert "<a " not in html and "<img" not in html and "<strong>" not in html
    assert "<code>" not in html
    source = user_text(HOSTILE)
    for live in ("https://", "www.evil", "mail@"):  # GFM autolinks
        assert live not in source, live
    assert not re.search(r"(?<!\\)\$", source)  # KaTeX maths
    # …and it reads as typed: the backslashes are Markdown escapes, not shown
    assert "[click me](https" in rendered(user_text(HOSTILE)).replace("\\", "")


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setenv("COOPDEC_STORE", str(tmp_path / "register.sqlite"))
    at = start_app(monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown_sources(at) -> list[str]:
    """Every element whose text Streamlit renders as Markdown."""
    elements = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]
    elements += [*at.header, *at.subheader, *at.title]
    return [e.value for e in elements]


def test_a_profile_title_and_file_name_are_escaped_in_every_page(app):
    data = yaml.safe_load((EXAMPLES / "koudougou_pret_a_conventionner.yaml").read_text("utf-8"))
    data["title"] = HOSTILE[:290]
    upload = ("[x](https://evil.example).yaml", yaml.safe_dump(data).encode(), "text/yaml")
    app.file_uploader[0].set_value(upload).run()
    assert not app.exception
    go(app, "result")
    sources = _markdown_sources(app)
    assert any("\\[click me\\]" in s for s in sources), sources
    assert not any("](https://" in s or "<img" in s for s in sources), sources
    # a bad file: its name and the problem quoting the user's value are escaped too
    go(app, "assess")
    bad = ("![p](https://evil.example/p.png).yaml", b"answers:\n  '[a](https://e.x)': x\n", "x")
    app.file_uploader[0].set_value(bad).run()
    errors = [e.value for e in app.error]
    assert errors and all("](https://" not in e for e in errors), errors
    assert any("\\!\\[p\\]" in e for e in errors), errors


def test_the_register_url_and_its_password_are_never_shown(monkeypatch, tmp_path):
    url = f"postgresql+psycopg://coopdec:{PASSWORD}@127.0.0.1:9/registre"
    monkeypatch.setenv("COOPDEC_STORE", url)
    at = start_app(monkeypatch)
    go(at, "screening")
    assert at.caption and not any("127.0.0.1" in c.value for c in at.caption)
    table = b"id;relationship.purpose\nbf-1;relationship\n"
    at.file_uploader(key=UPLOAD_KEY).set_value(("d.csv", table, "text/csv")).run()
    at.button(key="coopdec.screening.run").click().run()
    wait_for_batch(at)
    assert [e.value for e in at.error] == [t("fr", "ui.screening.register_unavailable")]
    at.text_input(key=HISTORY_TYPED).input("bf-1").run()
    assert t("fr", "ui.screening.register_unavailable") in [e.value for e in at.error]
    for text in _markdown_sources(at):
        assert PASSWORD not in text and "127.0.0.1" not in text, text


def test_the_screening_page_escapes_file_names_ids_and_column_names(app):
    go(app, "screening")
    name = "[table](https://evil.example).csv"
    table = (
        b"id;relationship.purpose;![c](https://evil.example/c.png)\n"
        b"[bf-1](https://evil.example);relationship;x\n"
    )
    app.file_uploader(key=UPLOAD_KEY).set_value((name, table, "text/csv")).run()
    app.button(key="coopdec.screening.run").click().run()
    wait_for_batch(app)
    app.text_input(key=HISTORY_TYPED).input("[bf-1](https://evil.example)").run()
    sources = _markdown_sources(app)
    assert any("\\[table\\]" in s for s in sources), sources  # the "done" line
    assert any("\\!\\[c\\]" in s for s in sources), sources  # the unknown column's warning
    assert any("\\[bf-1\\]" in s for s in sources), sources  # the history's title
    assert not any("](https://" in s for s in sources), sources


def test_crashes_show_a_message_and_log_the_traceback():
    config = tomllib.loads((ROOT / "ui" / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
