"""Pandoc's table captions for Python-Markdown: a paragraph ``Table: …`` (or ``: …``) right
before or after a table is its ``<caption>``, read as Markdown; ``{#tbl:name}`` at its end
labels the table.

Python-Markdown's ``tables`` extension knows no captions, and ``pymdownx.blocks.caption``
wants its own ``/// table-caption`` block. A caption line written directly under the last
row (as pandoc allows) is first set apart from the table, or the table would read it as a row.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import markdown
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

_CAPTION = re.compile(
    r"\A(?:Table)?:[ \t]+(?P<text>.+?)(?:[ \t]*\{#(?P<id>[^\s}]+)[^}]*\})?\s*\Z", re.S
)
_CAPTION_LINE = re.compile(r" {0,3}(?:Table)?:[ \t]+\S")
_ROW = re.compile(r" {0,3}[|+]")


class TableCaptions(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_Apart(md), "table_captions", 23)
        # Before the inline processor (20): the caption is still Markdown.
        md.treeprocessors.register(_Captions(md), "table_captions", 22)


class _Apart(Preprocessor):
    """A blank line between a table's rows and a caption line touching them."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for index, line in enumerate(lines):
            after_row = index > 0 and _ROW.match(lines[index - 1])
            before_row = index + 1 < len(lines) and _ROW.match(lines[index + 1])
            if _CAPTION_LINE.match(line) and (after_row or before_row):
                out += ["", line, ""] if after_row else [line, ""]
            else:
                out.append(line)
        return out


def _caption_text(element: ET.Element) -> str:
    """The text of a paragraph that may be a caption; ``def_list`` has already made a
    ``: caption`` after a blank line a definition without its term."""
    if element.tag == "dl" and len(element) == 1 and element[0].tag == "dd":
        inner = element[0]
        if len(inner) == 1 and inner[0].tag == "p":
            inner = inner[0]
        return "" if len(inner) or not inner.text else f": {inner.text}"
    if element.tag != "p" or len(element) or not element.text:
        return ""
    return element.text


class _Captions(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for parent in list(root.iter()):
            for table in [child for child in parent if child.tag == "table"]:
                _take_caption(parent, table)


def _take_caption(parent: ET.Element, table: ET.Element) -> None:
    """The caption paragraph after the table, else the one before it."""
    children = list(parent)
    index = children.index(table)
    for neighbour in (index + 1, index - 1):
        if 0 <= neighbour < len(children):
            paragraph = children[neighbour]
            match = _CAPTION.match(_caption_text(paragraph))
            if match is None:
                continue
            caption = ET.Element("caption")
            caption.text = match.group("text")
            table.insert(0, caption)
            if match.group("id"):
                table.set("id", match.group("id"))
            parent.remove(paragraph)
            return
