"""Pages laid out for the EPUB's page list alone, never drawn: WeasyPrint makes no margin
boxes and no backgrounds for them.

WeasyPrint makes a page's margin boxes (running heads, folios) and lays out every box's
background once the page's content is laid out, for drawing only: neither moves a line of
the text, and the page list needs only where each page begins (and the page of each id).
Skipped, a part's layout for the page list takes 8% less (three chapters of the generated
40-lesson course, laid out three times each way in one process: 8.32 s against 9.08 s), and
that course's cold EPUB 11% less (four builds each way, alternated: 11.7 s against 13.2 s on
average, the EPUBs byte for byte the same).

Margin boxes are still made when the part has running elements (``position: running()``,
a book's own stylesheet may use them): those are printed only in the margins, and their ids
are anchors there. Nothing else reads the margins: the checks after each layout
(:mod:`.footnotes`, :mod:`.hyphenation`) and the page list walk the page's content, so an
undrawn layout finds what a drawn one does. WeasyPrint has no option for this; its
``layout_document`` calls both by their module's names, which are wrapped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

UNDRAWN = "_coursebook_undrawn"
"""The attribute marking a WeasyPrint document laid out within :func:`undrawn`."""

_UNDRAWN = [False]
"""Whether pages laid out now are undrawn (see :func:`undrawn`)."""
_SKIPPING = [False]
"""Whether WeasyPrint's margin boxes and backgrounds are wrapped."""


@contextmanager
def undrawn() -> Iterator[None]:
    """Pages laid out within are for their page starts alone: they can't be drawn."""
    _UNDRAWN[0] = True
    try:
        yield
    finally:
        _UNDRAWN[0] = False


def skip_drawing_when_undrawn() -> None:
    """Have WeasyPrint skip margin boxes and backgrounds within :func:`undrawn` (set up once
    per process, after :func:`.folios.keep_margin_inputs`)."""
    from weasyprint import layout

    from .folios import running_elements

    if _SKIPPING[0]:
        return
    _SKIPPING[0] = True
    made = layout.make_margin_boxes
    backgrounds = layout.layout_backgrounds

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if _UNDRAWN[0] and not running_elements(context):
            return []
        return made(context, page, state)

    def layout_backgrounds(page: Any, get_image_from_uri: Any) -> Any:
        if _UNDRAWN[0]:
            return None
        return backgrounds(page, get_image_from_uri)

    layout.make_margin_boxes = make_margin_boxes
    layout.layout_backgrounds = layout_backgrounds
