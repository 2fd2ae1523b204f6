"""Pandoc's grid tables for Python-Markdown: cells drawn with ``+---+`` and ``|``, a ``+===+``
line under the header, alignment from colons in it (or in the first line), and cells that
hold blocks (paragraphs, lists) read as Markdown.

``markdown_grid_tables`` (the one extension that reads them) is GPL-3.0, which a MIT tool
can't take in, and alpha; this reader is small. Cells spanning rows or columns (pandoc 3
reads them) are not read: such a table is left as written, which the lesson's leak check
reports.
"""

from __future__ import annotations

import itertools
import re
from xml.etree import ElementTree as ET

import markdown
from markdown.blockprocessors import BlockProcessor

_BORDER = re.compile(r"^\+(?:[-=:]+\+)+[ \t]*$")
_HEADER = re.compile(r"^\+(?:=+|:=+|=+:|:=+:)(?:\+(?:=+|:=+|=+:|:=+:))*\+[ \t]*$")


class GridTables(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before paragraphs and lists read the "+" and "|" lines.
        md.parser.blockprocessors.register(_Grid(md.parser), "grid_table", 76)


class _Grid(BlockProcessor):
    def test(self, parent: ET.Element, block: str) -> bool:
        lines = block.rstrip("\n").split("\n")
        return (
            len(lines) >= 3
            and bool(_BORDER.match(lines[0]))
            and bool(_BORDER.match(lines[-1]))
            and all(line.startswith(("+", "|")) for line in lines)
            and _columns(lines) is not None
        )

    def run(self, parent: ET.Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).rstrip("\n").split("\n")
        bounds = _columns(lines)
        assert bounds is not None
        table = ET.SubElement(parent, "table")
        aligns = _alignments(lines, bounds)
        header_end = next((i for i, line in enumerate(lines) if _HEADER.match(line)), None)
        sections = (
            [("thead", "th", 0, header_end), ("tbody", "td", header_end, len(lines) - 1)]
            if header_end is not None
            else [("tbody", "td", 0, len(lines) - 1)]
        )
        for section_tag, cell_tag, start, stop in sections:
            section = ET.SubElement(table, section_tag)
            for row in _rows(lines, start, stop):
                tr = ET.SubElement(section, "tr")
                for column, (left, right) in enumerate(bounds):
                    cell = ET.SubElement(tr, cell_tag)
                    if aligns[column]:
                        cell.set("align", aligns[column])
                    self._fill(cell, [line[left + 1 : right] for line in row])

    def _fill(self, cell: ET.Element, pieces: list[str]) -> None:
        text = _dedent([piece.rstrip() for piece in pieces]).strip("\n")
        self.parser.parseChunk(cell, text)
        if len(cell) == 1 and cell[0].tag == "p":  # one paragraph: the cell's text itself
            paragraph = cell[0]
            cell.remove(paragraph)
            cell.text = paragraph.text
            cell.extend(list(paragraph))


def _columns(lines: list[str]) -> list[tuple[int, int]] | None:
    """Where each column's ``+`` borders are, if every line agrees with the first."""
    first = lines[0].rstrip()
    corners = [i for i, char in enumerate(first) if char == "+"]
    bounds = list(itertools.pairwise(corners))
    for line in lines:
        stripped = line.rstrip()
        if len(stripped) != len(first):
            return None
        edge = "+" if _BORDER.match(stripped) else "|"
        if any((stripped[left], stripped[right]) != (edge, edge) for left, right in bounds):
            return None
    return bounds


def _rows(lines: list[str], start: int, stop: int) -> list[list[str]]:
    """The lines of each row between the borders at ``start`` and ``stop``."""
    rows: list[list[str]] = []
    current: list[str] = []
    for line in lines[start + 1 : stop + 1]:
        if _BORDER.match(line):
            if current:
                rows.append(current)
            current = []
        else:
            current.append(line)
    return rows


def _alignments(lines: list[str], bounds: list[tuple[int, int]]) -> list[str]:
    header = next((line for line in lines if _HEADER.match(line)), lines[0])
    aligns = []
    for left, right in bounds:
        spec = header[left + 1 : right]
        if spec.startswith(":") and spec.endswith(":"):
            aligns.append("center")
        elif spec.endswith(":"):
            aligns.append("right")
        elif spec.startswith(":"):
            aligns.append("left")
        else:
            aligns.append("")
    return aligns


def _dedent(lines: list[str]) -> str:
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)
