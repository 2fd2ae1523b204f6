"""Small helpers on a lesson's lxml tree: an HTML fragment parsed, an element's content as
XHTML, and elements taken out with their text kept in place."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from ..extraction import placeholder_index

VERBATIM = frozenset({"code", "pre", "kbd", "samp"})
"""Elements whose text is shown as written."""


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


def restore_literal(
    tree: etree._Element, placeholder: re.Pattern[str], written: Callable[[int], str]
) -> None:
    """Placeholders (of citations, math, cross-references) that ended up inside code or an
    attribute value never stood for anything: put back the text as written (``written`` of
    the placeholder's index)."""

    def restore(text: str) -> str:
        return placeholder.sub(lambda m: written(placeholder_index(m.group(1))), text)

    for element in tree.iter():
        if element.tag in VERBATIM:
            for node in element.iter():
                node.text = restore(node.text) if node.text else node.text
                if node is not element and node.tail:
                    node.tail = restore(node.tail)
        for name, value in element.attrib.items():
            if placeholder.search(str(value)):
                element.set(name, restore(str(value)))


def replace_placeholders(
    tree: etree._Element, placeholder: re.Pattern[str], make: Callable[[int], etree._Element]
) -> None:
    """Each placeholder in the text of ``tree`` becomes the element ``make`` gives for its
    index (run :func:`restore_literal` first: in code and attributes they stay text)."""
    for element in list(tree.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.text and placeholder.search(element.text):
            text, element.text = element.text, None
            _insert(element, 0, text, placeholder, make)
        if element.tail and placeholder.search(element.tail):
            parent = element.getparent()
            if parent is not None:
                tail, element.tail = element.tail, None
                _insert(parent, parent.index(element) + 1, tail, placeholder, make)


def _insert(
    parent: etree._Element,
    index: int,
    text: str,
    placeholder: re.Pattern[str],
    make: Callable[[int], etree._Element],
) -> None:
    """Put ``text`` at child ``index`` of ``parent``: its plain pieces as text, its
    placeholders as elements."""
    pieces = placeholder.split(text)
    if pieces[0]:
        if index == 0:
            parent.text = (parent.text or "") + pieces[0]
        else:
            parent[index - 1].tail = (parent[index - 1].tail or "") + pieces[0]
    for number, after in zip(pieces[1::2], pieces[2::2], strict=True):
        element = make(placeholder_index(number))
        parent.insert(index, element)
        element.tail = after or None
        index += 1
