"""Hostile inputs (issue 14): the reproducers' time and peak memory, and a long fuzz run (not a
test; the suite runs the same checks, bounded, in tests/test_fuzz_inputs.py).

    uv run python bench/bench_hostile_inputs.py                  # reproducers + 5,000 fuzzed
    uv run python bench/bench_hostile_inputs.py --fuzz 20000     # a longer fuzz run

Each reproducer runs in a fresh subprocess that reads the input exactly as `coopdec assess`
(profiles) or `coopdec screen` (tables, every row read and validated) do, and reports its own
peak memory (getrusage), so that the worst input's figure is its own. The baseline is a valid
profile and a valid table: the difference is what a hostile input costs.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def alias_bomb(levels: int = 9) -> str:
    lines = ["answers:", '  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        lines.append(f"  l{level}: &l{level} [{','.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


SHARED = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _workbook_with_sheet(write_sheet, write_strings=None) -> bytes:
    """A workbook made by openpyxl whose first sheet is written by `write_sheet(member)`, and
    its table of shared texts by `write_strings(member)` if given."""
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(item.filename, "w", force_zip64=True) as member:
                    write_sheet(member)
                continue
            if item.filename == "[Content_Types].xml" and write_strings is not None:
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(item, data)
        if write_strings is not None:
            with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
                write_strings(member)
    return out.getvalue()


SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def xlsx_zip_bomb(megabytes: int = 2400) -> bytes:
    """A sheet of `megabytes` MB of empty rows: a ~2.4 MB file, as in the issue."""

    def write(member) -> None:
        member.write(SHEET + b"<sheetData>")
        chunk = b"<row/>" * (1 << 17)
        for _ in range(megabytes * (1 << 20) // len(chunk)):
            member.write(chunk)
        member.write(b"</sheetData></worksheet>")

    return _workbook_with_sheet(write)


def xlsx_padding_bomb() -> bytes:
    """A tiny sheet declaring A1:XFD1048576 with two cells: openpyxl would pad 17 billion."""

    def write(member) -> None:
        member.write(SHEET + b'<dimension ref="A1:XFD1048576"/><sheetData>')
        member.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>')
        member.write(b'<c r="B1" t="inlineStr"><is><t>relationship.purpose</t></is></c></row>')
        member.write(b'<row r="1048576"><c r="XFD1048576"/></row></sheetData></worksheet>')

    return _workbook_with_sheet(write)


def xlsx_lying_dimension(rows: int = 200_000) -> bytes:
    """No dimension, rows whose last cell is in column XFD: padded row by row by openpyxl."""

    def write(member) -> None:
        member.write(SHEET + b"<sheetData>")
        member.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>')
        member.write(b'<c r="B1" t="inlineStr"><is><t>south_name</t></is></c></row>')
        for index in range(2, rows + 2):
            cells = f'<c r="A{index}" t="inlineStr"><is><t>r{index}</t></is></c>'
            cells += f'<c r="XFD{index}" t="inlineStr"><is><t>x</t></is></c>'
            member.write(f'<row r="{index}">{cells}</row>'.encode())
        member.write(b"</sheetData></worksheet>")

    return _workbook_with_sheet(write)


def xlsx_one_wide_row(megabytes: int = 90) -> bytes:
    """Under the caps (90 MB, compressed ~10 times): one row of ~7 million cells, which
    openpyxl would hold as one XML tree before reading any of it."""
    from openpyxl.utils import get_column_letter

    cycle = "".join(f'<c r="{get_column_letter(i)}2"/>' for i in range(1, 16385)).encode()

    def write(member) -> None:
        member.write(SHEET + b"<sheetData>")
        member.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c>')
        member.write(b'<c r="B1" t="inlineStr"><is><t>south_name</t></is></c></row><row r="2">')
        for _ in range(megabytes * (1 << 20) // len(cycle)):
            member.write(cycle)
        member.write(b'</row><row r="3"><c r="A3" t="inlineStr"><is><t>r3</t></is></c></row>')
        member.write(b"</sheetData></worksheet>")

    return _workbook_with_sheet(write)


def xlsx_many_texts(count: int = 4_000_000) -> bytes:
    """A table of 4 million short shared texts (~90 MB, under the size caps)."""

    def write_strings(member) -> None:
        member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for start in range(0, count, 10_000):
            texts = "".join(f"<si><t>{i}</t></si>" for i in range(start, start + 10_000))
            member.write(texts.encode())
        member.write(b"</sst>")

    def write_sheet(member) -> None:
        member.write(SHEET + b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>')
        member.write(b"</sheetData></worksheet>")

    return _workbook_with_sheet(write_sheet, write_strings)


HEADER = "id;south_name;south_country;relationship.purpose;context.political_stability\n"


def csv_rows(count: int) -> list[str]:
    return [f"r{i};Commune {i};Mali;projects;stable" for i in range(count)]


def _profile(text: str) -> bytes:
    return text.encode()


def _table(lines: list[str]) -> bytes:
    return (HEADER + "\n".join(lines)).encode()


def _with(lines: list[str], index: int, line: str) -> list[str]:
    lines[index] = line
    return lines


def reproducers() -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (file name, a function making its bytes): each reproducer of the issue and the
    baselines, made one at a time (the measuring process stays small)."""
    quoted = [f'r{i};"Commune {i};Mali;projects;stable' for i in range(50_000)]
    example = ROOT / "examples" / "koudougou_pret_a_conventionner.yaml"
    return {
        "baseline: valid profile": ("p.yaml", example.read_bytes),
        "baseline: valid table, 100,000 rows": ("t.csv", lambda: _table(csv_rows(100_000))),
        "YAML alias bomb (9 levels)": ("p.yaml", lambda: _profile(alias_bomb())),
        "YAML nested 500 levels": ("p.yaml", lambda: _profile("answers: " + "[" * 500 + "]" * 500)),
        "JSON nested 1,000 levels": (
            "p.json",
            lambda: _profile('{"answers": ' + "[" * 1000 + "]" * 1000 + "}"),
        ),
        "JSON nested 500,000 levels": ("p.json", lambda: b"[" * 500_000 + b"]" * 500_000),
        "integer of 5,000 digits": ("p.yaml", lambda: _profile(f"id: {'9' * 5000}\nanswers: {{}}")),
        "CSV unclosed quote, 100,000 rows": (
            "t.csv",
            lambda: _table(_with(csv_rows(100_000), 10, 'r10;"Commune 10;Mali;projects;stable')),
        ),
        "CSV a quote opened on 50,000 lines": ("t.csv", lambda: _table(quoted)),
        "CSV cell of 200,000 characters": (
            "t.csv",
            lambda: _table(_with(csv_rows(1000), 5, "r5;" + "x" * 200_000 + ";Mali;projects;s")),
        ),
        "JSON table nested 1,000,000 levels": ("t.json", lambda: b"[" * 10**6 + b"]" * 10**6),
        "XLSX zip bomb (2.4 GB in the zip)": ("t.xlsx", xlsx_zip_bomb),
        "XLSX declaring A1:XFD1048576": ("t.xlsx", xlsx_padding_bomb),
        "XLSX 200,000 rows ending at XFD": ("t.xlsx", xlsx_lying_dimension),
        "XLSX one row of 7 million cells": ("t.xlsx", xlsx_one_wide_row),
        "XLSX 4 million shared texts": ("t.xlsx", xlsx_many_texts),
    }


