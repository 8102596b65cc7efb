"""Bytes per assessment in the register (not a test).

    uv run python bench/bench_register.py                       # 600 realistic rows, SQLite
    uv run python bench/bench_register.py --postgres URL        # the same rows on PostgreSQL too

Rows are those of bench_screening.py (fixed seed; a third sparse, the rest middling), screened
as `coopdec screen --no-reports` does, into a new register. SQLite: the file's size after
VACUUM, divided by the number of records. PostgreSQL: the size of every table of the database's
public schema with its indexes and TOAST (pg_total_relation_size) after VACUUM FULL, divided the
same way. Both include the indexes; the empty register's size is subtracted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_screening import generate  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402


def sqlite_bytes(path: Path) -> int:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM")
    engine.dispose()
    return path.stat().st_size


def postgres_bytes(url: str) -> int:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM FULL")
        total = connection.execute(
            text(
                "select coalesce(sum(pg_total_relation_size(oid)), 0) from pg_class "
                "where relnamespace = 'public'::regnamespace and relkind = 'r'"
            )
        ).scalar()
    engine.dispose()
    return int(total)


def screen_into(source: Path, url: str, workers: int) -> int:
    from coopdec_expert.knowledge.lint import load_checked
    from coopdec_expert.screening.run import ScreenOptions, screen_requests
    from coopdec_expert.screening.table import RequestTable

    kb = load_checked()
    options = ScreenOptions(reports=False, workers=workers, store_url=url)
    with RequestTable(source, source.name, kb, "fr") as table:
        return screen_requests(table, kb, options).stored


def empty_register(url: str) -> None:
    from coopdec_expert.screening.store import Store

    Store(url).close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mix", default="realistic", choices=["realistic", "complete"])
    parser.add_argument("--postgres", help="an empty PostgreSQL database's SQLAlchemy URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "requests.csv"
        generate(source, args.rows, args.mix)
        path = Path(folder) / "register.sqlite"
        empty_register(f"sqlite:///{path}")
        empty = sqlite_bytes(path)
        stored = screen_into(source, f"sqlite:///{path}", args.workers)
        size = sqlite_bytes(path) - empty
        print(f"SQLite: {stored} records, {size:,} bytes, {size / stored:,.0f} per assessment")
        if args.postgres:
            empty_register(args.postgres)
            empty = postgres_bytes(args.postgres)
            stored = screen_into(source, args.postgres, args.workers)
            size = postgres_bytes(args.postgres) - empty
            print(
                f"PostgreSQL: {stored} records, {size:,} bytes, {size / stored:,.0f} per assessment"
            )


if __name__ == "__main__":
    main()
