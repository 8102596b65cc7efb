"""Mutants that no test can kill because they change nothing a person can observe in any
result (equivalent mutants), each with the reason. The runner prints the reason beside a
survivor it names; a survivor not listed here is a judgement no test pins."""

from __future__ import annotations

EQUIVALENT: dict[str, str] = {}
