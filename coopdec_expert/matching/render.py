"""Proposals and presentation documents as terminal text, Markdown (then PDF) and tables. Every
text a person typed (names, findings that quote them) is escaped for the format it lands in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..i18n import t
from ..knowledge.loader import KnowledgeBase
from ..report import markdown_escape, plain
from .explain import Component, Proposal
from .sheet import Sheet

Group = tuple[Sheet, list[Proposal]]


def _points(component: Component, lang: str) -> str:
    if component.points is None:
        return ""
    text = f"{component.points:g}/{component.weight}"
    if component.assessed == "no":
        text += f" ({t(lang, 'matching.render.not_assessed')})"
    elif component.assessed == "partly":
        text += f" ({t(lang, 'matching.render.partly')})"
    return text


def proposals_text(groups: list[Group], lang: str) -> str:
    lines: list[str] = []
    for sheet, proposals in groups:
        lines.append(t(lang, "matching.render.for", name=plain(sheet.label()), id=plain(sheet.id)))
        if not proposals:
            lines.append("  " + t(lang, "matching.render.none"))
        for p in proposals:
            partner = p.south_name if sheet.side == "north" else p.north_name
            partner_id = p.south if sheet.side == "north" else p.north
            lines.append(
                f"  {p.rank}. {plain(partner)} [{plain(partner_id)}] — {p.score:g}/{p.out_of}"
            )
            for c in p.components + p.notes:
                if c.points is None and not c.findings:
                    continue
                lines.append(f"     - {c.name} {_points(c, lang)}".rstrip())
                lines.extend(f"         {plain(f)}" for f in c.findings)
                lines.append(f"         [§{c.source.section}] « {c.source.quote} »")
                lines.extend(f"         → {plain(s)}" for s in c.stronger)
        lines.append("")
    return "\n".join(lines)


def proposals_markdown(groups: list[Group], lang: str) -> str:
    lines = [f"# {t(lang, 'matching.render.title')}", ""]
    for sheet, proposals in groups:
        lines += [
            "## "
            + t(
                lang,
                "matching.render.for",
                name=markdown_escape(sheet.label()),
                id=markdown_escape(sheet.id),
            ),
            "",
        ]
        if not proposals:
            lines += [t(lang, "matching.render.none"), ""]
        for p in proposals:
            partner = p.south_name if sheet.side == "north" else p.north_name
            lines += [
                f"### {p.rank}. {markdown_escape(partner)} — {p.score:g}/{p.out_of}",
                "",
                f"| {t(lang, 'matching.render.criterion')} | {t(lang, 'matching.render.points')} |",
                "|---|---|",
            ]
            lines += [f"| {markdown_escape(c.name)} | {_points(c, lang)} |" for c in p.components]
            lines.append("")
            for c in p.components + p.notes:
                if c.points is None and not c.findings:
                    continue
                lines.append(f"**{markdown_escape(c.name)}** — {markdown_escape(c.because)}")
                lines.append("")
                lines.append(f"> [§{c.source.section}] « {markdown_escape(c.source.quote)} »")
                lines.append("")
                lines += [f"- {markdown_escape(f)}" for f in c.findings]
                lines += [
                    f"- {t(lang, 'matching.render.stronger')} {markdown_escape(s)}"
                    for s in c.stronger
                ]
                lines.append("")
    return "\n".join(lines)


def proposal_rows(groups: list[Group], lang: str) -> list[list[str]]:
    """A flat table of proposals (one row each) for CSV/XLSX export."""
    from .score import CRITERIA

    header = [
        t(lang, f"matching.col.{k}")
        for k in ("for", "rank", "partner", "partner_name", "score", "out_of")
    ]
    header += [f"{c}" for c in CRITERIA] + [
        t(lang, "matching.col.why"),
        t(lang, "matching.col.stronger"),
    ]
    rows = [header]
    for sheet, proposals in groups:
        for p in proposals:
            north_side = sheet.side == "north"
            row = [
                sheet.id,
                str(p.rank),
                p.south if north_side else p.north,
                p.south_name if north_side else p.north_name,
                f"{p.score:g}",
                str(p.out_of),
            ]
            row += [_points(c, lang) for c in p.components]
            row.append(" | ".join(f for c in p.components for f in c.findings))
            row.append(" | ".join(s for c in p.components for s in c.stronger))
            rows.append([plain(v) for v in row])
    return rows


def write_rows(rows: list[list[str]], path: Path, lang: str) -> None:
    """CSV as French Excel reads it (`;`, UTF-8 with BOM) or XLSX, by the file's suffix. A cell
    starting with = + - @ is prefixed with ' so a spreadsheet never runs it as a formula."""
    safe = [[("'" + v) if v[:1] in ("=", "+", "-", "@") else v for v in row] for row in rows]
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = t(lang, "matching.render.title")[:31]
        for row in safe:
            sheet.append(row)
        workbook.save(path)
        return
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n").writerows(
        safe
    )
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")


