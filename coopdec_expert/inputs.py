"""Guards for files people send: YAML and JSON parsed with caps, values shortened in messages.

A profile or a table may come from anyone (an upload in the app, a file by e-mail). What a tiny
file could cost is refused while parsing, before objects are built: YAML aliases and anchors
(the "billion laughs" bomb), nesting deeper than MAX_DEPTH (Python would crash with
RecursionError), duplicate keys (the last one would silently win). Integers too long for
Python's `int()` become `TooLongNumber`, which validation then reports against its field.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode

MAX_DEPTH = 20  # a profile needs 3 levels (answers: {question: option}); a table item 3
MAX_NUMBER_DIGITS = 100  # Python refuses int() beyond 4,300 digits; no field needs 100
SHOWN_CHARS = 60  # how much of a value a message may quote
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LEAF = re.compile(r"\[\]|\{\}")
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}\n]')


def shorten(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value as a message may quote it: one line, control characters removed, at most
    `limit` characters (an ellipsis says that the rest was cut)."""
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object) -> str:
    """`repr` of a parsed value, shortened (an answer that is a list of a million items
    is not quoted in full)."""
    return shorten(repr(value))


class TooLongNumber:
    """An integer of more than MAX_NUMBER_DIGITS digits, kept as a marker: it is never a valid
    value, and validation names the field that holds it."""

    def __init__(self, digits: int):
        self.digits = digits

    def __repr__(self) -> str:
        return f"<number of {self.digits} digits>"

    __str__ = __repr__


class InputRefused(ValueError):
    """A file refused while parsing. `problem` names it (a catalogue key under
    `input.problem.`), `line`/`column` where it is (1-based) when known, `values` the rest."""

    def __init__(
        self, problem: str, line: int | None = None, column: int | None = None, **values: Any
    ):
        self.problem = problem
        self.line = line
        self.column = column
        self.values = values
        super().__init__(f"{problem} at line {line}, column {column}: {values}")


# --- YAML ------------------------------------------------------------------------------


class GuardedYamlLoader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps (a bad date is reported against its field instead
    of crashing the parser), refusing aliases, anchors, depth > MAX_DEPTH and duplicate keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise InputRefused("alias", mark.line + 1, mark.column + 1)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise InputRefused("depth", mark.line + 1, mark.column + 1, limit=MAX_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the constructor names it below
                    continue
                if duplicate:
                    mark = key_node.start_mark
                    raise InputRefused(
                        "duplicate_key", mark.line + 1, mark.column + 1, name=shorten(key)
                    )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        if isinstance(node, ScalarNode):
            digits = sum(char.isdigit() for char in node.value)
            if digits > MAX_NUMBER_DIGITS:
                return TooLongNumber(digits)
        return super().construct_yaml_int(node)


GuardedYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
GuardedYamlLoader.add_constructor("tag:yaml.org,2002:int", GuardedYamlLoader.construct_yaml_int)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the guards above; raises InputRefused or yaml.YAMLError."""
    return yaml.load(text, Loader=GuardedYamlLoader)  # noqa: S506 - a SafeLoader subclass


# --- JSON ------------------------------------------------------------------------------


class DuplicateKeys(dict):
    """A JSON object in which some keys were given twice (`duplicates`, in order): kept as a
    marker so that a table can report the item instead of refusing the whole file."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    duplicates = []
    for key, value in pairs:
        if key in result:
            duplicates.append(key)
        result[key] = value
    if duplicates:
        marked = DuplicateKeys(result)
        marked.duplicates = duplicates
        return marked
    return result


def _integer(text: str) -> int | TooLongNumber:
    digits = len(text.lstrip("-"))
    return TooLongNumber(digits) if digits > MAX_NUMBER_DIGITS else int(text)


def _deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text nests more than `limit` levels, cheaply: strings removed, then
    brackets only, then the innermost pairs removed `limit` times (C-speed passes). Anything
    left is deeper nesting — or brackets that do not match, which json.loads then reports."""
    skeleton = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        if not skeleton:
            return False
        skeleton = _LEAF.sub("", skeleton)
    return bool(skeleton)


def _depth_position(text: str, limit: int) -> tuple[int | None, int | None]:
    """Line and column where nesting first exceeds `limit` (only computed to refuse)."""
    depth, line, line_start = 0, 1, 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            line, line_start = line + 1, match.end()
        elif token in "[{":
            depth += 1
            if depth > limit:
                return line, match.start() - line_start + 1
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")  # JSON strings hold no raw newline, but be safe
    return None, None


def load_json(text: str, duplicates: str = "refuse") -> Any:
    """Parse JSON text with the guards above. Duplicate keys raise InputRefused, or (with
    duplicates="mark") come back as DuplicateKeys objects. Raises json.JSONDecodeError for a
    syntax error."""
    too_deep = _deeper_than(text, MAX_DEPTH)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_integer)
    except RecursionError:
        too_deep = True
    if too_deep:
        raise InputRefused("depth", *_depth_position(text, MAX_DEPTH), limit=MAX_DEPTH)
    if duplicates == "refuse":
        first = _first_duplicate(data)
        if first is not None:
            raise InputRefused("duplicate_key", name=shorten(first))
    return data


def _first_duplicate(data: Any) -> str | None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, DuplicateKeys):
            return item.duplicates[0]
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
