"""Reading an HTML page: the portal's furniture (header, site name, "About this course",
footer) told from the lesson by its elements, and the lesson's elements as paragraphs,
headings and quotations, their links kept as marks."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import lxml.html
from lxml import etree

from ...core.diagnostics import Diagnostics, Location
from .model import _LINK, Block, Furniture, Page
from .page_parts import (
    _ABOUT,
    _about,
    _clean,
    _is_attribution,
    _unmarked,
    _unwrapped,
    parse_heading,
)

INLINE_DEPTH = 30
"""Nesting of inline HTML elements followed inside a paragraph; deeper text is kept flat."""


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
