"""Write a preset dictionary for packing the register's records (not a test; run once per new
dictionary, never to change an existing one).

    uv run python bench/make_packing_dictionary.py coopdec_expert/screening/dictionaries/v2.txt

zlib compresses a record better when it starts from text like it: the dictionary is the JSON of
two shipped examples' French results and of one profile (the texts, ids and keys that every
result repeats), its last 32 KB (zlib's window). Chosen among every pair of examples as the one
that packed 120 generated realistic rows smallest (profile + result: 5,170 bytes with zlib
alone, 2,462 with this dictionary). A record names its dictionary by the Adler-32 zlib writes in
its header, so a dictionary, once records use it, must never change: add a new file instead,
and point store.PACKING_DICTIONARY at it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLES = ["bousse_cooperation_container.yaml", "ziniare_recherche_de_partenaire.yaml"]
WINDOW = 32 * 1024


def dictionary() -> bytes:
    from coopdec_expert.engine.assess import default_assessor
    from coopdec_expert.profile import load_profile

    assessor = default_assessor()
    profiles = [load_profile(ROOT / "examples" / name, assessor.kb) for name in EXAMPLES]
    texts = [assessor.assess(p, "fr").model_dump_json() for p in profiles]
    return (("".join(texts) + profiles[0].model_dump_json()).encode("utf-8"))[-WINDOW:]


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if target.exists():
        sys.exit(f"{target} exists: a dictionary is never changed once records use it")
    target.write_bytes(dictionary())
    print(f"{target}: {target.stat().st_size} bytes")
