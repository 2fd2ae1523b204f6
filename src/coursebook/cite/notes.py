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

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.diagnostics import Diagnostics, did_you_mean
from ..core.progress import Progress, Silent
from ..model import Book, Citation, Lesson, Note, Source
from ..parse.citation_syntax import PLACEHOLDER
from ..parse.lessons import CALL, Footnote, ParsedLesson
from .csl import CitationEngine
from .formatting import AuthoredNote, Cite, Formatted, Formatting, Slot


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


class _Requests:
    """What the engine is asked to format: the chapters, and for a style with no
    bibliography (notes only) one more chapter per cited source, whose single citation is its
    full first form: the sources appendix lists that."""

    def __init__(
        self, engine: CitationEngine, chapters: list[tuple[Slot, ...]], cited: list[str]
    ) -> None:
        self.engine = engine
        self.cited = cited
        self.with_bibliography = engine.facts.bibliography
        self.chapters: list[Sequence[Slot]] = list(chapters)
        self.alone: dict[str, int] = {}
        if not self.with_bibliography:
            for key in cited:
                self.alone[key] = len(self.chapters)
                self.chapters.append(_alone(key))

    def entries(
        self, formatting: Formatting, book: Book, diagnostics: Diagnostics
    ) -> list[tuple[str, str]]:
        """Every cited source's entry, in the style's order. Every cited source is in the
        sources appendix: one the style prints no entry for is listed as its first note
        reads, with a warning, when the style leaves out every source of its type (Chicago
        lists no personal communication); an error when it is the source's data that leave
        the entry empty (what the author can mend)."""
        if not self.with_bibliography:
            alone = [(k, formatting.chapters[self.alone[k]][0].html) for k in self.cited]
            return sorted(alone, key=lambda entry: _sort_text(entry[1]))
        cited = set(self.cited)
        made = [(k, t) for k, t in formatting.bibliography if k in cited and t.strip()]
        listed = {k for k, _ in made}
        missing = [k for k in self.cited if k not in listed and book.sources[k].sound]
        if not missing:
            return made
        fields, notes = _what_would_print(self.engine, book, missing)
        for key in missing:
            source = book.sources[key]
            if fields[key]:
                diagnostics.error(
                    source.location,
                    f"source '{key}' is cited, but the citation style prints no entry for it "
                    "in the sources appendix: its data leave the entry empty (give it "
                    f"{_one_of(fields[key])})",
                    "empty-entry",
                )
                continue
            diagnostics.warning(
                source.location,
                f"the citation style lists no '{source.type}' in a bibliography; source "
                f"'{key}' is in the sources appendix as its first note reads",
                "empty-entry",
            )
            made = _inserted(made, (key, notes[key]))
        return made


_PROBE: dict[str, Any] = {
    "title": "Title",
    "author": [{"family": "Author", "given": "A."}],
    "editor": [{"family": "Editor", "given": "E."}],
    "issued": {"date-parts": [[2000, 1, 1]]},
    "publisher": "Publisher",
    "publisher-place": "Place",
    "container-title": "Container",
    "collection-title": "Collection",
    "event-title": "Event",
    "archive": "Archive",
    "archive-place": "Archive Place",
    "genre": "Genre",
    "medium": "Medium",
    "number": "1",
    "volume": "1",
    "page": "1-2",
    "URL": "https://example.org/",
}
"""Fields a style may print, with a value each, to find what a source lacks."""


