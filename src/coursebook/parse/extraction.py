"""A lesson's text made ready for Markdown: its citations, TeX math and inline notes taken out.

Python-Markdown would read into all three: ``_`` and ``*`` inside math as emphasis, ``\\{``
as an escape, ``^[…]`` as plain text, ``[see @a]`` as a link. They are found on the raw text
instead, as pandoc's reader finds them (:mod:`coursebook.parse.citation_grammar`: the same
rules for where ``$`` opens and closes math, what a code span hides), with their exact
place in the file, and replaced:

- each citation by a placeholder (:data:`~coursebook.parse.citation_syntax.PLACEHOLDER`);
- each math span by a placeholder (:data:`MATH_PLACEHOLDER`) that the lesson's tree turns
  into a ``<span class="math">`` holding the TeX, for :mod:`coursebook.parse.math` to set;
- each cross-reference (``@fig:name``, ``[@eq:a; @eq:b]``: labels, not sources) by a
  placeholder (:data:`REF_PLACEHOLDER`) resolved when the whole book is read;
- each inline note ``^[…]`` by the call of a footnote whose definition is appended to the
  text, so that Python-Markdown's footnotes take it in with the authored ones, in order.
  Its label (:func:`inline_note_label`) holds a character authors can't write.

No Python-Markdown extension does this: ``pymdownx.arithmatex`` reads ``$$…$$`` only as a
block, not inside a paragraph as pandoc does, keeps no ``{#eq:label}``, and knows nothing of
citations; none reads pandoc's inline notes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from pathlib import Path

from ..core.diagnostics import Diagnostics, Location
from ..model import Citation
from .citation_grammar import Found, InlineNote, Math, Reading, read
from .citation_syntax import CITE_CLOSE, CITE_OPEN, ReadText, read_citations

FILL = "\ue00f"
"""Pads a placeholder to the width of the text it stands for: pandoc's simple and grid
tables draw their columns by position, which must not move."""
_INDEX = 0xF0000
"""A placeholder's index is one character from here (a private-use plane): a placeholder is
three characters wide, no wider than the shortest math (``$x$``) or reference."""
_INDEX_CHAR = "[\U000f0000-\U0010fffd]"
MATH_OPEN, MATH_CLOSE = "\ue005", "\ue006"
"""Around a math span's index in the text handed to Markdown."""
MATH_PLACEHOLDER = re.compile(f"{MATH_OPEN}({_INDEX_CHAR}){MATH_CLOSE}{FILL}*")
INLINE_NOTE = "\ue007"
"""Starts the label of an inline note's footnote (no author's label can hold it)."""
REF_OPEN, REF_CLOSE = "\ue00a", "\ue00b"
"""Around a cross-reference's index in the text handed to Markdown."""
REF_PLACEHOLDER = re.compile(f"{REF_OPEN}({_INDEX_CHAR}){REF_CLOSE}{FILL}*")


def placeholder(opening: str, index: int, closing: str, width: int) -> str:
    """The placeholder of item ``index``, as wide as the ``width`` characters it replaces."""
    text = f"{opening}{chr(_INDEX + index)}{closing}"
    return text + FILL * (width - len(text))


def placeholder_index(text: str) -> int:
    """The index a placeholder holds (a citation's is written in digits)."""
    return int(text) if text.isdigit() else ord(text) - _INDEX


@dataclass(frozen=True)
class CrossRef:
    """``@fig:output``, ``[@eq:a; @eq:b]``, ``-@tbl:x`` (the number alone): a reference to
    labels of the book, resolved once every lesson is read."""

    labels: tuple[str, ...]
    written: str
    location: Location
    number_only: bool = False


@dataclass(frozen=True)
class MathSpan:
    """TeX math as the author wrote it."""

    tex: str
    display: bool
    written: str
    """The math with its delimiters (and label), as printed when it can't be set."""
    location: Location
    label: str = ""
    """``eq:name`` or ``eq-name`` for a numbered equation; "" for none."""


@dataclass(frozen=True)
class Extracted:
    """A lesson's text with placeholders, and what they stand for."""

    text: str
    citations: tuple[Citation, ...]
    maths: tuple[MathSpan, ...]
    inline_notes: tuple[tuple[str, Location], ...]
    """Each inline note's footnote label, with where its ``^[`` is."""
    crossrefs: tuple[CrossRef, ...] = ()


def inline_note_label(index: int) -> str:
    return f"{INLINE_NOTE}{index}"


