"""Speed of partner matching: a directorate's register of Northern × Southern sheets (not a test).

    uv run python bench/bench_matching.py                  # 1,000 × 1,000 sheets, top 5 each
    uv run python bench/bench_matching.py --north 2000 --south 500

Sheets are generated with a fixed seed, as a register really is: a third sparse (identity and
at most one stake: a sheet begun), the rest middling (a few themes in each list, some
motivations — one Southern sheet in eight financial only —, some commitment answers, actors
with links to towns or countries of the other side, a few existing partnerships). Each phase is
timed apart, best of --repeat runs: reading (validating the sheets), encoding (Matcher), ranking
every pair (the score matrix and each sheet's best partners), explaining the pairs one sheet is
shown; and the reading of the same register as a CSV table, as a directorate imports it.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NORTH_COUNTRIES = ["France", "Belgique"]
SOUTH_COUNTRIES = ["Burkina Faso", "Cameroun", "RD Congo", "Tchad", "Bénin", "Mali"]


def generate(kb, north: int, south: int, seed: int = 11) -> list[dict]:
    from coopdec_expert.matching.sheet import allowed_questions

    rng = random.Random(seed)
    themes = kb.vocabularies["themes"].ids()
    actors = kb.vocabularies["actors"].ids()
    networks = kb.vocabularies["networks"].ids()
    names = {
        "north": [f"Ville N{i}" for i in range(north)],
        "south": [f"Commune S{i}" for i in range(south)],
    }
    countries = {"north": NORTH_COUNTRIES, "south": SOUTH_COUNTRIES}
    sheets = []
    for side, count in (("north", north), ("south", south)):
        other = "south" if side == "north" else "north"
        motivations = kb.vocabularies[f"{side}_motivations"].ids()
        motivations = [m for m in motivations if m != "business_outlets"]
        questions = [
            q for q in allowed_questions(kb, side) if not q.startswith(f"{side}.motivation.")
        ]
        for i in range(count):
            data = {
                "id": f"{side}-{i}",
                "side": side,
                "name": names[side][i],
                "country": rng.choice(countries[side]),
            }
            if rng.random() < 1 / 3:  # sparse: a sheet begun
                if rng.random() < 0.5:
                    data["stakes"] = [rng.choice(themes)]
                sheets.append(data)
                continue
            for field in ("stakes", "brings", "seeks"):
                if rng.random() < 0.85:
                    data[field] = rng.sample(themes, rng.randint(1, 4))
            if side == "south" and rng.random() < 1 / 8:
                data["motivations"] = ["financial"]
            elif rng.random() < 0.7:
                data["motivations"] = rng.sample(motivations, rng.randint(1, 3))
            if rng.random() < 0.5:
                data["networks"] = rng.sample(networks, rng.randint(1, 2))
            data["actors"] = []
            for kind in rng.sample(actors, rng.randint(0, 3)):
                links = []
                if rng.random() < 0.3:
                    link = {"country": rng.choice(countries[other])}
                    if rng.random() < 0.5:
                        link["place"] = rng.choice(names[other])
                    links.append(link)
                data["actors"].append({"kind": kind, "links": links})
            if rng.random() < 0.2:
                data["partnerships"] = rng.sample(names[other], rng.randint(1, 3))
            chosen = rng.sample(questions, rng.randint(0, min(8, len(questions))))
            data["answers"] = {q: rng.choice(kb.questions[q].option_ids()) for q in chosen}
            sheets.append(data)
    return sheets


def write_csv(path: Path, sheets: list[dict], kb) -> None:
    from coopdec_expert.matching.table import template_header

    header = template_header(kb)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        for data in sheets:
            row = []
            for column in header:
                value = data.get(column)
                if column == "actors":
                    value = " | ".join(
                        a["kind"]
                        + (
                            ": "
                            + " + ".join(
                                f"{link['country']} / {link.get('place') or ''}".rstrip(" /")
                                for link in a["links"]
                            )
                            if a["links"]
                            else ""
                        )
                        for a in data.get("actors", [])
                    )
                elif isinstance(value, list):
                    value = " | ".join(value)
                elif value is None:
                    value = data.get("answers", {}).get(column, "")
                row.append(value)
            writer.writerow(row)


def best_of(repeat: int, run):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--north", type=int, default=1000)
    parser.add_argument("--south", type=int, default=1000)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from coopdec_expert.knowledge.lint import load_checked
    from coopdec_expert.matching.explain import proposals_for
    from coopdec_expert.matching.score import Matcher
    from coopdec_expert.matching.sheet import validate_sheet
    from coopdec_expert.matching.table import read_sheet_table

    kb = load_checked()
    raw = generate(kb, args.north, args.south)
    read_s, sheets = best_of(args.repeat, lambda: [validate_sheet(d, kb) for d in raw])
    encode_s, matcher = best_of(args.repeat, lambda: Matcher(sheets, kb))
    rank_s, tops = best_of(args.repeat, lambda: matcher.top_all(args.top))
    sample = [s.id for s in sheets[:: max(len(sheets) // 20, 1)]]
    explain_s, _ = best_of(
        args.repeat, lambda: [proposals_for(matcher, i, args.top) for i in sample]
    )
    from coopdec_expert.matching.explain import Explainer

    everything_s, _ = best_of(1, lambda: Explainer(matcher).register(tops))
    pairs = len(matcher.north.sheets) * len(matcher.south.sheets)
    proposed = sum(len(v) for v in tops.values())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sheets.csv"
        write_csv(path, raw, kb)
        table_s, table = best_of(1, lambda: read_sheet_table(path, path.name, kb))
    print(f"cpus: {os.cpu_count()}  sheets: {args.north} North x {args.south} South")
    print(f"validate sheets     {read_s:7.3f} s")
    print(f"encode (Matcher)    {encode_s:7.3f} s")
    print(f"rank all pairs      {rank_s:7.3f} s   ({pairs:,} pairs, {proposed:,} proposals)")
    print(f"encode + rank       {encode_s + rank_s:7.3f} s   (the issue's budget: 2 s)")
    print(
        f"explain one sheet   {explain_s / len(sample):7.3f} s   "
        f"(top {args.top}, mean of {len(sample)} sheets)"
    )
    print(
        f"explain everything  {everything_s:7.3f} s   ({proposed:,} proposals, every sheet's top "
        f"{args.top})"
    )
    print(
        f"read CSV table      {table_s:7.3f} s   ({len(table.sheets)} sheets, "
        f"{len(table.errors)} row errors)"
    )


if __name__ == "__main__":
    main()
