"""One base class for the errors a person can cause — a bad profile, table, rules folder, case
file, example name, register URL, reference text: each message names the field, the value and
what is allowed, and the command line turns any of them into one line on stderr and exit code 2.
Subclasses keep what their message needs (problems, the file, a catalogue key)."""

from __future__ import annotations


class CoopdecError(ValueError):
    """An input the program cannot use (never a bug of the program)."""
