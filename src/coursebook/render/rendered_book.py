"""What the rendering gives the formats: the rendered book, its documents in reading order
and its contents (see :mod:`.rendering` for the contract they follow).

Apart from the rendering itself: every format and the build name these types; only the build
renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..cite.book_notes import BookNotes
from ..model import Book, Note
from ..parse.lessons import Image
from ..parse.terms import IndexEntry


@dataclass(frozen=True)
class TocEntry:
    """An entry of the contents: what it is called and the id it points to."""

    title: str
    target: str
    kind: str
    """``chapter``, ``lesson``, ``section``, ``appendix`` or ``backmatter``."""
    label: str | None = None
    children: tuple[TocEntry, ...] = ()
    minutes: int | None = None
    """The lesson's reading time."""


@dataclass(frozen=True)
class RenderedDocument:
    """A part of the book as XHTML: one file of the EPUB, one section of the printed book."""

    id: str
    """Unique in the book: the EPUB file name and the id of the fragment's top element."""
    kind: str
    """``titlepage``, ``imprint``, ``contents``, ``chapter``, ``lesson``, ``appendix`` or
    ``sources``."""
    title: str
    html: str
    chapter: int | None = None
    """The chapter it belongs to (notes restart per chapter)."""
    notes: tuple[Note, ...] = ()
    """The notes its calls call, in order, each once (where they go: :data:`.notes.NOTES_SLOT`)."""


@dataclass(frozen=True)
class RenderedBook:
    book: Book
    documents: tuple[RenderedDocument, ...]
    toc: tuple[TocEntry, ...]
    images: tuple[Image, ...]
    labels: Mapping[str, str]
    notes: BookNotes
    """The notes and sources behind the rendering, for the steps one format adds."""
    index: tuple[IndexEntry, ...] = ()
    """The back-of-book index, for print to give its pages."""

    def document(self, kind: str) -> RenderedDocument | None:
        return next((d for d in self.documents if d.kind == kind), None)
