"""YAML that remembers where each value came from, and refuses what a book never needs.

PyYAML's ``safe_load`` returns plain values and forgets their lines, so a schema error could not
say ``book.yaml:12``. We compose the node graph with the safe loader instead and keep each node's
position. Aliases are refused outright: a book has no use for them, and they are the way to a
"billion laughs" expansion (SECURITY-NOTES.md). Tags outside the safe set (``!!python/...``) are
errors, never constructors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostics, Location


@dataclass(frozen=True, slots=True)
class Node:
    """A YAML value with its place in the file.

    ``value`` is a plain scalar (str, int, float, bool, None, date, datetime), a
    ``dict[str, Node]`` for a mapping or a ``list[Node]`` for a sequence.
    """

    value: Any
    location: Location

    def plain(self) -> Any:
        """The value with the positions stripped, all the way down."""
        if isinstance(self.value, dict):
            return {key: node.plain() for key, node in self.value.items()}
        if isinstance(self.value, list):
            return [node.plain() for node in self.value]
        return self.value


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, minus aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in a book", event.start_mark
            )
        return super().compose_node(parent, index)


class YamlError(Exception):
    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def load_yaml(text: str, path: Path, diagnostics: Diagnostics, first_line: int = 1) -> Node | None:
    """Parse one YAML document; report problems and return None when it can't be read.

    ``first_line`` is the line of the file where ``text`` starts (front matter starts at 2).
    """
    try:
        return _load(text, path, first_line)
    except YamlError as error:
        diagnostics.error(error.location, error.message, "yaml")
        return None


def _load(text: str, path: Path, first_line: int) -> Node | None:
    try:
        loader = _NoAliasLoader(text)
    except yaml.reader.ReaderError as error:  # a character YAML refuses (ESC, DEL, C1…)
        where = _position(path, text, error.position, first_line)
        problem = str(error).split("\n", 1)[0]  # the rest names PyYAML's "<unicode string>"
        raise YamlError(where, f"invalid YAML: {problem}") from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        return _convert(loader, root, path, first_line)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = _location(path, mark, first_line)
        problem = error.problem or error.context or "invalid YAML"
        raise YamlError(location, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as error:  # errors without a position (e.g. bad encoding)
        problem = " ".join(str(error).split())  # one line
        raise YamlError(Location(path, first_line), f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()


def _location(path: Path, mark: Any, first_line: int) -> Location:
    if mark is None:
        return Location(path, first_line)
    return Location(path, mark.line + first_line, mark.column + 1)


def _position(path: Path, text: str, offset: int, first_line: int) -> Location:
    """The line and column of the character at ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Location(path, first_line + text.count("\n", 0, offset), offset - line_start + 1)


_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: Path, first_line: int) -> Node:
    location = _location(path, node.start_mark, first_line)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTIONS:
        # Scalars with unknown tags are refused by the safe constructor; collections are
        # built here, so their tags are checked here.
        raise YamlError(location, f"invalid YAML: the tag {node.tag} is not allowed")
    if isinstance(node, yaml.MappingNode):
        return Node(_convert_mapping(loader, node, path, first_line), location)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(loader, item, path, first_line) for item in node.value], location)
    return Node(loader.construct_object(node), location)


def _convert_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, path: Path, first_line: int
) -> dict[str, Node]:
    result: dict[str, Node] = {}
    for key_node, value_node in node.value:
        key_location = _location(path, key_node.start_mark, first_line)
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlError(key_location, "keys must be plain names")
        key = str(loader.construct_object(key_node))
        if key in result:
            raise YamlError(key_location, f"duplicate key '{key}'")
        result[key] = _convert(loader, value_node, path, first_line)
    return result
