"""Citations and authored footnotes to numbered notes: one transform over the whole book.

Before (two lessons of one chapter, as parsing left them)::

    lesson 15: "…a new kind ⟨cite 0: [@trotsky1935]⟩ … steel ⟨cite 1: [@trotsky1936, chap. 1]⟩"
    lesson 16: "…Bonapartism ⟨cite 0: [@trotsky1935, p. 4]⟩ … a caste ⟨footnote 0⟩"

After::

    lesson 15: note 1 "Leon Trotsky, “The Workers’ State…,” …"   (first in chapter: full form)
               note 2 "Leon Trotsky, The Revolution Betrayed …, chap. 1."
    lesson 16: note 3 "Trotsky, “Workers’ State,” 4."               (later: short form)
               note 4 the authored footnote, its own citations formatted inside it

plus, for the sources appendix, every place each source is cited. Note numbers and the
full/short distinction restart with each chapter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .citation_style import CitationStyle, Cite, Position
from .citation_syntax import PLACEHOLDER
from .diagnostics import Diagnostics, did_you_mean
from .lessons import CALL, ParsedLesson
from .model import Book, Citation, Lesson, Note, Source


@dataclass(frozen=True)
class NoteCall:
    """What one placeholder in a lesson's text becomes."""

    note: Note
    ref_id: str
    """Id of this call's anchor (the first call of a note has ``note.call_id``)."""
    text_before: str = ""
    """Inline XHTML put before the call: the author's name for ``@key [p. 33]``."""


@dataclass(frozen=True)
class SourceUse:
    """One place a source is cited: a note of a lesson."""

    lesson: Lesson
    note_number: int
    ref_id: str
    """Id of the note call in the text (what the appendix links back to)."""


@dataclass(frozen=True)
class LessonNotes:
    calls: Mapping[str, NoteCall]
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


def resolve_notes(
    book: Book, parsed: Mapping[str, ParsedLesson], style: CitationStyle, diagnostics: Diagnostics
) -> BookNotes:
    """Number every note, format every citation, and list where each source is cited."""
    uses: dict[str, list[SourceUse]] = {}
    lessons: dict[str, LessonNotes] = {}
    for chapter in book.chapters:
        numbering = _ChapterNotes(book, style, diagnostics, uses)
        for lesson in chapter.documents:
            lessons[lesson.id] = numbering.lesson(parsed[lesson.id])
    for appendix in book.appendices:  # an appendix numbers its notes like a chapter of its own
        numbering = _ChapterNotes(book, style, diagnostics, uses)
        lessons[appendix.id] = numbering.lesson(parsed[appendix.id])
    _warn_unused(book, uses, diagnostics)
    cited = [book.sources[key] for key in uses]
    bibliography = tuple(
        BibliographyEntry(source, html, tuple(uses[source.id]))
        for source, html in style.bibliography(cited)
    )
    return BookNotes(lessons, bibliography)


@dataclass
class _ChapterNotes:
    """Numbering state of one chapter: the next note number and the sources already cited."""

    book: Book
    style: CitationStyle
    diagnostics: Diagnostics
    uses: dict[str, list[SourceUse]]
    number: int = 0
    cited: set[str] = field(default_factory=set)

    def lesson(self, parsed: ParsedLesson) -> LessonNotes:
        calls: dict[str, NoteCall] = {}
        notes: list[Note] = []
        footnote_notes: dict[int, Note] = {}
        for match in CALL.finditer(parsed.html):
            placeholder = match.group(0)
            if placeholder in calls:  # the same footnote called again: same note, new anchor
                continue
            if match.group(1) is not None:
                citation = parsed.citations[int(match.group(1))]
                note = self._citation_note(parsed, citation)
                if note is None:
                    continue
                calls[placeholder] = NoteCall(note, note.call_id, self._text_before(citation))
            else:
                index = int(match.group(2))
                note = footnote_notes.get(index) or self._footnote_note(parsed, index)
                footnote_notes[index] = note
                calls[placeholder] = NoteCall(note, note.call_id)
            notes.append(note)
        return LessonNotes(calls, tuple(notes))

    def _citation_note(self, parsed: ParsedLesson, citation: Citation) -> Note | None:
        cites = list(self._cites(citation))
        if not cites:
            return None
        self.number += 1
        note = Note(
            number=self.number,
            prefix=parsed.prefix,
            html=self.style.note(cites),
            location=citation.location,
            kind="citation",
            source_ids=tuple(c.source.id for c in cites),
        )
        self._record_uses(parsed.lesson, note)
        return note

    def _footnote_note(self, parsed: ParsedLesson, index: int) -> Note:
        footnote = parsed.footnotes[index]
        self.number += 1
        sources: list[str] = []

        def format_citation(match: re.Match[str]) -> str:
            citation = parsed.citations[int(match.group(1))]
            cites = list(self._cites(citation))
            sources.extend(c.source.id for c in cites)
            text = self.style.note(cites) if cites else ""
            # Inside a sentence of the author's, a citation ends where the sentence says.
            rest = footnote.html[match.end() :]
            if not _ends_note(rest):
                text = text.removesuffix(".")
            return self._text_before(citation) + text

        html = PLACEHOLDER.sub(format_citation, footnote.html)
        note = Note(self.number, parsed.prefix, html, footnote.location, "authored", tuple(sources))
        self._record_uses(parsed.lesson, note)
        return note

    def _cites(self, citation: Citation) -> Iterator[Cite]:
        """The citation's items with their sources and positions; unknown keys are errors."""
        for item in citation.items:
            source = self.book.sources.get(item.key)
            if source is None:
                self.diagnostics.error(
                    item.location,
                    f"unknown source '{item.key}'{did_you_mean(item.key, self.book.sources)}",
                    "unknown-source",
                )
                continue
            position: Position = "subsequent" if item.key in self.cited else "first"
            self.cited.add(item.key)
            yield Cite(item, source, position)

    def _text_before(self, citation: Citation) -> str:
        if not citation.author_in_text:
            return ""
        source = self.book.sources.get(citation.items[0].key)
        return self.style.author(source) if source else ""

    def _record_uses(self, lesson: Lesson, note: Note) -> None:
        for key in dict.fromkeys(note.source_ids):
            self.uses.setdefault(key, []).append(SourceUse(lesson, note.number, note.call_id))


def _ends_note(rest: str) -> bool:
    """True when nothing but closing tags follows (the citation ends the note)."""
    return not re.sub(r"</[a-z]+>|\s", "", rest)


def _warn_unused(book: Book, uses: Mapping[str, list[SourceUse]], diagnostics: Diagnostics) -> None:
    for source in book.sources.values():
        if source.id not in uses:
            diagnostics.warning(
                source.location, f"source '{source.id}' is never cited", "unused-source"
            )