def extract(
    text: str,
    path: Path,
    first_line: int,
    known_keys: Container[str],
    diagnostics: Diagnostics | None = None,
    reader: Callable[[str], Reading] = read,
) -> Extracted:
    """``text`` (a lesson's Markdown from ``first_line`` of ``path``) with every citation,
    math span and inline note replaced (see the module's description); ``reader`` reads
    the citations (see :func:`.citation_syntax.read_citations`)."""
    citations = read_citations(text, path, first_line, known_keys, diagnostics, reader)
    return _Replacer(citations).run()


_Item = Found | Math | InlineNote


class _Replacer:
    """Writes the text again with placeholders, an inline note's inside included."""

    def __init__(self, read: ReadText) -> None:
        self.read = read
        self.citation_index = {found: index for index, found in enumerate(read.kept)}
        self.crossref_index = {found: index for index, found in enumerate(read.crossrefs)}
        self.maths: list[MathSpan] = []
        self.notes: list[tuple[str, Location]] = []
        self.definitions: list[str] = []

    def run(self) -> Extracted:
        items = self._top_items()
        body = self._write(0, len(self.read.text), items, in_note=False)
        if self.definitions:
            body = body.rstrip("\n") + "\n\n" + "\n\n".join(self.definitions) + "\n"
        crossrefs = tuple(self._crossref(found) for found in self.read.crossrefs)
        return Extracted(body, self.read.citations, tuple(self.maths), tuple(self.notes), crossrefs)

    def _crossref(self, found: Found) -> CrossRef:
        return CrossRef(
            labels=tuple(part.key for part in found.parts),
            written=self.read.reading.written(found.start, found.end),
            location=self.read.positions.location(found.start),
            number_only=found.parts[0].suppress_author,
        )

    def _top_items(self) -> list[_Item]:
        """Kept citations, math and inline notes in order; none that lies inside a
        citation (its prefix and suffix are formatted from the text as written)."""
        reading = self.read.reading
        candidates: list[_Item] = [
            *self.read.kept,
            *self.read.crossrefs,
            *reading.maths,
            *reading.notes,
        ]
        candidates.sort(key=lambda item: (item.start, -item.end))
        spans = [(found.start, found.end) for found in (*self.read.kept, *self.read.crossrefs)]
        return [
            item
            for item in candidates
            if isinstance(item, Found) or not any(a <= item.start < b for a, b in spans)
        ]

    def _write(self, start: int, end: int, items: list[_Item], in_note: bool) -> str:
        pieces: list[str] = []
        cursor = start
        index = 0
        while index < len(items):
            item = items[index]
            if item.start < cursor or item.start >= end:
                index += 1
                continue
            pieces.append(self._gap(cursor, item.start, in_note))
            following = index + 1
            while following < len(items) and items[following].start < item.end:
                following += 1  # the items inside this one
            pieces.append(self._replace(item, items[index + 1 : following]))
            cursor = item.end
            index = following
        pieces.append(self._gap(cursor, end, in_note))
        return "".join(pieces)

    def _gap(self, start: int, end: int, in_note: bool) -> str:
        if not in_note:
            return self.read.text[start:end]
        # A note's text becomes one line of a footnote's definition: its line breaks are
        # spaces (as in the paragraph), so no line of it can start a block there.
        return " ".join(self.read.reading.written(start, end).split("\n"))

    def _replace(self, item: _Item, inner: list[_Item]) -> str:
        if isinstance(item, Found) and item in self.crossref_index:
            index = self.crossref_index[item]
            return placeholder(REF_OPEN, index, REF_CLOSE, item.end - item.start)
        if isinstance(item, Found):
            return f"{CITE_OPEN}{self.citation_index[item]}{CITE_CLOSE}"
        if isinstance(item, Math):
            return self._math(item)
        return self._note(item, inner)

    def _math(self, math: Math) -> str:
        written = self.read.reading.written
        self.maths.append(
            MathSpan(
                tex=written(math.tex_start, math.tex_end),
                display=math.display,
                written=written(math.start, math.end),
                location=self.read.positions.location(math.start),
                label=math.label,
            )
        )
        return placeholder(MATH_OPEN, len(self.maths) - 1, MATH_CLOSE, math.end - math.start)

    def _note(self, note: InlineNote, inner: list[_Item]) -> str:
        label = inline_note_label(len(self.notes))
        self.notes.append((label, self.read.positions.location(note.start)))
        body = self._write(note.start + 2, note.end - 1, inner, in_note=True).strip()
        self.definitions.append(f"[^{label}]: {body}")
        return f"[^{label}]"
