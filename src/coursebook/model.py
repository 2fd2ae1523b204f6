"""The book model: what loading produces and every later stage reads.

All objects are frozen: stages hand them on and build new ones, never patch old ones. Every
object that comes from a file carries its :class:`Location`, so any stage can point an author at
the line that caused a problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from .core.diagnostics import Diagnostic, Location
from .core.yamlio import Node

if TYPE_CHECKING:
    from .core.limits import Limits


@dataclass(frozen=True)
class Metadata:
    """What book.yaml says about the book as a publication."""

    title: str
    language: str
    """BCP 47 tag; drives hyphenation and the generated labels."""
    identifier: str
    """``urn:…`` given in book.yaml, or a stable ``urn:uuid:`` derived from title and course."""
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    course_id: str | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    publisher: str | None = None
    license: str | None = None
    description: str | None = None
    edition: str | None = None
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lesson:
    """A Markdown file of the book: a lesson, a chapter introduction or an appendix."""

    kind: Literal["lesson", "intro", "appendix", "about"]
    id: str
    """Stable id for links and EPUB file names (front matter ``id``, or the file stem)."""
    path: Path
    title: str
    body: str
    """The Markdown after the front matter (and after a leading ``# Title`` line, if any)."""
    body_line: int
    """Line of the file where ``body`` starts (1-based)."""
    location: Location
    number: str | None = None
    """Shown as "Lesson 16"; None for unnumbered lessons, introductions and appendices."""
    subtitle: str | None = None
    summary: str | None = None
    authors: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    """Discussion questions (Markdown, inline), printed at the end."""


@dataclass(frozen=True)
class Chapter:
    """A chapter: one lesson, or several under a chapter title."""

    number: int
    """1-based position among the chapters."""
    lessons: tuple[Lesson, ...]
    location: Location
    title: str | None = None
    """None when the chapter is a single lesson (the lesson's title stands for it)."""
    intro: Lesson | None = None

    @property
    def is_single_lesson(self) -> bool:
        return self.title is None

    @property
    def heading(self) -> str:
        return self.title if self.title is not None else self.lessons[0].title

    @property
    def documents(self) -> tuple[Lesson, ...]:
        """Everything in the chapter in reading order: the introduction, then the lessons."""
        return ((self.intro,) if self.intro else ()) + self.lessons


@dataclass(frozen=True)
class Source:
    """One entry of the sources file, as CSL data."""

    id: str
    type: str
    """CSL item type: ``book``, ``chapter``, ``article-journal``, ``webpage``…"""
    data: Mapping[str, Any]
    """The CSL-JSON fields (names as lists of ``{family, given}`` / ``{literal}``, dates as
    ``{"date-parts": [[y, m, d]]}``)."""
    location: Location
    sound: bool = True
    """False when its entry had errors (reported where they are; no more is said of it)."""

    def get(self, name: str) -> Any:
        return self.data.get(name)

    @property
    def url(self) -> str | None:
        value = self.data.get("URL")
        return value if isinstance(value, str) else None

    @property
    def link(self) -> str | None:
        """Where to read it: its URL, else its DOI's address at doi.org."""
        if self.url:
            return self.url
        doi = self.data.get("DOI")
        if not isinstance(doi, str) or not doi.strip():
            return None
        doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I)
        return "https://doi.org/" + quote(doi, safe="/()._-;:")


@dataclass(frozen=True)
class Course:
    """A sibling course folder a reader takes lessons from (book.yaml's ``include:``)."""

    root: Path
    """The course folder (resolved); the reader may read inside it."""
    meta: Metadata
    """What the course's own book.yaml says of it: credited in the reader's imprint."""
    location: Location
    """Where the reader's book.yaml includes it."""
    sources_path: Path | None = None

    def holds(self, path: Path) -> bool:
        """True when ``path`` (a lesson, an image) is a file of this course."""
        return path.resolve().is_relative_to(self.root)


@dataclass(frozen=True)
class GlossaryTerm:
    """A term of ``glossary.yaml``: explained in the glossary, linked at its first use in
    each lesson."""

    term: str
    definition: str
    """Markdown (inline)."""
    location: Location
    aliases: tuple[str, ...] = ()
    """Other forms that count as a use ("Bonapartist" for "Bonapartism")."""

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class IndexTerm:
    """A term book.yaml's ``index:`` lists: every paragraph that uses it is indexed."""

    term: str
    """As the index prints it; ``Bureaucracy!privileges`` is a sub-entry."""
    location: Location
    aliases: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        main = self.term.rsplit("!", 1)[-1]
        return (main, *self.aliases)


@dataclass(frozen=True)
class CitationStyle:
    """A CSL style ready for the engine: an independent style's XML (checked and found by
    :mod:`coursebook.source.csl_style`)."""

    name: str
    """As the book names it: a bundled style's name or the ``.csl`` file's path."""
    xml: bytes
    """The checked XML of the style (a dependent style's parent, with its locale)."""
    from_file: bool = False
    """The book's own ``.csl`` file, not one of the bundled styles."""


@dataclass(frozen=True)
class CheckedImage:
    """An image file that passed the checks of :mod:`coursebook.source.images`."""

    path: Path
    roots: tuple[Path, ...]
    """The folders it may be read from (the book's, or the cache of --allow-remote)."""
    media_type: str
    digest: str
    """sha256 of the bytes the outputs carry (for an SVG, of the cleaned SVG)."""
    limits: Limits
    """The limits it was checked under (it is read again under the same)."""
    width: int = 0
    height: int = 0
    cleaned: tuple[str, ...] = ()
    """What the SVG allow-list removed (said once, as a warning, where the image is named)."""


