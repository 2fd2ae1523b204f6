"""Parsing and writing the XHTML fragments the renderer produces.

Every part of the book is rendered once, as well-formed XHTML. The backends parse those
fragments with an XML parser (never an HTML one, which would read ``<a id="x"/>`` as an
unclosed link), and with entity resolution and network access off.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

OPS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS}}}type"


def parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_fragment(html: str) -> etree._Element:
    """A fragment under a ``div`` wrapper; elements have no namespace, ``epub:`` attributes
    keep theirs."""
    return etree.fromstring(f'<div xmlns:epub="{OPS}">{html}</div>'.encode(), parser())


def html_of_children(wrapper: etree._Element) -> str:
    """The wrapper's content as HTML (for WeasyPrint's HTML parser)."""
    return (wrapper.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in wrapper
    )


def content_elements(root: etree._Element) -> Iterator[etree._Element]:
    """The elements of a part of the book, in document order, numbered the same way whatever
    format is being made (the page list relies on it)."""
    for element in root.iter():
        if isinstance(element.tag, str) and element is not root:
            yield element
