"""What every `coopdec` command shares: the language and rules options, the one-line failure,
and the knowledge base (the shipped one from the process-wide assessor, loaded once)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer


class Lang(StrEnum):
    fr = "fr"
    en = "en"


LangOption = Annotated[Lang, typer.Option("--lang", "-l", help="Language of the output.")]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Knowledge base folder (default: the shipped rules/)."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Bad input: one message on stderr, nothing on stdout, exit code 2. Control characters
    are removed (a file name may hold terminal escape sequences)."""
    from ..report import plain

    typer.echo(f"error: {plain(message)}", err=True)
    raise typer.Exit(code)


def knowledge(rules: Path | None):
    """The knowledge base of `--rules`, or the shipped one; an invalid one is bad input."""
    from ..engine.assess import default_assessor
    from ..knowledge.lint import load_checked
    from ..knowledge.loader import KnowledgeError

    try:
        return load_checked(rules) if rules else default_assessor().kb
    except KnowledgeError as error:
        fail("the knowledge base is invalid:\n" + "\n".join(error.problems))


def assessor_of(kb, rules: Path | None):
    """The assessor of `--rules`' knowledge base, or the shared one of the shipped rules."""
    from ..engine.assess import Assessor, default_assessor

    return Assessor(kb) if rules else default_assessor()
