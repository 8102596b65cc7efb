"""Sign-in and workspaces of the served app: the rules (which address needs sign-in, which
account gets which workspace), `coopdec ui`'s checks before the server starts, and the gate
driven by AppTest with the users an OpenID provider would give (AppTest's `user` and `secrets`).
The real sign-in through an OpenID provider, in a browser, is tests/test_ui_auth_browser.py."""

from __future__ import annotations

import os

import pytest
from streamlit import config
from typer.testing import CliRunner

from coopdec_expert.cli import app as cli
from coopdec_expert.i18n import t
from coopdec_expert.screening.store import Store
from coopdec_expert.serving import (
    Refused,
    SignInSettings,
    identity_from_claims,
    listens_beyond_this_machine,
    served_settings_problems,
)
from ui.views.screening import HISTORY_TYPED
from ui.widgets import user_text

from .test_ui import start_app
from .test_ui_screening import EXAMPLE_FILES, example_row, screen, table_bytes, template  # noqa: F401

SECRET = "do-not-print-this-cookie-secret-0123456789"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": SECRET,
    "client_id": "coopdec",
    "client_secret": "do-not-print-this-client-secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}
WORKSPACES = {"dgcl.gouv.fr": "dgcl", "daect.gouv.fr": "daect"}
ANA = {"is_logged_in": True, "sub": "ana", "email": "ana@dgcl.gouv.fr", "email_verified": True}
BOB = {"is_logged_in": True, "sub": "bob", "email": "bob@daect.gouv.fr", "email_verified": True}


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "beyond"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("localhost", False),
        ("::1", False),
        ("[::1]", False),
        ("0.0.0.0", True),
        ("::", True),
        ("10.1.2.3", True),
        ("coopdec.intranet", True),
        ("", True),  # Streamlit's default: every interface
        (None, True),
    ],
)
def test_which_addresses_serve_beyond_this_machine(address, beyond):
    assert listens_beyond_this_machine(address) is beyond


def test_the_workspace_comes_from_a_verified_email_domain():
    settings = SignInSettings(workspaces={"DGCL.gouv.fr ": "dgcl", "daect.gouv.fr": "daect"})
    ana = identity_from_claims({**ANA, "email": "Ana@DGCL.gouv.fr"}, settings)
    assert (ana.workspace, ana.user_id, ana.signed_in) == ("dgcl", "Ana@DGCL.gouv.fr", True)
    with pytest.raises(Refused) as refused:
        identity_from_claims({**ANA, "email_verified": False}, settings)
    assert refused.value.key == "auth.refused.unverified"
    with pytest.raises(Refused) as refused:
        identity_from_claims({"sub": "x"}, settings)
    assert refused.value.key == "auth.refused.no_email"
    with pytest.raises(Refused) as refused:  # a sub-domain is another organisation
        identity_from_claims({**ANA, "email": "eve@evil.dgcl.gouv.fr"}, settings)
    assert refused.value.key == "auth.refused.no_workspace"
    assert refused.value.values == {"value": "evil.dgcl.gouv.fr"}


def test_the_workspace_may_come_from_another_claim():
    settings = SignInSettings(
        workspace_claim="groups", workspaces={"dgcl-agents": "dgcl", "daect": "daect"}
    )
    user = {"sub": "u1", "groups": ["staff", "dgcl-agents"]}
    identity = identity_from_claims(user, settings)
    assert (identity.workspace, identity.user_id) == ("dgcl", "sub:u1")  # no e-mail: the sub
    with pytest.raises(Refused) as refused:
        identity_from_claims({**user, "groups": ["dgcl-agents", "daect"]}, settings)
    assert refused.value.key == "auth.refused.several"
    with pytest.raises(Refused) as refused:
        identity_from_claims({"sub": "u2"}, settings)
    assert refused.value.key == "auth.refused.no_claim"


def test_sign_in_settings_name_what_is_wrong():
    with pytest.raises(ValueError, match="Bad Name"):
        SignInSettings(workspaces={"a.fr": "Bad Name"})
    with pytest.raises(ValueError):
        SignInSettings(workspaces={})  # nobody could get a workspace
    with pytest.raises(ValueError):
        SignInSettings(workspaces=WORKSPACES, workspace_domain="typo")  # unknown key


