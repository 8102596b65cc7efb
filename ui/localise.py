"""The page's own language: `<html lang>` and the few texts Streamlit's widgets write in English.

Streamlit has no setting for either (1.67): its file uploader says "Drag and drop file here",
"Upload" and "1MB per file", its tooltips are announced as "Help for …", its select boxes say
"No results". One small script, sent once per run with the texts of the page's language (from
the catalogue), sets `document.documentElement.lang` and rewrites those texts — and rewrites
them back when the language changes — as Streamlit draws them (a MutationObserver). Nothing the
user typed goes into the script: only catalogue texts, JSON-encoded.
"""

from __future__ import annotations

import json

import streamlit as st

from coopdec_expert.i18n import t

# Streamlit's English text (a regular expression, anchored) -> catalogue key of its translation.
# `$1` in a translation is the first group of the pattern (a size, a label).
STREAMLIT_TEXTS = {
    r"Drag and drop (?:a )?files? here": "ui.streamlit.drag_drop",
    r"Upload": "ui.streamlit.upload",
    r"Browse files": "ui.streamlit.upload",
    r"Add files": "ui.streamlit.add_files",
    r"(\d+(?:\.\d+)?)\s?([KMG])B per file(.*)": "ui.streamlit.per_file",
    r"No results": "ui.streamlit.no_results",
    r"Choose an option": "ui.streamlit.choose",
    r"Choose options": "ui.streamlit.choose",
    r"No options to select": "ui.streamlit.no_options",
    r"Select all": "ui.streamlit.select_all",
    r"Running\.\.\.": "ui.streamlit.running",
    r"(\d+)\.(\d+)\s?([KMG])B": "ui.streamlit.size_decimal",  # a file's size: 98.6KB
    r"(\d+)\s?([KMG])B": "ui.streamlit.size",
    r"Rerun": "ui.streamlit.rerun",
    r"Settings": "ui.streamlit.settings",
    r"Print": "ui.streamlit.print",
    r"About": "ui.streamlit.about",
}
# tooltips and labels of the tables' and charts' toolbars (read aloud, shown on hover)
TOOLBARS = {
    r"Download as CSV": "ui.streamlit.download_csv",
    r"Download as PNG": "ui.streamlit.download_png",
    r"Search": "ui.streamlit.search",
    r"Fullscreen": "ui.streamlit.fullscreen",
    r"Toggle fullscreen": "ui.streamlit.fullscreen",
    r"Close fullscreen": "ui.streamlit.close_fullscreen",
    r"Show data": "ui.streamlit.show_data",
    r"Show chart": "ui.streamlit.show_chart",
    r"Clear selection": "ui.streamlit.clear_selection",
}
# aria-label / title attributes (read aloud, shown on hover)
STREAMLIT_LABELS = {
    r"Help for (.+)": "ui.streamlit.help_for",
    r"Help": "ui.streamlit.help",
    r"file upload": "ui.streamlit.file_upload",
    r"Remove file": "ui.streamlit.remove_file",
    r"Clear all": "ui.streamlit.clear_all",
    r"Clear value": "ui.streamlit.clear_all",
    r"Open": "ui.streamlit.open",
}

_SCRIPT = """<script>
(() => {
  const setup = %(setup)s;
  document.documentElement.lang = setup.lang;
  const w = window;
  w.__coopdecTexts = setup;
  if (w.__coopdecObserver) { w.__coopdecApply(document.body); return; }
  const originals = new WeakMap();
  const compile = (pairs) => pairs.map(([p, r]) => [new RegExp('^' + p + '$'), r]);
  const translate = (original, pairs) => {
    for (const [pattern, replacement] of compile(pairs)) {
      if (pattern.test(original)) return original.replace(pattern, replacement);
    }
    return null;
  };
  const textNode = (node) => {
    const original = originals.has(node) ? originals.get(node) : node.nodeValue.trim();
    if (!original) return;
    const shown = translate(original, w.__coopdecTexts.texts);
    if (shown === null) { if (originals.has(node)) node.nodeValue = original; return; }
    originals.set(node, original);
    if (node.nodeValue !== shown) node.nodeValue = shown;
  };
  const element = (node) => {
    for (const name of ['aria-label', 'title']) {
      const value = node.getAttribute && node.getAttribute(name);
      if (!value) continue;
      const key = 'coopdec' + name.replace('-', '');
      const original = node.dataset[key] || value;
      const shown = translate(original, w.__coopdecTexts.labels);
      if (shown === null) continue;
      node.dataset[key] = original;
      if (value !== shown) node.setAttribute(name, shown);
    }
  };
  w.__coopdecApply = (root) => {
    if (!root) return;
    if (root.nodeType === 3) { textNode(root); return; }
    if (root.nodeType !== 1) return;
    element(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.nodeType === 3) textNode(node); else element(node);
    }
  };
  w.__coopdecObserver = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'characterData') textNode(m.target);
      else if (m.type === 'attributes') element(m.target);
      else m.addedNodes.forEach((n) => w.__coopdecApply(n));
    }
  });
  w.__coopdecObserver.observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ['aria-label', 'title'],
  });
  w.__coopdecApply(document.body);
})();
</script>"""


def page_language(lang: str) -> None:
    """Tell the browser the page's language and put Streamlit's own texts in it."""

    def pairs(table: dict[str, str]) -> list[tuple[str, str]]:
        return [(pattern, t(lang, key)) for pattern, key in table.items()]

    setup = {
        "lang": lang,
        "texts": pairs({**STREAMLIT_TEXTS, **TOOLBARS}),
        "labels": pairs({**STREAMLIT_LABELS, **TOOLBARS}),
    }
    # JSON inside a script: `</` would end the script, so it is escaped.
    encoded = json.dumps(setup, ensure_ascii=True).replace("</", "<\\/")
    with st.sidebar:
        st.html(_SCRIPT % {"setup": encoded}, unsafe_allow_javascript=True, width="content")
