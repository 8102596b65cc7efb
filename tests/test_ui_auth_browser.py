"""Sign-in for real: the app started by `coopdec ui` with an `[auth]` section pointing at a local
OpenID Connect provider (oidc-provider-mock, in this process, on a free port), two users signing
in through Streamlit's `st.login` in headless chromium (each in its own browser context: its own
cookies), each seeing only the history of their workspace, then signing out. Skipped locally
without chromium or the provider package; with CI set, a failure instead."""

from __future__ import annotations

import secrets
import sys
import warnings
from pathlib import Path

import pytest

from coopdec_expert.i18n import t
from coopdec_expert.screening.store import NewRecord, Store, pack

from .support import (
    free_port,
    headless_chromium,
    start_server,
    stop,
    unavailable,
    wait_until_healthy,
)
from .test_ui_browser import CHROMIUM_ARGS as ARGS
from .test_ui_browser import WAIT_MS
from .test_ui_browser import settled as _settled

# The provider package (a test tool) uses Authlib APIs that Authlib now marks deprecated.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
ROOT = Path(__file__).resolve().parents[1]
USERS = {
    "ana": {"email": "ana@dgcl.gouv.fr", "email_verified": True, "name": "Ana Agent"},
    "bob": {"email": "bob@daect.gouv.fr", "email_verified": True, "name": "Bob Agent"},
}
PARTNERSHIP = "bf-ana-01"


@pytest.fixture
def provider(monkeypatch):
    """A local OpenID Connect provider knowing Ana and Bob; its URL."""
    try:
        with warnings.catch_warnings():  # its imports of deprecated Authlib modules
            import authlib.deprecate  # noqa: F401 - sets its warnings to "always": first

            warnings.simplefilter("ignore", DeprecationWarning)
            from oidc_provider_mock import User, run_server_in_thread
    except ImportError as error:
        unavailable(f"oidc-provider-mock is not installed ({error}): uv sync")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider serves plain http
    users = [User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    with run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def app_url(provider, tmp_path):
    """`coopdec ui` started in a folder whose .streamlit/secrets.toml names the provider and
    maps the two e-mail domains to two workspaces; a record of Ana's workspace in its register."""
    port = free_port()
    folder = tmp_path / "server"
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "secrets.toml").write_text(
        "\n".join(
            [
                "[auth]",
                f'redirect_uri = "http://localhost:{port}/oauth2callback"',
                f'cookie_secret = "{secrets.token_hex(32)}"',
                'client_id = "coopdec-test"',
                f'client_secret = "{secrets.token_hex(16)}"',
                f'server_metadata_url = "{provider}/.well-known/openid-configuration"',
                "[coopdec.workspaces]",
                '"dgcl.gouv.fr" = "dgcl"',
                '"daect.gouv.fr" = "daect"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    register = f"sqlite:///{tmp_path / 'register.sqlite'}"
    store = Store(register, "dgcl", "ana@dgcl.gouv.fr")
    record = NewRecord(
        partnership_id=PARTNERSHIP,
        profile_hash="a" * 64,
        rules_version="v1",
        source_file="lot-dgcl.csv",
        lang="fr",
        verdict="ready",
        next_step="action",
        profile_z=pack("{}"),
        result_z=pack("{}"),
    )
    assert store.save([record]).stored == 1
    store.close()
    command = [sys.executable, "-m", "coopdec_expert.cli", "ui", "--port", str(port)]
    command += ["--store", register]  # the default address: 127.0.0.1; [auth]: sign-in
    log = tmp_path / "ui.log"
    process = start_server(command, folder, log)
    try:
        wait_until_healthy(process, port, log)
        yield f"http://localhost:{port}"
    finally:
        stop(process)


@pytest.fixture
def browser():
    with headless_chromium(ARGS) as launched:
        yield launched


def _sign_in(browser, app_url: str, user: str):
    """A new browser context (its own cookies) signed in as `user` through the provider."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("heading", name=t("fr", "ui.auth.title")).wait_for()
    page.get_by_role("button", name=t("fr", "ui.auth.sign_in")).click()
    # the provider's page: its known users, one button each
    page.get_by_role("button", name=user, exact=True).click()
    page.get_by_role("heading", name=t("fr", "ui.assess.title")).wait_for()
    _settled(page)
    return context, page


def _history(page, partnership: str) -> None:
    page.get_by_role("link", name=t("fr", "ui.page.screening")).click()
    page.get_by_role("heading", name=t("fr", "ui.screening.title")).wait_for()
    _settled(page)
    box = page.get_by_label(t("fr", "ui.screening.history.typed"))
    box.fill(partnership)
    box.press("Enter")


def _cells(page, text: str):
    """Cells of the page's tables holding `text` (drawn on a canvas, the cells are also in the
    page, hidden, for screen readers)."""
    return page.locator('[data-testid="stDataFrame"] td').filter(has_text=text)


def test_two_users_sign_in_and_each_sees_only_their_workspace(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)
    ana_context, ana = _sign_in(browser, app_url, "ana")
    expect(ana.get_by_text("Ana Agent")).to_be_visible()
    expect(ana.get_by_text("dgcl", exact=False).first).to_be_visible()
    _history(ana, PARTNERSHIP)
    # the history's table (a canvas grid: its cells are in the page, read by screen readers)
    expect(_cells(ana, "lot-dgcl.csv")).to_have_count(1)
    ana.screenshot(path=tmp_path / "ana.png", full_page=True)

    bob_context, bob = _sign_in(browser, app_url, "bob")
    expect(bob.get_by_text("Bob Agent")).to_be_visible()
    _history(bob, PARTNERSHIP)
    none = t("fr", "ui.screening.history.none", id=PARTNERSHIP).replace("\\", "")
    expect(bob.get_by_text(none)).to_be_visible()
    _settled(bob)
    expect(_cells(bob, "lot-dgcl.csv")).to_have_count(0)
    bob.screenshot(path=tmp_path / "bob.png", full_page=True)

    # signing out ends Ana's session, at the provider too (which asks to confirm), and back in
    # the app her browser is at the sign-in page again
    ana.get_by_role("button", name=t("fr", "ui.auth.sign_out")).click()
    ana.get_by_role("button", name="End session").click()
    ana.get_by_role("heading", name=t("fr", "ui.auth.title")).wait_for()
    ana.goto(app_url + "/tri")
    ana.get_by_role("button", name=t("fr", "ui.auth.sign_in")).wait_for()
    expect(ana.get_by_role("heading", name=t("fr", "ui.screening.title"))).to_have_count(0)
    ana_context.close()
    bob_context.close()
