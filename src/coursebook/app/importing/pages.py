"""Reading a page: a lesson page, plain text or HTML, as a heading, furniture and blocks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal

import lxml.html
from lxml import etree

from ...core.diagnostics import Diagnostics, Location
from .citations import parse_citation_text
from .model import _LINK, _MARKS, Block, Furniture, Page

PAGE_BYTES = 5_000_000
"""The largest page read (a saved lesson page is a few hundred KB at most)."""
INLINE_DEPTH = 30
"""Nesting of inline HTML elements followed inside a paragraph; deeper text is kept flat."""


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
