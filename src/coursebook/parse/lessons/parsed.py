"""What parsing a lesson gives, shared by every later stage: the :class:`ParsedLesson` with
its headings, authored footnotes and images, and the placeholders its XHTML holds for note
calls (:data:`CALL`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...core.diagnostics import Location
from ...model import CheckedImage, Citation, Lesson
from .. import terms
from ..citation_syntax import CITE_CLOSE, CITE_OPEN

NOTE_OPEN, NOTE_CLOSE = "\ue002", "\ue003"
"""Around an authored footnote's index in the XHTML of a lesson."""
CALL = re.compile(f"{CITE_OPEN}(\\d+){CITE_CLOSE}|{NOTE_OPEN}(\\d+){NOTE_CLOSE}")
"""A note call in lesson XHTML: group 1 is a citation index, group 2 a footnote index."""


@dataclass(frozen=True)
class Heading:
    """A heading inside a lesson, for the contents and the outline."""

    id: str
    level: int
    text: str


@dataclass(frozen=True)
class Footnote:
    """An authored ``[^label]`` note; its XHTML may hold citation placeholders."""

    label: str
    html: str
    location: Location


@dataclass(frozen=True)
class Image:
    """An image a lesson shows, resolved inside the book folder."""

    path: Path
    href: str
    """Its path relative to the book folder, as the shared XHTML refers to it: made safe
    for an EPUB package where it isn't (:func:`coursebook.core.naming.package_path`)."""
    location: Location
    checked: CheckedImage
    """What the checks found; :func:`coursebook.images.image_data` gives its bytes."""
    alt: str = ""
    """Its text alternative ("" when the author gave none)."""

    @property
    def media_type(self) -> str:
        return self.checked.media_type


@dataclass(frozen=True)
class ParsedLesson:
    """A lesson's content, parsed once and shared by every output format."""

    lesson: Lesson
    prefix: str
    """Prefix of every id in the lesson; also the id of the lesson itself."""
    level: int
    """Heading level of the lesson's title (1 for a chapter that is one lesson, else 2)."""
    html: str
    """The body as an XHTML fragment, with note calls as placeholders."""
    citations: tuple[Citation, ...]
    footnotes: tuple[Footnote, ...]
    headings: tuple[Heading, ...]
    images: tuple[Image, ...]
    questions: tuple[str, ...] = ()
    """Discussion questions as inline XHTML."""
    summary: str | None = None
    """The summary as inline XHTML."""
    index_marks: tuple[terms.IndexMark, ...] = ()
    """The places the book's index points to in this lesson."""
    glossary_uses: tuple[tuple[str, str], ...] = ()
    """(term, id of the link) of each glossary term the lesson uses, at its first use."""
    words: int = 0
    """Words of the text (not the notes), for its reading time."""
