"""Screening register for ministries: batch assessment of partnership requests.

Public entry points (see their docstrings), imported lazily so that `coopdec assess` does not
pay for SQLAlchemy and openpyxl:

    from coopdec_expert.screening import screen_table, history, rescreen
    result = screen_table(file_bytes, "demandes.csv", lang="fr", store_url="sqlite:///x.sqlite")
"""

from __future__ import annotations

# The register's environment variables, here so that naming them (the CLI's options) loads
# neither SQLAlchemy nor openpyxl: `coopdec` starts faster, and so do a batch's worker processes,
# which import the command's module again (multiprocessing's spawn).
STORE_ENV = "COOPDEC_STORE"
WORKSPACE_ENV = "COOPDEC_WORKSPACE"  # the CLI's --workspace, and `coopdec ui --workspace`'s

_EXPORTS = {
    "ScreenOptions": "run",
    "ScreenResult": "run",
    "history": "run",
    "rescreen": "run",
    "screen_requests": "run",
    "screen_table": "run",
    "RequestSummary": "outputs",
    "HistoryEntry": "store",
    "Store": "store",
    "StoreError": "store",
    "RequestTable": "table",
    "RowProblem": "table",
    "TableError": "table",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module

        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'coopdec_expert.screening' has no attribute '{name}'")
