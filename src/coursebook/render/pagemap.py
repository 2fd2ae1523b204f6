"""Where the pages of the printed book begin, so the EPUB can carry the same page numbers.

Study circles mixing phones and paper need "page 47" to mean one place in both. The print step
marks every element of the shared rendering with ``data-src="part:N"`` (its position in the
part, counted the same way the EPUB counts it). After WeasyPrint has laid the book out, the
first box of each page names the element it belongs to and how many characters of that
element's text came before it; the EPUB puts a ``pagebreak`` marker at the same character.
Only visible characters count (not spaces, which layout collapses, nor the hyphens it adds),
and never the text of notes, which the two formats place differently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from lxml import etree

from ..core.xhtml import EPUB_TYPE, content_elements

SOURCE_ATTRIBUTE = "data-src"
PRINT_ONLY = "data-print-only"
"""An element print adds, with no place in the EPUB (the title of a lesson's endnotes): the
page list doesn't count its text."""
# What print adds to the text and the sources don't have: the hyphen of a broken word, and
# the zero-width space marking where a printed address may break (formats/pdf/urls.py).
# Neither side counts them.
_ADDED_CHARS = "\u2010\u00ad\u200b"
_ADDED = str.maketrans("", "", _ADDED_CHARS)


@dataclass(frozen=True)
class PageStart:
    """The place where a printed page begins."""

    label: str
    """The page number as printed."""
    part: str
    """The id of the part of the book (the EPUB document) where it begins."""
    element: int
    """The element's position among the part's elements (see ``content_elements``)."""
    offset: int
    """Visible characters of that element's text before the page begins."""


def mark_sources(root: etree._Element, part: str) -> None:
    """Give every element of a part the ``data-src`` that names it (print step)."""
    for index, element in enumerate(content_elements(root)):
        element.set(SOURCE_ATTRIBUTE, f"{part}:{index}")


def visible_length(text: str) -> int:
    return sum(1 for char in text.translate(_ADDED) if not char.isspace())


# --- reading the layout ---------------------------------------------------------------------


Place = tuple[str, int, int]
"""Where a page begins: the part, the element's position in it, the characters before."""


def page_starts(pages: Sequence[Any], labels: Sequence[str]) -> tuple[PageStart, ...]:
    """The start of every page of a laid-out WeasyPrint document."""
    return numbered_starts(page_places(pages), labels)


def page_places(pages: Sequence[Any]) -> tuple[Place | None, ...]:
    """Where each page of laid-out WeasyPrint pages begins; None for a page with nothing
    of the book's text."""
    walker = _Walker()
    found: list[Place | None] = []
    for page in pages:
        walker.first = None
        walker.walk(page._page_box, None)  # WeasyPrint keeps the box tree of each page here
        found.append(walker.first)
    return tuple(found)


def numbered_starts(found: Sequence[Place | None], labels: Sequence[str]) -> tuple[PageStart, ...]:
    """The places of the pages with the numbers printed on them. A page with nothing of the
    book's text (a blank verso) begins where the next page does."""
    starts: list[PageStart] = []
    following: Place | None = None
    for index in reversed(range(len(found))):
        place = found[index] or following
        following = place
        if place is not None:
            starts.append(PageStart(labels[index], *place))
    return tuple(reversed(starts))


class _Walker:
    """Walks the boxes of each page in order, counting the visible characters of each block."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: tuple[str, int, int] | None = None
        self.headers: set[str] = set()
        """The tables' header and footer rows seen: a page a table goes on to repeats them,
        and begins at the row after."""

    def walk(self, box: Any, block: str | None) -> None:
        from weasyprint.formatting_structure import boxes

        if isinstance(box, boxes.MarginBox | boxes.FootnoteAreaBox) or _skipped(box):
            return
        if isinstance(box, boxes.TableRowGroupBox) and (box.is_header or box.is_footer):
            group = _source(box)
            if group is not None:
                if group in self.headers:
                    return
                self.headers.add(group)
        source = _source(box)
        if source is not None and isinstance(box, boxes.BlockContainerBox | boxes.ReplacedBox):
            block = source
        if isinstance(box, boxes.TextBox) and block is not None:
            length = visible_length(box.text)
            if length:
                self._start(block)
                self.counts[block] = self.counts.get(block, 0) + length
            return
        if isinstance(box, boxes.ReplacedBox) and source is not None:
            self._start(source)
            return
        for child in getattr(box, "children", ()):
            self.walk(child, block)

    def _start(self, block: str) -> None:
        if self.first is None:
            part, _, index = block.rpartition(":")
            self.first = (part, int(index), self.counts.get(block, 0))


def _source(box: Any) -> str | None:
    element = box.element
    if element is None or "::" in (box.element_tag or ""):
        return None
    value = element.get(SOURCE_ATTRIBUTE)
    return str(value) if value else None


def _skipped(box: Any) -> bool:
    """Text the EPUB doesn't have in the same place: notes, their calls, list markers, and
    what print alone says (marked :data:`PRINT_ONLY`)."""
    if "::" in (box.element_tag or ""):
        return True
    element = box.element
    return element is not None and (
        "footnote" in (element.get("class") or "").split() or element.get(PRINT_ONLY) is not None
    )


# --- marking the EPUB -----------------------------------------------------------------------


def insert_page_breaks(
    root: etree._Element, starts: Sequence[PageStart], xhtml_namespace: str
) -> list[PageStart]:
    """Put a ``pagebreak`` marker at each start in this part; returns those it placed."""
    elements = list(content_elements(root))
    placed = []
    # Last first: splitting a text at a later offset leaves earlier offsets where they are,
    # and two pages starting at one place (a blank verso) end up in page order.
    for start in reversed(starts):
        if start.element >= len(elements):
            continue
        _insert(elements[start.element], start, xhtml_namespace)
        placed.append(start)
    return placed[::-1]


def page_id(label: str) -> str:
    return f"page-{label}"


def _marker(start: PageStart, namespace: str) -> etree._Element:
    marker = etree.Element(f"{{{namespace}}}span" if namespace else "span")
    marker.set(EPUB_TYPE, "pagebreak")
    marker.set("role", "doc-pagebreak")
    marker.set("id", page_id(start.label))
    marker.set("aria-label", start.label)
    return marker


def _insert(element: etree._Element, start: PageStart, namespace: str) -> None:
    marker = _marker(start, namespace)
    local = etree.QName(element).localname
    if local in ("img", "hr", "br", "table", "ul", "ol", "dl", "tr", "thead", "tbody"):
        element.addprevious(marker)  # nothing inside to point at: just before it
        return
    target, position = _text_position(element, start.offset)
    if target is None:
        marker.tail = element.text
        element.text = None
        element.insert(0, marker)
        return
    node, attribute = target
    if (math := _enclosing_math(node if attribute == "text" else node.getparent())) is not None:
        math.addprevious(marker)  # MathML holds no HTML: the page starts at the formula
        return
    text = getattr(node, attribute) or ""
    before, after = text[:position], text[position:]
    setattr(node, attribute, before)
    marker.tail = after
    if attribute == "text":
        node.insert(0, marker)
    else:
        node.addnext(marker)


def _enclosing_math(element: etree._Element | None) -> etree._Element | None:
    """The outermost MathML ``<math>`` holding ``element``, if any."""
    found = None
    while element is not None:
        if etree.QName(element).localname == "math":
            found = element
        element = element.getparent()
    return found


def _text_position(
    element: etree._Element, offset: int
) -> tuple[tuple[etree._Element, str] | None, int]:
    """The text node (element and 'text' or 'tail') and position where ``offset`` visible
    characters of ``element`` have gone by, moved back to the start of the word."""
    if offset <= 0:
        return None, 0
    seen = 0
    for node, attribute, text in _texts(element):
        for position, char in enumerate(text):
            if char.isspace() or char in _ADDED_CHARS:
                continue
            if seen == offset:
                while position > 0 and not text[position - 1].isspace():
                    position -= 1
                return (node, attribute), position
            seen += 1
    return None, 0


def _texts(element: etree._Element) -> Iterator[tuple[etree._Element, str, str]]:
    """The element's text nodes in order, without note calls and math (print sets those
    differently: a call as its own number, a formula as an image, which holds no text)."""
    if element.text:
        yield element, "text", element.text
    for child in element:
        if not _is_note_call(child) and etree.QName(child).localname != "math":
            yield from _texts(child)
        if child.tail:
            yield child, "tail", child.tail


def _is_note_call(element: etree._Element) -> bool:
    return element.get("role") == "doc-noteref"


# --- keeping the figures --------------------------------------------------------------------


@dataclass(frozen=True)
class PageList:
    """The page starts of a print edition, and the paper it is set on."""

    paper: str
    starts: tuple[PageStart, ...]

    def dumps(self) -> str:
        return json.dumps({"paper": self.paper, "starts": [asdict(s) for s in self.starts]})

    @classmethod
    def loads(cls, text: str) -> PageList:
        data = json.loads(text)
        return cls(data["paper"], tuple(PageStart(**item) for item in data["starts"]))
