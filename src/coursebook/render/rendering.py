"""The one rendering of a book, shared by every output format.

Every part of the book (title page, imprint, contents, chapter openers, lessons, appendices,
sources) becomes an XHTML fragment from the project's own Jinja2 templates (autoescaping on,
undefined names an error). Lesson text is inserted as already-sanitized markup, never rendered
as a template.

The rendering is neutral: no format's vocabulary and no format's way with notes. Its
contract with the formats (each renders what follows its own way):

- **Structural semantics** as ``data-semantics="chapter"`` (the EPUB Structural Semantics
  Vocabulary's word, in a valid HTML attribute): the EPUB writes them as ``epub:type``.
- **A note call** is a link with ``role="doc-noteref"`` whose ``href`` names its note, and
  the **notes** themselves are data, :attr:`RenderedDocument.notes` (typed, each with its
  text for the screen and for print). Where a document's notes would go, the text holds
  :data:`NOTES_SLOT`: the EPUB and the web edition put :func:`notes_section` there; print
  sets each note at its call.

This module renders the book (:func:`render_book`) and each of its parts; what it gives the
formats is in :mod:`.rendered_book`, the notes' calls and lists (with :data:`NOTES_SLOT` and
:func:`notes_section`) in :mod:`.notes`, the sources appendix and the index in
:mod:`.appendices`, and the templates' environment in :mod:`.templating`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from html import escape
from itertools import groupby

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from markupsafe import Markup

from ..cite.book_notes import BibliographyEntry, BookNotes, LessonNotes
from ..core.diagnostics import Diagnostic, Diagnostics, Location
from ..core.labels import labels_for
from ..core.version import __version__
from ..model import Book, Chapter, Course, Lesson, Note
from ..parse.lessons import Image, ParsedLesson, glossary_definitions
from ..parse.terms import IndexPlace, glossary_id, index_entries, sort_key
from .appendices import _letter, index_appendix, sources_appendix
from .notes import NOTES_SLOT, problem_mark, replace_calls
from .rendered_book import RenderedBook, RenderedDocument, TocEntry
from .templating import template_environment

GENERATED_IDS = ("titlepage", "imprint", "contents", "sources", "glossary", "index")


def render_book(
    book: Book, parsed: Mapping[str, ParsedLesson], notes: BookNotes, diagnostics: Diagnostics
) -> RenderedBook:
    """Render every part of the book, in reading order."""
    renderer = _Renderer(book, parsed, notes, glossary_definitions(book, diagnostics))
    renderer.errors = tuple(diagnostics.errors)  # marked where they are (the preview)
    documents = tuple(renderer.documents())
    _check_unique_ids(documents, parsed, diagnostics)
    images: dict[str, Image] = {}
    for image in (image for p in parsed.values() for image in p.images):
        if image.href not in images or not image.alt:  # an undescribed use counts
            images[image.href] = image
    return RenderedBook(
        book,
        documents,
        renderer.toc,
        tuple(images.values()),
        renderer.labels,
        notes,
        renderer.index,
    )


def _check_unique_ids(
    documents: Sequence[RenderedDocument],
    parsed: Mapping[str, ParsedLesson],
    diagnostics: Diagnostics,
) -> None:
    lessons = {p.prefix: p.lesson for p in parsed.values()}
    for document in documents:
        if document.kind in GENERATED_IDS and document.id in lessons:
            lesson = lessons[document.id]
            diagnostics.error(
                lesson.location,
                f"the lesson id '{document.id}' is reserved for the book's {document.kind} page; "
                "set another 'id' in the lesson's front matter",
                "duplicate-id",
            )


class _Renderer:
    def __init__(
        self,
        book: Book,
        parsed: Mapping[str, ParsedLesson],
        notes: BookNotes,
        definitions: Mapping[str, str],
    ) -> None:
        self.book = book
        self.parsed = parsed
        self.notes = notes
        self.definitions = definitions
        self.labels = labels_for(book.meta.language)
        self.env = template_environment()
        self.index = index_entries(self._index_places())
        self.glossary = self._glossary_entries()
        self.toc = tuple(self._toc())
        self.errors: tuple[Diagnostic, ...] = ()

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(labels=self.labels, **context).strip()

    def documents(self) -> Iterator[RenderedDocument]:
        meta = self.book.meta
        yield RenderedDocument(
            "titlepage", "titlepage", meta.title, self.render("titlepage.xhtml", meta=meta)
        )
        yield RenderedDocument(
            "imprint",
            "imprint",
            self.labels["imprint"],
            self.render(
                "imprint.xhtml",
                meta=meta,
                facts=self._imprint_facts(),
                courses=[Markup(self._credit(course)) for course in self._courses_used()],
                version=__version__,
            ),
        )
        yield RenderedDocument(
            "contents",
            "contents",
            self.labels["contents"],
            self.render("contents.xhtml", toc=self.toc),
        )
        if self.book.about is not None:
            yield self._lesson(self.book.about, None, "about")
        for chapter in self.book.chapters:
            if not chapter.is_single_lesson:
                yield self._chapter_opener(chapter)
            for lesson in chapter.lessons:
                yield self._lesson(lesson, chapter)
            if chapter.number in self.notes.chapter_bibliographies:
                yield self._chapter_sources(chapter)
        for appendix in self.book.appendices:
            yield self._lesson(appendix, None)
        if self.glossary:
            yield RenderedDocument(
                "glossary", "glossary", self.labels["glossary"], self._glossary()
            )
        if self.notes.bibliography:
            yield RenderedDocument(
                "sources",
                "sources",
                self.labels["sources"],
                self.sources_appendix(self.cited_in),
            )
        if self.index:
            html = index_appendix(self.index, self.labels, self.index_links)
            yield RenderedDocument("index", "index", self.labels["index"], html)

    # --- parts ------------------------------------------------------------------------------

    def _chapter_opener(self, chapter: Chapter) -> RenderedDocument:
        intro: Markup | None = None
        notes: tuple[Note, ...] = ()
        if chapter.intro:
            body, notes = self._body_and_notes(self.parsed[chapter.intro.id])
            intro = Markup(body)
        html = self.render(
            "chapter.xhtml",
            id=chapter_id(chapter),
            chapter=chapter,
            intro=intro,
            notes_slot=Markup(NOTES_SLOT),
        )
        return RenderedDocument(
            chapter_id(chapter), "chapter", chapter.heading, html, chapter.number, notes
        )

    def _chapter_sources(self, chapter: Chapter) -> RenderedDocument:
        """The sources of one chapter, listed at its end."""
        html = sources_appendix(
            self.notes,
            self.labels,
            self.cited_in,
            entries_of=self.notes.chapter_bibliographies[chapter.number],
            id=chapter_sources_id(chapter),
            level=1 if chapter.is_single_lesson else 2,
            name=f"{self.labels['sources']} ({self.labels['chapter']} {chapter.number})",
        )
        return RenderedDocument(
            chapter_sources_id(chapter),
            "chapter-sources",
            self.labels["sources"],
            html,
            chapter.number,
        )

    def _lesson(
        self, lesson: Lesson, chapter: Chapter | None, kind: str | None = None
    ) -> RenderedDocument:
        parsed = self.parsed[lesson.id]
        body, notes = self._body_and_notes(parsed)
        kind = kind or ("appendix" if chapter is None else "lesson")
        epub_type, role = {
            "appendix": ("appendix", "doc-appendix"),
            "lesson": ("chapter", "doc-chapter"),
            "about": ("preface", "doc-preface"),
        }[kind]
        html = self.render(
            "lesson.xhtml",
            classes=f"lesson {kind}" if kind != "lesson" else "lesson",
            prefix=parsed.prefix,
            epub_type=epub_type,
            role=role,
            level=parsed.level,
            label=self.lesson_label(lesson),
            lesson=lesson,
            summary=Markup(parsed.summary) if parsed.summary else None,
            body=Markup(body),
            questions=[Markup(q) for q in parsed.questions],
            notes_slot=Markup(NOTES_SLOT),
            reading_time=self.reading_time(parsed, "reading_time_long")
            if kind == "lesson"
            else None,
        )
        return RenderedDocument(
            parsed.prefix, kind, lesson.title, html, chapter.number if chapter else None, notes
        )

    def reading_time(self, parsed: ParsedLesson, label: str = "reading_time") -> str:
        """ "12 min": the lesson's words at the book's reading speed, at least a minute."""
        return self.labels[label].format(minutes=self.minutes(parsed))

    def minutes(self, parsed: ParsedLesson) -> int:
        return max(1, round(parsed.words / self.book.reading_speed))

    # --- glossary and index -------------------------------------------------------------

    def _glossary_entries(self) -> list[dict[str, object]]:
        """The glossary's entries in alphabetical order: all the terms of glossary.yaml, or
        in a pack, those its lessons use."""
        uses: dict[str, list[tuple[Lesson, str]]] = {}
        for parsed in self.parsed.values():
            for name, anchor in parsed.glossary_uses:
                uses.setdefault(name, []).append((parsed.lesson, anchor))
        terms = [t for t in self.book.glossary if self.book.pack is None or t.term in uses]
        entries: list[dict[str, object]] = []
        for term in sorted(terms, key=lambda t: sort_key(t.term)):
            places = ", ".join(
                f'<a class="xref" href="#{anchor}">'
                f"{escape(self.lesson_label(lesson) or lesson.title)}</a>"
                for lesson, anchor in uses.get(term.term, [])
            )
            entries.append(
                {
                    "id": glossary_id(term),
                    "term": term.term,
                    "definition": Markup(self.definitions.get(term.term, escape(term.definition))),
                    "aliases": term.aliases,
                    "uses": Markup(places),
                }
            )
        return entries

    def _glossary(self) -> str:
        return self.render("glossary.xhtml", entries=self.glossary)

    def _index_places(self) -> Iterator[IndexPlace]:
        for lesson in self.book.documents():
            parsed = self.parsed.get(lesson.id)
            if parsed is None:
                continue
            label = self.lesson_label(lesson) or lesson.title
            for mark in parsed.index_marks:
                yield IndexPlace(mark, parsed.prefix, label)

    def index_links(self, places: Sequence[IndexPlace]) -> str:
        """The shared rendering's locators, by lesson: "Lesson 3; Lesson 15: a, b, c", each
        a link to one place (as the sources appendix's back-links are)."""
        groups = []
        for _, group in groupby(places, key=lambda place: place.document):
            found = list(group)
            name = escape(found[0].label)
            if len(found) == 1:
                groups.append(f'<a class="index-locator" href="#{found[0].mark.id}">{name}</a>')
                continue
            letters = ", ".join(
                f'<a class="index-locator" href="#{place.mark.id}" '
                f'aria-label="{name}, {index + 1}">{_letter(index)}</a>'
                for index, place in enumerate(found)
            )
            groups.append(f"{name}: {letters}")
        return "; ".join(groups)

    # --- imprint -------------------------------------------------------------------------

    def _courses_used(self) -> list[Course]:
        return [
            course
            for course in self.book.includes
            if any(course.holds(d.path) for d in self.book.documents())
        ]

    def _credit(self, course: Course) -> str:
        """``The rise of Stalinism (course 10), Marxist Education Portal; published 10
        February 2026, updated 12 February 2026; licence CC BY-SA 4.0.``"""
        meta, labels = course.meta, self.labels
        name = f"<cite>{escape(meta.title)}</cite>"
        if meta.course_id:
            name += f" ({escape(labels['course'].lower())} {escape(meta.course_id)})"
        parts = [name + (f", {escape(', '.join(meta.authors))}" if meta.authors else "")]
        if meta.publisher:
            parts.append(escape(meta.publisher))
        dates = [
            f"{escape(labels[key].lower())} {escape(self.date(value) or '')}"
            for key, value in (("published", meta.published), ("updated", meta.updated))
            if value
        ]
        if dates:
            parts.append(", ".join(dates))
        if meta.license:
            parts.append(f"{escape(labels['license'].lower())} {escape(meta.license)}")
        return "; ".join(parts) + "."

    def lesson_label(self, lesson: Lesson) -> str | None:
        return f"{self.labels['lesson']} {lesson.number}" if lesson.number else None

    def _body_and_notes(self, parsed: ParsedLesson) -> tuple[str, tuple[Note, ...]]:
        lesson_notes = self.notes.lessons.get(parsed.lesson.id, LessonNotes({}, ()))
        body = replace_calls(parsed.html, lesson_notes, self._marks(parsed))
        seen: set[int] = set()
        notes = []
        for note in lesson_notes.notes:
            if note.number not in seen:
                seen.add(note.number)
                notes.append(note)
        return body, tuple(notes)

    def _marks(self, parsed: ParsedLesson) -> dict[int, str]:
        """The lesson's citations that have errors, each marked with them (by index)."""
        errors = [e for e in self.errors if e.location.path == parsed.lesson.path]
        marks = {}
        for index, citation in enumerate(parsed.citations if errors else ()):
            inside = [e for e in errors if _within(e.location, citation.location, citation.raw)]
            if inside:
                marks[index] = problem_mark(citation.raw, inside)
        return marks

    def _imprint_facts(self) -> list[tuple[str, str]]:
        meta, labels = self.book.meta, self.labels
        facts = [
            (labels["course"], meta.course_id),
            (labels["edition"], meta.edition),
            (labels["published"], self.date(meta.published)),
            (labels["updated"], self.date(meta.updated)),
            (labels["publisher"], meta.publisher),
            (labels["license"], meta.license),
            (labels["identifier"], meta.identifier),
        ]
        return [(term, value) for term, value in facts if value]

    def date(self, value: dt.date | None) -> str | None:
        if value is None:
            return None
        try:
            locale = Locale.parse(self.book.meta.language, sep="-")
        except (UnknownLocaleError, ValueError):
            locale = Locale("en")
        return str(format_date(value, format="long", locale=locale))

    def sources_appendix(self, cited_in: Callable[[BibliographyEntry], str]) -> str:
        return sources_appendix(self.notes, self.labels, cited_in)

    def cited_in(self, entry: BibliographyEntry) -> str:
        """``Cited in Lesson 15: note 4; Lesson 16: notes 10, 11.`` with each number a link to
        the note's call (note styles); with an in-text style, links lettered a, b, c to each
        place, as a reference list's back-links are."""
        groups = []
        for lesson, group in groupby(entry.uses, key=lambda use: use.lesson):
            uses = list(group)
            # data-page-label: print adds the page of each place ("p. 9") after the link.
            page = escape(self.labels["page_abbr"])
            if self.notes.note_style:
                word = self.labels["note"] if len(uses) == 1 else self.labels["notes_plural"]
                links = ", ".join(
                    f'<a class="backref" href="#{use.ref_id}" data-page-label="{page}">'
                    f"{use.label}</a>"
                    for use in uses
                )
                places = f"{word} {links}"
            else:
                places = ", ".join(
                    f'<a class="backref" href="#{use.ref_id}" data-page-label="{page}">'
                    f"{_letter(index)}</a>"
                    for index, use in enumerate(uses)
                )
            name = escape(self.lesson_label(lesson) or lesson.title)
            groups.append(f"{name}: {places}")
        return f"{escape(self.labels['cited_in'])} {'; '.join(groups)}."

    # --- contents ---------------------------------------------------------------------------

    def _toc(self) -> Iterator[TocEntry]:
        if self.book.about is not None:
            about = self.book.about
            yield TocEntry(about.title, self.parsed[about.id].prefix, "about")
        for chapter in self.book.chapters:
            lessons = tuple(self._toc_lesson(lesson, "lesson") for lesson in chapter.lessons)
            if chapter.number in self.notes.chapter_bibliographies:
                own = TocEntry(self.labels["sources"], chapter_sources_id(chapter), "sources")
                if chapter.is_single_lesson:
                    only = lessons[0]
                    lessons = (
                        TocEntry(
                            only.title, only.target, only.kind, only.label, (*only.children, own)
                        ),
                    )
                else:
                    lessons = (*lessons, own)
            if chapter.is_single_lesson:
                yield lessons[0]
            else:
                yield TocEntry(chapter.heading, chapter_id(chapter), "chapter", None, lessons)
        for appendix in self.book.appendices:
            yield self._toc_lesson(appendix, "appendix")
        if self.glossary:
            yield TocEntry(self.labels["glossary"], "glossary", "backmatter")
        if self.notes.bibliography:
            yield TocEntry(self.labels["sources"], "sources", "backmatter")
        if self.index:
            yield TocEntry(self.labels["index"], "index", "backmatter")

    def _toc_lesson(self, lesson: Lesson, kind: str) -> TocEntry:
        parsed = self.parsed[lesson.id]
        sections = tuple(
            TocEntry(h.text, h.id, "section")
            for h in parsed.headings
            if h.level == parsed.level + 1 and h.id
        )
        minutes = self.minutes(parsed) if kind == "lesson" else None
        return TocEntry(
            lesson.title, parsed.prefix, kind, self.lesson_label(lesson), sections, minutes
        )


def chapter_id(chapter: Chapter) -> str:
    return f"chapter-{chapter.number}"


def chapter_sources_id(chapter: Chapter) -> str:
    return f"chapter-{chapter.number}-sources"


def _within(place: Location, start: Location, written: str) -> bool:
    """True when ``place`` is in the text ``written`` that begins at ``start``."""
    lines = written.split("\n")
    end_line = start.line + len(lines) - 1
    end_column = (start.column if len(lines) == 1 else 1) + len(lines[-1])
    return (start.line, start.column) <= (place.line, place.column) <= (end_line, end_column)
