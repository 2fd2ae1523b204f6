"""``coursebook import PAGE... -o BOOK_DIR``: the portal's lesson pages as a book folder.

The portal's lessons are web pages whose citations are written in prose. Importing one::

    LESSON SIXTEEN: The nature of the Stalinist state            (a text page, or the HTML)
    … Trotsky responded in an article, ‘The Workers’ State, Thermidor and Bonapartism’,1935:
    “As the bureaucracy becomes more independent …”. (Full text)

becomes ``lessons/16-the-nature-of-the-stalinist-state.md``::

    ---
    title: "The nature of the Stalinist state"
    number: 16
    ---
    … Trotsky responded in an article, ‘The Workers’ State, Thermidor and Bonapartism’,1935:
    “As the bureaucracy becomes more independent …” [@trotsky1935workers].

with a draft entry for ``trotsky1935workers`` in ``sources.yaml`` (marked for review) and the
page furniture (site name, course title, "About this course") in ``book.yaml``.

The stages, top to bottom: :func:`read_page` (a file into blocks of text, HTML or plain),
:func:`import_lesson` (blocks into Markdown, citations recognised into :class:`Cite`s),
:func:`assemble` (every page's citations into one set of sources, each with one key), and
:func:`write_book` (the folder, written whole or not at all). Pages are hostile input: HTML
is parsed by lxml without network, entities or scripts, and sizes are capped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import lxml.html
import yaml
from lxml import etree

from .diagnostics import Diagnostics, Location, display_path
from .model import Source
from .naming import slugify
from .sources import read_sources

PAGE_BYTES = 5_000_000
"""The largest page read (a saved lesson page is a few hundred KB at most)."""
PARAGRAPH_CHARS = 50_000
"""Paragraphs longer than this are kept as text without looking for citations in them."""
INLINE_DEPTH = 30
"""Nesting of inline HTML elements followed inside a paragraph; deeper text is kept flat."""

# Private-use characters mark places in the text until the keys are known (and are removed
# from the page first, so a page can't forge them).
_CITE = re.compile("\ue010(\\d+)\ue011")
_LINK = re.compile("\ue012([^\ue012\ue013]*)\ue013(\\d+)\ue014")
_MARKS = "\ue010\ue011\ue012\ue013\ue014"


# --- the data handed from stage to stage ------------------------------------------------------


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


# --- reading a page ---------------------------------------------------------------------------


def read_page(path: Path, diagnostics: Diagnostics) -> Page | None:
    """A text or HTML page as blocks; None (after saying why) when it can't be one."""
    raw = _read_bytes(path, diagnostics)
    if raw is None:
        return None
    if b"\x00" in raw[:8192] or _mostly_control(raw[:8192]):
        diagnostics.error(
            Location(path, 1), "not a text or HTML page (it holds binary data)", "import-not-text"
        )
        return None
    if _looks_like_html(path, raw):
        page = _read_html(path, raw, diagnostics)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            diagnostics.error(Location(path, 1), f"not UTF-8 text ({problem.reason})", "encoding")
            return None
        page = _read_text(path, text)
    if page is not None and not page.blocks:
        diagnostics.error(Location(path, 1), "the page has no lesson text", "import-empty")
        return None
    return page


def _read_bytes(path: Path, diagnostics: Diagnostics) -> bytes | None:
    try:
        if not path.is_file():
            what = "is a folder, not a page" if path.is_dir() else "not found"
            diagnostics.error(Location(path), f"page {what}", "not-found")
            return None
        with open(path, "rb") as stream:
            raw = stream.read(PAGE_BYTES + 1)  # never more than the cap, whatever the file
    except OSError as problem:
        diagnostics.error(Location(path), f"cannot read: {problem.strerror}", "unreadable")
        return None
    if len(raw) > PAGE_BYTES:
        diagnostics.error(
            Location(path),
            f"the page is larger than {PAGE_BYTES:,} bytes; a lesson page is far smaller",
            "import-too-large",
        )
        return None
    if not raw.strip():
        diagnostics.error(Location(path, 1), "the page is empty", "import-empty")
        return None
    return raw


def _mostly_control(head: bytes) -> bool:
    """Binary files that happen to have no NUL byte (some images, archives)."""
    control = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\x0c")
    return control > len(head) // 20


