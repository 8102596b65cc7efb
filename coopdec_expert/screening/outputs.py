"""What a screening leaves in --out: results (CSV, XLSX), rejected rows, per-request reports, a
summary with charts.

Everything the user typed is treated as hostile: spreadsheet cells that would start a formula
are neutralised (OWASP "CSV injection"), Markdown goes through `report.markdown_escape`, report
file names are sanitised. Results are written row by row (openpyxl write-only mode), so memory
does not grow with the number of requests.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..i18n import t
from ..report import markdown_escape, plain

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RECOMMENDATIONS_SHOWN = 3
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def neutralise(value: object) -> object:
    """A spreadsheet-inert cell: text starting with = + - @ (or tab/CR) gets a leading
    apostrophe, so Excel and LibreOffice show it instead of evaluating it; control characters
    (which also break XLSX files) are removed. Numbers pass unchanged."""
    if value is None or isinstance(value, int | float):
        return value
    text = plain(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_name(identifier: str, taken: set[str]) -> str:
    """A portable file name for a partnership id: ASCII letters, digits, `._-`; a short hash
    is added whenever the id had to be changed, or collides with a name already used."""
    ascii_text = unicodedata.normalize("NFKD", identifier).encode("ascii", "ignore").decode()
    base = _UNSAFE_NAME.sub("_", ascii_text).strip("._-")[:80] or "request"
    name = base
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:8]
    if base != identifier or base.lower() in _RESERVED or base.lower() in taken:
        name = f"{base}-{digest}"
    counter = 1
    while name.lower() in taken:
        counter += 1
        name = f"{base}-{digest}-{counter}"
    taken.add(name.lower())
    return name


def result_columns(areas: list[str]) -> list[str]:
    """Stable column ids of results.csv / results.xlsx (labels are translated, not ids)."""
    columns = [
        "id",
        "north_name",
        "north_country",
        "south_name",
        "south_country",
        "verdict",
        "verdict_label",
        "next_step",
        "next_step_label",
    ]
    columns += [f"score.{area}" for area in areas]
    columns += ["flags"]
    for index in range(1, RECOMMENDATIONS_SHOWN + 1):
        columns += [f"recommendation_{index}_id", f"recommendation_{index}_text"]
    return [*columns, "rules_version"]


ERROR_COLUMNS = ["row", "column", "value", "problem", "allowed"]


def error_columns(lang: str) -> list[str]:
    """The header of errors.csv in the batch's language (a file people open in Excel)."""
    return [t(lang, f"screen.errors.{column}") for column in ERROR_COLUMNS]


class RequestSummary(BaseModel):
    """The compact view of one screened request: one row of results.csv, one bar of the charts,
    one line of the app's table. Made in the worker from the full Assessment (which the register
    keeps); ids beside their labels in the batch's language."""

    model_config = ConfigDict(frozen=True)

    id: str
    north_name: str
    north_country: str
    south_name: str
    south_country: str
    verdict: str
    verdict_label: str
    next_step: str
    next_step_label: str
    scores: dict[str, int | None]  # area -> score, None when not assessed
    flags: list[str]  # flag ids, highest severity first
    recommendations: list[tuple[str, str]]  # (id, text) of the first three
    rules_version: str
    profile_hash: str = ""  # the register's key with id and rules_version


