"""The data handed from stage to stage of ``coursebook import``: a page as read, the works
and citations recognised in it, and the lessons, sources and book made of them."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...core.diagnostics import Location
from ...model import Source

# Private-use characters mark places in the text until the keys are known (and are removed
# from the page first, so a page can't forge them).
_CITE = re.compile("\ue010(\\d+)\ue011")
_LINK = re.compile("\ue012([^\ue012\ue013]*)\ue013(\\d+)\ue014")
_MARKS = "\ue010\ue011\ue012\ue013\ue014"


@dataclass(frozen=True)
class Block:
    """A piece of a lesson page: a paragraph, a section heading or a quotation."""

    kind: Literal["paragraph", "heading", "quote"]
    text: str
    """The text; a quotation's paragraphs are joined by blank lines."""
    lines: tuple[int, ...]
    """The page line of each paragraph (one for paragraphs and headings)."""
    full_text: tuple[str, ...] = ()
    """The addresses of the block's "Full text" links, in order (HTML pages only)."""
    links: tuple[str, ...] = ()
    """The addresses of the block's other links, numbered by the link marks in ``text``."""
    attribution: str | None = None
    """The line under a quotation that says where it is from."""
    attribution_url: str | None = None
    """The address of a "Full text" link on that line."""

    def line_at(self, offset: int) -> int:
        """The page line of a place in ``text``."""
        return self.lines[min(self.text.count("\n\n", 0, offset), len(self.lines) - 1)]


@dataclass(frozen=True)
class Furniture:
    """What a page says about the course rather than the lesson: it goes into book.yaml."""

    site_name: str | None = None
    course_title: str | None = None
    description: str | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    course_id: str | None = None
    language: str | None = None

    def merged(self, other: Furniture) -> Furniture:
        """This page's values, completed by another page's."""
        values = {
            name: getattr(self, name) if getattr(self, name) is not None else getattr(other, name)
            for name in self.__dataclass_fields__
        }
        return Furniture(**values)


@dataclass(frozen=True)
class Page:
    """A lesson page as read: its heading, furniture and blocks."""

    path: Path
    heading: str | None
    """The lesson's heading as written ("LESSON SIXTEEN: The nature …"), if found."""
    heading_line: int
    furniture: Furniture
    blocks: tuple[Block, ...]
    html: bool


@dataclass(frozen=True)
class Work:
    """A source as one citation names it; several citations may name the same work."""

    title: str | None
    author: str | None = None
    """As written: "Trotsky", "I. Deutscher", "Peter Hadden"."""
    year: int | None = None
    container: str | None = None
    """The collection it was read in: "Writings 1933-34"."""
    url: str | None = None
    kind: Literal["article", "book", "chapter"] = "book"
    """A guess from how it is written: quoted titles are articles, italic-style ones books."""

    @property
    def identity(self) -> str:
        """Works with the same identity are one source: the normalised title, or for a
        citation without a title, author and year."""
        if self.title:
            return "t:" + title_key(self.title)
        return f"a:{family_key(self.author or '')}:{self.year}"


@dataclass(frozen=True)
class Cite:
    """One recognised citation: the work, where in it, and where on the page."""

    work: Work
    location: Location
    written: str
    """The text it was recognised from, for the review comments."""
    locator: str = ""
    """As coursebook writes it: "chap. 9", "p. 12"."""
    prefix: str = ""
    """"quoted in", "see"."""


@dataclass(frozen=True)
class ImportedLesson:
    """A page turned into a lesson: its front matter values and Markdown with citation
    marks (``\\ue010N\\ue011`` for ``cites[N]``) still to be given keys."""

    page: Page
    title: str
    number: int | None
    markdown: str
    cites: tuple[Cite, ...]
    left_as_text: tuple[tuple[Location, str], ...] = ()
    """Each parenthetical remark left as text: where, and as written."""


@dataclass(frozen=True)
class DraftSource:
    """A source of the imported book: a draft made from citations, or an entry of --sources."""

    key: str
    work: Work
    first: Cite
    known: Source | None = None
    """The --sources entry it matched; None for a draft."""
    how: str = ""
    """How it was matched ("title", "author and year")."""


@dataclass(frozen=True)
class ImportedBook:
    lessons: tuple[ImportedLesson, ...]
    sources: tuple[DraftSource, ...]
    furniture: Furniture


@dataclass(frozen=True)
class PageReport:
    """What the import recognised on one page, and what it left as text."""

    path: Path
    title: str
    number: int | None
    citations: int
    left_as_text: int
    file: str
    """The lesson file written, relative to the book folder."""


def title_key(title: str) -> str:
    """A title as compared: ‘The Workers’ State…’ and "workers' state …" are the same."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", " ", folded.lower()).split()
    if words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def family_key(author: str) -> str:
    """The family name of "I. Deutscher", "Peter Hadden" or "Trotsky", as compared."""
    words = author.replace(",", " ").split()
    if "," in author:
        words = author.split(",")[0].split()
    return title_key(words[-1]) if words else ""
