"""`coopdec questions | rules | lint | test | examples`: the knowledge base for its authors and
readers, and the shipped examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import Lang, LangOption, RulesOption, assessor_of, fail, knowledge


@app.command()
def questions(lang: LangOption = Lang.fr, rules: RulesOption = None) -> None:
    """The questionnaire, grouped by step of the method."""
    from ..i18n import t

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
    from ..i18n import t

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
    from ..i18n import t
    from ..knowledge.lint import SourceError, locate_source, size_warnings
    from ..knowledge.lint import lint as run_lint

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
    typer.echo(t(lang.value, "lint.ok", **kb.counts()))
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
    from ..i18n import t
    from ..knowledge.cases import CaseError, load_cases, run_cases

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
    report = run_cases(assessor_of(kb, rules), cases, rule, code)
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
    from ..examples import ExampleError, copy_example, descriptions, example_names, example_path
    from ..i18n import t

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
    from ..examples import sheet_descriptions, sheet_names
    from ..i18n import t

    names, described = sheet_names(), sheet_descriptions(lang)
    if names:
        typer.echo("\n" + t(lang, "matching.examples.title", n=len(names)))
    for file in names:
        typer.echo(f"\n{file}\n  {described.get(file, '')}".rstrip())
