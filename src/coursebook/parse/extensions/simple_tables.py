"""Pandoc's simple and multiline tables for Python-Markdown. A simple table: a header line
over a line of dashes, one group of dashes per column, then a row per line until a blank
line; or, without a header, rows between two lines of dashes. A multiline table: the same
between a line of dashes above and one below, its rows of several lines separated by blank
lines. Columns are where the dashes are; a column's alignment is where its header sits over
them (flush left, flush right, centred), as pandoc decides it.

No Python-Markdown extension reads them, and indented four spaces or more (as such tables
often are) Python-Markdown would take them for code: this reader comes first."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import markdown
from markdown.blockprocessors import BlockProcessor

_DASHES = re.compile(r"-+")
_BORDER = re.compile(r"^[ \t]*-{3,}[ \t]*$")
"""A multiline table's top or bottom: one line of dashes, the table's width."""
_RULE_LINE = re.compile(r"^[ \t]*-{3,}(?:[ \t]+-{3,})+[ \t]*$")
"""Two groups of dashes or more: two columns at least (one is a setext heading or a rule)."""


class SimpleTables(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before indented code (80) and the setext headings (70) read its lines.
        md.parser.blockprocessors.register(_Simple(md.parser), "simple_table", 85)
        md.parser.blockprocessors.register(_Multiline(md.parser), "multiline_table", 86)


class _Simple(BlockProcessor):
    def test(self, parent: ET.Element, block: str) -> bool:
        return _layout(block.rstrip("\n").split("\n")) is not None

    def run(self, parent: ET.Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).rstrip("\n").split("\n")
        layout = _layout(lines)
        assert layout is not None
        header, rule, rows = layout
        columns = [(m.start(), m.end()) for m in _DASHES.finditer(lines[rule])]
        table = ET.SubElement(parent, "table")
        aligns = [_align(lines[header], span) if header is not None else "" for span in columns]
        if header is not None:
            row = ET.SubElement(ET.SubElement(table, "thead"), "tr")
            for text, align in zip(_cells(lines[header], columns), aligns, strict=True):
                _cell(row, "th", text, align)
        body = ET.SubElement(table, "tbody")
        for line in rows:
            row = ET.SubElement(body, "tr")
            for text, align in zip(_cells(line, columns), aligns, strict=True):
                _cell(row, "td", text, align)


class _Multiline(BlockProcessor):
    """Pandoc's multiline tables: a line of dashes above the header, the columns' dashes
    under it, rows of several lines each separated by a blank line, a line of dashes at the
    end. Each cell's lines are one paragraph."""

    def test(self, parent: ET.Element, block: str) -> bool:
        lines = block.rstrip("\n").split("\n")
        return (
            len(lines) >= 3
            and bool(_BORDER.match(lines[0]))
            and any(_RULE_LINE.match(line) for line in lines[2:])
        )

    def run(self, parent: ET.Element, blocks: list[str]) -> None:
        end = next(
            (i for i, b in enumerate(blocks) if _BORDER.match(b.rstrip("\n").split("\n")[-1])),
            None,
        )
        if end is None or (end == 0 and len(blocks[0].rstrip("\n").split("\n")) < 4):
            paragraph = ET.SubElement(parent, "p")  # never closed: as written (and warned)
            paragraph.text = blocks.pop(0)
            return
        chunks = [blocks.pop(0).rstrip("\n").split("\n") for _ in range(end + 1)]
        head = chunks[0]
        rule = next(i for i, line in enumerate(head) if _RULE_LINE.match(line))
        columns = [(m.start(), m.end()) for m in _DASHES.finditer(head[rule])]
        header = head[1:rule]
        rows = [head[rule + 1 :], *chunks[1:]]
        rows[-1] = rows[-1][:-1]  # the closing line of dashes
        aligns = [_align(header[0], span) if header else "" for span in columns]
        table = ET.SubElement(parent, "table")
        if header:
            _row(ET.SubElement(table, "thead"), "th", header, columns, aligns)
        body = ET.SubElement(table, "tbody")
        for lines in rows:
            if any(line.strip() for line in lines):
                _row(body, "td", lines, columns, aligns)


def _row(
    section: ET.Element,
    tag: str,
    lines: list[str],
    columns: list[tuple[int, int]],
    aligns: list[str],
) -> None:
    """A row of a multiline table: each cell's pieces of the lines, joined."""
    pieces = [_cells(line, columns) for line in lines]
    row = ET.SubElement(section, "tr")
    for index, align in enumerate(aligns):
        text = " ".join(cell[index] for cell in pieces if cell[index])
        _cell(row, tag, text, align)


def _layout(lines: list[str]) -> tuple[int | None, int, list[str]] | None:
    """(header line, dash line, row lines) of a simple table, or None."""
    if len(lines) >= 3 and _RULE_LINE.match(lines[1]) and lines[0].strip():
        return 0, 1, [line for line in lines[2:] if line.strip()]
    if len(lines) >= 3 and _RULE_LINE.match(lines[0]) and _RULE_LINE.match(lines[-1]):
        return None, 0, [line for line in lines[1:-1] if line.strip()]
    return None


def _cells(line: str, columns: list[tuple[int, int]]) -> list[str]:
    """A line cut at the columns: each from its dashes' start (the first from the line's
    start) to the next column's start (the last to the line's end)."""
    starts = [0] + [start for start, _ in columns[1:]]
    ends = [start for start, _ in columns[1:]] + [len(line)]
    return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]


def _align(header: str, span: tuple[int, int]) -> str:
    start, end = span
    if not header[start:end].strip():
        return ""  # no header over the column: pandoc's default
    left = start < len(header) and header[start] != " " and (start == 0 or header[start - 1] == " ")
    right = (
        end <= len(header) and header[end - 1] != " " and (end == len(header) or header[end] == " ")
    )
    if left and right:
        return ""
    if right:
        return "right"
    if left:
        return "left"
    return "center"


def _cell(row: ET.Element, tag: str, text: str, align: str) -> None:
    cell = ET.SubElement(row, tag)
    if align:
        cell.set("align", align)
    cell.text = text
