"""Citations and authored footnotes to numbered notes: one transform over the whole book.

Before (two lessons of one chapter, as parsing left them)::

    lesson 15: "…a new kind ⟨cite 0: [@trotsky1935]⟩ … steel ⟨cite 1: [@trotsky1936, chap. 1]⟩"
    lesson 16: "…Bonapartism ⟨cite 0: [@trotsky1935, p. 4]⟩ … a caste ⟨footnote 0⟩"

After, with a note style (Chicago)::

    lesson 15: note 1 "Leon Trotsky, “The Workers’ State…,” …"   (first in chapter: full form)
               note 2 "Leon Trotsky, The Revolution Betrayed …, chap. 1."
    lesson 16: note 3 "Trotsky, “Workers’ State,” 4."               (later: short form)
               note 4 the authored footnote, its own citations formatted inside it

With an in-text style (author-date) the citations stay in the text, "(Trotsky 1935, 4)", and
the notes are only the authored ones. Either way every source learns each place that cites it,
for the sources appendix. Note numbers and positions restart with each chapter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from .citation_syntax import PLACEHOLDER
from .csl import Cite, CslEngine
from .diagnostics import Diagnostics, did_you_mean
from .lessons import CALL, ParsedLesson
from .model import Book, Citation, CitationItem, Lesson, Note, Source
from .progress import Progress, Silent


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


def resolve_notes(
    book: Book,
    parsed: Mapping[str, ParsedLesson],
    engine: CslEngine,
    diagnostics: Diagnostics,
    progress: Progress | None = None,
) -> BookNotes:
    """Number every note, format every citation, and list where each source is cited."""
    uses: dict[str, list[SourceUse]] = {}
    lessons: dict[str, LessonNotes] = {}
    groups = [chapter.documents for chapter in book.chapters]
    groups += [(appendix,) for appendix in book.appendices]  # each numbered on its own
    if book.about is not None:
        groups.insert(0, (book.about,))
    for documents in groups:
        engine.start_chapter()
        numbering = _ChapterNotes(book, engine, diagnostics, uses, progress or Silent())
        for lesson in documents:
            lessons[lesson.id] = numbering.lesson(parsed[lesson.id])
    if book.pack is None:  # a pack's other sources are cited by the lessons it leaves out
        _warn_unused(book, uses, diagnostics)
    bibliography = _bibliography(book, engine, uses)
    per_chapter = {}
    if book.sources_per_chapter:
        for chapter in book.chapters:
            own = {lesson.id for lesson in chapter.documents}
            chapter_uses = {
                key: [use for use in places if use.lesson.id in own] for key, places in uses.items()
            }
            per_chapter[chapter.number] = _bibliography(
                book, engine, {key: places for key, places in chapter_uses.items() if places}
            )
    return BookNotes(lessons, bibliography, engine.is_note_style, per_chapter)


def _bibliography(
    book: Book, engine: CslEngine, uses: Mapping[str, list[SourceUse]]
) -> tuple[BibliographyEntry, ...]:
    cited = [book.sources[key] for key in uses]
    return tuple(
        BibliographyEntry(source, html, tuple(uses[source.id]))
        for source, html in engine.bibliography_entries(cited)
    )


@dataclass
class _ChapterNotes:
    """Numbering state of one chapter: the next note number."""

    book: Book
    engine: CslEngine
    diagnostics: Diagnostics
    uses: dict[str, list[SourceUse]]
    progress: Progress
    number: int = 0
    in_text: int = 0
    """Citations set in the text so far (in-text styles), per lesson."""
    calls: dict[str, Call] = field(default_factory=dict)

    def lesson(self, parsed: ParsedLesson) -> LessonNotes:
        self.calls = {}
        self.in_text = 0
        notes: list[Note] = []
        for match in CALL.finditer(parsed.html):
            placeholder = match.group(0)
            if placeholder in self.calls:  # the same footnote called again
                continue
            if match.group(1) is not None:
                call = self._citation(parsed, parsed.citations[int(match.group(1))])
            else:
                call = self._footnote(parsed, int(match.group(2)))
            if call is None:
                continue
            self.calls[placeholder] = call
            if call.note is not None:
                notes.append(call.note)
        return LessonNotes(dict(self.calls), tuple(notes))

    def _citation(self, parsed: ParsedLesson, citation: Citation) -> Call | None:
        cites = list(self._cites(citation))
        if not cites:
            return None
        if not self.engine.is_note_style:
            self.in_text += 1
            ref_id = f"{parsed.prefix}--cite-{self.in_text}"
            self._record(parsed.lesson, cites, str(self.in_text), ref_id)
            return Call(ref_id, None, self._in_text(citation, cites))
        self.number += 1
        if citation.author_in_text:  # the sentence names the author; the note needn't
            cites = [Cite(_without_author(cites[0].item), cites[0].source), *cites[1:]]
        formatted = self.engine.note(cites)
        note = Note(
            number=self.number,
            prefix=parsed.prefix,
            html=formatted.html,
            print_html=formatted.print_html,
            location=citation.location,
            kind="citation",
            source_ids=tuple(c.source.id for c in cites),
        )
        self._record(parsed.lesson, cites, str(note.number), note.call_id)
        author = self.engine.author(cites[0].source) if citation.author_in_text else ""
        return Call(note.call_id, note, author)

    def _in_text(self, citation: Citation, cites: list[Cite]) -> str:
        """An in-text style's citation: "(Trotsky 1937, 33)", or "Trotsky (1937, 33)" when the
        sentence names the author (``@key [p. 33]``)."""
        if not citation.author_in_text:
            return self.engine.inline(cites)
        quiet = [Cite(_without_author(c.item), c.source) for c in cites]
        return f"{self.engine.author(cites[0].source)} {self.engine.inline(quiet)}"

    def _footnote(self, parsed: ParsedLesson, index: int) -> Call:
        footnote = parsed.footnotes[index]
        self.number += 1
        number = self.number
        ref_id = f"{parsed.prefix}--ref-{number}"
        sources: list[str] = []
        printed: list[str] = []

        def format_citation(match: re.Match[str]) -> str:
            citation = parsed.citations[int(match.group(1))]
            cites = list(self._cites(citation))
            if not cites:
                printed.append("")
                return ""
            sources.extend(c.source.id for c in cites)
            self._record(parsed.lesson, cites, str(number), ref_id)
            if not self.engine.is_note_style:
                text = self._in_text(citation, cites)
                printed.append(text)
                return text
            formatted = self.engine.note(cites)
            # Inside a sentence of the author's, a citation ends where the sentence says.
            ends = _ends_note(footnote.html[match.end() :])
            html, print_html = (
                (formatted.html, formatted.print_html)
                if ends
                else (formatted.html.removesuffix("."), formatted.print_html.removesuffix("."))
            )
            author = self.engine.author(cites[0].source) + " " if citation.author_in_text else ""
            printed.append(author + print_html)
            return author + html

        html = PLACEHOLDER.sub(format_citation, footnote.html)
        printed_iter = iter(printed)
        print_html = PLACEHOLDER.sub(lambda _: next(printed_iter), footnote.html)
        if not sources:
            self.engine.break_ibid()
        note = Note(
            number, parsed.prefix, html, footnote.location, "authored", tuple(sources), print_html
        )
        return Call(note.call_id, note)

    def _cites(self, citation: Citation) -> Iterator[Cite]:
        """The citation's items with their sources; unknown keys are errors."""
        self.progress.advance()
        for item in citation.items:
            source = self.book.sources.get(item.key)
            if source is None:
                self.diagnostics.error(
                    item.location,
                    f"unknown source '{item.key}'{did_you_mean(item.key, self.book.sources)}",
                    "unknown-source",
                )
                continue
            yield Cite(item, source)

    def _record(self, lesson: Lesson, cites: list[Cite], label: str, ref_id: str) -> None:
        for key in dict.fromkeys(c.source.id for c in cites):
            places = self.uses.setdefault(key, [])
            if not places or places[-1].ref_id != ref_id:
                places.append(SourceUse(lesson, label, ref_id))


def _without_author(item: CitationItem) -> CitationItem:
    return replace(item, suppress_author=True)


def _ends_note(rest: str) -> bool:
    """True when nothing but closing tags follows (the citation ends the note)."""
    return not re.sub(r"</[a-z]+>|\s", "", rest)


def _warn_unused(book: Book, uses: Mapping[str, list[SourceUse]], diagnostics: Diagnostics) -> None:
    for source in book.sources.values():
        # An included course's sources are cited by its own lessons, not all in the reader.
        own = book.sources_path is not None and source.location.path == book.sources_path
        if source.id not in uses and own:
            diagnostics.warning(
                source.location, f"source '{source.id}' is never cited", "unused-source"
            )
