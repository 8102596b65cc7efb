"""`coopdec ui`: the app, served from any folder (coopdec_expert/serve.py warms it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import Lang, LangOption, fail


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def ui(
    ctx: typer.Context,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port of the app (default 8501)."),
    ] = None,
    address: Annotated[
        str,
        typer.Option(
            "--address",
            help="Address to listen on (default 127.0.0.1: this machine only). Another one, "
            "e.g. 0.0.0.0 (every interface), serves the network: then staff sign in "
            "(.streamlit/secrets.toml [auth] and [coopdec]).",
        ),
    ] = "127.0.0.1",
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Register of the screening page (SQLAlchemy URL or SQLite file); "
            "default $COOPDEC_STORE or ./coopdec.sqlite.",
        ),
    ] = None,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            help="Workspace of the register for the app used on this machine (default "
            "$COOPDEC_WORKSPACE or 'default'); served, it comes from each user's sign-in.",
        ),
    ] = None,
    lang: LangOption = Lang.fr,
) -> None:
    """Start the app (Streamlit) from any folder. Other options are passed to `streamlit run`
    (e.g. --server.maxUploadSize 50); its settings are in ui/.streamlit/config.toml."""
    import os

    from ..i18n import t
    from ..resources import shipped
    from ..screening.store import STORE_ENV, Store, StoreError

    script = shipped("ui") / "app.py"
    if not script.is_file():
        fail(t(lang.value, "cli.ui.missing", path=script))
    environment = dict(os.environ)
    if store is not None:
        try:
            Store(store).engine.dispose()  # a bad URL is bad input, before the server starts
        except StoreError as error:
            fail(str(error))
        environment[STORE_ENV] = store
    environment.update(_sign_in_checked(address, workspace, lang.value))
    command = [sys.executable, "-m", "coopdec_expert.serve", "run", str(script), *ctx.args]
    if port is not None:
        command += ["--server.port", str(port)]
    command += ["--server.address", address]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":  # streamlit takes this process's place: signals reach it directly
        os.execve(sys.executable, command, environment)
    import subprocess

    with subprocess.Popen(command, env=environment) as process:
        try:
            code = process.wait()
        except KeyboardInterrupt:  # Ctrl-C reaches streamlit too: let it stop
            code = process.wait()
    raise typer.Exit(code)


def _sign_in_checked(address: str, workspace: str | None, lang: str) -> dict[str, str]:
    """Before the server starts: served beyond this machine, the sign-in settings must be
    complete (the app would stay closed otherwise); used here, --workspace is a valid name.
    Returns the environment the app needs."""
    from ..i18n import t
    from ..screening.store import WORKSPACE_ENV
    from ..serving import listens_beyond_this_machine, secrets_files, served_settings_problems
    from .screening import checked_workspace

    if not listens_beyond_this_machine(address):
        return {WORKSPACE_ENV: checked_workspace(workspace, lang)} if workspace else {}
    if workspace is not None:
        fail(t(lang, "cli.ui.workspace_when_served"))
    problems = served_settings_problems(secrets_files(Path.cwd()))
    if problems:
        fail(
            t(
                lang,
                "cli.ui.served_without_sign_in",
                address=address,
                problems="; ".join(t(lang, f"cli.ui.problem.{k}", **v) for k, v in problems),
                folder=Path.cwd(),
            )
        )
    return {}