def _what_would_print(
    engine: CitationEngine, book: Book, missing: list[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """For each source the style printed no entry for: the fields that, given alone, make
    it print one (none: the style lists no source of its type, whatever its data), and its
    first note, all in one more run over probes (the source with one more field each)."""
    sources: dict[str, Source] = {key: book.sources[key] for key in missing}
    probes: dict[str, tuple[str, str]] = {}
    for key in missing:
        source = book.sources[key]
        for name, value in _PROBE.items():
            if name not in source.data:
                probe = f"coursebookprobe{len(probes)}"  # a key pandoc reads whole
                probes[probe] = (key, name)
                data = {**source.data, name: value}
                sources[probe] = Source(probe, source.type, data, source.location)
    probing = CitationEngine(engine.style, engine.language, sources, seconds=engine.seconds)
    chapters = [_alone(key) for key in missing]
    chapters.append(tuple(Cite(f"[@{_key_text(p)}]") for p in probes))
    formatting = probing.format(chapters)
    fields: dict[str, list[str]] = {key: [] for key in missing}
    for probe, text in formatting.bibliography:
        if probe in probes and text.strip():
            key, name = probes[probe]
            fields[key].append(name)
    notes = {key: formatting.chapters[i][0].html for i, key in enumerate(missing)}
    return fields, notes


def _one_of(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return f"a {quoted[0]}"
    return "one of " + ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _alone(key: str) -> tuple[Slot, ...]:
    """A chapter of one citation of ``key``: its first, full form."""
    return (Cite(f"[@{_key_text(key)}]"),)


def _inserted(entries: list[tuple[str, str]], entry: tuple[str, str]) -> list[tuple[str, str]]:
    """``entry`` among alphabetically ordered ``entries``, where its text falls."""
    text = _sort_text(entry[1])
    at = next((i for i, (_, t) in enumerate(entries) if _sort_text(t) > text), len(entries))
    return [*entries[:at], entry, *entries[at:]]


def _key_text(key: str) -> str:
    return key if re.fullmatch(r"\w(?:[\w:.#$%&+?<>~/-]*\w)?", key) else "{" + key + "}"


def _sort_text(text: str) -> str:
    return re.sub(r"<[^>]+>", "", html.unescape(text)).casefold()


# --- one chapter's plan -----------------------------------------------------------------------


@dataclass
class _PendingCitation:
    """A citation in the running text, waiting for its formatted text."""

    placeholder: str
    citation: Citation
    index: int
    """Its place among the chapter's formatted citations."""
    ref_id: str
    note: Note | None
    """Its note (without text yet), with a note style."""


@dataclass
class _PendingFootnote:
    placeholder: str
    note: Note
    footnote: Footnote
    indexes: dict[int, int]
    """Citation index in the lesson → place among the chapter's formatted citations."""


@dataclass
class _LessonPlan:
    lesson: ParsedLesson
    calls: list[_PendingCitation | _PendingFootnote] = field(default_factory=list)


@dataclass
class _ChapterPlan:
    lessons: list[_LessonPlan]
    slots: tuple[Slot, ...]

    def fill(self, formatted: Sequence[Formatted]) -> dict[str, LessonNotes]:
        return {plan.lesson.lesson.id: _filled(plan, formatted) for plan in self.lessons}


def _filled(plan: _LessonPlan, formatted: Sequence[Formatted]) -> LessonNotes:
    calls: dict[str, Call] = {}
    notes: list[Note] = []
    for pending in plan.calls:
        if isinstance(pending, _PendingCitation):
            text = formatted[pending.index]
            if pending.note is None:  # set in the text (an in-text style): "ibid." reads well
                # there in every medium, the citation before it being just before it
                calls[pending.placeholder] = Call(pending.ref_id, None, text.print_html)
                continue
            note = _with_text(pending.note, text.html, text.print_html)
            calls[pending.placeholder] = Call(pending.ref_id, note, text.author)
        else:

            def screen(match: re.Match[str], p: _PendingFootnote = pending) -> str:
                return formatted[p.indexes[int(match.group(1))]].html + _CITE_END

            def printed(match: re.Match[str], p: _PendingFootnote = pending) -> str:
                return formatted[p.indexes[int(match.group(1))]].print_html + _CITE_END

            body = pending.footnote.html
            note = _with_text(
                pending.note,
                _settled(PLACEHOLDER.sub(screen, body)),
                _settled(PLACEHOLDER.sub(printed, body)),
            )
            calls[pending.placeholder] = Call(note.call_id, note)
        notes.append(note)
    return LessonNotes(calls, tuple(notes))


_CITE_END = "\ue004"
"""Where a formatted citation ends inside an authored note, until its punctuation is settled
with the author's (private use: never in a book's text, which loses those characters)."""
_CLOSERS = r"(?:</[a-z]+>|[”’»])*"
_DOUBLED_STOP = re.compile(rf"([.!?]{_CLOSERS}){_CITE_END}\.")
_STOP_BEFORE_MARK = re.compile(rf"\.({_CLOSERS}){_CITE_END}([,;:])")


def _settled(note: str) -> str:
    """A citation's final period and the author's punctuation after it, not doubled (pandoc
    doubles them: "“The New Workers.”." and "14.; also"): before the author's period, the
    citation's stop serves; before a comma, semicolon or colon, the citation's period goes."""
    note = _DOUBLED_STOP.sub(r"\1", note)
    note = _STOP_BEFORE_MARK.sub(r"\1\2", note)
    return note.replace(_CITE_END, "")


def _with_text(note: Note, screen: str, printed: str) -> Note:
    return Note(
        note.number,
        note.prefix,
        screen,
        note.location,
        note.kind,
        note.source_ids,
        printed if printed != screen else "",
    )


@dataclass
class _Planner:
    """Numbers the notes of each chapter and lists its citations for the engine."""

    book: Book
    note_style: bool
    diagnostics: Diagnostics
    progress: Progress
    uses: dict[str, list[SourceUse]] = field(default_factory=dict)

    def chapter(self, lessons: Sequence[ParsedLesson]) -> _ChapterPlan:
        self.number = 0
        self.slots: list[Slot] = []
        self.cites = 0
        plans = [self._lesson(lesson) for lesson in lessons]
        return _ChapterPlan(plans, tuple(self.slots))

    def _lesson(self, parsed: ParsedLesson) -> _LessonPlan:
        plan = _LessonPlan(parsed)
        seen: set[str] = set()
        in_text = 0
        for match in CALL.finditer(parsed.html):
            placeholder = match.group(0)
            if placeholder in seen:  # the same footnote called again
                continue
            seen.add(placeholder)
            if match.group(1) is not None:
                citation = parsed.citations[int(match.group(1))]
                keys = self._known(citation)
                if not keys:
                    continue
                if not self.note_style:
                    in_text += 1
                    ref_id = f"{parsed.prefix}--cite-{in_text}"
                    self._record(parsed.lesson, keys, str(in_text), ref_id)
                    plan.calls.append(
                        _PendingCitation(
                            placeholder, citation, self._cite(citation.raw), ref_id, None
                        )
                    )
                    continue
                plan.calls.append(self._citation_note(parsed, placeholder, citation, keys))
            else:
                plan.calls.append(self._footnote(parsed, placeholder, int(match.group(2))))
        return plan

    def _citation_note(
        self, parsed: ParsedLesson, placeholder: str, citation: Citation, keys: list[str]
    ) -> _PendingCitation:
        self.number += 1
        note = Note(
            number=self.number,
            prefix=parsed.prefix,
            html="",
            location=citation.location,
            kind="citation",
            source_ids=tuple(keys),
        )
        self._record(parsed.lesson, keys, str(note.number), note.call_id)
        return _PendingCitation(placeholder, citation, self._cite(citation.raw), note.call_id, note)

    def _cite(self, raw: str, **where: bool) -> int:
        self.slots.append(Cite(raw, **where))
        self.cites += 1
        return self.cites - 1

    def _footnote(self, parsed: ParsedLesson, placeholder: str, index: int) -> _PendingFootnote:
        footnote = parsed.footnotes[index]
        self.number += 1
        ref_id = f"{parsed.prefix}--ref-{self.number}"
        sources: list[str] = []
        cites: list[Cite] = []
        indexes: dict[int, int] = {}
        body = footnote.html
        for match in PLACEHOLDER.finditer(body):
            citation = parsed.citations[int(match.group(1))]
            keys = self._known(citation)
            if not keys:
                continue
            sources += keys
            self._record(parsed.lesson, keys, str(self.number), ref_id)
            indexes[int(match.group(1))] = self.cites + len(cites)
            cites.append(
                Cite(
                    citation.raw,
                    in_note=True,
                    after_text=bool(_text(PLACEHOLDER.sub("", body[: match.start()]))),
                    before_capital=_starts_capital(body[match.end() :]),
                )
            )
        self.slots.append(AuthoredNote(tuple(cites)))
        self.cites += len(cites)
        note = Note(self.number, parsed.prefix, "", footnote.location, "authored", tuple(sources))
        body_without = PLACEHOLDER.sub(
            lambda m: "" if int(m.group(1)) not in indexes else m.group(0), body
        )
        footnote = Footnote(footnote.label, body_without, footnote.location)
        return _PendingFootnote(placeholder, note, footnote, indexes)

    def _known(self, citation: Citation) -> list[str]:
        """The citation's sources, by key; unknown keys are errors."""
        self.progress.advance()
        keys = []
        for item in citation.items:
            if item.key in self.book.sources:
                keys.append(item.key)
                continue
            self.diagnostics.error(
                item.location,
                f"unknown source '{item.key}'{did_you_mean(item.key, self.book.sources)}",
                "unknown-source",
            )
        return keys

    def _record(self, lesson: Lesson, keys: list[str], label: str, ref_id: str) -> None:
        for key in dict.fromkeys(keys):
            places = self.uses.setdefault(key, [])
            if not places or places[-1].ref_id != ref_id:
                places.append(SourceUse(lesson, label, ref_id))


def _text(fragment: str) -> str:
    """The words of an XHTML fragment, without tags."""
    return re.sub(r"<[^>]+>", "", fragment).strip()


def _starts_capital(rest: str) -> bool:
    """Whether the text after a citation in a note starts with a capital, or is empty (what
    decides whether pandoc keeps the final period of an author-in-text citation)."""
    words = _text(PLACEHOLDER.sub("", rest))
    return not words or words[0].isupper()


UNUSED_SAID = 20
"""Never-cited sources named one by one; past them, one warning counts the rest (a 50,000-entry
bibliography exported whole shouldn't bury the book's real problems)."""


def _warn_unused(book: Book, uses: Mapping[str, list[SourceUse]], diagnostics: Diagnostics) -> None:
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
