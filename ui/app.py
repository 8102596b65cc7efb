"""coopdec-expert, the app: `uv run coopdec ui` or `uv run streamlit run ui/app.py`.

Navigation is one list of pages (PAGES): a page is appended by adding one entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The folder holding ui/: the repository, or coopdec_expert/_shipped/ in an installed wheel.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from coopdec_expert.i18n import t  # noqa: E402
from ui import auth, state  # noqa: E402
from ui.localise import page_language  # noqa: E402

HERE = Path(__file__).resolve().parent

# (page script relative to ui/, catalogue key of the title, icon, url path). Append a page here.
PAGES = [
    ("page_scripts/assess.py", "ui.page.assess", ":material/checklist:", "evaluer"),
    ("page_scripts/result.py", "ui.page.result", ":material/verified:", "resultat"),
    ("page_scripts/why.py", "ui.page.why", ":material/help:", "pourquoi"),
    ("page_scripts/knowledge.py", "ui.page.knowledge", ":material/menu_book:", "base"),
    ("page_scripts/workshop.py", "ui.page.workshop", ":material/groups:", "atelier"),
    ("page_scripts/screening.py", "ui.page.screening", ":material/table_view:", "tri"),
    ("page_scripts/matching.py", "matching.app.page", ":material/handshake:", "mise-en-relation"),
]


def _switch_language() -> None:
    st.session_state[state.LANG] = "en" if st.session_state["coopdec.lang_toggle"] else "fr"


def main() -> None:
    st.set_page_config(page_title="coopdec-expert", page_icon=":handshake:", layout="wide")
    state.init()
    st.session_state["coopdec.lang_toggle"] = state.lang() == "en"
    pages = [
        st.Page(HERE / script, title=t(state.lang(), key), icon=icon, url_path=url)
        for script, key, icon, url in PAGES
    ]
    page = st.navigation(pages)
    with st.sidebar:  # the language first: a page may add its own lines below it
        st.toggle(state.tr("lang.toggle"), key="coopdec.lang_toggle", on_change=_switch_language)
    page_language(state.lang())
    # sign-in when served beyond this machine: no page runs before it (the language toggle
    # above lets the sign-in page be read in English too)
    auth.gate()
    page.run()
    with st.sidebar:
        st.caption(state.tr("app.tagline"))


main()
