"""`coopdec template | screen | history | rescreen`: the screening register on the command line.

Registered on the main app by `register(app)` (called at the end of cli.py). Exit codes:
0 done; 1 done but some rows were rejected (see errors.csv), or nothing to show; 2 bad input
(not a table, unreadable file, bad store URL, invalid rules), one message on stderr, nothing on
stdout; 130 interrupted (records already committed are kept).
"""

from __future__ import annotations

import csv
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer

from ..i18n import t
from ..screening import WORKSPACE_ENV
from .common import Lang, LangOption, RulesOption, fail, knowledge


class TemplateFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class ListFormat(StrEnum):
    text = "text"
    json = "json"


StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Register URL (SQLAlchemy, e.g. postgresql+psycopg://…) or SQLite file; "
        "default $COOPDEC_STORE or ./coopdec.sqlite.",
    ),
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        envvar=WORKSPACE_ENV,
        help="Workspace of the register (a directorate or a team: each sees only its own "
        "assessments); default $COOPDEC_WORKSPACE or 'default'.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", min=1, max=64, help="Worker processes (default: one per CPU)."),
]


def _progress(label: str):
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=False,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int | None) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def checked_workspace(value: str | None, lang: str) -> str:
    """The --workspace given, or the default one; a name not allowed is bad input (exit 2)."""
    from ..screening.store import WorkspaceError, workspace_name

    try:
        return workspace_name(value)
    except WorkspaceError as error:
        fail(t(lang, error.key, **error.values))


def cli_user() -> str:
    """Who stores from the command line, as recorded on each assessment: the system login."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (some containers)
        return "cli"


def template_rows(kb, lang: str) -> tuple[list[str], list[str]]:
    """The header (column ids) and the help row (id starting with '#', skipped on input)."""
    from ..screening.table import COMMENT_PREFIX, META_COLUMNS

    header = [*META_COLUMNS, *kb.questions]
    help_row = [f"{COMMENT_PREFIX} {t(lang, 'screen.template.help_row')}"]
    help_row += [t(lang, f"screen.template.hint.{c}") for c in META_COLUMNS[1:]]
    for question in kb.questions.values():
        allowed = question.answer_ids()
        help_row.append(" | ".join(allowed))
    return header, help_row


def write_template_xlsx(kb, lang: str, path: Path) -> None:
    """A workbook a directorate fills in: the requests sheet (ids as headers, a help row,
    drop-down lists of allowed options) and a README sheet explaining every column."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..screening.table import META_COLUMNS

    header, help_row = template_rows(kb, lang)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = t(lang, "screen.template.sheet")
    sheet.append(header)
    sheet.append(help_row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="777777")
    sheet.freeze_panes = "B3"
    for index, question in enumerate(kb.questions.values(), start=len(META_COLUMNS) + 1):
        allowed = question.answer_ids()
        validation = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"')
        validation.allow_blank = True
        letter = openpyxl.utils.get_column_letter(index)
        validation.add(f"{letter}3:{letter}5000")
        sheet.add_data_validation(validation)
    readme = workbook.create_sheet(t(lang, "screen.template.readme_sheet"))
    readme.append(
        [t(lang, f"screen.template.readme.{k}") for k in ("column", "meaning", "allowed")]
    )
    for cell in readme[1]:
        cell.font = Font(bold=True)
    for column in META_COLUMNS:
        readme.append(
            [column, t(lang, f"screen.col.{column}"), t(lang, f"screen.template.hint.{column}")]
        )
    for question in kb.questions.values():
        allowed = [f"{o.id} = {o.label.get(lang)}" for o in question.options]
        if question.accepts_unknown:
            allowed.append(f"unknown = {t(lang, 'option.unknown')}")
        key = f" ({t(lang, 'questions.key')})" if question.key else ""
        readme.append([question.id, question.text.get(lang) + key, "\n".join(allowed)])
    readme.column_dimensions["A"].width = 38
    readme.column_dimensions["B"].width = 70
    readme.column_dimensions["C"].width = 60
    workbook.save(path)