# --- the presentation document (step 3) -------------------------------------------------


def _terms(kb: KnowledgeBase, vocabulary: str, ids: list[str], lang: str) -> list[str]:
    labels = {term.id: term.label.get(lang) for term in kb.vocabularies[vocabulary].terms}
    return [labels[i] for i in ids if i in labels]


def presentation_markdown(sheet: Sheet, kb: KnowledgeBase, lang: str) -> str:
    """The presentation document of step 3: who we are, then the seed's three parts of the
    argument (motivations; the territory, its actors and stakes; what we can bring), and what
    we seek. Lists left empty are said to be not filled in, never left out silently."""
    e = markdown_escape
    L = lambda key, **v: t(lang, f"matching.sheet.{key}", **v)  # noqa: E731
    missing = f"_{L('not_filled')}_"

    def bullet_list(items: list[str]) -> list[str]:
        return [f"- {e(i)}" for i in items] if items else [missing]

    kind = _terms(kb, "kinds", [sheet.kind] if sheet.kind else [], lang)
    band = _terms(kb, "population_bands", [sheet.population] if sheet.population else [], lang)
    lines = [
        f"# {e(sheet.name)}",
        "",
        f"_{L('subtitle', side=t(lang, f'matching.side.{sheet.side}'))}_",
        "",
        f"| {L('country')} | {e(sheet.country)} |",
        "|---|---|",
        f"| {L('kind')} | {e(kind[0]) if kind else L('not_filled')} |",
        f"| {L('population')} | {e(band[0]) if band else L('not_filled')} |",
        f"| {L('languages')} | {e(', '.join(sheet.languages)) or L('not_filled')} |",
        "",
        f"> [§4] « {e(ARGUMENT_QUOTE)} »",
        "",
        f"## 1. {L('part1')}",
        "",
    ]
    lines += bullet_list(_terms(kb, sheet.motivation_vocabulary(), sheet.motivations, lang))
    if sheet.presentation.motivations:
        lines += ["", e(sheet.presentation.motivations)]
    lines += ["", f"## 2. {L('part2')}", "", f"**{L('stakes')}**", ""]
    lines += bullet_list(_terms(kb, "themes", sheet.stakes, lang))
    lines += ["", f"**{L('actors')}**", ""]
    actors = []
    for actor in sheet.actors:
        text = _terms(kb, "actors", [actor.kind], lang)[0]
        if actor.name:
            text += f" — {actor.name}"
        if actor.links:
            places = ", ".join(
                f"{link.place} ({link.country})" if link.place else link.country
                for link in actor.links
            )
            text += f" ({L('linked_to')} {places})"
        actors.append(text)
    lines += bullet_list(actors)
    lines += ["", f"**{L('networks')}**", ""]
    lines += bullet_list(_terms(kb, "networks", sheet.networks, lang))
    if sheet.presentation.territory:
        lines += ["", e(sheet.presentation.territory)]
    other = t(lang, f"matching.side.{'south' if sheet.side == 'north' else 'north'}")
    lines += ["", f"## 3. {L('part3', other=other)}", ""]
    lines += bullet_list(_terms(kb, "themes", sheet.brings, lang))
    if sheet.presentation.contributions:
        lines += ["", e(sheet.presentation.contributions)]
    lines += ["", f"## {L('seeks')}", ""]
    lines += bullet_list(_terms(kb, "themes", sheet.seeks, lang))
    lines += ["", f"## {L('commitment')}", ""]
    answered = []
    for question_id, option in sheet.answers.items():
        question = kb.questions[question_id]
        label = next((o.label.get(lang) for o in question.options if o.id == option), None)
        label = label or t(lang, "option.unknown")
        label = label.replace("{many_partnerships}", str(kb.param("many_partnerships")))
        answered.append(f"{e(question.text.get(lang))} — **{e(label)}**")
    lines += [f"- {a}" for a in answered] if answered else [missing]
    lines += ["", f"## {L('partnerships')}", ""]
    lines += bullet_list(sheet.partnerships)
    lines.append("")
    return "\n".join(lines)


ARGUMENT_QUOTE = "construire un argumentaire qui permette d’expliciter"