class TableWriter:
    """One CSV and, optionally, one XLSX with the same rows, written as they come. The XLSX is
    for people: header in bold and frozen, an auto-filter, columns as wide as their content
    (up to a limit), and `xlsx_values` may show labels where the CSV keeps ids."""

    MAX_WIDTH = 60  # characters: longer texts wrap in Excel rather than widen the column

    def __init__(
        self,
        stem: Path,
        columns: list[str],
        lang: str,
        xlsx: bool = True,
        xlsx_values: Callable[[list[Any]], list[Any]] | None = None,
        widths: dict[str, int] | None = None,
    ):
        # French Excel opens `;`-separated UTF-8 with BOM correctly; English Excel wants `,`.
        self._csv_file = stem.with_suffix(".csv").open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._csv_file, delimiter=";" if lang == "fr" else ",")
        self._csv.writerow(columns)
        self._xlsx_path = stem.with_suffix(".xlsx") if xlsx else None
        self._xlsx_values = xlsx_values
        self._columns = columns
        self._rows = 0
        self._workbook = None
        if self._xlsx_path is not None:
            import openpyxl
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Font
            from openpyxl.utils import get_column_letter

            self._workbook = openpyxl.Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet(stem.name)
            self._sheet.freeze_panes = "A2"  # the header stays in view
            for index, column in enumerate(columns, start=1):  # before any row (write-only)
                width = (widths or {}).get(column, len(column) + 2)
                letter = get_column_letter(index)
                self._sheet.column_dimensions[letter].width = min(self.MAX_WIDTH, width)
            header = []
            for column in columns:
                cell = WriteOnlyCell(self._sheet, value=column)
                cell.font = Font(bold=True)
                header.append(cell)
            self._sheet.append(header)

    def write(self, values: list[Any]) -> None:
        cells = [neutralise(v) for v in values]
        self._csv.writerow(["" if c is None else c for c in cells])
        if self._workbook is not None:
            shown = self._xlsx_values(values) if self._xlsx_values else values
            self._sheet.append([neutralise(v) for v in shown])
            self._rows += 1

    def close(self) -> None:
        self._csv_file.close()
        if self._workbook is not None:
            from openpyxl.utils import get_column_letter

            last = get_column_letter(len(self._columns))
            self._sheet.auto_filter.ref = f"A1:{last}{self._rows + 1}"
            self._workbook.save(self._xlsx_path)
            self._workbook.close()
            self._workbook = None


def result_widths(areas: list[str]) -> dict[str, int]:
    """Column widths of results.xlsx, in characters, from what the columns hold."""
    widths = {
        "id": 24,
        "north_name": 26,
        "south_name": 26,
        "north_country": 16,
        "south_country": 16,
        "verdict": 16,
        "verdict_label": 26,
        "next_step": 16,
        "next_step_label": 34,
        "flags": 60,
        "rules_version": 16,
    }
    widths |= {f"score.{area}": max(10, len(area) + 8) for area in areas}
    for index in range(1, RECOMMENDATIONS_SHOWN + 1):
        widths[f"recommendation_{index}_id"] = 30
        widths[f"recommendation_{index}_text"] = 60
    return widths


def flags_as_labels(kb, lang: str, areas: list[str]) -> Callable[[list[Any]], list[Any]]:
    """The XLSX row of a result: the flags column as the flags' texts (the CSV keeps ids)."""
    position = result_columns(areas).index("flags")

    def shown(values: list[Any]) -> list[Any]:
        ids = [f for f in str(values[position] or "").split(", ") if f]
        texts = [kb.flags[f].text.get(lang) if f in kb.flags else f for f in ids]
        return [*values[:position], " · ".join(texts), *values[position + 1 :]]

    return shown


def result_values(summary: RequestSummary, areas: list[str]) -> list[Any]:
    """The row of results.* for one request, from the worker's compact summary."""
    values: list[Any] = [
        summary.id,
        summary.north_name,
        summary.north_country,
        summary.south_name,
        summary.south_country,
        summary.verdict,
        summary.verdict_label,
        summary.next_step,
        summary.next_step_label,
    ]
    values += [summary.scores.get(area) for area in areas]
    values.append(", ".join(summary.flags))
    recommendations = summary.recommendations[:RECOMMENDATIONS_SHOWN]
    for index in range(RECOMMENDATIONS_SHOWN):
        rec = recommendations[index] if index < len(recommendations) else ("", "")
        values += [rec[0], rec[1]]
    return [*values, summary.rules_version]


def problem_values(problem) -> list[Any]:
    return [problem.row, problem.column, problem.value, problem.problem, ", ".join(problem.allowed)]


@dataclass
class SummaryCounts:
    """Distributions over the assessed requests, for summary.md and the charts."""

    assessed: int = 0
    rejected_rows: int = 0
    verdicts: Counter = field(default_factory=Counter)
    next_steps: Counter = field(default_factory=Counter)
    south_countries: Counter = field(default_factory=Counter)
    north_countries: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)

    def add(self, summary: RequestSummary) -> None:
        self.assessed += 1
        self.verdicts[summary.verdict] += 1
        self.next_steps[summary.next_step] += 1
        self.south_countries[summary.south_country or "—"] += 1
        self.north_countries[summary.north_country or "—"] += 1
        self.flags.update(summary.flags)


TOP_FLAGS = 10