def _secrets(folder, text: str):
    path = folder / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _toml(auth: dict, coopdec: dict | None = None) -> str:
    lines = ["[auth]", *(f'{k} = "{v}"' for k, v in auth.items())]
    if coopdec is not None:
        lines += ["[coopdec.workspaces]", *(f'"{k}" = "{v}"' for k, v in coopdec.items())]
    return "\n".join(lines) + "\n"


def test_served_settings_problems_name_keys_never_values(tmp_path):
    assert served_settings_problems([tmp_path / "none.toml"]) == [("no_auth", {})]
    complete = _secrets(tmp_path, _toml(AUTH, WORKSPACES))
    assert served_settings_problems([complete]) == []
    partial = {k: v for k, v in AUTH.items() if k not in ("cookie_secret", "client_id")}
    problems = served_settings_problems([_secrets(tmp_path, _toml(partial, WORKSPACES))])
    assert problems == [
        ("missing_key", {"section": "auth", "name": "cookie_secret"}),
        ("missing_key", {"section": "auth", "name": "client_id"}),
    ]
    no_workspaces = served_settings_problems([_secrets(tmp_path, _toml(AUTH))])
    assert [key for key, _ in no_workspaces] == ["settings"]
    assert SECRET not in repr(no_workspaces)


# --- `coopdec ui` ---------------------------------------------------------------------------


class Started(Exception):
    """Raised instead of replacing the test process by Streamlit's (os.execve)."""


@pytest.fixture
def ui_command(monkeypatch, tmp_path):
    """`coopdec ui` run in a folder of its own, the command it would start captured."""
    started = {}

    def execve(path, command, environment):
        started.update(command=command, environment=environment)
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.streamlit of the machine

    def run(*options: str):
        result = CliRunner().invoke(cli, ["ui", *options])
        return result, started

    return run


def test_the_app_listens_on_this_machine_by_default(ui_command):
    result, started = ui_command()
    assert isinstance(result.exception, Started), result.output
    command = started["command"]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"


def test_serving_the_network_needs_the_sign_in_settings(ui_command, tmp_path):
    result, started = ui_command("--address", "0.0.0.0", "--lang", "en")
    assert result.exit_code == 2 and not started
    problems = t("en", "cli.ui.problem.no_auth")
    expected = t(
        "en",
        "cli.ui.served_without_sign_in",
        address="0.0.0.0",
        problems=problems,
        folder=tmp_path,
    )
    assert " ".join(result.stderr.split()) == "error: " + " ".join(expected.split())
    _secrets(tmp_path, _toml({**AUTH, "cookie_secret": SECRET}))  # no [coopdec]
    result, started = ui_command("--address", "0.0.0.0")
    assert result.exit_code == 2 and SECRET not in result.stderr and not started

    _secrets(tmp_path, _toml(AUTH, WORKSPACES))
    result, started = ui_command("--address", "0.0.0.0", "--port", "8080")
    assert isinstance(result.exception, Started), result.output
    command = started["command"]
    assert command[command.index("--server.address") + 1] == "0.0.0.0"


def test_a_workspace_is_given_to_the_app_used_on_this_machine_only(ui_command, tmp_path):
    result, started = ui_command("--workspace", "team-b")
    assert isinstance(result.exception, Started)
    assert started["environment"]["COOPDEC_WORKSPACE"] == "team-b"
    _secrets(tmp_path, _toml(AUTH, WORKSPACES))
    result, _ = ui_command("--address", "0.0.0.0", "--workspace", "team-b", "--lang", "en")
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == "error: " + t("en", "cli.ui.workspace_when_served")


# --- the gate, driven by AppTest -----------------------------------------------------------


@pytest.fixture
def served(monkeypatch):
    """The app as served on the network (the address is read by the gate at every run)."""
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", "127.0.0.1")


def _app(monkeypatch, user: dict | None, auth: dict | None = AUTH, coopdec=None):
    from streamlit.testing.v1 import AppTest

    from .test_ui import APP

    at = AppTest.from_file(str(APP), default_timeout=90)
    if auth is not None:
        at.secrets["auth"] = auth
        at.secrets["coopdec"] = coopdec if coopdec is not None else {"workspaces": WORKSPACES}
    at.user = user if user is not None else {}
    return at.run()


def _app_titles(at) -> list[str]:
    return [title.value for title in at.title]


