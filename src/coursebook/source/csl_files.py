"""The YAML and JSON sources files (CSL-YAML, CSL-JSON) as entries of plain data, each with
where it is: the line of each entry and, in YAML, of each of its fields."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics, Location
from ..core.yamlio import MAX_DEPTH, Node, load_yaml


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry of a YAML or JSON sources file, as plain data, with where it is."""

    value: Any
    """A mapping of CSL fields, or whatever else the file holds in its place."""
    location: Location
    places: Mapping[str, Location]
    """Where the value of each field is, when the format tells (YAML)."""

    def place(self, name: str) -> Location:
        return self.places.get(name, self.location)


def _yaml_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[_Entry]:
    root = load_yaml(text, path, diagnostics, fast=True)
    if root is None:
        return []
    if isinstance(root.value, dict) and "references" in root.value:
        root = root.value["references"]
    if not isinstance(root.value, list):
        diagnostics.error(
            root.location,
            "the sources file must be a list of entries (or 'references:' holding one)",
            "sources-format",
        )
        return []
    return [_yaml_entry(node) for node in root.value]


def _yaml_entry(node: Node) -> _Entry:
    if not isinstance(node.value, dict):
        return _Entry(node.plain(), node.location, {})
    fields: dict[str, Node] = node.value
    return _Entry(
        {name: value.plain() for name, value in fields.items()},
        node.location,
        {name: value.location for name, value in fields.items()},
    )


def _json_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[_Entry]:
    """CSL-JSON entries, each located at the line where its object starts."""
    lines, (depth, deepest_line) = _json_object_lines(text)
    if depth > MAX_DEPTH:  # json.loads would recurse until a RecursionError
        diagnostics.error(
            Location(path, deepest_line),
            f"invalid JSON: nested more than {MAX_DEPTH} levels deep",
            "json",
        )
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        diagnostics.error(
            Location(path, error.lineno, error.colno), f"invalid JSON: {error.msg}", "json"
        )
        return []
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        diagnostics.error(Location(path, 1), "CSL-JSON must be a list of entries", "sources-format")
        return []
    # The lines are those of the objects, in order: an element that is not one has none.
    object_lines = iter(lines)
    return [
        _Entry(item, Location(path, next(object_lines, 1) if isinstance(item, dict) else 1), {})
        for item in data
    ]


# A JSON string: it can't hold a line break, nor (unescaped) a quote.
_JSON_STRING = re.compile(r'"(?:[^"\\\n]++|\\.)*+"')
_BRACKET = re.compile(r"[\[\]{}]")


def _json_object_lines(text: str) -> tuple[list[int], tuple[int, int]]:
    """The line of each entry object (in the top array, or in the array of the top object's
    'references'), and the deepest nesting with its line.

    The standard json module keeps no positions, so we find where each object opens by
    following the brackets outside strings (the strings blanked out first, keeping lines).
    """
    bare = _JSON_STRING.sub('""', text)
    lines: list[int] = []
    entry_depth = 2 if bare.lstrip().startswith("{") else 1
    opened: list[str] = []
    deepest = (0, 0)
    line, counted = 1, 0
    for found in _BRACKET.finditer(bare):
        char = found.group()
        if char in "]}":
            if opened:
                opened.pop()
            continue
        depth = len(opened)
        is_entry = depth == entry_depth and char == "{" and opened[-1] == "["
        if is_entry or depth + 1 > deepest[0]:  # only then is its line needed
            line += bare.count("\n", counted, found.start())
            counted = found.start()
            if is_entry:
                lines.append(line)
            if depth + 1 > deepest[0]:
                deepest = (depth + 1, line)
        opened.append(char)
    return lines, deepest
