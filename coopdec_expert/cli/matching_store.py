"""`coopdec sheet import | history`: the register of presentation sheets on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from .common import Lang, LangOption, RulesOption, fail, knowledge
from .screening import StoreOption, WorkspaceOption, checked_workspace, cli_user


def register_store(sheet_app: typer.Typer, collect_sheets) -> None:
    @sheet_app.command("import")
    def import_sheets(
        files: Annotated[
            list[Path], typer.Argument(help="Sheets (.yaml/.json), tables (.csv/.xlsx), folders.")
        ],
        store: StoreOption = None,
        workspace: WorkspaceOption = None,
        lang: LangOption = Lang.fr,
        rules: RulesOption = None,
    ) -> None:
        """Store sheets in the register (a new version for each sheet that changed); rows
        with problems are named on stderr and left out, every good row is stored."""
        from ..matching.store import SheetStore
        from ..screening.store import StoreError

        code = lang.value
        kb = knowledge(rules)
        sheets, left_out = collect_sheets(files, kb, code)
        space = checked_workspace(workspace, code)
        try:
            with SheetStore(store, space, cli_user()) as register:
                stored = register.save_sheets(sheets, ", ".join(str(f) for f in files))
        except StoreError as error:
            fail(str(error))
        for message in left_out:
            typer.echo(f"warning: {message}", err=True)
        typer.echo(
            t(
                code,
                "matching.cli.imported",
                read=len(sheets),
                stored=stored,
                left_out=len(left_out),
            )
        )
        if left_out:
            raise typer.Exit(1)

    @sheet_app.command("history")
    def sheet_history(
        sheet_id: Annotated[str, typer.Argument(help="The sheet's id.")],
        store: StoreOption = None,
        workspace: WorkspaceOption = None,
        lang: LangOption = Lang.fr,
    ) -> None:
        """The stored versions of one sheet (UTC), oldest first."""
        from ..matching.store import SheetStore
        from ..report import plain
        from ..screening.store import StoreError

        code = lang.value
        space = checked_workspace(workspace, code)
        try:
            with SheetStore(store, space) as register:
                versions = register.sheet_history(sheet_id)
        except StoreError as error:
            fail(str(error))
        if not versions:
            typer.echo(t(code, "matching.cli.no_history", id=plain(sheet_id)), err=True)
            raise typer.Exit(1)
        for version in versions:
            typer.echo(
                f"{version.stored_at:%Y-%m-%d %H:%M:%S}  {plain(version.name)}  "
                f"{plain(version.source_file)}  {plain(version.user_id or '-')}"
            )
