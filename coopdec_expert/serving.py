"""Serving the app beyond this machine: who signs in, and which workspace of the register is
theirs. Pure functions, used by the app's sign-in gate (ui/auth.py) and by `coopdec ui`, which
checks the deployment's settings before the server starts.

The deployment's `.streamlit/secrets.toml` holds Streamlit's `[auth]` (the OpenID Connect
provider) and this project's `[coopdec]`: which ID-token claim says the user's organisation (by
default the domain of a verified e-mail address) and the workspace of each of its values.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .screening.store import WORKSPACE_ENV, WORKSPACE_PATTERN, workspace_name

SETTINGS_SECTION = "coopdec"  # [coopdec] in .streamlit/secrets.toml
EMAIL_DOMAIN = "email_domain"  # the default claim: the domain of a verified e-mail address
# Streamlit's own requirements for [auth] (streamlit/auth_util.py): shared keys, and the keys of
# the provider ([auth] itself, or [auth.NAME]).
AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class Identity:
    """Who uses the app in this session and which workspace of the register is theirs."""

    workspace: str
    user_id: str  # recorded on every assessment they store
    label: str  # shown in the sidebar
    signed_in: bool


class Refused(Exception):
    """Signed in, but no workspace for this account: `key` (of the ui. catalogue) says why."""

    def __init__(self, key: str, **values: object):
        self.key, self.values = key, values
        super().__init__(key)


class SignInSettings(BaseModel):
    """The deployment's `[coopdec]` section: which claim says the user's organisation, and the
    workspace of each value of it (e.g. "dgcl.interieur.gouv.fr" = "dgcl")."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = Field(default=None, description="[auth.NAME] to use; none: [auth]")
    workspace_claim: str = Field(default=EMAIL_DOMAIN, min_length=1, max_length=100)
    workspaces: dict[str, str] = Field(min_length=1)

    @field_validator("workspaces")
    @classmethod
    def _names(cls, mapping: dict[str, str]) -> dict[str, str]:
        for value, name in mapping.items():
            if not WORKSPACE_PATTERN.fullmatch(str(name)):
                raise ValueError(
                    f"workspace {name!r} (for {value!r}): 1 to 64 lowercase letters (a-z), "
                    "digits, '-' or '_', starting with a letter or a digit"
                )
        return {str(value).strip().lower(): name for value, name in mapping.items()}


def listens_beyond_this_machine(address: str | None) -> bool:
    """True unless `address` (Streamlit's server.address) is a loopback one. No address means
    every interface, as Streamlit does."""
    if not address:
        return True
    if address.strip().lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name: may resolve to anything
        return True


def sign_in_required(address: str | None, auth_configured: bool) -> bool:
    return auth_configured or listens_beyond_this_machine(address)


def identity_from_claims(claims: Mapping[str, Any], settings: SignInSettings) -> Identity:
    """The identity of a signed-in user from their ID token's claims, or Refused."""
    email = str(claims.get("email") or "").strip()
    user_id = email or f"sub:{claims.get('sub', '')}"
    label = str(claims.get("name") or email or claims.get("sub") or "")
    if settings.workspace_claim == EMAIL_DOMAIN:
        if not email or "@" not in email:
            raise Refused("auth.refused.no_email")
        if claims.get("email_verified") is False:  # the provider says it is not theirs
            raise Refused("auth.refused.unverified", email=email)
        values = [email.rsplit("@", 1)[1]]
    else:
        found = claims.get(settings.workspace_claim)
        if found is None or found == [] or found == "":
            raise Refused("auth.refused.no_claim", claim=settings.workspace_claim)
        values = [str(v) for v in (found if isinstance(found, list) else [found])]
    mapping = settings.workspaces
    workspaces = sorted({mapping[v] for v in map(_key, values) if v in mapping})
    if not workspaces:
        raise Refused("auth.refused.no_workspace", value=", ".join(values))
    if len(workspaces) > 1:
        raise Refused("auth.refused.several", workspaces=", ".join(workspaces))
    return Identity(workspace=workspaces[0], user_id=user_id[:200], label=label, signed_in=True)


def _key(value: str) -> str:
    """Claim values are compared as the mapping's keys are kept: trimmed, lower case."""
    return value.strip().lower()


def local_identity() -> Identity:
    """The app used on this machine without sign-in: the machine's user, the workspace given
    to `coopdec ui --workspace` (or $COOPDEC_WORKSPACE), else the default one."""
    import getpass

    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        login = "local"
    workspace = workspace_name(os.environ.get(WORKSPACE_ENV) or None)
    return Identity(workspace=workspace, user_id=f"app:{login}", label=login, signed_in=False)


def secrets_files(folder: Path) -> list[Path]:
    """Where Streamlit looks for secrets by default, later files overriding earlier ones:
    the user's ~/.streamlit/secrets.toml, then the one of the folder the server starts in."""
    return [Path.home() / ".streamlit" / "secrets.toml", folder / ".streamlit" / "secrets.toml"]


def served_settings_problems(files: list[Path]) -> list[tuple[str, dict[str, str]]]:
    """What keeps the app from being served behind sign-in with these secrets files, as
    (catalogue key, values): missing sections or keys, named, never their values (they are
    secrets). Empty: ready."""
    merged: dict[str, Any] = {}
    for path in files:
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            return [("unreadable", {"file": str(path), "error": type(error).__name__})]
    auth = merged.get("auth")
    if not isinstance(auth, dict):
        return [("no_auth", {})]
    problems = [("missing_key", {"section": "auth", "name": k}) for k in AUTH_KEYS if k not in auth]
    try:
        settings = SignInSettings.model_validate(merged.get(SETTINGS_SECTION) or {})
    except ValidationError as error:
        for detail in error.errors():
            field = ".".join(str(p) for p in detail["loc"]) or SETTINGS_SECTION
            problems.append(("settings", {"field": field, "message": detail["msg"]}))
        return problems
    section = f"auth.{settings.provider}" if settings.provider else "auth"
    provider = auth.get(settings.provider) if settings.provider else auth
    if not isinstance(provider, dict):
        return [*problems, ("no_provider", {"section": section})]
    problems += [
        ("missing_key", {"section": section, "name": k}) for k in PROVIDER_KEYS if k not in provider
    ]
    return problems