def register(app: typer.Typer) -> None:
    """Add the screening commands to the `coopdec` app."""

    @app.command()
    def template(
        lang: LangOption = Lang.fr,
        fmt: Annotated[
            TemplateFormat, typer.Option("--format", "-f", help="csv (stdout) or xlsx (--out).")
        ] = TemplateFormat.csv,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
        rules: RulesOption = None,
    ) -> None:
        """A blank table of requests: question ids as headers, a help row of allowed options."""
        kb = knowledge(rules)
        code = lang.value
        if fmt == TemplateFormat.xlsx:
            if out is None:
                fail(t(code, "screen.cli.xlsx_needs_out"))
            write_template_xlsx(kb, code, out)
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";" if code == "fr" else ",", lineterminator="\r\n")
        writer.writerows(template_rows(kb, code))
        data = "\ufeff" + buffer.getvalue()  # BOM: Excel then reads the file as UTF-8
        if out is not None:
            out.write_text(data, encoding="utf-8", newline="")
            return
        sys.stdout.write(data)
        sys.stdout.flush()

    @app.command()
    def screen(
        file: Annotated[Path, typer.Argument(help="Table of requests: .csv, .xlsx or .json.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path(
            "resultats"
        ),
        lang: LangOption = Lang.fr,
        store: StoreOption = None,
        workspace: WorkspaceOption = None,
        workers: WorkersOption = None,
        no_reports: Annotated[
            bool, typer.Option("--no-reports", help="Skip the per-request reports (faster).")
        ] = False,
        no_pdf: Annotated[
            bool, typer.Option("--no-pdf", help="Reports in Markdown only (much faster).")
        ] = False,
        chunk_size: Annotated[
            int, typer.Option("--chunk-size", min=1, max=10_000, hidden=True)
        ] = 20,
        rules: RulesOption = None,
    ) -> None:
        """Assess every request of a table: results, errors, reports, summary, register."""
        from ..screening.run import Language, ScreenOptions, default_workers, screen_requests
        from ..screening.store import StoreError, store_url
        from ..screening.table import RequestTable, TableError

        code = lang.value
        kb = knowledge(rules)
        if not file.is_file():
            fail(t(code, "screen.refuse.missing", file=file))
        workspace = checked_workspace(workspace, code)
        options = ScreenOptions(
            lang=cast(Language, code),
            out_dir=out,
            reports=not no_reports,
            pdf=not no_pdf,
            workers=workers or default_workers(),
            chunk_size=chunk_size,
            rules_dir=rules,
            store_url=store_url(store),
            workspace=workspace,
            user_id=cli_user(),
        )
        try:
            table = RequestTable(file, str(file), kb, code)
        except TableError as error:
            fail(str(error))
        bar, update = _progress(t(code, "screen.cli.progress"))
        try:
            with table, bar:
                for warning in table.warnings():
                    typer.echo(f"warning: {warning}", err=True)
                result = screen_requests(table, kb, options, update)
        except (StoreError, TableError) as error:
            fail(str(error))
        except KeyboardInterrupt:
            typer.echo(t(code, "screen.cli.interrupted"), err=True)
            raise typer.Exit(130) from None
        typer.echo(
            t(
                code,
                "screen.cli.done",
                assessed=result.assessed,
                rejected=result.rejected_rows,
                stored=result.stored,
                out=out,
            )
        )
        if result.not_stored:
            errors = out / "errors.csv"
            typer.echo(
                t(code, "screen.cli.not_stored", count=result.not_stored, path=errors), err=True
            )
        if result.rejected_rows:
            typer.echo(t(code, "screen.cli.see_errors", path=out / "errors.csv"), err=True)
        if result.rejected_rows or result.not_stored:
            raise typer.Exit(1)

    @app.command()
    def history(
        partnership: Annotated[str, typer.Argument(help="Partnership id (the row's id).")],
        store: StoreOption = None,
        workspace: WorkspaceOption = None,
        lang: LangOption = Lang.fr,
        fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
    ) -> None:
        """The assessments of one partnership over time (UTC), oldest first."""
        from ..screening.run import history as read_history
        from ..screening.store import StoreError

        code = lang.value
        workspace = checked_workspace(workspace, code)
        try:
            entries = read_history(store, partnership, workspace)
        except StoreError as error:
            fail(str(error))
        if fmt == ListFormat.json:
            typer.echo("[" + ",\n".join(e.model_dump_json() for e in entries) + "]")
        if not entries:
            if fmt == ListFormat.text:
                typer.echo(t(code, "screen.cli.no_history", id=partnership), err=True)
            raise typer.Exit(1)
        if fmt == ListFormat.json:
            return
        from ..report import plain

        headers = [
            t(code, f"screen.history.{k}")
            for k in ("date", "verdict", "next_step", "rules_version", "source", "user")
        ]
        rows = [
            [
                f"{e.assessed_at:%Y-%m-%d %H:%M:%S}",
                t(code, f"verdict.{e.verdict}"),
                e.next_step,
                e.rules_version,
                plain(e.source_file),
                plain(e.user_id or "-"),
            ]
            for e in entries
        ]
        typer.echo(t(code, "screen.history.title", id=plain(partnership)))
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
        for row in [headers, ["-" * w for w in widths], *rows]:
            typer.echo(
                "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )

    @app.command()
    def rescreen(
        store: StoreOption = None,
        workspace: WorkspaceOption = None,
        lang: LangOption = Lang.fr,
        workers: WorkersOption = None,
        rules: RulesOption = None,
        fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
    ) -> None:
        """Re-assess stored requests assessed under other rules; show what changed."""
        from ..report import plain
        from ..screening.run import Language, ScreenOptions, default_workers
        from ..screening.run import rescreen as run_rescreen
        from ..screening.store import StoreError

        code = lang.value
        kb = knowledge(rules)
        options = ScreenOptions(
            lang=cast(Language, code),
            workers=workers or default_workers(),
            rules_dir=rules,
            workspace=checked_workspace(workspace, code),
            user_id=cli_user(),
        )
        bar, update = _progress(t(code, "screen.cli.progress"))
        try:
            with bar:
                changes = run_rescreen(store, kb, options, update)
        except StoreError as error:
            fail(str(error))
        if fmt == ListFormat.json:
            import json

            data = [{**c.model_dump(), "changed": c.changed} for c in changes]
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        for change in (c for c in changes if c.changed):
            typer.echo(
                t(
                    code,
                    "screen.rescreen.change",
                    id=plain(change.partnership_id),
                    verdict_before=t(code, f"verdict.{change.verdict_before}"),
                    verdict_after=t(code, f"verdict.{change.verdict_after}"),
                    step_before=change.next_step_before,
                    step_after=change.next_step_after,
                )
            )
        typer.echo(
            t(
                code,
                "screen.rescreen.done",
                total=len(changes),
                changed=sum(c.changed for c in changes),
                version=kb.version,
            )
        )
