"""No more than two hyphenated lines in a row.

WeasyPrint has no ``hyphenate-limit-lines`` (CSS Text 4), and breaks lines one at a time:
a paragraph may end three or more lines running on a hyphen, a "ladder" a compositor would
not let through. So after a part is laid out, the paragraphs with such a run are found in
its boxes, and the part is laid out again with hyphenation off in those paragraphs only
(``hyphens: manual``, by their ``data-src``: the HTML stays the same). The rest of the
book keeps its hyphenation; those paragraphs set a little looser.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...render.pagemap import SOURCE_ATTRIBUTE

RUN = 3
"""Hyphenated lines in a row that send a paragraph back without hyphenation."""
_HYPHENS = ("\u2010", "-", "\u00ad")


def hyphen_runs(document: Any) -> frozenset[str]:
    """The paragraphs (their ``data-src``) with :data:`RUN` or more lines in a row ending
    in a hyphen, on any page of a laid-out part."""
    from weasyprint.formatting_structure import boxes

    found: set[str] = set()
    for page in document.pages:
        # WeasyPrint's box tree of the page, its margins left out: not the text, and made
        # only once the part is numbered (see .folios).
        areas = [a for a in page._page_box.children if not isinstance(a, boxes.MarginBox)]
        for block in (block for area in areas for block in _blocks(area, boxes)):
            source = block.element.get(SOURCE_ATTRIBUTE) if block.element is not None else None
            run = 0
            for line in block.children:
                if not isinstance(line, boxes.LineBox):
                    continue
                run = run + 1 if _ends_in_hyphen(line, boxes) else 0
                if run >= RUN and source:
                    found.add(str(source))
    return frozenset(found)


def unhyphenated_css(sources: Iterable[str]) -> str:
    """The rule that sets those paragraphs without hyphenation."""
    from .layout import css_string

    selectors = [f"[{SOURCE_ATTRIBUTE}={css_string(source)}]" for source in sorted(sources)]
    return f"{', '.join(selectors)} {{ hyphens: manual }}" if selectors else ""


def _blocks(box: Any, boxes: Any) -> Iterator[Any]:
    """The block containers holding lines, in order."""
    if isinstance(box, boxes.BlockContainerBox) and any(
        isinstance(child, boxes.LineBox) for child in box.children
    ):
        yield box
    for child in getattr(box, "children", ()):
        if not isinstance(child, boxes.LineBox):
            yield from _blocks(child, boxes)


def _ends_in_hyphen(line: Any, boxes: Any) -> bool:
    last = None
    for box in _texts(line, boxes):
        last = box
    text = (last.text if last is not None else "").rstrip()
    return text.endswith(_HYPHENS) and len(text) > 1


def _texts(box: Any, boxes: Any) -> Iterator[Any]:
    if isinstance(box, boxes.TextBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _texts(child, boxes)
