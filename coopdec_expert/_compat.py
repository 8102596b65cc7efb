"""Fail early, in one sentence, when experta's frozendict pin was not overridden."""

from __future__ import annotations

FROZENDICT_FIX = (
    "coopdec-expert needs frozendict >= 2.4, but frozendict {found} is installed "
    "(experta 1.9.4 pins frozendict==1.2, which cannot be imported on Python >= 3.10). "
    "Fix: install with uv, which applies [tool.uv] override-dependencies from pyproject.toml: "
    "`uv sync` then `uv run coopdec ...` (with pip: `pip install 'frozendict>=2.4' 'schema>=0.7'` "
    "after installing experta)."
)


class EngineDependencyError(ImportError):
    """Raised instead of a traceback when the experta dependency stack is unusable."""


def frozendict_version() -> str:
    """Installed frozendict version, or 'missing'."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("frozendict")
    except PackageNotFoundError:
        return "missing"


def check_frozendict(found: str | None = None) -> None:
    """Raise EngineDependencyError with the fix if frozendict is older than 2.4."""
    found = frozendict_version() if found is None else found
    try:
        major, minor = (int(part) for part in found.split(".")[:2])
    except ValueError:
        raise EngineDependencyError(FROZENDICT_FIX.format(found=found)) from None
    if (major, minor) < (2, 4):
        raise EngineDependencyError(FROZENDICT_FIX.format(found=found))


def import_experta():
    """Import experta after checking frozendict, turning its ImportError into the fix."""
    check_frozendict()
    try:
        import experta
    except ImportError as error:  # pragma: no cover - only with a broken install
        raise EngineDependencyError(
            FROZENDICT_FIX.format(found=frozendict_version()) + f" ({error})"
        ) from None
    return experta