def _looks_like_html(path: Path, raw: bytes) -> bool:
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return True
    head = raw[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or (
        head.startswith(b"<") and b"<body" in raw[:65536].lower()
    )


def _unmarked(text: str) -> str:
    """The page's own text, without the characters we use as marks (so it can't forge one)."""
    return text.translate({ord(c): None for c in _MARKS})


def _clean(text: str) -> str:
    """Text as the Markdown should have it: the portal's ``\\'`` escapes undone, spaces (and
    no-break spaces) collapsed."""
    text = text.replace("\\'", "'").replace('\\"', '"')
    # Newlines too: HTML breaks a paragraph's lines anywhere, and a line of Markdown that
    # began with "#", "-" or ">" would become a heading, list or quotation.
    return re.sub(r"[\s\u00a0\u2009\u202f]+", " ", text).strip()


# Plain text: a lesson heading, section headings like "a) Proletarian Bonapartism", the
# "About this course" block at the end.
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_ROMAN = re.compile(r"^(?=[ivxlc]+$)(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_LESSON_HEADING = re.compile(
    r"^\s*lesson\s+(?P<number>[a-z0-9]+(?:[ -][a-z]+)?)\s*[:.\u2013\u2014-]\s*(?P<title>\S.*)$",
    re.IGNORECASE,
)
_SECTION_HEADING = re.compile(r"^(?:[a-z]|[ivx]{1,5}|\d{1,2})[.)] +\S.{0,100}$")
_ABOUT = re.compile(r"^about this (?:course|book)\s*:?$", re.IGNORECASE)


def lesson_number(text: str) -> int | None:
    """``16``, ``sixteen``, ``twenty-one``, ``XVI`` → the number; None for anything else."""
    words = text.strip().lower().replace("-", " ").split()
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    if len(words) == 1 and words[0] in _NUMBER_WORDS:
        return _NUMBER_WORDS[words[0]]
    if len(words) == 1 and words[0] in _TENS:
        return _TENS[words[0]]
    if len(words) == 2 and words[0] in _TENS and words[1] in _NUMBER_WORDS:
        return _TENS[words[0]] + _NUMBER_WORDS[words[1]] if _NUMBER_WORDS[words[1]] < 10 else None
    roman = _ROMAN.match(words[0]) if len(words) == 1 else None
    if roman and words[0]:
        return _roman_value(words[0])
    return None


def _roman_value(text: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for here, after in zip(text, text[1:] + " ", strict=True):
        value = values[here]
        total += -value if after != " " and values[after] > value else value
    return total


def parse_heading(text: str) -> tuple[int | None, str] | None:
    """ "LESSON SIXTEEN: The nature of the Stalinist state" → (16, "The nature …")."""
    match = _LESSON_HEADING.match(text)
    if match is None:
        return None
    number = lesson_number(match["number"])
    return (number, match["title"].strip()) if number is not None else None


def _read_text(path: Path, text: str) -> Page:
    lines = [(n, _clean(_unmarked(line))) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    heading_at = next((i for i, (_, line) in enumerate(lines[:12]) if parse_heading(line)), None)
    furniture = Furniture()
    heading, heading_line = None, 0
    if heading_at is not None:
        heading_line, heading = lines[heading_at]
        furniture = _furniture_lines([line for _, line in lines[:heading_at]])
        lines = lines[heading_at + 1 :]
    about_at = next((i for i, (_, line) in enumerate(lines) if _ABOUT.match(line)), None)
    if about_at is not None:
        furniture = furniture.merged(_about([line for _, line in lines[about_at + 1 :]]))
        lines = lines[:about_at]
    return Page(path, heading, heading_line, furniture, _text_blocks(lines), html=False)


def _furniture_lines(lines: list[str]) -> Furniture:
    """The lines above the lesson heading: the site's name, then the course's title (the
    portal prints its name over two lines, "Marxist" / "Education Portal")."""
    if not lines:
        return Furniture()
    site = " ".join(lines[:-1]) or None
    return Furniture(site_name=site, course_title=lines[-1])


_ABOUT_FIELDS = {
    "title": "course_title",
    "course": "course_title",
    "published": "published",
    "updated": "updated",
    "last updated": "updated",
    "course id": "course_id",
    "id": "course_id",
    "publisher": "site_name",
    "language": "language",
}


def _about(lines: Sequence[str]) -> Furniture:
    """ "About this course": ``Key: value`` lines, and any other text as the description."""
    values: dict[str, object] = {}
    described: list[str] = []
    for line in lines:
        key, colon, value = line.partition(":")
        name = _ABOUT_FIELDS.get(key.strip().lower()) if colon else None
        if name is None or not value.strip():
            described.append(line)
        elif name in ("published", "updated"):
            values[name] = parse_date(value)
        else:
            values.setdefault(name, value.strip())
    if described:
        values["description"] = " ".join(described)
    return Furniture(**values)  # type: ignore[arg-type]  # names from _ABOUT_FIELDS


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}


def parse_date(text: str) -> dt.date | None:
    """ "February 10, 2026", "10 February 2026" or "2026-02-10"; None otherwise. Month names
    are matched here, not with strptime, whose %B follows the machine's locale."""
    text = text.strip().lower().replace(",", " ")
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})\s+(\d{4})", text)
        if match and match[1] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[1]], int(match[2]))
        match = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text)
        if match and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except ValueError:  # February 30
        return None
    return None


def _text_blocks(lines: list[tuple[int, str]]) -> tuple[Block, ...]:
    """Each line of a text page is a paragraph (the portal's text has one per line), except
    section headings and quotations set as their own paragraphs: an introduction ending in
    ":" or ",", then paragraphs, then a short line saying where they are from."""
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        number, line = lines[index]
        end = _quotation_end(lines, index) if line.endswith((":", ",")) else None
        blocks.append(Block(_kind(line), line, (number,)))
        if end is not None:
            quoted = lines[index + 1 : end]
            blocks.append(
                Block(
                    "quote",
                    "\n\n".join(text for _, text in quoted),
                    tuple(n for n, _ in quoted),
                    attribution=_unwrapped(lines[end][1]),
                )
            )
            index = end
        index += 1
    return tuple(blocks)


def _kind(line: str) -> Literal["paragraph", "heading"]:
    short = len(line) <= 100 and not line.endswith((".", ",", ":", ";"))
    return "heading" if short and _SECTION_HEADING.match(line) else "paragraph"


def _quotation_end(lines: list[tuple[int, str]], start: int) -> int | None:
    """The index of the attribution line closing a quotation that starts after ``start``."""
    for index in range(start + 2, min(start + 8, len(lines))):
        line = lines[index][1]
        if _kind(line) == "heading":
            return None
        if _is_attribution(line):
            return index
    return None


_WRAPPED = re.compile(r"^\((?P<inner>[^()]+)\)\.?(?:\s*\(full text\))?\.?$", re.IGNORECASE)


def _unwrapped(line: str) -> str:
    """ "(Title,1933) (Full text)" on a line of its own → "Title,1933"."""
    match = _WRAPPED.match(line.strip())
    return match["inner"].strip() if match else line.strip().lstrip("—–- ")


def _is_attribution(line: str) -> bool:
    """A short line, not a sentence, that reads as a citation: "Writings 1934-35", or a
    parenthetical citation alone on its line."""
    line = _unwrapped(line)
    if len(line) > 120 or line.endswith((".", ",", ":", ";", "!", "?")):
        return False
    return parse_citation_text(line, attribution=True) is not None


# HTML: lxml's parser, never fetching and never resolving entities; the portal's furniture
# (header, h1, "About this course", footer) is told from the lesson by its elements.
_DROPPED = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "nav",
    "head",
)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "pre", "dd", "dt")


def _read_html(path: Path, raw: bytes, diagnostics: Diagnostics) -> Page | None:
    parser = lxml.html.HTMLParser(
        encoding="utf-8",
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,  # libxml2's own limits on depth and sizes stay on
    )
    try:
        root = lxml.html.document_fromstring(raw, parser=parser)
    except (etree.ParserError, ValueError) as problem:
        diagnostics.error(
            Location(path, 1), f"not a readable HTML page: {problem}", "import-not-text"
        )
        return None
    language = root.get("lang") or None
    site = _site_name(root)
    for element in list(root.iter(*_DROPPED)):
        _drop(element)
    about = _about_element(root)
    furniture = _about(_about_lines(about)) if about is not None else Furniture()
    if about is not None:
        _drop(about)
    for element in list(root.iter("footer")):
        if not _inside(element, "blockquote"):
            _drop(element)
    heading, heading_line, course = None, 0, None
    blocks: list[Block] = []
    for element in root.iter(*_BLOCKS):
        if _inside(element, "blockquote", "li", "dd", "dt", "p"):
            continue  # part of the quotation or item around it
        if element.tag in ("h1", "h2") and heading is None:
            text = _clean(_text_of(element))
            if parse_heading(text):
                heading, heading_line = text, _line(element)
            elif element.tag == "h1" or _inside(element, "header"):
                course = course or text or None
            else:
                heading, heading_line = text, _line(element)
            continue
        if _inside(element, "header"):
            continue
        block = _html_block(element)
        if block is not None:
            blocks.append(block)
    furniture = Furniture(site_name=site, course_title=course, language=language).merged(furniture)
    return Page(path, heading, heading_line, furniture, _attributed(blocks), html=True)


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _text_of(element: etree._Element) -> str:
    return _unmarked("".join(str(piece) for piece in element.itertext()))


