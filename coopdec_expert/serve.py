"""`coopdec ui` starts here: Streamlit serves the app in this process while a thread warms it.

    python -m coopdec_expert.serve run PATH/ui/app.py [streamlit options]

Streamlit runs the app's script only when a browser connects, so the first user used to pay
for every import (pandas, altair, the engine…) and for building the assessor. Here a thread
does that work as soon as the server listens, while no one or the first browser loading
Streamlit's own page waits (measured: warming *before* listening made the first page later, by
taking that overlap away). A session that needs the assessor while the thread builds it waits
for it (`wait_until_warm`) instead of building a second one. The process is Streamlit's (its
signals: SIGTERM stops the server).
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable

_WARMING = threading.Event()  # set when a warm-up starts in this process
_WARM = threading.Event()  # set when the assessor is ready (or failed: the session then builds)
WAIT_S = 300  # at most, for a session waiting on the warm-up


def warm(ready: Callable[[], None] = lambda: None) -> float:
    """Import what the app's pages import and build the assessor they share, with the analysis
    of the empty profile where every interview starts, and the first page's own modules; then
    call `ready` (a session waiting for the assessor goes on) and import the other pages.
    Returns the seconds spent."""
    start = time.perf_counter()
    import altair  # noqa: F401 - the charts
    import pandas  # noqa: F401 - the tables
    import streamlit.elements.vega_charts  # noqa: F401

    from .engine.assess import default_assessor
    from .profile import Profile

    default_assessor().assess(Profile(), "fr")
    _import_pages(FIRST_PAGE)
    ready()
    from .explain import path, whatif, why, whynot  # noqa: F401

    _import_pages(OTHER_PAGES)
    return time.perf_counter() - start


FIRST_PAGE = ("ui.auth", "ui.localise", "ui.views.assess")  # what a first session runs
OTHER_PAGES = tuple(
    f"ui.views.{name}"
    for name in ("result", "why", "knowledge", "workshop", "screening", "matching")
)


def _import_pages(modules: tuple[str, ...]) -> None:
    """Modules of the app (ui/), as its script imports them: a session then runs them instead
    of loading them (measured: the first page 2.6 s after a browser's request instead of 4.7 s,
    without bytecode caches)."""
    from .resources import shipped

    root = str(shipped("ui").parent)
    if root not in sys.path:  # what ui/app.py does first
        sys.path.insert(0, root)
    for name in modules:
        importlib.import_module(name)


def wait_until_warm() -> None:
    """For the app: if this process is warming the assessor, wait until it is ready (the
    assessor is then shared, not built twice). Returns at once under `streamlit run`."""
    if _WARMING.is_set():
        _WARM.wait(WAIT_S)


def _listening() -> bool:
    """Whether Streamlit's runtime is up and ready for browsers: the state its health check
    reads (`Runtime.is_ready_for_browser_connection` is a coroutine since Streamlit 1.4x; read
    from this thread, it was never awaited and always true)."""
    from streamlit.runtime import Runtime, RuntimeState

    if not Runtime.exists():
        return False
    return Runtime.instance().state in (
        RuntimeState.NO_SESSIONS_CONNECTED,
        RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED,
    )


def _warm_in_background() -> None:
    def run() -> None:
        try:
            deadline = time.monotonic() + WAIT_S  # let the server start first: it is what
            while not _listening() and time.monotonic() < deadline:  # browsers wait for
                time.sleep(0.05)  # polling interval
            seconds = warm(_WARM.set)
            print(f"coopdec-expert: app warmed in {seconds:.1f} s", file=sys.stderr, flush=True)
        finally:
            _WARM.set()

    _WARMING.set()
    threading.Thread(target=run, name="coopdec-warm", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) >= 2 and arguments[0] == "run":
        _warm_in_background()
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *arguments]
    streamlit_main()


if __name__ == "__main__":
    main()
