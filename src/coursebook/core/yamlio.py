"""YAML that remembers where each value came from, and refuses what a book never needs.

PyYAML's ``safe_load`` returns plain values and forgets their lines, so a schema error could not
say ``book.yaml:12``. We compose the node graph with the safe loader instead and keep each node's
position. Aliases are refused outright: a book has no use for them, and they are the way to a
"billion laughs" expansion (SECURITY-NOTES.md). Tags outside the safe set (``!!python/...``) are
errors, never constructors.
"""

from __future__ import annotations

import re
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
    keys: dict[str, Location] | None = None
    """For a mapping, where each key is written (a message about a key points at it)."""

    def plain(self) -> Any:
        """The value with the positions stripped, all the way down."""
        if isinstance(self.value, dict):
            return {key: node.plain() for key, node in self.value.items()}
        if isinstance(self.value, list):
            return [node.plain() for node in self.value]
        return self.value


MAX_DEPTH = 40
"""Collections nested deeper than this are refused. PyYAML composes nodes recursively, so
10,000 nested brackets would end in a RecursionError; a book's YAML never nests more than a
handful of levels."""


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, minus aliases, and refusing nesting past :data:`MAX_DEPTH`."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in a book", event.start_mark
            )
        if self.check_event(yaml.CollectionStartEvent) and self.depth >= MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class YamlError(Exception):
    def __init__(self, location: Location, message: str, excerpt: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.message = message
        self.excerpt = excerpt


def load_yaml(
    text: str, path: Path, diagnostics: Diagnostics, first_line: int = 1, fast: bool = True
) -> Node | None:
    """Parse one YAML document; report problems and return None when it can't be read.

    ``first_line`` is the line of the file where ``text`` starts (front matter starts at 2).
    ``fast`` reads with libyaml's C parser when PyYAML has it (a sources file of 50,000
    entries: seconds instead of minutes; the front matter of 160 lessons: 0.6 s of PyYAML's
    Python scanner under the profiler); whatever it can't read is read again the usual way,
    so problems are reported exactly as without it.
    """
    if fast:
        root = _load_fast(text, path, first_line)
        if root is not None:
            return root
    try:
        return _load(text, path, first_line)
    except YamlError as error:
        diagnostics.error(error.location, error.message, "yaml", excerpt=error.excerpt)
        return None


class _NotFast(Exception):
    """The fast reader leaves this text to the usual one."""


# Where an alias may be: a '*' starting a value (or one inside quoted or block text, which
# costs no more than the check of the node graph below).
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,])\*", re.MULTILINE)


def _load_fast(text: str, path: Path, first_line: int) -> Node | None:
    """The document read by libyaml, or None when it is empty, has any problem, or has
    anything the usual reader refuses (aliases, deep nesting, characters YAML forbids, tabs)."""
    if not yaml.__with_libyaml__ or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    if "\t" in text:  # libyaml takes a tab after "key:" that PyYAML refuses: one reading
        return None
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if _MAYBE_ALIAS.search(text):
            _refuse_aliases(root)
        return _convert(loader, root, path, first_line, deepest=MAX_DEPTH)
    except (yaml.YAMLError, YamlError, _NotFast, ValueError, TypeError):
        return None
    finally:
        loader.dispose()


def _refuse_aliases(root: yaml.Node) -> None:
    """Leave a node graph with aliases to the usual reader (which says where they are).

    libyaml resolves an alias to the very node its anchor names: an alias is a node met
    twice. (libyaml stops at 1,000 levels of nesting, so its own recursion is safe; the
    graph is walked here without recursion.)
    """
    seen: set[int] = set()
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise _NotFast
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for pair in node.value:
                stack.extend(pair)


