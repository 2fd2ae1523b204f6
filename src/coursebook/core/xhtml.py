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


VARYING = frozenset({"cited-in", "index-locators"})
"""Classes of the elements whose content each format writes its own way: the sources
appendix's "Cited in lesson 3, note 4" (print: "Cited on pp. 6, 9"), the index's places."""


def content_elements(root: etree._Element) -> Iterator[etree._Element]:
    """The elements of a part of the book, in document order, numbered the same way whatever
    format is being made (the page list relies on it): an element whose content varies by
    format counts, what is inside it doesn't."""
    # A stack of the levels being walked, not a recursive generator: each element yielded
    # through every level above it made a chapter's walk grow with its depth (0.3 s of a
    # 40-lesson book's EPUB, profiled).
    levels = [iter(root)]
    while levels:
        for element in levels[-1]:
            if not isinstance(element.tag, str):
                continue
            yield element
            if len(element) and not VARYING.intersection((element.get("class") or "").split()):
                levels.append(iter(element))
                break
        else:
            levels.pop()