def _line(element: etree._Element) -> int:
    return int(getattr(element, "sourceline", 0) or 0)


def _inside(element: etree._Element, *tags: str) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _site_name(root: etree._Element) -> str | None:
    """The site's name: ``og:site_name``, or an element of the header whose class says so,
    or the header's own text without its headings and menus."""
    for meta in root.iter("meta"):
        if meta.get("property") == "og:site_name" and meta.get("content"):
            return _clean(meta.get("content") or "") or None
    for header in root.iter("header"):
        for element in header.iter():
            if "site" in (element.get("class") or "") and _clean(_text_of(element)):
                return _clean(_text_of(element))
    return None


def _about_element(root: etree._Element) -> etree._Element | None:
    for element in root.iter("aside", "section", "div"):
        first = next(element.iter("h2", "h3", "h4", "h5", "strong", "b"), None)
        if first is not None and _ABOUT.match(_clean(_text_of(first))):
            _drop(first)
            return element
    return None


def _about_lines(element: etree._Element) -> list[str]:
    lines: list[str] = []
    for item in element.iter("p", "li", "dt", "dd"):
        text = _clean(_text_of(item))
        if item.tag == "dd" and lines and lines[-1].endswith(":"):
            lines[-1] += " " + text
        elif item.tag == "dt":
            lines.append(text.rstrip(":") + ":")
        elif text:
            lines.append(text)
    return lines


def _html_block(element: etree._Element) -> Block | None:
    tag = element.tag
    line = _line(element)
    if tag == "blockquote":
        return _html_quote(element)
    full_text: list[str] = []
    links: list[str] = []
    text = _clean(_inline(element, full_text, links, 0))
    if not text:
        return None
    if tag in ("h3", "h4", "h5", "h6") or (tag == "h2"):
        return Block("heading", text, (line,))
    return Block("paragraph", text, (line,), tuple(full_text), tuple(links))


def _html_quote(element: etree._Element) -> Block | None:
    paragraphs: list[tuple[int, str]] = []
    full_text: list[str] = []
    links: list[str] = []
    attribution = None
    parts = [p for p in element.iter("p", "footer", "cite") if p is not element]
    for part in parts:
        if part.tag in ("footer", "cite") and not _inside(part, "p"):
            attribution = _unwrapped(_clean(_text_of(part))) or attribution
        elif part.tag == "p" and not _inside(part, "footer"):
            text = _clean(_inline(part, full_text, links, 0))
            if text:
                paragraphs.append((_line(part), text))
    if not parts:
        text = _clean(_inline(element, full_text, links, 0))
        paragraphs = [(_line(element), text)] if text else []
    if not paragraphs:
        return None
    return Block(
        "quote",
        "\n\n".join(text for _, text in paragraphs),
        tuple(line for line, _ in paragraphs),
        tuple(full_text),
        tuple(links),
        attribution,
    )


def _inline(element: etree._Element, full_text: list[str], links: list[str], depth: int) -> str:
    """The text of an element, a "Full text" link's address kept aside, other web links
    kept as link marks; anything else (javascript:, relative) keeps only its text."""
    pieces = [_unmarked(element.text or "")]
    for child in element:
        if not isinstance(child.tag, str):
            pass  # a comment or processing instruction left by the parser
        elif depth >= INLINE_DEPTH:
            pieces.append(_text_of(child))  # flat: lxml walks it, not Python's stack
        elif child.tag == "br":
            pieces.append(" ")
        elif child.tag == "a":
            pieces.append(_link(child, full_text, links, depth))
        elif child.tag not in ("blockquote", "footer"):
            pieces.append(_inline(child, full_text, links, depth + 1))
        pieces.append(_unmarked(child.tail or ""))
    return "".join(pieces)


def _link(anchor: etree._Element, full_text: list[str], links: list[str], depth: int) -> str:
    label = _inline(anchor, full_text, links, depth + 1)
    href = (anchor.get("href") or "").strip()
    web = re.match(r"https?://[^\s<>\"]+$", href) is not None
    if _clean(label).lower() == "full text":
        full_text.append(href if web else "")  # a source's URL may be http
        return "Full text"
    # In the lesson only https links stay links, as the build allows no others.
    if not href.startswith("https://") or not web or not _clean(label):
        return label
    links.append(href)
    return f"\ue012{_clean(label)}\ue013{len(links) - 1}\ue014"


def _attributed(blocks: list[Block]) -> tuple[Block, ...]:
    """A short line right after a quotation that reads as a citation is its attribution."""
    result: list[Block] = []
    for block in blocks:
        previous = result[-1] if result else None
        if (
            previous is not None
            and previous.kind == "quote"
            and previous.attribution is None
            and block.kind == "paragraph"
            and _is_attribution(_LINK.sub(r"\1", block.text))
        ):
            url = block.full_text[0] if block.full_text else None
            text = _unwrapped(_LINK.sub(r"\1", block.text))
            result[-1] = replace(previous, attribution=text, attribution_url=url or None)
            continue
        result.append(block)
    return tuple(result)


# --- recognising citations --------------------------------------------------------------------

