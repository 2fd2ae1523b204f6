"""A book's own stylesheet (``css:`` in book.yaml), read through the confined opener and
cleaned like the rest of an untrusted book: parsed with tinycss2 (WeasyPrint's own CSS
parser), only rules and declarations that style the text are kept.

Dropped, each with a ``sanitized`` warning at its line: ``@import`` and every at-rule but
``@media``, ``@page`` (and its margin boxes) and ``@supports``; any declaration whose value
holds a ``url()`` or ``image-set()`` (a book loads nothing, and its fonts are the
project's); ``behavior`` and ``-moz-binding``. What is kept is written back by tinycss2, with
``</`` escaped, so that the web edition's ``<style>`` can't be ended from inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import tinycss2  # type: ignore[import-untyped]
from tinycss2 import ast

from ..core.diagnostics import Diagnostics, Location

_KEPT_AT_RULES = frozenset({"media", "page", "supports"})
_PAGE_MARGINS = frozenset(
    f"{side}-{where}"
    for side, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for where in places
)
_LOADING_FUNCTIONS = frozenset({"url", "image-set", "-webkit-image-set", "image", "element"})
_ACTIVE_PROPERTIES = frozenset({"behavior", "-moz-binding"})


def clean_stylesheet(text: str, path: Path, diagnostics: Diagnostics) -> str:
    """``text`` (the stylesheet at ``path``) with what a book may not do taken out."""
    rules = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    kept = list(_rules(rules, path, diagnostics))
    written: str = tinycss2.serialize(kept)
    return written.replace("</", "<\\/")


def _rules(rules: Iterable[ast.Node], path: Path, diagnostics: Diagnostics) -> Iterator[ast.Node]:
    for rule in rules:
        if isinstance(rule, ast.ParseError):
            _warn(path, rule, f"CSS that can't be read ({rule.message}) is left out", diagnostics)
        elif isinstance(rule, ast.QualifiedRule):
            rule.content = _declarations(rule.content, path, diagnostics)
            yield rule
        elif isinstance(rule, ast.AtRule) and (kept := _at_rule(rule, path, diagnostics)):
            yield kept


def _at_rule(rule: ast.AtRule, path: Path, diagnostics: Diagnostics) -> ast.AtRule | None:
    name = rule.lower_at_keyword
    if name not in _KEPT_AT_RULES or rule.content is None:
        why = "a book loads nothing" if name == "import" else "it is not allowed in a book"
        _warn(path, rule, f"removed @{rule.at_keyword} ({why})", diagnostics)
        return None
    if name == "page":
        rule.content = _page(rule.content, path, diagnostics)
    else:
        inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
        rule.content = _spaced(_rules(inner, path, diagnostics))
    return rule


def _page(content: list[ast.Node], path: Path, diagnostics: Diagnostics) -> list[ast.Node]:
    """A ``@page`` rule's declarations and margin boxes (``@top-center { … }``)."""
    kept: list[ast.Node] = []
    for item in tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True):
        if isinstance(item, ast.AtRule) and item.lower_at_keyword in _PAGE_MARGINS:
            item.content = _declarations(item.content or [], path, diagnostics)
            kept.append(item)
        elif isinstance(item, ast.Declaration):
            kept.extend(_checked([item], path, diagnostics))
        else:
            _warn(path, item, "removed what a @page rule can't hold", diagnostics)
    return _spaced(kept)


def _declarations(content: list[ast.Node], path: Path, diagnostics: Diagnostics) -> list[ast.Node]:
    items = tinycss2.parse_blocks_contents(content, skip_comments=True, skip_whitespace=True)
    return _spaced(_checked(items, path, diagnostics))


def _checked(items: Iterable[ast.Node], path: Path, diagnostics: Diagnostics) -> Iterator[ast.Node]:
    for item in items:
        if not isinstance(item, ast.Declaration):
            _warn(path, item, "removed a rule nested in a declaration block", diagnostics)
        elif item.lower_name in _ACTIVE_PROPERTIES:
            _warn(path, item, f"removed '{item.name}' (it runs code)", diagnostics)
        elif _loads(item.value):
            _warn(path, item, f"removed '{item.name}': a book loads nothing (url())", diagnostics)
        else:
            yield item


def _loads(tokens: Iterable[ast.Node]) -> bool:
    for token in tokens:
        if isinstance(token, ast.URLToken):
            return True
        if isinstance(token, ast.FunctionBlock) and (
            token.lower_name in _LOADING_FUNCTIONS or _loads(token.arguments)
        ):
            return True
        blocks = ast.SquareBracketsBlock | ast.ParenthesesBlock | ast.CurlyBracketsBlock
        if isinstance(token, blocks) and _loads(token.content):
            return True
    return False


def _spaced(nodes: Iterable[ast.Node]) -> list[ast.Node]:
    """Nodes as serializable content, one after another (tinycss2 writes a declaration
    with its ``;``)."""
    out: list[ast.Node] = []
    for node in nodes:
        out += [node, ast.WhitespaceToken(node.source_line, node.source_column, " ")]
    return out


def _warn(path: Path, node: ast.Node, message: str, diagnostics: Diagnostics) -> None:
    where = Location(path, node.source_line, node.source_column)
    diagnostics.warning(where, message, "sanitized")
