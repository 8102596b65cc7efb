"""`coopdec assess | explain | interview`: one profile assessed, explained, or built by
interview."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import Lang, LangOption, RulesOption, assessor_of, fail, knowledge


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    pdf = "pdf"


@app.command()
def assess(
    file: Annotated[Path, typer.Argument(help="Profile file (.yaml, .yml or .json).")],
    lang: LangOption = Lang.fr,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format (pdf needs --out).")
    ] = ReportFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report to this file.")
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Assess a partnership profile: verdict, next step, scores, flags, recommendations."""
    from ..report import render

    kb = knowledge(rules)
    profile = _load(file, kb, lang.value)
    result = assessor_of(kb, rules).assess(profile, lang.value)
    if fmt == ReportFormat.pdf:
        if out is None:
            fail("--format pdf needs --out FILE.pdf")
        from ..pdf import markdown_to_pdf

        title = profile.title or profile.id or file.stem
        out.write_bytes(markdown_to_pdf(render(result, profile, kb, "markdown"), title))
        return
    text = render(result, profile, kb, fmt.value)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return
    typer.echo(text, nl=False)


def _load(file: Path, kb, lang: str):
    from ..profile import ProfileError, load_profile

    try:
        return load_profile(file, kb, lang)
    except ProfileError as error:
        fail(f"{error.source}: " + "; ".join(error.problems))


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="Profile file (.yaml, .yml or .json).")],
    why_not: Annotated[
        str | None,
        typer.Option(
            "--why-not",
            help="Target verdict (insufficient_information, conditional, ready) or next step "
            "(partner_search … action): what stands in the way.",
        ),
    ] = None,
    what_if: Annotated[
        list[str] | None,
        typer.Option("--what-if", help="question=option, repeatable: what would change."),
    ] = None,
    path: Annotated[
        bool, typer.Option("--path", help="Smallest sets of changes to the next level.")
    ] = False,
    max_changes: Annotated[
        int, typer.Option("--max-changes", min=1, max=4, help="Bound of --path.")
    ] = 3,
    lang: LangOption = Lang.fr,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    rules: RulesOption = None,
) -> None:
    """Why this verdict (default), why not a target, what if answers changed, paths up."""
    from ..explain import PathReport, WhatIfReport, WhyNotReport
    from ..explain import explain as run_explain
    from ..explain.whatif import parse_changes
    from ..explain.whynot import TARGET_VERDICTS
    from ..knowledge.models import STEPS
    from ..profile import ProfileError
    from ..report import render_explanation

    modes = [m for m in (why_not is not None, bool(what_if), path) if m]
    if len(modes) > 1:
        fail("choose one of --why-not, --what-if, --path")
    kb = knowledge(rules)
    profile = _load(file, kb, lang.value)
    assessor = assessor_of(kb, rules)
    code = lang.value
    changes = None
    if why_not is not None and why_not not in (*TARGET_VERDICTS, *STEPS):
        allowed = ", ".join([*TARGET_VERDICTS, *STEPS])
        fail(f"--why-not: '{why_not}' is not a target; allowed: {allowed}")
    if what_if:
        try:
            changes = parse_changes(what_if, assessor)
        except ProfileError as error:
            fail(f"{error.source}: " + "; ".join(error.problems))
    report = run_explain(
        assessor,
        profile,
        code,
        why_not=why_not,
        what_if=changes,
        path=path,
        max_changes=max_changes,
    )
    if isinstance(report, WhyNotReport):
        target = report.target
        target_label = kb.steps[target].name.get(code) if target in STEPS else t_label(code, target)
        current_label = (
            kb.steps[report.current].name.get(code)
            if report.target_kind == "next_step"
            else t_label(code, report.current)
        )
        text = render_explanation(
            report, kb, "whynot", fmt.value, target_label=target_label, current_label=current_label
        )
    elif isinstance(report, WhatIfReport):
        text = render_explanation(report, kb, "whatif", fmt.value)
    elif isinstance(report, PathReport):
        text = render_explanation(report, kb, "path", fmt.value)
    else:
        text = render_explanation(
            report, kb, "why", fmt.value, verdict_label=t_label(code, report.verdict)
        )
    typer.echo(text, nl=False)


def t_label(lang: str, verdict: str) -> str:
    from ..i18n import t

    return t(lang, f"verdict.{verdict}")


@app.command()
def interview(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to save the profile (default: a dated file)."),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--from", help="Continue from an existing profile file.")
    ] = None,
    lang: LangOption = Lang.fr,
    rules: RulesOption = None,
) -> None:
    """Answer the questionnaire in the terminal, one question at a time."""
    import datetime as dt

    from ..i18n import t
    from ..interview import Interview, save_profile

    kb = knowledge(rules)
    profile = _load(resume, kb, lang.value) if resume else None
    target = out or resume or Path(f"profil-{dt.datetime.now():%Y%m%d-%H%M%S}.yaml")
    session = Interview(
        assessor_of(kb, rules),
        lang.value,
        ask=lambda prompt: input(prompt),
        say=typer.echo,
        profile=profile,
    )
    code = 0
    try:
        result = session.run()
    except (KeyboardInterrupt, EOFError):
        typer.echo("")
        typer.echo(t(lang.value, "interview.interrupted"))
        result = session.result()
        code = 130
    save_profile(result, target)
    typer.echo(t(lang.value, "interview.saved", path=target))
    raise typer.Exit(code)