def test_served_without_sign_in_settings_the_app_stays_closed(served, monkeypatch):
    at = _app(monkeypatch, None, auth=None)
    assert not at.exception
    assert [e.value for e in at.error] == [t("fr", "ui.auth.not_configured")]
    assert _app_titles(at) == []  # no page ran


def test_served_a_visitor_sees_only_the_sign_in_page(served, monkeypatch):
    at = _app(monkeypatch, {"is_logged_in": False})
    assert _app_titles(at) == [t("fr", "ui.auth.title")]
    assert [b.label for b in at.button] == [t("fr", "ui.auth.sign_in")]
    at.switch_page("page_scripts/screening.py").run()  # a page's address leads to it too
    assert _app_titles(at) == [t("fr", "ui.auth.title")]


def test_bad_sign_in_settings_keep_the_app_closed(served, monkeypatch):
    at = _app(monkeypatch, ANA, coopdec={"workspaces": {"dgcl.gouv.fr": "Not Allowed"}})
    assert [e.value for e in at.error] == [t("fr", "ui.auth.bad_settings")]
    assert _app_titles(at) == []


def test_an_account_without_a_workspace_is_refused(served, monkeypatch):
    stranger = {"is_logged_in": True, "email": "eve@example.org", "email_verified": True}
    at = _app(monkeypatch, stranger)
    assert [e.value for e in at.error] == [
        t("fr", "ui.auth.refused.no_workspace", value="example.org")
    ]
    assert [b.label for b in at.button] == [t("fr", "ui.auth.sign_out")]
    assert _app_titles(at) == []


def test_each_signed_in_user_sees_only_their_workspace(
    served,
    monkeypatch,
    tmp_path,
    template,  # noqa: F811
):
    """Ana (dgcl) screens a table on the served app; Bob (daect) types one of its ids in the
    history box and sees nothing, Ana sees it; the register records who stored what."""
    store_url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    monkeypatch.setenv("COOPDEC_STORE", store_url)
    ana = _app(monkeypatch, ANA)
    signed_in = t("fr", "ui.auth.signed_in", user=user_text(ANA["email"]), workspace="dgcl")
    assert signed_in in [c.value for c in ana.sidebar.caption]
    ana.switch_page("page_scripts/screening.py").run()
    rows = [example_row(EXAMPLE_FILES[0], template[0])]
    screen(ana, "demandes.csv", table_bytes(template, rows))
    partnership = rows[0][0]

    bob = _app(monkeypatch, BOB)
    bob.switch_page("page_scripts/screening.py").run()
    bob.text_input(key=HISTORY_TYPED).input(partnership).run()
    assert not bob.exception
    shown = [i.value for i in bob.info]
    assert any(partnership in value for value in shown), shown
    assert not [d for d in bob.dataframe if t("fr", "screen.history.date") in d.value.columns]

    ana.text_input(key=HISTORY_TYPED).input(partnership).run()
    date = t("fr", "screen.history.date")
    [entries] = [d.value for d in ana.dataframe if date in d.value.columns]
    assert list(entries[t("fr", "screen.history.user")]) == ["ana@dgcl.gouv.fr"]

    dgcl, daect = Store(store_url, "dgcl"), Store(store_url, "daect")
    try:
        assert (dgcl.count(), daect.count()) == (1, 0)
    finally:
        dgcl.close()
        daect.close()


def test_on_this_machine_the_app_uses_the_workspace_it_was_given(
    monkeypatch,
    tmp_path,
    template,  # noqa: F811
):
    store_url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    monkeypatch.setenv("COOPDEC_STORE", store_url)
    monkeypatch.setenv("COOPDEC_WORKSPACE", "team-b")
    at = start_app(monkeypatch)
    assert not at.exception and _app_titles(at) == [t("fr", "ui.assess.title")]
    assert not [b for b in at.button if b.label == t("fr", "ui.auth.sign_out")]
    at.switch_page("page_scripts/screening.py").run()
    screen(at, "demandes.csv", table_bytes(template, [example_row(EXAMPLE_FILES[0], template[0])]))
    store = Store(store_url, "team-b")
    try:
        [record] = store.records(store.stale_ids("other rules"))
        assert record.user_id.startswith("app:")
    finally:
        store.close()

    monkeypatch.setenv("COOPDEC_WORKSPACE", "Not Allowed")
    at = start_app(monkeypatch)
    assert [e.value for e in at.error] == [t("fr", "store.workspace.invalid", value="Not Allowed")]
    assert _app_titles(at) == []