@dataclass(frozen=True)
class Book:
    """A whole book, loaded and checked against the schema."""

    root: Path
    """The book folder; nothing outside it (and the project's own styles) is ever read."""
    manifest: Path
    meta: Metadata
    chapters: tuple[Chapter, ...]
    sources: Mapping[str, Source]
    """Sources by id, in file order."""
    location: Location
    appendices: tuple[Lesson, ...] = ()
    cover: CheckedImage | None = None
    """The cover image, checked (None: a typographic cover is made)."""
    citation_style: CitationStyle | None = None
    """The CSL style, checked (None: the default style)."""
    settings: Mapping[str, Location] = field(default_factory=dict)
    """Where each key of book.yaml was written, for messages about its value."""
    sources_path: Path | None = None
    bibtex: Mapping[Path, str] = field(default_factory=dict)
    """The text of each BibTeX file the sources come from, by its path: the citations'
    engine gives pandoc these as they are, so that it reads them as it reads its own."""
    sources_per_chapter: bool = False
    """Besides the appendix, each chapter ends with the list of its own sources."""
    format_settings: Mapping[str, Node] = field(default_factory=dict)
    """The output formats' own keys of book.yaml (``print:``), as written, for each format
    to check (see :mod:`coursebook.formats.base`)."""
    stylesheets: tuple[tuple[str, str], ...] = ()
    """The book's own CSS (``css:``), cleaned, each with the formats it styles: ``all``,
    ``epub``, ``print``, ``html``; set after the project's styles, in this order."""
    pack: str | None = None
    """For a pack of some lessons ("Lessons 15–16"), what it holds; None for the whole book."""
    left_out: frozenset[Path] = frozenset()
    """Lesson files of the course left out of this pack (links to them become plain text)."""
    includes: tuple[Course, ...] = ()
    """The sibling course folders whose lessons (and sources) the book uses."""
    glossary: tuple[GlossaryTerm, ...] = ()
    glossary_path: Path | None = None
    index_terms: tuple[IndexTerm, ...] = ()
    """Terms indexed wherever they are used (besides those marked in the lessons)."""
    about: Lesson | None = None
    """``about.md``: how to use this reader, in the front matter."""
    reading_speed: int = 200
    """Words a minute, for the reading time of each lesson."""
    problems: tuple[Diagnostic, ...] = field(default=(), compare=False)
    """What loading found wrong (warnings; errors too when loaded with ``check=False``)."""
    unread: tuple[Location, ...] = ()
    """Where book.yaml names a lesson that couldn't be read (its problem is reported): what
    it cites is unknown."""
    stand_in: bool = False
    """book.yaml couldn't be parsed: this book is made of the lessons its text names, to check
    them in the same run; never to be shown or written as the book."""

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for chapter in self.chapters for lesson in chapter.lessons)

    def css_for(self, target: str) -> str:
        """The book's own CSS for one output (``epub``, ``print``, ``html``)."""
        return "\n".join(css for where, css in self.stylesheets if where in ("all", target))

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders the book may read: its own, then those it includes."""
        return (self.root, *(course.root for course in self.includes))

    def documents(self) -> Iterator[Lesson]:
        """Every Markdown document in reading order (about, introductions, lessons,
        appendices)."""
        if self.about is not None:
            yield self.about
        for chapter in self.chapters:
            yield from chapter.documents
        yield from self.appendices


@dataclass(frozen=True)
class Locator:
    """Where in a source: ``label`` is a CSL locator term (``page``, ``chapter``…)."""

    label: str
    value: str


@dataclass(frozen=True)
class CitationItem:
    """One source named in a citation: ``see @trotsky1936, chap. 9``."""

    key: str
    location: Location
    locator: Locator | None = None
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False
    """``-@key``: the sentence already names the author."""


@dataclass(frozen=True)
class Citation:
    """A citation as written in a lesson: ``[see @a, p. 3; @b]`` or ``@a [p. 3]``."""

    items: tuple[CitationItem, ...]
    location: Location
    raw: str
    """The text as written, restored where the citation turns out to be code."""
    author_in_text: bool = False
    """``@key [p. 33]``: the author's name stays in the sentence, the rest goes to a note."""


@dataclass(frozen=True)
class Note:
    """A numbered note of a chapter: a formatted citation or an authored footnote."""

    number: int
    """Position in the chapter's one note sequence (citations and authored notes together)."""
    prefix: str
    """The id prefix of the lesson holding the note (see :func:`naming.element_prefix`)."""
    html: str
    """The note's content as an XHTML fragment (inline content or paragraphs)."""
    location: Location
    kind: Literal["citation", "authored"]
    source_ids: tuple[str, ...] = ()
    """Sources cited in the note, in order."""
    print_html: str = ""
    """The note as printed, when it differs from ``html``: only print may say "Ibid." (a pop-up
    note in an ebook has no "previous note")."""

    @property
    def printed(self) -> str:
        return self.print_html or self.html

    # Generated ids use "--", which heading slugs never contain, so they can't collide.
    @property
    def id(self) -> str:
        return f"{self.prefix}--note-{self.number}"

    @property
    def call_id(self) -> str:
        """Id of the note's (first) call in the text."""
        return f"{self.prefix}--ref-{self.number}"
