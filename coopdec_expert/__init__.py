"""coopdec-expert: readiness checks for decentralised cooperation partnerships.

Public entry points (imported lazily, so that a broken experta/frozendict install is reported by
the CLI as one line with its fix instead of a traceback):

    from coopdec_expert import assess, load_profile, load_knowledge
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coopdec-expert")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
__all__ = ["Assessment", "Assessor", "Profile", "assess", "load_knowledge", "load_profile"]


def __getattr__(name: str):
    if name in {"assess", "Assessor"}:
        from .engine import assess as module

        return getattr(module, name)
    if name == "Assessment":
        from .assessment import Assessment

        return Assessment
    if name in {"Profile", "load_profile"}:
        from . import profile

        return getattr(profile, name)
    if name == "load_knowledge":
        from .knowledge.lint import load_checked

        return load_checked
    raise AttributeError(f"module 'coopdec_expert' has no attribute '{name}'")
