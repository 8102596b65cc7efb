"""The `coopdec` command line, one module per family of commands:

- cli/assess.py     assess, explain, interview (a profile);
- cli/knowledge.py  questions, rules, lint, test, examples (the knowledge base);
- cli/screening.py  template, screen, history, rescreen (the screening register);
- cli/matching.py   match, sheet (presentation sheets and partner matching; its register in
                    cli/matching_store.py);
- cli/ui.py         ui (the app);
- cli/common.py     what they share: --lang, --rules, the one-line failure.

Bad input (profile or rules) exits with code 2 and one message on stderr, nothing on stdout;
`lint` exits 1 with one line per problem.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .._compat import EngineDependencyError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="coopdec-expert: readiness checks for decentralised cooperation partnerships "
    "(coopération décentralisée), citing their source text.",
)


def _version(show: bool) -> None:
    if show:
        from .. import __version__

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


# The commands, in the order `coopdec --help` lists them (each module adds its own to `app`).
from . import assess, knowledge, matching, screening  # noqa: E402

screening.register(app)
matching.register(app)

from . import ui  # noqa: E402


def main() -> None:
    """Console-script entry: a broken engine dependency is one line with its fix, not a trace."""
    try:
        app()
    except EngineDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)


__all__ = ["app", "main", "assess", "knowledge", "matching", "screening", "ui"]
