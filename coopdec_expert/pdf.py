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


_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_OPEN_CELL = re.compile(r"<t([dh])(?=[\s>])(?![^>]*\balign=)([^>]*)>")
_SECTION = re.compile(r"(?=<h[12]>)")
# A verdict's cell: the colour of its badge in the app, light enough for dark text.
VERDICT_TINTS = {
    "ready": "#cfeeda",
    "conditional": "#ffe7bf",
    "not_ready": "#f6d2cf",
    "insufficient_information": "#e1e5ea",
}
KEEP_WITH_HEADING_MM = 45  # a heading starts a new page when less is left below it


# Column widths (percent) of the report's tables, by number of columns: a narrow label or score
# column, the text the room it needs.
COLUMN_WIDTHS = {2: (34, 66), 3: (30, 8, 62)}
_TABLE = re.compile(r"<table>(.*?)</table>", re.S)


def _flatten_cells(html: str) -> str:
    """fpdf2 tables take plain text only: drop inline tags inside table cells. Cells are left
    aligned (fpdf2 justifies them, which opens large gaps in short lines) and the columns get
    widths that suit their content."""
    html = _CELL.sub(lambda m: m[1] + _INLINE_TAG.sub("", m[2]) + m[3], html)
    html = _OPEN_CELL.sub(r'<t\1 align="left"\2>', html)
    return _TABLE.sub(_widths, html)


def _widths(table: re.Match) -> str:
    first = _ROW.search(table[1])
    if first is None:
        return table[0]
    cells = _CELL.findall(first[1])
    widths = COLUMN_WIDTHS.get(len(cells))
    if widths is None:
        return table[0]
    row = first[0]
    for (opened, _content, _close), width in zip(cells, widths, strict=True):
        row = row.replace(opened, opened[:-1] + f' width="{width}%">', 1)
    return table[0].replace(first[0], row, 1)


def _verdict_tints() -> tuple[set[str], dict[str, str]]:
    """The "Verdict" row label and each verdict's label (fr and en) with its tint."""
    from .i18n import LANGUAGES, t

    labels = {t(lang, "report.verdict") for lang in LANGUAGES}
    tints = {
        t(lang, f"verdict.{verdict}"): tint
        for lang in LANGUAGES
        for verdict, tint in VERDICT_TINTS.items()
    }
    return labels, tints


def _colour_verdict(html: str) -> str:
    """The verdict's cell in the colour of the verdict (the row whose header is "Verdict")."""
    row_labels, tints = _verdict_tints()

    def row(match: re.Match) -> str:
        cells = _CELL.findall(match[1])
        if len(cells) == 2 and re.sub(r"<[^>]+>", "", cells[0][1]).strip() in row_labels:
            value = re.sub(r"<[^>]+>", "", cells[1][1]).strip()
            if value in tints:
                opened = cells[1][0][:-1] + f' bgcolor="{tints[value]}">'
                return match[0].replace(cells[1][0] + cells[1][1], opened + cells[1][1], 1)
        return match[0]

    return _ROW.sub(row, html)


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


def pdf_html(text: str) -> str:
    """The HTML the PDF is laid out from: tables flattened and left aligned, the verdict in
    its colour."""
    html = markdown_lib.markdown(text, extensions=["tables", "sane_lists"])
    return _flatten_cells(_colour_verdict(html))


def markdown_to_pdf(text: str, title: str = "coopdec-expert") -> bytes:
    """The PDF of a Markdown report (headings, lists, tables, quotes, bold, code)."""
    html = pdf_html(text)
    document = _Document(title)
    document.set_title(title)
    document.set_creator("coopdec-expert")
    document.add_page()
    document.set_font(FONT, size=10)
    bottom = document.h - document.b_margin
    for section in _SECTION.split(html):  # each heading with its content
        if not section.strip():
            continue
        if section.startswith("<h") and document.get_y() > bottom - KEEP_WITH_HEADING_MM:
            document.add_page()
        document.write_html(
            section,
            font_family=FONT,
            tag_styles=None,
            table_line_separators=True,
        )
    return bytes(document.output())