def _load(text: str, path: Path, first_line: int) -> Node | None:
    try:
        loader = _NoAliasLoader(text)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as error:
        raise _unreadable(error, text, path, first_line) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        return _convert(loader, root, path, first_line)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = _location(path, mark, first_line)
        lines = text.splitlines()
        excerpt = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
        raise YamlError(location, plain_words(error, excerpt), excerpt) from None
    except yaml.reader.ReaderError as error:
        raise _unreadable(error, text, path, first_line) from None
    except yaml.YAMLError as error:  # errors without a position
        problem = " ".join(str(error).split())  # one line
        raise YamlError(Location(path, first_line), f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()


# PyYAML's words for what went wrong, and an author's: what it is and the usual fix.
_PLAIN = (
    (
        "found character '\\t' that cannot start any token",
        "a tab: YAML indents with spaces only; replace the tab with spaces",
    ),
    (
        "mapping values are not allowed here",
        "a colon followed by a space inside a value: put the whole value in quotes "
        '("…"), or indent it if it belongs to the line above',
    ),
    (
        "expected <block end>, but found '<block sequence start>'",
        "this list item is not lined up with the lines above: indent the items of a list "
        "the same, under their key",
    ),
    (
        "expected <block end>, but found '<block mapping start>'",
        "this line is indented more than the keys around it: keys of one mapping line up",
    ),
    (
        "expected <block end>, but found",
        "this line doesn't line up with the lines above: check its indentation",
    ),
    (
        "could not find expected ':'",
        "a key without its colon, or a value that goes on to the next line without being "
        "indented or quoted",
    ),
    (
        "did not find expected key",
        "this line is indented differently from the keys around it",
    ),
    (
        "did not find expected '-' indicator",
        "a list goes on here without '- ' before the item",
    ),
    (
        "found unexpected end of stream",
        "a quotation mark or bracket opened and never closed",
    ),
    (
        "found unknown escape character",
        "a backslash inside double quotes: write \\\\ or use single quotes",
    ),
    (
        "expected ',' or ']'",
        "a list in [brackets] not closed, or a comma missing between its items",
    ),
    (
        "expected ',' or '}'",
        "a mapping in {braces} not closed, or a comma missing between its keys",
    ),
    (
        "that cannot start any token",
        "a value can't begin with this character: put the value in quotes",
    ),
)


def plain_words(error: yaml.MarkedYAMLError, excerpt: str) -> str:
    """What a YAML syntax error means, in an author's words (PyYAML's after them)."""
    problem = error.problem or error.context or "invalid YAML"
    said = " ".join(str(problem).split())
    for words, meaning in _PLAIN:
        if words in said:
            return f"invalid YAML: {meaning} (YAML says: {said})"
    return f"invalid YAML: {said}"


def _unreadable(
    error: yaml.reader.ReaderError, text: str, path: Path, first_line: int
) -> YamlError:
    """A character YAML doesn't allow (NUL, most control characters), at its place."""
    where = _position(path, text, max(0, min(error.position, len(text))), first_line)
    character = error.character
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return YamlError(where, f"invalid YAML: the character U+{code:04X} is not allowed in YAML")


def _location(path: Path, mark: Any, first_line: int) -> Location:
    if mark is None:
        return Location(path, first_line)
    return Location(path, mark.line + first_line, mark.column + 1)


def _position(path: Path, text: str, offset: int, first_line: int) -> Location:
    """The line and column of the character at ``offset`` in ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Location(path, first_line + text.count("\n", 0, offset), offset - line_start + 1)


_STR = "tag:yaml.org,2002:str"
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _convert(
    loader: yaml.SafeLoader | yaml.CSafeLoader,
    node: yaml.Node,
    path: Path,
    first_line: int,
    deepest: int | None = None,
) -> Node:
    """Our node for PyYAML's. A collection more than ``deepest`` levels down (the fast
    reader's graph: the usual reader refused it while composing) is an error."""
    location = _location(path, node.start_mark, first_line)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_COLLECTIONS:
        # Scalars with unknown tags are refused by the safe constructor; collections are
        # built here, so their tags are checked here.
        raise YamlError(location, f"invalid YAML: the tag {node.tag} is not allowed")
    if isinstance(node, yaml.ScalarNode):
        return Node(_scalar(loader, node, location), location)
    if deepest is not None and deepest <= 0:
        raise YamlError(location, f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
    below = deepest - 1 if deepest is not None else None
    if isinstance(node, yaml.MappingNode):
        keys: dict[str, Location] = {}
        return Node(_convert_mapping(loader, node, path, first_line, below, keys), location, keys)
    return Node([_convert(loader, item, path, first_line, below) for item in node.value], location)


def _scalar(loader: yaml.SafeLoader | yaml.CSafeLoader, node: yaml.Node, location: Location) -> Any:
    if node.tag == _STR:  # most values: what the constructor would return, without it
        return node.value
    try:
        return loader.construct_object(node)
    except ValueError as error:
        if node.tag == "tag:yaml.org,2002:timestamp":
            # A date that doesn't exist (2026-02-30): PyYAML's datetime refuses it. It stays
            # text, and the schema that expects a date says what is wrong with it.
            return str(node.value)
        raise YamlError(location, f"invalid YAML value '{node.value}': {error}") from None


def _convert_mapping(
    loader: yaml.SafeLoader | yaml.CSafeLoader,
    node: yaml.MappingNode,
    path: Path,
    first_line: int,
    deepest: int | None = None,
    keys: dict[str, Location] | None = None,
) -> dict[str, Node]:
    result: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            location = _location(path, key_node.start_mark, first_line)
            raise YamlError(location, "keys must be plain names")
        key = key_node.value if key_node.tag == _STR else str(loader.construct_object(key_node))
        if key in result:
            location = _location(path, key_node.start_mark, first_line)
            raise YamlError(location, f"duplicate key '{key}'")
        result[key] = _convert(loader, value_node, path, first_line, deepest)
        if keys is not None:
            keys[key] = _location(path, key_node.start_mark, first_line)
    return result
