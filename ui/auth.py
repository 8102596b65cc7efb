"""Sign-in and workspaces: who uses the app, and whose register they see.

On this machine only (the server listens on a loopback address, the default) and without an
`[auth]` section in `.streamlit/secrets.toml`, nobody signs in: the user is the machine's, the
workspace is `$COOPDEC_WORKSPACE` (`coopdec ui --workspace`) or the default one. Served beyond
this machine (`coopdec ui --address …`, or any `server.address` that is not a loopback one,
including none: Streamlit then listens on every interface), or whenever `[auth]` is present,
every page is behind Streamlit's OpenID Connect sign-in (`st.login`), and the user's workspace
comes from the deployment's `[coopdec]` section: an ID-token claim (by default the domain of a
verified e-mail address) mapped to a workspace. A user whose account maps to no workspace, or to
several, is refused. The gate fails closed: served without `[auth]`, the app shows only that
sign-in is not configured.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NoReturn

import streamlit as st
from pydantic import ValidationError

from coopdec_expert.i18n import t
from coopdec_expert.screening.store import WorkspaceError
from coopdec_expert.serving import (
    SETTINGS_SECTION,
    Identity,
    Refused,
    SignInSettings,
    identity_from_claims,
    local_identity,
    sign_in_required,
)

LOG = logging.getLogger("coopdec.ui.auth")
SIGN_OUT_KEY = "coopdec.auth.sign_out"


def _auth_configured() -> bool:
    """Whether `[auth]` is in the secrets. A secrets file that cannot be read is not "no
    sign-in": the page stops (fails closed) and the log names the file."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError as error:  # no secrets.toml, or one that cannot be parsed
        if any(Path(path).is_file() for path in st.get_option("secrets.files")):
            LOG.error("secrets file not readable: %s", error)
            _stop(_tr("auth.bad_settings"))
        return False


def settings_from_secrets() -> SignInSettings:
    section = st.secrets.get(SETTINGS_SECTION)
    return SignInSettings.model_validate(section.to_dict() if section is not None else {})


def _tr(key: str, **values: object) -> str:
    """A text of the ui. catalogue in the page's language, user-given values shown as typed."""
    from ui.state import tr
    from ui.widgets import user_text

    return tr(key, **{name: user_text(value) for name, value in values.items()})


def gate() -> Identity:
    """Called at the top of every run (ui/app.py): the session's identity, or the sign-in page
    (or the reason for a refusal) and a stop. Nothing of the app runs before it returns."""
    address = st.get_option("server.address")
    auth_configured = _auth_configured()
    if not sign_in_required(address, auth_configured):
        try:
            return local_identity()
        except WorkspaceError as error:
            from ui.state import lang
            from ui.widgets import user_text

            _stop(t(lang(), error.key, value=user_text(error.values["value"])))
    if not auth_configured:
        LOG.error("served at %r without [auth] in .streamlit/secrets.toml: refused", address)
        _stop(_tr("auth.not_configured"))
    try:
        settings = settings_from_secrets()
    except ValidationError as error:
        LOG.error("[coopdec] of .streamlit/secrets.toml is not valid: %s", error)
        _stop(_tr("auth.bad_settings"))
    if not st.user.get("is_logged_in"):
        _sign_in_page(settings)
    try:
        identity = identity_from_claims(st.user.to_dict(), settings)
    except Refused as refused:
        LOG.warning("signed in but refused (%s): %s", refused.key, refused.values)
        st.error(_tr(refused.key, **refused.values))
        st.button(_tr("auth.sign_out"), on_click=st.logout, key=SIGN_OUT_KEY)
        st.stop()
    with st.sidebar:
        st.caption(_tr("auth.signed_in", user=identity.label, workspace=identity.workspace))
        st.button(_tr("auth.sign_out"), on_click=st.logout, key=SIGN_OUT_KEY)
    return identity


def current() -> Identity:
    """The identity for the views (the gate has let the run through): no UI."""
    if not sign_in_required(st.get_option("server.address"), _auth_configured()):
        return local_identity()
    return identity_from_claims(st.user.to_dict(), settings_from_secrets())


def _sign_in_page(settings: SignInSettings) -> NoReturn:
    st.title(_tr("auth.title"))
    st.write(_tr("auth.intro"))
    provider = [settings.provider] if settings.provider else []
    st.button(
        _tr("auth.sign_in"),
        on_click=st.login,
        args=provider,
        type="primary",
        icon=":material/login:",
        key="coopdec.auth.sign_in",
    )
    st.stop()


def _stop(message: str) -> NoReturn:
    st.error(message)
    st.stop()