def _distributions(counts: SummaryCounts, kb, lang: str) -> list[tuple[str, str, list]]:
    """(chart file stem, title, [(label, count)]) for each distribution of the summary."""
    verdicts = [(t(lang, f"verdict.{v}"), counts.verdicts[v]) for v in counts.verdicts]
    steps = [
        (kb.steps[s].name.get(lang), counts.next_steps[s]) for s in kb.steps if counts.next_steps[s]
    ]
    return [
        ("verdicts", t(lang, "screen.summary.by_verdict"), verdicts),
        ("next_steps", t(lang, "screen.summary.by_next_step"), steps),
        (
            "south_countries",
            t(lang, "screen.summary.by_south_country"),
            counts.south_countries.most_common(),
        ),
        (
            "north_countries",
            t(lang, "screen.summary.by_north_country"),
            counts.north_countries.most_common(),
        ),
        ("flags", t(lang, "screen.summary.top_flags"), counts.flags.most_common(TOP_FLAGS)),
    ]


def chart_text(label: object) -> str:
    """A label as typed on a chart: matplotlib reads text between two `$` as a formula (a
    country named `$$` crashed the summary after the records were stored), so `$` is escaped."""
    return plain(label)[:50].replace("$", r"\$")


def write_charts(out: Path, counts: SummaryCounts, kb, lang: str) -> list[Path]:
    """A horizontal bar chart per distribution, as PNG and SVG in out/charts/."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    charts = out / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, title, items in _distributions(counts, kb, lang):
        if not items:
            continue
        labels = [chart_text(label) for label, _ in items][::-1]
        values = [count for _, count in items][::-1]
        figure, axes = plt.subplots(figsize=(7, 0.45 * len(items) + 1.2))
        bars = axes.barh(labels, values, color="#2f6f9f")
        axes.set_title(title)
        axes.bar_label(bars)
        axes.margins(x=0.12)
        figure.tight_layout()
        for suffix in ("png", "svg"):
            path = charts / f"{stem}.{suffix}"
            figure.savefig(path, dpi=110)
            written.append(path)
        plt.close(figure)
    return written


def summary_markdown(counts: SummaryCounts, kb, lang: str, source: str, images: dict) -> str:
    """summary.md: counts per verdict, next step, country and the most frequent flags.

    `images` maps a chart stem to what to embed: a Markdown image (summary.md) or a raw HTML
    <img> with a width in points (the PDF, whose layout engine needs one)."""
    lines = [f"# {t(lang, 'screen.summary.title')}", ""]
    lines.append(f"**{t(lang, 'screen.summary.source')}**: {markdown_escape(source)}  ")
    lines.append(f"**{t(lang, 'screen.summary.assessed')}**: {counts.assessed}  ")
    lines.append(f"**{t(lang, 'screen.summary.rejected')}**: {counts.rejected_rows}")
    for stem, title, items in _distributions(counts, kb, lang):
        lines += ["", f"## {title}", ""]
        if not items:
            lines.append(t(lang, "report.none"))
            continue
        lines += [f"| | {t(lang, 'screen.summary.count')} |", "|---|---|"]
        for label, count in items:
            shown = markdown_escape(label)
            if stem == "flags":
                shown = f"{markdown_escape(kb.flags[label].text.get(lang))} (`{label}`)"
            lines.append(f"| {shown} | {count} |")
        if stem in images:
            lines += ["", images[stem]]
    return "\n".join(lines) + "\n"


def write_summary(out: Path, counts: SummaryCounts, kb, lang: str, source: str) -> None:
    """summary.md, summary.pdf and the charts they show."""
    from ..pdf import markdown_to_pdf

    charts = write_charts(out, counts, kb, lang)
    stems = sorted({p.stem for p in charts})
    md_images = {s: f"![{s}](charts/{s}.png)" for s in stems}
    pdf_images = {
        s: f'<img src="{(out / "charts" / f"{s}.png").resolve()}" width="430">' for s in stems
    }
    (out / "summary.md").write_text(
        summary_markdown(counts, kb, lang, source, md_images), encoding="utf-8"
    )
    pdf_text = summary_markdown(counts, kb, lang, source, pdf_images)
    (out / "summary.pdf").write_bytes(markdown_to_pdf(pdf_text, t(lang, "screen.summary.title")))
