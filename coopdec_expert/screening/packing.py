"""How the register keeps a profile and a result: JSON packed with zlib from a preset
dictionary, and the content hash that keys a record. Apart from the store (SQLAlchemy) so that
a batch's worker processes pack their results without loading it.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from functools import cache
from pathlib import Path

from pydantic import BaseModel

from ..profile import Profile

# zlib starts from a preset dictionary, text like the records' (bench/make_packing_dictionary.py):
# a record's profile and result, ~15-25 KB of JSON, take ~2.5 KB instead of ~5 KB with zlib
# alone. A record names
# its dictionary by the Adler-32 in its zlib header, so a dictionary is never changed once used:
# a new one is a new file, and this names it.
DICTIONARIES = Path(__file__).with_name("dictionaries")
PACKING_DICTIONARY = "v2.txt"
_FDICT = 0x20  # the zlib header's flag: a preset dictionary, its Adler-32 in the next 4 bytes


@cache
def _dictionaries() -> dict[int, bytes]:
    """Every dictionary shipped, by the Adler-32 that records packed with it carry."""
    return {zlib.adler32(data): data for data in map(Path.read_bytes, DICTIONARIES.glob("*.txt"))}


@cache
def _packing_dictionary() -> bytes:
    return (DICTIONARIES / PACKING_DICTIONARY).read_bytes()


def pack(text: str) -> bytes:
    """JSON text as the register keeps it: zlib from the packing dictionary, at zlib's default
    level (measured on realistic records: 1% larger than level 9, 30% less time — packing runs
    twice per screened request)."""
    packer = zlib.compressobj(6, zdict=_packing_dictionary())
    return packer.compress(text.encode("utf-8")) + packer.flush()


def unpack(data: bytes) -> str:
    """The JSON text of a record: packed with a dictionary, or with zlib alone (the records
    copied by migration 0002)."""
    if len(data) >= 6 and data[1] & _FDICT:
        dictionary = _dictionaries()[int.from_bytes(data[2:6], "big")]
        unpacker = zlib.decompressobj(zdict=dictionary)
        return (unpacker.decompress(data) + unpacker.flush()).decode("utf-8")
    return zlib.decompress(data).decode("utf-8")


def content_hash(model: BaseModel) -> str:
    """Hash of a model's content, independent of key order (a record's key in the register)."""
    data = model.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def profile_hash(profile: Profile) -> str:
    """Hash of the answers and metadata, independent of key order."""
    return content_hash(profile)
