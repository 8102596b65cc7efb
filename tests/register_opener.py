"""A process that opens a register when told to (tests/test_register_schema.py starts several
at once): everything imported first, then it says it is ready (a file), waits for the start
file, opens the register (creating or upgrading it) and stores one assessment. Prints "ok N"
(N new records) or "error MESSAGE", exit code 0 or 1."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import alembic.command  # noqa: F401 - imported before the start, like the rest
import alembic.config  # noqa: F401

from coopdec_expert.screening.store import NewRecord, Store, StoreError, pack

WAIT_CEILING_S = 600  # a ceiling, not a pause: the start file usually comes at once


def main() -> int:
    url, ready, start, name = sys.argv[1:5]
    Path(ready).touch()
    deadline = time.monotonic() + WAIT_CEILING_S
    while not Path(start).exists():  # every opener waits here, then all go at once
        if time.monotonic() > deadline:
            print("error no start file")
            return 1
        time.sleep(0.002)
    try:
        store = Store(url, user_id=name)
        saved = store.save(
            [
                NewRecord(
                    partnership_id=name,
                    profile_hash="0" * 64,
                    rules_version="opener",
                    source_file="opener",
                    lang="fr",
                    verdict="ready",
                    next_step="action",
                    profile_z=pack("{}"),
                    result_z=pack("{}"),
                )
            ]
        )
        store.close()
    except StoreError as error:
        print(f"error {error}")
        return 1
    print(f"ok {saved.stored}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
