"""Parsing: each lesson's Markdown to one XHTML fragment, once, for every output format.

For each lesson::

    text with [@key] citations ─ extract_citations ─▶ text with placeholders
        ─ Python-Markdown ─▶ HTML ─ sanitize (nh3) ─▶ tree
        ─ footnotes out, headings shifted, ids namespaced, images and links resolved ─▶ XHTML

Note calls stay as placeholders in the XHTML (citations: ``\\ue000N\\ue001``, authored footnotes:
``\\ue002N\\ue003``); the notes stage numbers them per chapter and the renderer replaces them.

The modules, top to bottom: :mod:`.book` (:func:`parse_book`: every lesson, then the links
between them), :mod:`.markdown_parser` (a lesson's Markdown to a clean tree),
:mod:`.draft` (one lesson's tree worked into its finished form), :mod:`.tree` (small helpers
on the tree) and :mod:`.parsed` (what parsing gives: :class:`ParsedLesson` and its parts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .parsed import CALL, Footnote, Image, ParsedLesson

if TYPE_CHECKING:
    from .book import glossary_definitions, parse_book


def __getattr__(name: str) -> Any:
    """The parser itself imported when first asked for: what it gives (:mod:`.parsed`) is
    needed without it, by the layout's worker processes unpickling a rendered book (the
    parser's imports, Python-Markdown and the citation grammar, were 0.08 s of their
    start, which an edit's build waits for)."""
    if name in ("glossary_definitions", "parse_book"):
        from . import book

        return getattr(book, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CALL",
    "Footnote",
    "Image",
    "ParsedLesson",
    "glossary_definitions",
    "parse_book",
]
