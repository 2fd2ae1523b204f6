"""A lesson file read into a :class:`~coursebook.model.Lesson`: its front matter (YAML
between ``---`` fences, checked against the schema) and its title (from the front matter or
a ``# Title`` first line)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics, Location
from ..core.naming import slugify
from ..core.yamlio import load_yaml
from ..model import Lesson
from . import schema

_FENCE = re.compile(r"^---[ \t]*$")
_FENCE_END = re.compile(r"^(---|\.\.\.)[ \t]*$")
_TITLE_LINE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")


def read_lesson(
    path: Path, text: str, kind: str, diagnostics: Diagnostics, id_prefix: str = ""
) -> Lesson | None:
    """A lesson (or introduction, or appendix) from its file's text."""
    lines = text.splitlines(keepends=True)
    front: dict[str, Any] = {}
    top = _after_leading_comments(lines)
    commented = any(line.lstrip().startswith("<!--") for line in lines[:top])
    if top < len(lines) and _FENCE.match(lines[top].rstrip("\r\n")) and commented:
        diagnostics.warning(
            Location(path, 1, 1),
            "an HTML comment comes before the front matter; the front matter is read after it "
            "(as pandoc reads it), and the comment is not printed",
            "pandoc-compat",
        )
    elif top >= len(lines) or not _FENCE.match(lines[top].rstrip("\r\n")):
        top = 0  # no front matter: the body is the whole file
    body_start = 0
    front_broken = False  # then a missing title is part of that error, not one more
    if lines[top:] and _FENCE.match(lines[top].rstrip("\r\n")):
        end = next(
            (i for i in range(top + 1, len(lines)) if _FENCE_END.match(lines[i].rstrip("\r\n"))),
            None,
        )
        if end is None:
            diagnostics.error(
                Location(path, 1), "front matter opened with --- is never closed", "front-matter"
            )
            return None
        errors = len(diagnostics.errors)
        node = load_yaml("".join(lines[top + 1 : end]), path, diagnostics, first_line=top + 2)
        if node is not None:
            front = schema.FRONT_MATTER.validate(node, diagnostics) or {}
        # Unreadable YAML, or a title of the wrong type, was reported already.
        front_broken = (node is None and len(diagnostics.errors) > errors) or (
            node is not None and isinstance(node.value, dict) and "title" in node.value
        )
        body_start = end + 1
    title = front.get("title")
    first = _first_content_line(lines, body_start)
    if first is not None and (match := _TITLE_LINE.match(lines[first].strip())):
        if title is None:
            title = match.group(1)
        body_start = first + 1  # the heading is the title: don't repeat it in the body
    if title is None and front_broken:
        return None
    if title is None:
        diagnostics.error(
            Location(path, 1),
            "a lesson needs a title: 'title:' in its front matter or a '# Title' first line",
            "no-title",
        )
        return None
    return Lesson(
        kind=kind,  # type: ignore[arg-type]
        id=front.get("id") or id_prefix + slugify(path.stem, fallback="lesson"),
        path=path,
        title=title,
        body="".join(lines[body_start:]),
        body_line=body_start + 1,
        location=Location(path, 1),
        number=front.get("number"),
        subtitle=front.get("subtitle"),
        summary=front.get("summary"),
        authors=front.get("authors", ()),
        questions=front.get("questions", ()),
    )


def _after_leading_comments(lines: list[str]) -> int:
    """The index of the first line after the blank lines and ``<!-- … -->`` comments that
    open the file (0 when it opens with neither)."""
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped:
            index += 1
        elif stripped.startswith("<!--"):
            end = next((i for i in range(index, len(lines)) if "-->" in lines[i]), None)
            if end is None or not lines[end].rstrip().endswith("-->"):
                return 0
            index = end + 1
        else:
            return index
    return index


def _first_content_line(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None
