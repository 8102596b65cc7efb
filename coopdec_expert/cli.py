"""The `coopdec` command line: assess, explain, interview, questions, rules, lint, examples, ui
(and the screening commands of screening/commands.py).

Bad input (profile or rules) exits with code 2 and one message on stderr, nothing on stdout;
`lint` exits 1 with one line per problem.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ._compat import EngineDependencyError
from .cli_common import Lang, LangOption, RulesOption, fail, knowledge

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="coopdec-expert: readiness checks for decentralised cooperation partnerships "
    "(coopération décentralisée), citing their source text.",
)


def _version(show: bool) -> None:
    if show:
        from . import __version__

        typer.echo(f"coopdec-expert {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """coopdec-expert: readiness checks for decentralised cooperation partnerships."""


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
    from .report import render

    kb = knowledge(rules)
    profile = _load(file, kb, lang.value)
    result = _assessor(kb, rules).assess(profile, lang.value)
    if fmt == ReportFormat.pdf:
        if out is None:
            fail("--format pdf needs --out FILE.pdf")
        from .pdf import markdown_to_pdf

        title = profile.title or profile.id or file.stem
        out.write_bytes(markdown_to_pdf(render(result, profile, kb, "markdown"), title))
        return
    text = render(result, profile, kb, fmt.value)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        return
    typer.echo(text, nl=False)


def _load(file: Path, kb, lang: str):
    from .profile import ProfileError, load_profile

    try:
        return load_profile(file, kb, lang)
    except ProfileError as error:
        fail(f"{error.source}: " + "; ".join(error.problems))


def _assessor(kb, rules: Path | None):
    from .engine.assess import Assessor, default_assessor

    return Assessor(kb) if rules else default_assessor()


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
    from .explain import PathReport, WhatIfReport, WhyNotReport
    from .explain import explain as run_explain
    from .explain.whatif import parse_changes
    from .explain.whynot import TARGET_VERDICTS
    from .knowledge.models import STEPS
    from .profile import ProfileError
    from .report import render_explanation

    modes = [m for m in (why_not is not None, bool(what_if), path) if m]
    if len(modes) > 1:
        fail("choose one of --why-not, --what-if, --path")
    kb = knowledge(rules)
    profile = _load(file, kb, lang.value)
    assessor = _assessor(kb, rules)
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
    from .i18n import t

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

    from .i18n import t
    from .interview import Interview, save_profile

    kb = knowledge(rules)
    profile = _load(resume, kb, lang.value) if resume else None
    target = out or resume or Path(f"profil-{dt.datetime.now():%Y%m%d-%H%M%S}.yaml")
    session = Interview(
        _assessor(kb, rules),
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


@app.command()
def questions(lang: LangOption = Lang.fr, rules: RulesOption = None) -> None:
    """The questionnaire, grouped by step of the method."""
    from .i18n import t

    kb = knowledge(rules)
    code = lang.value
    typer.echo(t(code, "questions.title"))
    for step in kb.steps.values():
        typer.echo(f"\n== {t(code, 'questions.step')}: {step.name.get(code)} [{step.id}] ==")
        for question in (q for q in kb.questions.values() if q.step == step.id):
            marks = []
            if question.key:
                marks.append(t(code, "questions.key"))
            if not question.actionable:
                marks.append(t(code, "questions.context"))
            suffix = f" ({'; '.join(marks)})" if marks else ""
            typer.echo(f"\n{question.id}{suffix}\n  {question.text.get(code)}")
            typer.echo(f"  {question.help.get(code)}")
            if question.ask_if is not None:
                typer.echo(f"  {t(code, 'questions.asked_if')}: {_condition_text(question.ask_if)}")
            options = [f"{o.id} = {o.label.get(code)}" for o in question.options]
            if question.accepts_unknown:
                options.append(f"unknown = {t(code, 'option.unknown')}")
            typer.echo(f"  {t(code, 'questions.options')}:")
            for option in options:
                typer.echo(f"    - {option}")
            typer.echo(f"  [§{question.source.section}] « {question.source.quote} »")


def _condition_text(condition) -> str:
    """A compact, readable form of a condition, for listings."""
    data = condition.model_dump(by_alias=True, exclude_none=True)
    return _render_condition(data)


def _render_condition(data: dict) -> str:
    if "answer" in data:
        test = next(k for k in ("is", "in", "at_least", "at_most") if k in data)
        value = data[test]
        shown = "[" + ", ".join(value) + "]" if isinstance(value, list) else value
        return f"{data['answer']} {test} {shown}"
    if "fact" in data:
        return f"fact {data['fact']}"
    if "not" in data:
        return f"not ({_render_condition(data['not'])})"
    key = "all" if "all" in data else "any"
    joiner = " and " if key == "all" else " or "
    return "(" + joiner.join(_render_condition(child) for child in data[key]) + ")"


@app.command(name="rules")
def list_rules(lang: LangOption = Lang.fr, rules: RulesOption = None) -> None:
    """Every rule: its conditions, conclusions, `because` and seed source."""
    from .i18n import t

    kb = knowledge(rules)
    code = lang.value
    typer.echo(t(code, "rules.title"))
    for rule in kb.rules.values():
        effects = "; ".join(
            f"{key}: {value}" for key, value in rule.then.model_dump(exclude_defaults=True).items()
        )
        typer.echo(f"\n{rule.id}  ({kb.where('rules', rule.id)})")
        typer.echo(f"  {t(code, 'rules.when')}: {_condition_text(rule.when)}")
        typer.echo(f"  {t(code, 'rules.then')}: {effects}")
        typer.echo(f"  {t(code, 'report.because')}: {rule.because.get(code)}")
        typer.echo(f"  [§{rule.source.section}] « {rule.source.quote} »")


@app.command()
def lint(
    rules: RulesOption = None,
    lang: LangOption = Lang.fr,
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            help="Reference text the quotes are checked against (default: $COOPDEC_SOURCE, "
            "else ../shared/seed/ beside a checkout; without one, quotes are not checked).",
        ),
    ] = None,
) -> None:
    """Check the knowledge base: schema, references, reachability, coverage, quotes."""
    from .i18n import t
    from .knowledge.lint import SourceError, locate_source, size_warnings
    from .knowledge.lint import lint as run_lint

    try:
        found = locate_source(source)
    except SourceError as error:
        fail(t(lang.value, "lint.source_not_found", origin=error.origin, path=error.path))
    if found is None:
        typer.echo(t(lang.value, "lint.source_missing"), err=True)
    kb, problems = run_lint(rules, found)
    for warning in size_warnings(rules):
        typer.echo(t(lang.value, "lint.file_too_long", file=warning), err=True)
    if problems or kb is None:
        for problem in problems:
            typer.echo(problem)
        raise typer.Exit(1)
    typer.echo(
        t(
            lang.value,
            "lint.ok",
            questions=len(kb.questions),
            rules=len(kb.rules),
            flags=len(kb.flags),
            recommendations=len(kb.recommendations),
            parameters=len(kb.parameters),
        )
    )
    if found is not None:
        typer.echo(t(lang.value, "lint.source_checked", path=found))


@app.command(name="test")
def run_tests(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Case files or folders (default: tests/cases of this folder)."),
    ] = None,
    rule: Annotated[
        str | None, typer.Option("--rule", help="Only the cases that fire this rule.")
    ] = None,
    rules: RulesOption = None,
    lang: LangOption = Lang.fr,
) -> None:
    """Run the regression cases: one difference per failing case, the rules no case fires."""
    from .i18n import t
    from .knowledge.cases import CaseError, load_cases, run_cases

    code = lang.value
    kb = knowledge(rules)
    if rule is not None and rule not in kb.rules:
        fail(t(code, "test.unknown_rule", rule=rule))
    if not paths:
        default = Path("tests") / "cases"
        if not default.is_dir():
            fail(t(code, "test.no_cases", folder=default))
        paths = [default]
    try:
        cases = load_cases(paths)
    except CaseError as error:
        fail("\n".join(error.problems))
    if not cases:
        fail(t(code, "test.no_cases", folder=", ".join(map(str, paths))))
    report = run_cases(_assessor(kb, rules), cases, rule, code)
    for result in report.failures:
        typer.echo(t(code, "test.failed", path=result.case.path, name=result.case.case.name))
        for difference in result.differences:
            typer.echo(f"    {difference}")
    if rule is not None and not report.results:
        typer.echo(t(code, "test.rule_not_fired", rule=rule))
    if rule is None and report.never_fired:
        typer.echo(t(code, "test.never_fired", rules=", ".join(report.never_fired)))
    passed = len(report.results) - len(report.failures)
    typer.echo(t(code, "test.summary", total=len(report.results), passed=passed))
    if report.failures or (rule is not None and not report.results):
        raise typer.Exit(1)


@app.command()
def examples(
    name: Annotated[
        str | None,
        typer.Argument(help="An example to copy (file name, with or without its extension)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="File or folder to copy it to (default: print it on stdout)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    lang: LangOption = Lang.fr,
) -> None:
    """The shipped example profiles; with NAME, one of them, to start from."""
    from .examples import ExampleError, copy_example, descriptions, example_names, example_path
    from .i18n import t

    code = lang.value
    if name is None:
        names, described = example_names(), descriptions(code)
        typer.echo(t(code, "examples.title", n=len(names)))
        for file in names:
            typer.echo(f"\n{file}\n  {described.get(file, '')}".rstrip())
        _list_sheets(code)
        return
    try:
        if out is None:
            typer.echo(example_path(name).read_text(encoding="utf-8"), nl=False)
            return
        target = copy_example(name, out, force)
    except ExampleError as error:
        fail(t(code, error.key, **error.values))
    typer.echo(t(code, "examples.copied", path=target))


def _list_sheets(lang: str) -> None:
    """The presentation sheets shipped with the examples (partner matching)."""
    from .examples import sheet_descriptions, sheet_names
    from .i18n import t

    names, described = sheet_names(), sheet_descriptions(lang)
    if names:
        typer.echo("\n" + t(lang, "matching.examples.title", n=len(names)))
    for file in names:
        typer.echo(f"\n{file}\n  {described.get(file, '')}".rstrip())


from .screening.commands import register as _register_screening  # noqa: E402

_register_screening(app)
from .matching.commands import register as _register_matching  # noqa: E402

_register_matching(app)


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

    from .i18n import t
    from .resources import shipped
    from .screening.store import STORE_ENV, Store, StoreError

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
    command = [sys.executable, "-m", "streamlit", "run", str(script), *ctx.args]
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
    from .i18n import t
    from .screening.commands import checked_workspace
    from .screening.store import WORKSPACE_ENV
    from .serving import listens_beyond_this_machine, secrets_files, served_settings_problems

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


def main() -> None:
    """Console-script entry: a broken engine dependency is one line with its fix, not a trace."""
    try:
        app()
    except EngineDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
