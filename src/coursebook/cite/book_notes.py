"""What resolving the notes gives the rendering: each lesson's notes and the calls that
replace its placeholders (:class:`LessonNotes`), and the sources' entries with the places
that cite them (:class:`BibliographyEntry`), for the book (:class:`BookNotes`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..model import Lesson, Note, Source


@dataclass(frozen=True)
class Call:
    """What one placeholder in a lesson's text becomes."""

    ref_id: str
    """Id of the call's anchor, which the sources appendix links back to."""
    note: Note | None = None
    """The note it calls; None for a citation an in-text style sets in the text."""
    text: str = ""
    """Inline XHTML set in the text: the citation itself (in-text styles), or the author's
    name of an ``@key [p. 33]`` citation before its note call (note styles)."""


@dataclass(frozen=True)
class SourceUse:
    """One place a source is cited."""

    lesson: Lesson
    label: str
    """The note number (note styles) or the citation's number in the lesson (in-text)."""
    ref_id: str
    """Id of the call in the text (what the appendix links back to)."""


@dataclass(frozen=True)
class LessonNotes:
    calls: Mapping[str, Call]
    """By placeholder text, as it appears in the lesson's XHTML."""
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class BibliographyEntry:
    source: Source
    html: str
    uses: tuple[SourceUse, ...]


@dataclass(frozen=True)
class BookNotes:
    lessons: Mapping[str, LessonNotes]
    """By lesson id."""
    bibliography: tuple[BibliographyEntry, ...]
    note_style: bool
    """True when citations are notes; False when they are set in the text."""
    chapter_bibliographies: Mapping[int, tuple[BibliographyEntry, ...]] = field(
        default_factory=dict
    )
    """Each chapter's own sources, by chapter number (when the book lists them per chapter)."""

    @property
    def count(self) -> int:
        """Notes in the book: citations (in a note style) and authored footnotes."""
        return sum(len(lesson.notes) for lesson in self.lessons.values())