# A title in quotes. A closing ’ is told from an apostrophe ("‘The Workers’ State, …’") by
# what follows it: punctuation, the end, or a lower-case word.
_QUOTED_TITLE = (
    r"(?:‘(?P<t1>[^‘\n]{1,200}?)’(?=$|[^\w\s’]|\s+(?:[a-z(“\"]|$))"
    r"|“(?P<t2>[^“”\n]{1,200}?)”|\"(?P<t3>[^\"\n]{1,200}?)\")"
)
_QUOTED = re.compile(_QUOTED_TITLE)
_QUOTATION = re.compile(r"“[^“”]*”|\"[^\"\n]*\"")
_PARENTHETICAL = re.compile(r"\(([^()\n]{1,300})\)")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)(?:[-–/](\d{2,4}))?\b")
_NAME = r"(?:[A-Z]\.\s?)*[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?(?:\s[A-Z][a-z]+){0,2}"
_NOT_NAMES = frozenset(
    [
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "The",
        "A",
        "An",
        "In",
        "On",
        "As",
        "But",
        "And",
        "Or",
        "So",
        "Some",
        "What",
        "When",
        "Where",
        "Why",
        "How",
        "Now",
        "Then",
        "Here",
        "There",
        "Yet",
        "Still",
        "Even",
        "Its",
        "His",
        "Her",
        "Their",
        "Our",
        "Under",
        "By",
        "For",
        "From",
        "With",
        "After",
        "Before",
        "Insofar",
        "While",
        "Unlike",
        "Every",
        "Stalinist",
        "Soviet",
    ]
)
_VERBS = (
    r"(?:wrote|writes|explained|explains|responded|responds|argued|argues|said|says|"
    r"sums up|summed up|concluded|concludes|described|describes|added|adds|continued|"
    r"continues|went on|goes on|noted|notes|observed|declared|insisted|maintained|warned|"
    r"stated|states|commented|replied|put it|made clear|makes clear|pointed out)"
)
_SPEAKER = re.compile(
    rf"\b(?P<name>{_NAME})(?:,[^,.;:“”\"A-Z]{{1,80}},|,)?\s+(?:also\s+|later\s+|then\s+)?{_VERBS}\b"
    rf"|\b(?:said|says|wrote|explained|by)\s+(?P<after>{_NAME})\b"
)
_PRONOUN = re.compile(r"^(?:He|She)\s+(?:also\s+|later\s+|then\s+)?" + _VERBS + r"\b")
_MENTION = re.compile(
    r"\b[Ii]n\s+(?:(?:an?|the|his|her|their)\s+)?"
    r"(?:(?:article|book|pamphlet|essay|speech|letter|work|document|programme|program)\s*,?\s*)?"
    + _QUOTED_TITLE
)
_CONTINUATION = re.compile(
    rf"^(?:He|She|They|{_NAME})\s+(?:went on|goes on|continued|continues|added|adds)\b"
)
_LOCATOR = re.compile(
    r"^(?:(?P<chap>chapter|chap\.|ch\.)|(?P<page>pages?|pp?\.)|(?P<part>part|pt\.)|"
    r"(?P<sec>section|sec\.)|(?P<vol>volume|vol\.))\s*(?P<value>[\w–-]+)$",
    re.IGNORECASE,
)
_LOCATOR_LABELS = {"chap": "chap.", "page": "p.", "part": "pt.", "sec": "sec.", "vol": "vol."}
_PREFIX = re.compile(r"^(?P<word>quoted|cited)\s+(?:by|in)\s+|^(?P<see>see|cf\.)\s+", re.I)


def parse_citation_text(text: str, attribution: bool = False) -> tuple[Work, str, str] | None:
    """A citation written in prose → (work, locator, prefix); None when it isn't one.

    ``Trotsky, ‘The Workers’ State, Thermidor and Bonapartism’,1935`` → author Trotsky, that
    title, 1935; ``Quoted by I. Deutscher, Stalin.`` → "quoted in" I. Deutscher's *Stalin*;
    ``“The Class Nature of the Soviet State”, in Writings 1933-34`` → that title, in that
    collection; ``Writings 1934-35.`` → that title. A lower-case remark ("see below"), a
    number or a word in capitals ("USSR") is not a citation.
    """
    text = text.strip().rstrip(".").strip()
    if not text or len(text) > 200 or len(text.split()) > 25:
        return None
    prefix = ""
    if match := _PREFIX.match(text):
        prefix = "quoted in" if match["word"] else match["see"].lower()
        text = text[match.end() :]
    locator = ""
    head, comma, last = text.rpartition(",")
    if comma and (found := _LOCATOR.match(last.strip())):
        label = next(name for name, value in found.groupdict().items() if value and name != "value")
        locator = f"{_LOCATOR_LABELS[label]} {found['value']}"
        text = head.strip()
    year = None
    if match := re.search(r",\s*(1[5-9]\d\d|20\d\d)$", text):
        year, text = int(match[1]), text[: match.start()].strip()
    container = None
    if match := re.search(r"[,”’\"]\s*in\s+(?P<container>[A-Z][^,]{2,80})$", text):
        container = match["container"].strip()
        text = text[: match.start() + 1].rstrip(",").strip()
    author, title, quoted = _author_and_title(text)
    if title is None and not (author and year):
        return None
    if title is not None and not _title_like(title):
        return None
    # An unquoted title alone only when it isn't a locator ("Chapter 9").
    alone = not (quoted or prefix or year or author or container or attribution)
    if alone and _LOCATOR.match(title or ""):
        return None
    if year is None:
        year = _year_in(title or "") or _year_in(container or "")
    kind: Literal["article", "book", "chapter"] = (
        "chapter" if container else "article" if quoted else "book"
    )
    return Work(title, author, year, container, None, kind), locator, prefix


def _author_and_title(text: str) -> tuple[str | None, str | None, bool]:
    """ "Trotsky, ‘Title’" / "I. Deutscher, Stalin" / "Title" → (author, title, quoted)."""
    if match := _QUOTED.search(text):
        title = match["t1"] or match["t2"] or match["t3"]
        before = text[: match.start()].strip().rstrip(",").strip()
        author = before if before and _name_like(before) else None
        if before and author is None:
            return None, None, False  # text before the title that isn't a name: not ours
        return author, title.strip().rstrip(","), True
    first, comma, rest = text.partition(",")
    if comma and _name_like(first.strip()):
        title = rest.strip() or None
        return first.strip(), title, False
    if _name_like(text) and len(text.split()) == 1 and text[:1].isupper():
        return text, None, False  # "Trotsky": an author alone
    return None, text.strip() or None, False


