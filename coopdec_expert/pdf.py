"""PDF reports: the Markdown report converted to HTML, laid out by fpdf2 with a Unicode font.

One renderer for the CLI, the app and the screening reports: the PDF holds the same content as
the Markdown, in the same language. User text arrives already escaped by the Markdown renderer,
so it shows as typed and is never interpreted as markup."""

from __future__ import annotations

import re
from pathlib import Path

import markdown as markdown_lib
import matplotlib
from fpdf import FPDF

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"  # DejaVu ships with matplotlib
FONT = "DejaVu"
_CELL = re.compile(r"(<t[dh][^>]*>)(.*?)(</t[dh]>)", re.S)
_INLINE_TAG = re.compile(r"</?(strong|em|code|b|i|a)( [^>]*)?>")


def _flatten_cells(html: str) -> str:
    """fpdf2 tables take plain text only: drop inline tags inside table cells."""
    return _CELL.sub(lambda m: m[1] + _INLINE_TAG.sub("", m[2]) + m[3], html)


class _Document(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        # Only the faces the reports use: parsing a TrueType font is most of a PDF's cost.
        # Code spans (ids, all ASCII) use the built-in Courier.
        self.set_auto_page_break(auto=True, margin=15)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, "", 7)
        self.cell(0, 8, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")


def markdown_to_pdf(text: str, title: str = "coopdec-expert") -> bytes:
    """The PDF of a Markdown report (headings, lists, tables, quotes, bold, code)."""
    html = _flatten_cells(markdown_lib.markdown(text, extensions=["tables", "sane_lists"]))
    document = _Document(title)
    document.set_title(title)
    document.set_creator("coopdec-expert")
    document.add_page()
    document.set_font(FONT, size=10)
    document.write_html(
        html,
        font_family=FONT,
        tag_styles=None,
        table_line_separators=True,
    )
    return bytes(document.output())