def peak_mb() -> float:
    """This process's peak resident memory. On Linux VmHWM (ru_maxrss would include the
    memory of the parent at fork time, kept across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def read_once(name: str, data: bytes) -> dict:
    """Read one input as the CLI does; its outcome, time and this process's peak memory."""
    from coopdec_expert.knowledge.lint import load_checked
    from coopdec_expert.profile import ProfileError, profile_from_bytes
    from coopdec_expert.screening.table import RequestTable, TableError

    kb = load_checked()
    before = peak_mb()
    start = time.perf_counter()
    outcome, message = "accepted", ""
    try:
        if name.startswith("p."):
            profile_from_bytes(name, data, kb, "en")
        else:
            read = rejected = 0
            with RequestTable(data, name, kb, "en") as table:
                for row in table.rows():  # streamed, as the batch does
                    read += row.profile is not None
                    rejected += row.profile is None
                    if row.profile is None and not message:
                        message = row.problems[0].problem
            outcome = f"{read} read, {rejected} rejected"
    except (ProfileError, TableError) as error:
        outcome, message = "refused", str(error)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "outcome": outcome,
        "message": message[:110],
        "peak_mb": peak_mb(),
        "before_mb": before,
    }


def _measure(key: str, folder: Path, name: str, data: bytes) -> dict:
    path = folder / f"{abs(hash(key))}-{name}"
    path.write_bytes(data)
    command = [sys.executable, __file__, "--one", str(path), "--name", name]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "bytes": len(data)}


def fuzz(count: int) -> dict:
    """`count` generated profiles and `count` generated tables through the suite's checks."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from coopdec_expert.knowledge.lint import load_checked
    from tests.fuzz_inputs import check_profile, check_table, profile_files, table_files

    kb = load_checked()
    tally: dict[str, int] = {}
    crashes: list[str] = []
    options = settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )

    def run(kind: str, check, file, lang: str) -> None:
        name, data = file
        try:
            outcome = check(name, data, kb, lang)
        except Exception as error:  # noqa: BLE001 - a crash is what is counted
            outcome = "crash"
            crashes.append(f"{kind}: {type(error).__name__}: {str(error)[:200]} ({data[:80]!r})")
        tally[f"{kind} {outcome}"] = tally.get(f"{kind} {outcome}", 0) + 1

    given(profile_files(), st.sampled_from(["fr", "en"]))(
        settings(options)(lambda file, lang: run("profile", check_profile, file, lang))
    )()
    given(table_files())(settings(options)(lambda file: run("table", check_table, file, "en")))()
    return {"inputs": sum(tally.values()), "tally": tally, "crashes": crashes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fuzz", type=int, default=5000, help="inputs of each kind")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(read_once(args.name, Path(args.one).read_bytes())))
        return
    import tempfile

    print(f"{'input':<38} {'bytes':>10} {'seconds':>8} {'peak MB':>8}  outcome")
    worst = ("", 0.0)
    with tempfile.TemporaryDirectory() as folder:
        for key, (name, make) in reproducers().items():
            r = _measure(key, Path(folder), name, make())
            print(f"{key:<38} {r['bytes']:>10} {r['seconds']:>8} {r['peak_mb']:>8}  {r['outcome']}")
            print(f"{'':<38} {r['message']}")
            if not key.startswith("baseline") and r["peak_mb"] > worst[1]:
                worst = (key, r["peak_mb"])
    print(f"worst peak memory: {worst[1]} MB ({worst[0]})")
    started = time.perf_counter()
    result = fuzz(args.fuzz)
    print(
        f"fuzz: {result['inputs']} inputs in {time.perf_counter() - started:.0f} s, "
        f"{len(result['crashes'])} crashes; {json.dumps(result['tally'], sort_keys=True)}"
    )
    for crash in result["crashes"][:20]:
        print("  crash:", crash)


if __name__ == "__main__":
    main()
