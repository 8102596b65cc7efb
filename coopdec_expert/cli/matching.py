"""`coopdec match` and `coopdec sheet …`: presentation sheets and partner matching on the command
line. Registered on the main app by `register(app)` (one call in cli/__init__.py, beside the
screening commands). Exit codes: 0 done; 1 done but some rows or files were left out (named on
stderr); 2 bad input (one message on stderr, nothing on stdout)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..i18n import t
from .common import Lang, LangOption, RulesOption, fail, knowledge


class MatchFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


class SheetFormat(StrEnum):
    markdown = "markdown"
    pdf = "pdf"
    yaml = "yaml"
    json = "json"


def collect_sheets(paths: list[Path], kb, lang: str) -> tuple[list, list[str]]:
    """The sheets of the files and folders given (YAML/JSON sheets, CSV/XLSX tables), and the
    problems of rows left out. A file that cannot be read at all, or an id given twice, is bad
    input (exit 2)."""
    from ..matching.sources import (
        SHEET_SUFFIXES,
        TABLE_SUFFIXES,
        SourceProblem,
        merged,
        read_source,
    )

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.iterdir() if p.suffix.lower() in SHEET_SUFFIXES + TABLE_SUFFIXES
            )
        elif path.is_file():
            files.append(path)
        else:
            fail(f"{path}: {t(lang, 'matching.problem.missing')}")
    found, left_out = [], []
    try:
        for file in files:
            sheets, problems = read_source(str(file), file.read_bytes(), kb, lang)
            found += sheets
            left_out += problems
        return merged(found, lang), left_out
    except SourceProblem as error:
        fail(str(error))


def register(app: typer.Typer) -> None:
    """Add `match` and the `sheet` commands to the `coopdec` app."""
    sheet_app = typer.Typer(
        no_args_is_help=True,
        help="Presentation sheets (step 3 of the method): create, render, store, import.",
    )
    app.add_typer(sheet_app, name="sheet")

    @app.command()
    def match(
        sheets: Annotated[
            list[Path] | None,
            typer.Argument(help="Sheet files (.yaml/.json), tables (.csv/.xlsx) or folders."),
        ] = None,
        for_id: Annotated[
            str | None, typer.Option("--for", help="Only this sheet's candidate partners.")
        ] = None,
        top: Annotated[int, typer.Option("--top", "-n", min=1, max=1000)] = 5,
        lang: LangOption = Lang.fr,
        fmt: Annotated[
            MatchFormat,
            typer.Option("--format", "-f", help="csv, xlsx and pdf need --out."),
        ] = MatchFormat.text,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write.")] = None,
        store: Annotated[
            str | None,
            typer.Option("--store", help="Also match the sheets of this register (URL or file)."),
        ] = None,
        workspace: Annotated[str | None, typer.Option("--workspace")] = None,
        rules: RulesOption = None,
    ) -> None:
        """Ranked candidate partners on the other side, each score explained and cited."""
        from ..matching.explain import Explainer
        from ..matching.render import proposal_rows, proposals_markdown, proposals_text, write_rows
        from ..matching.score import Matcher

        code = lang.value
        kb = knowledge(rules)
        found, left_out = collect_sheets(sheets or [], kb, code)
        if store is not None:
            found += _stored_sheets(store, workspace, kb, code, {s.id for s in found})
        if not found:
            fail(t(code, "matching.cli.no_sheets"))
        matcher = Matcher(found, kb)
        if for_id is not None and matcher.side_of(for_id) is None:
            fail(
                t(
                    code,
                    "matching.problem.unknown_id",
                    id=for_id,
                    allowed=", ".join(s.id for s in found[:30]),
                )
            )
        explainer = Explainer(matcher, code)
        targets = [s for s in found if for_id is None or s.id == for_id]
        tops = (
            {for_id: matcher.top_for(for_id, top)} if for_id is not None else matcher.top_all(top)
        )
        if for_id is None:
            explained = explainer.register(tops)
        else:
            explained = {for_id: explainer.proposals([(i, j) for i, j, _ in tops[for_id]])}
        groups = [(sheet, explained[sheet.id]) for sheet in targets]
        if fmt in (MatchFormat.csv, MatchFormat.xlsx, MatchFormat.pdf) and out is None:
            fail(t(code, "matching.cli.needs_out", format=fmt.value))
        if fmt in (MatchFormat.csv, MatchFormat.xlsx):
            write_rows(proposal_rows(groups, code), out.with_suffix(f".{fmt.value}"), code)  # type: ignore[union-attr]
        elif fmt == MatchFormat.pdf:
            from ..pdf import markdown_to_pdf

            out.write_bytes(  # type: ignore[union-attr]
                markdown_to_pdf(proposals_markdown(groups, code), t(code, "matching.render.title"))
            )
        else:
            if fmt == MatchFormat.json:
                import json

                data = [
                    {"sheet": s.id, "proposals": [p.model_dump(mode="json") for p in ps]}
                    for s, ps in groups
                ]
                text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            elif fmt == MatchFormat.markdown:
                text = proposals_markdown(groups, code)
            else:
                text = proposals_text(groups, code)
            if out is not None:
                out.write_text(text, encoding="utf-8")
            else:
                typer.echo(text, nl=False)
        for message in left_out:
            typer.echo(f"warning: {message}", err=True)
        if left_out:
            raise typer.Exit(1)

    @sheet_app.command("render")
    def render_sheet(
        file: Annotated[Path, typer.Argument(help="A sheet (.yaml or .json).")],
        lang: LangOption = Lang.fr,
        fmt: Annotated[
            SheetFormat, typer.Option("--format", "-f", help="markdown, or pdf (needs --out).")
        ] = SheetFormat.markdown,
        out: Annotated[Path | None, typer.Option("--out", "-o")] = None,
        rules: RulesOption = None,
    ) -> None:
        """The presentation document of step 3 (the argument's three parts)."""
        from ..matching.render import presentation_markdown
        from ..matching.sheet import SheetError, load_sheets

        code = lang.value
        kb = knowledge(rules)
        try:
            loaded = load_sheets(file, kb, code)
        except SheetError as error:
            fail(str(error))
        for sheet in loaded:
            text = presentation_markdown(sheet, kb, code)
            if fmt == SheetFormat.pdf:
                if out is None:
                    fail(t(code, "matching.cli.needs_out", format="pdf"))
                from ..pdf import markdown_to_pdf

                target = out if len(loaded) == 1 else out.with_name(f"{out.stem}-{sheet.id}.pdf")
                target.write_bytes(markdown_to_pdf(text, sheet.name))
            elif fmt in (SheetFormat.yaml, SheetFormat.json):
                _emit(_dump(sheet.model_dump(exclude_defaults=True), fmt.value), out)
            else:
                _emit(text, out)

    @sheet_app.command("new")
    def new_sheet(
        out: Annotated[Path, typer.Option("--out", "-o", help="Sheet file to write (.yaml).")],
        from_profile: Annotated[
            Path | None,
            typer.Option("--from-profile", help="Start from an assessed profile (its side)."),
        ] = None,
        side: Annotated[str | None, typer.Option("--side", help="north or south.")] = None,
        lang: LangOption = Lang.fr,
        force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
        rules: RulesOption = None,
    ) -> None:
        """Create a sheet by interview, started from a profile if given."""
        from ..matching.interview import SheetInterview

        code = lang.value
        kb = knowledge(rules)
        if out.exists() and not force:
            fail(t(code, "examples.exists", path=out))
        data: dict = {}
        if from_profile is not None:
            from ..matching.sheet import sheet_from_profile
            from ..profile import ProfileError, load_profile

            try:
                profile = load_profile(from_profile, kb, code)
            except ProfileError as error:
                fail(f"{error.source}: " + "; ".join(error.problems))
            data = sheet_from_profile(profile, kb, side)
        elif side is not None:
            data["side"] = side
        interview = SheetInterview(
            kb, code, ask=lambda q: typer.prompt(q, default="", show_default=False), say=typer.echo
        )
        sheet = interview.run(data)
        out.write_text(_dump(sheet.model_dump(exclude_defaults=True), "yaml"), encoding="utf-8")
        typer.echo(t(code, "matching.cli.written", path=out))

    from .matching_store import register_store

    register_store(sheet_app, collect_sheets)


def _dump(data: dict, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _emit(text: str, out: Path | None) -> None:
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _stored_sheets(store: str, workspace: str | None, kb, lang: str, given: set[str]) -> list:
    from ..matching.sheet import SheetError
    from ..matching.store import SheetStore
    from ..screening.store import StoreError
    from .screening import checked_workspace

    try:
        with SheetStore(store, checked_workspace(workspace, lang)) as sheets_store:
            stored = sheets_store.latest(kb, lang)
    except (StoreError, SheetError) as error:
        fail(str(error))
    return [s for s in stored if s.id not in given]
