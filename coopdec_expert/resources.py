"""Where the shipped folders are: rules/, examples/ and ui/ live at the top of the repository,
and the wheel carries a copy of each under coopdec_expert/_shipped/ (pyproject.toml,
force-include). A checkout (editable install) reads its own folders, so that an edit to rules/
counts at once; an installed package reads the copy in the wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED = ("rules", "examples", "ui")
PACKAGED = "_shipped"
SOURCE_TEXT_NAME = "000_08a81c69789d05ee.txt"


def checkout_root() -> Path | None:
    """The repository this package runs from, or None when it is installed from a wheel."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "rules").is_dir() else None


def shipped(name: str) -> Path:
    """The folder `name` (rules, examples or ui): the checkout's, else the packaged copy."""
    if name not in SHIPPED:
        raise ValueError(f"'{name}' is not a shipped folder; allowed: {', '.join(SHIPPED)}")
    root = checkout_root()
    if root is not None:
        return root / name
    return Path(str(files("coopdec_expert").joinpath(PACKAGED, name)))


def package_data(name: str) -> Path:
    """A folder inside the package itself (locales, templates)."""
    return Path(str(files("coopdec_expert").joinpath(name)))


def source_text_beside_checkout() -> Path | None:
    """../shared/seed/<reference text> beside a checkout, where the project keeps it."""
    root = checkout_root()
    return None if root is None else root.parent / "shared" / "seed" / SOURCE_TEXT_NAME
