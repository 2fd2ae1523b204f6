"""Reading a plain text page: the furniture above the lesson heading and in the "About
this course" block after the lesson, and the lesson's lines as paragraphs, section headings
and quotations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from .model import Block, Furniture, Page
from .page_parts import (
    _ABOUT,
    _about,
    _clean,
    _is_attribution,
    _unmarked,
    _unwrapped,
    parse_heading,
)


def _read_text(path: Path, text: str) -> Page:
    lines = [(n, _clean(_unmarked(line))) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    heading_at = next((i for i, (_, line) in enumerate(lines[:12]) if parse_heading(line)), None)
    furniture = Furniture()
    heading, heading_line = None, 0
    if heading_at is not None:
        heading_line, heading = lines[heading_at]
        furniture = _furniture_lines([line for _, line in lines[:heading_at]])
        lines = lines[heading_at + 1 :]
    about_at = next((i for i, (_, line) in enumerate(lines) if _ABOUT.match(line)), None)
    if about_at is not None:
        furniture = furniture.merged(_about([line for _, line in lines[about_at + 1 :]]))
        lines = lines[:about_at]
    return Page(path, heading, heading_line, furniture, _text_blocks(lines), html=False)


def _furniture_lines(lines: list[str]) -> Furniture:
    """The lines above the lesson heading: the site's name, then the course's title (the
    portal prints its name over two lines, "Marxist" / "Education Portal")."""
    if not lines:
        return Furniture()
    site = " ".join(lines[:-1]) or None
    return Furniture(site_name=site, course_title=lines[-1])


def _text_blocks(lines: list[tuple[int, str]]) -> tuple[Block, ...]:
    """Each line of a text page is a paragraph (the portal's text has one per line), except
    section headings and quotations set as their own paragraphs: an introduction ending in
    ":" or ",", then paragraphs, then a short line saying where they are from."""
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        number, line = lines[index]
        end = _quotation_end(lines, index) if line.endswith((":", ",")) else None
        blocks.append(Block(_kind(line), line, (number,)))
        if end is not None:
            quoted = lines[index + 1 : end]
            blocks.append(
                Block(
                    "quote",
                    "\n\n".join(text for _, text in quoted),
                    tuple(n for n, _ in quoted),
                    attribution=_unwrapped(lines[end][1]),
                )
            )
            index = end
        index += 1
    return tuple(blocks)


# Section headings like "a) Proletarian Bonapartism".
_SECTION_HEADING = re.compile(r"^(?:[a-z]|[ivx]{1,5}|\d{1,2})[.)] +\S.{0,100}$")


def _kind(line: str) -> Literal["paragraph", "heading"]:
    short = len(line) <= 100 and not line.endswith((".", ",", ":", ";"))
    return "heading" if short and _SECTION_HEADING.match(line) else "paragraph"


def _quotation_end(lines: list[tuple[int, str]], start: int) -> int | None:
    """The index of the attribution line closing a quotation that starts after ``start``."""
    for index in range(start + 2, min(start + 8, len(lines))):
        line = lines[index][1]
        if _kind(line) == "heading":
            return None
        if _is_attribution(line):
            return index
    return None