def _name_like(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 4
        and words[0] not in _NOT_NAMES
        and all(re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?", w) for w in words)
    )


def _title_like(title: str) -> bool:
    """Starts as a title does, and isn't a number, a year or an acronym."""
    if not re.match(r"[A-Z0-9‘“\"']", title) or not re.search(r"[a-z]", title):
        return False
    return len(title) >= 3


def _year_in(text: str) -> int | None:
    """The year a title or collection names: "Writings 1934-35" → 1935 (a range's end)."""
    found = list(_YEAR.finditer(text))
    match = found[-1] if found else None
    if match is None:
        return None
    if match[2]:
        end = match[2]
        return int(match[1][: 4 - len(end)] + end) if len(end) < 4 else int(end)
    return int(match[1])


@dataclass
class _Reader:
    """Recognising the citations of one page, block by block; remembers who is speaking
    (for citations that don't name their author) and the last citation (for "He went on")."""

    path: Path
    speaker: str | None = None
    carried: str | None = None
    """The speaker from before the block being read."""
    last: Cite | None = None
    cites: list[Cite] = field(default_factory=list)
    left: list[tuple[Location, str]] = field(default_factory=list)
    """Each parenthetical left as text: where, and as written."""

    def block(self, block: Block) -> str:
        """The block's text with citations as marks and the parentheticals they were made
        from removed."""
        if len(block.text) > PARAGRAPH_CHARS:
            # No lesson has such a paragraph; looking for citations in it would only cost time.
            at = Location(self.path, block.lines[0])
            self.left.append((at, f"a paragraph of {len(block.text):,} characters"))
            return block.text
        text, spans = block.text, _quotation_spans(block.text)
        edits: list[tuple[int, int, str]] = []  # (start, end, replacement), not overlapping
        cited: list[tuple[int, int]] = []  # (offset, index) of each citation made here
        urls = list(block.full_text)
        # Who speaks carries over only into a quotation set after its introduction, and into
        # a paragraph that goes on with "He explained…"; elsewhere it must be named again.
        if block.kind == "paragraph" and not _PRONOUN.match(text):
            self.speaker = None
        self.carried = self.speaker
        self._speakers(text, 0, len(text))
        for match in _PARENTHETICAL.finditer(text):
            if any(start < match.start() < end for start, end in spans):
                continue  # inside a quotation: the quoted author's own words
            inner = _LINK.sub(r"\1", match[1]).strip()
            start = _space_before(text, match.start())
            if inner.lower() == "full text":
                url = urls.pop(0) if urls else ""
                edits.append((start, match.end(), ""))
                if url and cited:
                    self._add_url(cited[-1][1], url)
                continue
            if _LOCATOR.match(inner) and self._mention_before(text, match.start()):
                continue  # "(Chapter 9)" after a title named in prose: taken with it
            found = parse_citation_text(inner)
            after_quote = re.search(r"[”\"’][.,;:!?]?\s*$", text[: match.start()]) is not None
            if found and (after_quote or self._strong(inner, found[0])):
                work = self._with_link(found[0], match[1], block.links)
                index = self._cite(work, found[1], found[2], block, match.start(), inner)
                end = match.end()
                # "…class.” (Title,1933)." : the quotation ended the sentence already.
                if (
                    re.search(r"[.?!][”\"’]\s*$", text[: match.start()])
                    and text[end : end + 1] == "."
                ):
                    end += 1
                edits.append((start, end, " " + _mark(index)))
                cited.append((match.start(), index))
            else:
                self.left.append((Location(self.path, block.line_at(match.start())), f"({inner})"))
        edits += self._mentions(block, spans, edits, cited)
        if not cited and block.kind != "heading":
            edits += self._continuation(block, spans)
        return _apply(text, edits)

    def _speakers(self, text: str, start: int, end: int) -> str | None:
        """Update who is speaking from ``text[start:end]``: "Trotsky sums up", "said Trotsky",
        "He explained" (the same speaker as before)."""
        for match in _SPEAKER.finditer(text, start, end):
            name = match["name"] or match["after"]
            if name and name.split()[0] not in _NOT_NAMES:
                self.speaker = name
        return self.speaker

    def _strong(self, inner: str, work: Work) -> bool:
        """A parenthetical away from a quotation is a citation only when it plainly is one:
        a quoted title, "Quoted by", or an author and a year."""
        return bool(_QUOTED.search(inner) or _PREFIX.match(inner) or (work.author and work.year))

    def _mention_before(self, text: str, offset: int) -> bool:
        return any(m.end() >= offset - 2 for m in _MENTION.finditer(text, 0, offset))

    def _with_link(self, work: Work, inner: str, links: tuple[str, ...]) -> Work:
        """A title that is itself a link to the text: its address is the source's URL."""
        if match := _LINK.search(inner):
            return replace(work, url=links[int(match[2])])
        return work

    def _cite(
        self, work: Work, locator: str, prefix: str, block: Block, at: int, written: str
    ) -> int:
        if work.author is None and not prefix:
            speaker = self._speaker_at(block.text, at)
            work = replace(work, author=speaker) if speaker else work
        cite = Cite(work, Location(self.path, block.line_at(at)), written, locator, prefix)
        self.cites.append(cite)
        self.last = cite
        return len(self.cites) - 1

    def _speaker_at(self, text: str, offset: int) -> str | None:
        speaker = None
        for match in _SPEAKER.finditer(text, 0, offset):
            name = match["name"] or match["after"]
            if name and name.split()[0] not in _NOT_NAMES:
                speaker = name
        return speaker or self.carried

    def _add_url(self, index: int, url: str) -> None:
        cite = self.cites[index]
        if cite.work.url is None:
            self.cites[index] = replace(cite, work=replace(cite.work, url=url))

    def _mentions(
        self,
        block: Block,
        spans: list[tuple[int, int]],
        edits: list[tuple[int, int, str]],
        cited: list[tuple[int, int]],
    ) -> list[tuple[int, int, str]]:
        """A work named in the prose before a quotation ("Trotsky responded in an article,
        ‘The Workers’ State, Thermidor and Bonapartism’,1935: “…”"): cited after the last
        quotation of that sentence, unless a parenthetical citation follows it anyway."""
        text, added = block.text, []
        urls = list(block.full_text)
        for match in _MENTION.finditer(text):
            if any(start < match.start() < end for start, end in spans):
                continue
            quotes = _sentence_quotations(text, spans, match.end())
            if not quotes:
                continue
            end = quotes[-1][1]
            if any(match.end() <= offset <= end + 3 for offset, _ in cited):
                continue
            following = text[end : end + 40]
            if re.match(r"[.,;:]?\s*\((?!full text)", following, re.I):
                continue  # a parenthetical citation right after: it is the citation
            title = match["t1"] or match["t2"] or match["t3"]
            between = text[match.end() : quotes[0][0]]
            locator = ""
            loc = re.match(r"\s*\(([^()]{1,30})\)", between)
            if loc and (found := _LOCATOR.match(loc[1].strip())):
                label = next(n for n, v in found.groupdict().items() if v and n != "value")
                locator = f"{_LOCATOR_LABELS[label]} {found['value']}"
                added.append((match.end() + loc.start(), match.end() + loc.end(), ""))
            year = _YEAR.search(between)
            by = re.search(rf"\bby\s+({_NAME})", between)
            author = by[1] if by else self._speaker_at(text, match.start())
            work = Work(title.strip(), author, int(year[1]) if year else None, kind="article")
            if re.search(r"\bin\s+(?:his|her|their|the)?\s*book\b", match[0]):
                work = replace(work, kind="book")
            if re.match(r"[.,;:]?\s*\(full text\)", following, re.I) and urls:
                work = replace(work, url=urls[0] or None)
            index = self._cite(work, locator, "", block, end, match[0])
            self.cites[index] = replace(
                self.cites[index], location=Location(self.path, block.line_at(match.start()))
            )
            added.append((end, end, " " + _mark(index)))
            cited.append((end, index))
        return added

    def _continuation(
        self, block: Block, spans: list[tuple[int, int]]
    ) -> list[tuple[int, int, str]]:
        """ "He went on to explain that … “…”": the same work as the citation before."""
        if self.last is None or not _CONTINUATION.match(block.text):
            return []
        quotes = _sentence_quotations(block.text, spans, 0)
        if not quotes:
            return []
        last = self.last
        end = quotes[-1][1]
        index = self._cite(last.work, last.locator, "", block, end, block.text[:40] + "…")
        return [(end, end, " " + _mark(index))]

    def attribution(self, block: Block, markdown: str) -> str:
        """The attribution line under a quotation, as a citation at the quotation's end."""
        found = parse_citation_text(block.attribution or "", attribution=True)
        if found is None:
            return markdown
        work = found[0] if found[0].url else replace(found[0], url=block.attribution_url)
        written = block.attribution or ""
        index = self._cite(work, found[1], found[2], block, len(block.text), written)
        at = Location(self.path, block.lines[-1] + 1)
        self.cites[index] = replace(self.cites[index], location=at)
        return markdown + " " + _mark(index)


def _mark(index: int) -> str:
    return f"\ue010{index}\ue011"


def _space_before(text: str, offset: int) -> int:
    while offset > 0 and text[offset - 1] == " ":
        offset -= 1
    return offset


def _quotation_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]


