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

This module owns the transform (:func:`resolve_notes`) and what it makes of the whole book
(the bibliographies, the sources never cited); each chapter's plan is in :mod:`.planning`,
the sources appendix's entries in :mod:`.entries`, and the types handed to the rendering in
:mod:`.book_notes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..core.diagnostics import Diagnostics
from ..core.progress import Progress, Silent
from ..model import Book
from ..parse.lessons import ParsedLesson
from .book_notes import BibliographyEntry, BookNotes, SourceUse
from .csl import CitationEngine
from .entries import _Requests
from .planning import _Planner


def resolve_notes(
    book: Book,
    parsed: Mapping[str, ParsedLesson],
    engine: CitationEngine,
    diagnostics: Diagnostics,
    progress: Progress | None = None,
) -> BookNotes:
    """Number every note, format every citation, and list where each source is cited.

    Three steps: every chapter is planned (its notes numbered, its citations listed as the
    lessons wrote them, every source's uses recorded); the engine formats all chapters and
    bibliographies at once; the plans are then filled in with the formatted text."""
    planner = _Planner(book, engine.is_note_style, diagnostics, progress or Silent())
    groups = [chapter.documents for chapter in book.chapters]
    groups += [(appendix,) for appendix in book.appendices]  # each numbered on its own
    if book.about is not None:
        groups.insert(0, (book.about,))
    plans = [planner.chapter([parsed[lesson.id] for lesson in documents]) for documents in groups]
    if book.pack is None:  # a pack's other sources are cited by the lessons it leaves out
        _warn_unused(book, planner.uses, diagnostics)
    requests = _Requests(engine, [plan.slots for plan in plans], list(planner.uses))
    formatting = engine.format(requests.chapters)
    lessons = {
        lesson_id: notes
        for plan, formatted in zip(plans, formatting.chapters, strict=False)
        for lesson_id, notes in plan.fill(formatted).items()
    }
    entries = requests.entries(formatting, book, diagnostics)
    bibliography = _bibliography(book, entries, planner.uses)
    per_chapter = {
        number: _bibliography(book, entries, planner.uses, own)
        for number, own in _chapters_listed(book)
    }
    return BookNotes(lessons, bibliography, engine.is_note_style, per_chapter)


def _chapters_listed(book: Book) -> list[tuple[int, frozenset[str]]]:
    """The chapters that list their own sources, with their lessons' ids."""
    if not book.sources_per_chapter:
        return []
    return [
        (chapter.number, frozenset(lesson.id for lesson in chapter.documents))
        for chapter in book.chapters
    ]


def _bibliography(
    book: Book,
    entries: Sequence[tuple[str, str]],
    uses: Mapping[str, list[SourceUse]],
    own: frozenset[str] | None = None,
) -> tuple[BibliographyEntry, ...]:
    """The entries (of the book, or of the chapter whose lessons are ``own``) with the
    places that cite each."""
    listed = []
    for key, text in entries:
        places = tuple(u for u in uses[key] if own is None or u.lesson.id in own)
        if places:
            listed.append(BibliographyEntry(book.sources[key], text, places))
    return tuple(listed)


UNUSED_SAID = 20
"""Never-cited sources named one by one; past them, one warning counts the rest (a 50,000-entry
bibliography exported whole shouldn't bury the book's real problems)."""


def _warn_unused(book: Book, uses: Mapping[str, list[SourceUse]], diagnostics: Diagnostics) -> None:
    if book.unread:
        # A lesson named couldn't be read (not found, refused): the citations it holds are
        # unknown, and "never cited" could be false.
        return
    # An included course's sources are cited by its own lessons, not all in the reader.
    unused = [
        source
        for source in book.sources.values()
        if source.id not in uses
        and book.sources_path is not None
        and source.location.path == book.sources_path
    ]
    for source in unused[:UNUSED_SAID]:
        diagnostics.warning(
            source.location, f"source '{source.id}' is never cited", "unused-source"
        )
    if len(unused) > UNUSED_SAID:
        rest = unused[UNUSED_SAID:]
        diagnostics.warning(
            rest[0].location,
            f"and {len(rest):,} more sources are never cited, from here on "
            f"(the first {UNUSED_SAID} are named above)",
            "unused-source",
        )
