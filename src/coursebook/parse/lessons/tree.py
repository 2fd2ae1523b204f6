"""Small helpers on a lesson's lxml tree: an HTML fragment parsed, an element's content as
XHTML, and elements taken out with their text kept in place."""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html


def _fragment(html: str) -> etree._Element:
    fragment: etree._Element = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    return fragment


def _inner_xhtml(element: etree._Element) -> str:
    """The content of an element (text and children) as XHTML."""
    parts = [_escape(element.text or "")]
    parts += [etree.tostring(child, encoding="unicode", method="xml") for child in element]
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _remove_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    _append_text_before(element, element.tail or "")
    parent.remove(element)


def _replace_with_text(element: etree._Element, text: str) -> None:
    _append_text_before(element, text + (element.tail or ""))
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _append_text_before(element: etree._Element, text: str) -> None:
    """Add ``text`` to whatever text precedes ``element`` (its previous sibling's tail, or the
    parent's text)."""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent = element.getparent()
        if parent is not None:
            parent.text = (parent.text or "") + text