def _sentence_quotations(
    text: str, spans: list[tuple[int, int]], start: int
) -> list[tuple[int, int]]:
    """The quotations from ``start`` to the end of its sentence (sentence ends are looked
    for only outside quotations, whose own full stops don't end the author's sentence)."""
    found: list[tuple[int, int]] = []
    cursor = start
    for begin, end in spans:
        if begin < start:
            continue
        if re.search(r"[.?!]\s+[A-Z“‘\"]", text[cursor:begin]):
            break
        found.append((begin, end))
        cursor = end
    return found


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    pieces, cursor = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < cursor:
            continue
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


# --- a page into a lesson ---------------------------------------------------------------------


def import_lesson(page: Page, diagnostics: Diagnostics) -> ImportedLesson | None:
    """The page's lesson: title and number from its heading, Markdown with citation marks."""
    parsed = parse_heading(page.heading) if page.heading else None
    if parsed is not None:
        number, title = parsed
    elif page.heading:
        number, title = None, page.heading
    elif page.html:
        diagnostics.error(
            Location(page.path, 1),
            "no lesson title found (a heading like 'Lesson 16: The nature of the state')",
            "import-no-title",
        )
        return None
    else:
        number, title = None, f"Untitled ({page.path.stem})"
        diagnostics.warning(
            Location(page.path, 1),
            f"no lesson heading found ('LESSON SIXTEEN: …'); titled '{title}': give the "
            "lesson its title and number in its front matter",
            "import-untitled",
        )
    reader = _Reader(page.path)
    parts: list[str] = []
    for block in page.blocks:
        text = reader.block(block)
        if block.kind == "heading":
            parts.append("## " + _markdown(text, block.links))
        elif block.kind == "quote":
            quoted = reader.attribution(block, text)
            paragraphs = [_markdown(p, block.links) for p in quoted.split("\n\n")]
            parts.append("\n>\n".join("> " + p for p in paragraphs))
        else:
            parts.append(_markdown(text, block.links))
    for location, written in reader.left:
        diagnostics.warning(location, f"left as text: {written}", "import-unrecognised")
    return ImportedLesson(
        page,
        _clean(title),
        number,
        "\n\n".join(parts) + "\n",
        tuple(reader.cites),
        tuple(reader.left),
    )


# Characters Markdown (or the citation syntax) would act on. Square brackets are kept as
# written ("[capitalist]" is the editor's insertion, and Markdown shows it as it is) unless
# they could open a citation, footnote or link; the lookaheads see the page's own text.
_ESCAPE = re.compile(r"[\\`*_<>@]|\[(?=\s*-?[\^@])|\](?=[(\[:])")


def _markdown(text: str, links: tuple[str, ...]) -> str:
    """Page text as Markdown that reads as the text: characters Markdown would act on are
    escaped (a page can't smuggle HTML or citations in), web links and citation marks kept."""
    pieces: list[str] = []
    cursor = 0
    for match in _LINK.finditer(text):
        pieces.append(_escape(text[cursor : match.start()]))
        url = links[int(match[2])].replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        pieces.append(f"[{_escape(match[1])}]({url})")
        cursor = match.end()
    pieces.append(_escape(text[cursor:]))
    result = "".join(pieces)
    # A line start Markdown would read as a heading, list, quotation or rule.
    return re.sub(r"^(#|[-+*] |\d+[.)] |=+$|-+$)", r"\\\1", result)


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\\" + m[0], text)


# --- one set of sources for the book ----------------------------------------------------------


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


