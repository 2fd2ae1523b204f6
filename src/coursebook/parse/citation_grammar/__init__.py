"""Pandoc's Markdown reader, as far as finding citations (and the math and inline notes
that hold or hide them) needs it.

Whether ``[…@key…]`` is a citation is decided while pandoc reads inline Markdown, and it
depends on what surrounds it: ``[@a](url)`` is a link (holding the in-text citation ``@a``),
``[@a][^n]`` a citation then a note call, ``[@a]{.c}`` a span, `` `[@a]` `` code,
``[see [a link](x) @a]`` a citation whose prefix holds a link, ``[@a, *x; y*]`` one citation
(the emphasis holds the ``;``), ``[@a;]`` no citation but brackets around ``@a``. This package
reads a lesson's raw text as pandoc 3.9's reader does (``Text.Pandoc.Readers.Markdown``: its
inline parsers followed one for one, with their backtracking) and reports where each
citation starts and ends and where its parts are. :mod:`coursebook.citation_syntax` turns that
into the book's model; ``tests/test_citation_pandoc.py`` holds the two to pandoc itself.

The blocks are found first, more simply than pandoc does (paragraphs, block quotes, list
items, headings, fenced and indented code, pipe-table cells, reference definitions): inline
reading happens within one of them, and a citation never runs out of one. Offsets are those
of the lesson text, so every position stays exact.

The modules: :mod:`.events` (what the reader reports), :mod:`.blocks` (the blocks, and what
holds no inline text), and the inline reader, one class for each family of pandoc's inline
parsers, each built on the one before: :mod:`.inline_base` (the text, the events, the memo,
the budget, spaces), :mod:`.verbatim` (code, math, HTML, escapes, entities),
:mod:`.matching` (where brackets and parentheses close), :mod:`.citations` (pandoc's
citation parsers), :mod:`.links` (what a ``[`` starts), :mod:`.formatting` (emphasis,
super- and subscript, strikeout, inline notes, smart punctuation) and :mod:`.inline` (the
reader whole: the driver, and which parser each character starts).
"""

from __future__ import annotations

from .blocks import _Layout
from .events import Brackets, Event, Found, InlineNote, Intricate, Math, Part, Reading, Refused
from .inline import _Inline
from .inline_base import _STEPS

__all__ = [
    "Brackets",
    "Event",
    "Found",
    "InlineNote",
    "Intricate",
    "Math",
    "Part",
    "Reading",
    "Refused",
    "read",
]


def read(text: str) -> Reading:
    """Every citation in ``text`` (a lesson's Markdown), as pandoc's reader finds it."""
    layout = _Layout(text)
    reader = _Inline(layout.masked, layout.references, budget=_STEPS * len(text) + 10_000)
    for start, end in layout.regions:
        reader.paragraph(start, end)
    reading = Reading(text, hidden=layout.hidden)
    for event in reader.events:
        if isinstance(event, Found):
            reading.found.append(event)
        elif isinstance(event, Brackets):
            reading.brackets.append(event)
        elif isinstance(event, Refused):
            reading.refused.append(event)
        elif isinstance(event, Math):
            reading.maths.append(event)
        elif isinstance(event, InlineNote):
            reading.notes.append(event)
        else:
            reading.intricate.append(event)
    return reading