@dataclass(frozen=True)
class SourceIndex:
    """The entries of an existing sources file, findable by title and by author and year."""

    sources: Mapping[str, Source]
    titles: Mapping[str, tuple[str, ...]]
    authors_years: Mapping[tuple[str, int], tuple[str, ...]]

    @classmethod
    def of(cls, sources: Mapping[str, Source]) -> SourceIndex:
        titles: dict[str, list[str]] = {}
        authors_years: dict[tuple[str, int], list[str]] = {}
        for key, source in sources.items():
            for title in source_titles(source):
                titles.setdefault(title_key(title), []).append(key)
            for family in source_families(source):
                for year in source_years(source):
                    authors_years.setdefault((family, year), []).append(key)
        return cls(
            sources,
            {k: tuple(dict.fromkeys(v)) for k, v in titles.items() if k},
            {k: tuple(dict.fromkeys(v)) for k, v in authors_years.items()},
        )

    def match(
        self, title: str | None, author: str | None, year: int | None
    ) -> tuple[str, str] | None:
        """(key, how) of the one entry with this title (or short title, or the title before
        its subtitle), else of the one entry of this author and year; None when none is, or
        when several are and nothing tells them apart."""
        if title:
            keys = self.titles.get(title_key(title), ())
            if len(keys) == 1:
                return keys[0], "title"
        if author and year:
            keys = self.authors_years.get((family_key(author), year), ())
            if len(keys) == 1:
                return keys[0], "author and year"
        return None


def source_titles(source: Source) -> list[str]:
    titles = [source.get(name) for name in ("title", "title-short", "shortTitle")]
    found = [t for t in titles if isinstance(t, str) and t]
    # "The Struggle for Socialism Today: A Reply to …" is also cited as its main title.
    found += [t.split(":")[0] for t in found if ":" in t]
    return found


def source_families(source: Source) -> list[str]:
    names = source.get("author") or source.get("editor") or []
    return [
        family_key(n.get("family") or n.get("literal") or "")
        for n in names
        if isinstance(n, Mapping)
    ]


def source_years(source: Source) -> list[int]:
    years = []
    for name in ("issued", "original-date"):
        date = source.get(name)
        if isinstance(date, Mapping) and date.get("date-parts"):
            with contextlib.suppress(TypeError, ValueError, IndexError):
                years.append(int(date["date-parts"][0][0]))
    return years


def assemble(
    lessons: Sequence[ImportedLesson],
    known: SourceIndex | None,
    diagnostics: Diagnostics,
) -> tuple[DraftSource, ...]:
    """Every cited work once, each with one key: an entry of --sources when one matches,
    otherwise a draft completed from all the citations of the work."""
    merged: dict[str, tuple[Work, Cite]] = {}
    for cite in (cite for lesson in lessons for cite in lesson.cites):
        identity = _identity(cite.work, merged)
        if identity in merged:
            work, first = merged[identity]
            merged[identity] = (_completed(work, cite.work), first)
        else:
            merged[identity] = (cite.work, cite)
    drafts: list[DraftSource] = []
    used: set[str] = set(known.sources) if known else set()
    for work, first in merged.values():
        found = known.match(work.title, work.author, work.year) if known else None
        if found and known:
            key, how = found
            if how != "title":
                diagnostics.warning(
                    first.location,
                    f"'{work.title or work.author}' taken to be source '{key}' of the sources "
                    f"file ({how} match, titles differ): check",
                    "import-guessed-source",
                )
            drafts.append(DraftSource(key, work, first, known.sources[key], how))
            continue
        key = _unique(draft_key(work), used)
        used.add(key)
        drafts.append(DraftSource(key, work, first))
    return tuple(drafts)


def _identity(work: Work, merged: Mapping[str, tuple[Work, Cite]]) -> str:
    """A citation without a title ("(Trotsky, 1935)") is the titled work of the same author
    and year, when there is exactly one."""
    if work.title or not work.author:
        return work.identity
    same = [
        identity
        for identity, (other, _) in merged.items()
        if other.year == work.year and family_key(other.author or "") == family_key(work.author)
    ]
    return same[0] if len(same) == 1 else work.identity


def _completed(work: Work, other: Work) -> Work:
    """One work from two citations of it: the longer title, and what either knows."""
    title = work.title
    if other.title and (title is None or len(other.title) > len(title)):
        title = other.title
    return Work(
        title,
        work.author or other.author,
        work.year or other.year,
        work.container or other.container,
        work.url or other.url,
        "chapter" if work.container or other.container else work.kind,
    )


_KEY_STOP = frozenset(["the", "a", "an", "of", "and", "on", "in", "for", "to"])


def draft_key(work: Work) -> str:
    """``trotsky1935workers``: family name, year and the title's first word, as the sample
    book's keys are made."""
    family = slugify(family_key(work.author or ""), fallback="").replace("-", "")
    words = [w for w in title_key(work.title or "").split() if w not in _KEY_STOP]
    first = slugify(words[0], fallback="").replace("-", "") if words else ""
    key = f"{family}{work.year or ''}{first}"
    return key if key and key[0].isalpha() else f"source{key}"


def _unique(key: str, used: set[str]) -> str:
    if key not in used:
        return key
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        if key + suffix not in used:
            return key + suffix
    number = 2
    while f"{key}{number}" in used:
        number += 1
    return f"{key}{number}"


# --- writing the book ------------------------------------------------------------------------


class ImportError_(Exception):
    """The book can't be written there; the message says why."""


def import_pages(
    pages: Sequence[Path],
    sources: Path | None,
    diagnostics: Diagnostics,
) -> ImportedBook | None:
    """Read every page and the --sources file, reporting every problem of all of them; None
    when any was an error."""
    lessons: list[ImportedLesson] = []
    for path in pages:
        page = read_page(path, diagnostics)
        lesson = import_lesson(page, diagnostics) if page is not None else None
        if lesson is not None:
            lessons.append(lesson)
    known = _known_sources(sources, diagnostics) if sources else None
    if diagnostics.errors:
        return None
    lessons.sort(key=lambda lesson: (lesson.number is None, lesson.number or 0))
    furniture = Furniture()
    for lesson in lessons:
        furniture = furniture.merged(lesson.page.furniture)
    return ImportedBook(tuple(lessons), assemble(lessons, known, diagnostics), furniture)


def _known_sources(path: Path, diagnostics: Diagnostics) -> SourceIndex | None:
    if not path.is_file():
        diagnostics.error(Location(path), "sources file not found", "not-found")
        return None
    try:
        return SourceIndex.of(read_sources(path, diagnostics))
    except UnicodeDecodeError as problem:
        diagnostics.error(Location(path, 1), f"not UTF-8 text ({problem.reason})", "encoding")
    except OSError as problem:
        diagnostics.error(Location(path), f"cannot read: {problem.strerror}", "unreadable")
    return None


def write_book(book: ImportedBook, folder: Path) -> tuple[PageReport, ...]:
    """Write the book into ``folder``, which must be new or empty: first into a temporary
    folder beside it, then renamed into place, so there is never half a book."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ImportError_(
            f"{display_path(folder)} already exists and is not empty; choose a new folder"
        )
    parent = folder.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.import-", dir=parent))
    try:
        reports = _write_files(book, temporary, _title_from(folder))
        if folder.exists():
            folder.rmdir()  # empty, checked above; rename() won't replace it everywhere
        os.rename(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return reports


def _write_files(book: ImportedBook, folder: Path, fallback_title: str) -> tuple[PageReport, ...]:
    keys = {source.work.identity: source.key for source in book.sources}
    (folder / "lessons").mkdir()
    names: set[str] = set()
    reports: list[PageReport] = []
    for lesson in book.lessons:
        name = _file_name(lesson, names)
        names.add(name)
        _write(folder / "lessons" / name, lesson_markdown(lesson, keys, book))
        reports.append(
            PageReport(
                lesson.page.path,
                lesson.title,
                lesson.number,
                len(lesson.cites),
                len(lesson.left_as_text),
                f"lessons/{name}",
            )
        )
    _write(folder / "sources.yaml", sources_yaml(book.sources))
    _write(folder / "book.yaml", book_yaml(book, [r.file for r in reports], fallback_title))
    return tuple(reports)


def _write(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())


def _file_name(lesson: ImportedLesson, taken: set[str]) -> str:
    slug = slugify(lesson.title, fallback="lesson")
    stem = f"{lesson.number:02d}-{slug}" if lesson.number is not None else slug
    name, count = f"{stem}.md", 2
    while name in taken:
        name, count = f"{stem}-{count}.md", count + 1
    return name


def lesson_markdown(lesson: ImportedLesson, keys: Mapping[str, str], book: ImportedBook) -> str:
    """The lesson file: front matter, then the Markdown with each citation mark as
    ``[@key]``, ``[@key, chap. 9]`` or ``[quoted in @key]``."""
    by_identity = {s.work.identity: s for s in book.sources}

    def citation(match: re.Match[str]) -> str:
        cite = lesson.cites[int(match[1])]
        key = keys.get(cite.work.identity) or _merged_key(cite.work, by_identity)
        prefix = f"{cite.prefix} " if cite.prefix else ""
        locator = f", {cite.locator}" if cite.locator else ""
        return f"[{prefix}@{key}{locator}]"

    front = [
        "---",
        f"# Imported from {display_path(lesson.page.path)}; check the citations against the page.",
        f"title: {json.dumps(lesson.title, ensure_ascii=False)}",
    ]
    if lesson.number is not None:
        front.append(f"number: {lesson.number}")
    front.append("---")
    return "\n".join(front) + "\n\n" + _CITE.sub(citation, lesson.markdown)


def _merged_key(work: Work, by_identity: Mapping[str, DraftSource]) -> str:
    """The key of a titleless citation merged into a titled work of the same author/year."""
    for source in by_identity.values():
        if family_key(source.work.author or "") == family_key(work.author or "") and (
            source.work.year == work.year
        ):
            return source.key
    raise KeyError(work.identity)


def sources_yaml(sources: Sequence[DraftSource]) -> str:
    """CSL-YAML: the matched entries of --sources as they are, and a draft for each other
    work, each with a comment and a ``note`` saying it must be checked."""
    parts = [
        '# Sources of the imported lessons. Entries marked "draft" were made from the way the\n'
        "# pages cite them: check author, title, date and type against the original, then\n"
        "# remove the note.\n"
    ]
    written: set[str] = set()
    for source in sources:
        if source.key in written:
            continue  # two works of the pages found to be one entry of --sources
        written.add(source.key)
        place = f"{display_path(source.first.location.path)}:{source.first.location.line}"
        if source.known is not None:
            origin = source.known.location
            comment = f"# From {display_path(origin.path)}:{origin.line} (matched by {source.how})."
            entry = dict(source.known.data)
        else:
            comment = f"# draft: first cited at {place} as: {_one_line(source.first.written)}"
            entry = _draft_entry(source, place)
        dumped = yaml.safe_dump(
            [entry], allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False
        )
        parts.append(f"{comment}\n{dumped}")
    return "\n".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]


def _draft_entry(source: DraftSource, place: str) -> dict[str, object]:
    work = source.work
    entry: dict[str, object] = {"id": source.key, "type": _csl_type(work)}
    if work.author:
        entry["author"] = work.author  # the shorthand: "I. Deutscher" → given I., family
    entry["title"] = work.title or f"(untitled: cited as {source.first.written})"
    if work.container:
        entry["container-title"] = work.container
    if work.year:
        entry["issued"] = work.year
    if work.url:
        entry["URL"] = work.url
    entry["note"] = f"draft: check against the original — imported from {place}"
    return entry


def _csl_type(work: Work) -> str:
    # CSL's "article" is a preprint to Chicago; a magazine article prints as the portal's
    # quoted titles read: “Title.” 1935.
    return {"article": "article-magazine", "book": "book", "chapter": "chapter"}[work.kind]


def book_yaml(book: ImportedBook, files: Iterable[str], fallback_title: str) -> str:
    """The manifest: the page furniture as metadata, the lessons in number order."""
    furniture = book.furniture
    title = furniture.course_title or fallback_title
    pages = ", ".join(display_path(lesson.page.path) for lesson in book.lessons)
    lines = [
        f"# Imported by coursebook import from {pages}.",
        '# The page furniture (site name, course title, "About this course") is here; each',
        "# chapter is one lesson: group them under chapter titles where the course has them.",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"language: {json.dumps(_language(furniture.language))}",
    ]
    if furniture.course_id:
        lines.append(f"course_id: {json.dumps(furniture.course_id, ensure_ascii=False)}")
    if furniture.site_name:
        lines.append(f"publisher: {json.dumps(furniture.site_name, ensure_ascii=False)}")
    if furniture.published:
        lines.append(f"published: {furniture.published.isoformat()}")
    if furniture.updated:
        lines.append(f"updated: {furniture.updated.isoformat()}")
    if furniture.description:
        lines.append(f"description: {json.dumps(furniture.description, ensure_ascii=False)}")
    lines += ["sources: sources.yaml", "chapters:"]
    lines += [f"  - {file}" for file in files]
    return "\n".join(lines) + "\n"


def _language(tag: str | None) -> str:
    if tag and re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", tag):
        return tag
    return "en"


def _title_from(folder: Path) -> str:
    """``my-course`` → "My course": a title until the book gets its own."""
    words = folder.absolute().name.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else "Imported lessons"
