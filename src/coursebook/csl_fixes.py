"""Our layer over citeproc-py: where it differs from the reference CSL processor (pandoc's
citeproc), these element classes do what the CSL specification says.

citeproc-py builds a style's elements from classes looked up by element name. We parse styles
with the same lookup, except that the names below map to subclasses of ours. Each fix is a
small override with a docstring naming the difference; tests/test_csl.py covers each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from citeproc import CitationStylesStyle
from citeproc.frontend import CitationStylesXML
from citeproc.model import CitationStylesElement
from lxml import etree

CSL_NS = "http://purl.org/net/xbiblio/csl"

_FIXED: dict[str, type[CitationStylesElement]] = {}


def fixes(name: str) -> Any:
    """Register a class as the one to build for CSL elements called ``name``."""

    def register(cls: type[CitationStylesElement]) -> type[CitationStylesElement]:
        _FIXED[name] = cls
        return cls

    return register


class _FixedXML(CitationStylesXML):  # type: ignore[misc]
    """citeproc-py's style parsing, with our element classes where we fix something."""

    def __init__(self, f: Any, validate: bool = True) -> None:
        lookup = etree.ElementNamespaceClassLookup()
        namespace = lookup.get_namespace(CSL_NS)
        namespace[None] = CitationStylesElement
        namespace.update(
            {cls.__name__.replace("_", "-").lower(): cls
             for cls in CitationStylesElement.__subclasses__()}
        )
        namespace.update(_FIXED)
        self.parser = etree.XMLParser(remove_comments=True, encoding="UTF-8", no_network=True,
                                      resolve_entities=False)
        self.parser.set_element_class_lookup(lookup)
        self.xml = etree.parse(str(f), self.parser)
        self.root = self.xml.getroot()


class FixedStyle(CitationStylesStyle, _FixedXML):  # type: ignore[misc]
    """A CSL style parsed with our fixes (method resolution puts ``_FixedXML`` between
    citeproc-py's style class and its XML parsing)."""

    def __init__(self, path: Path, locale: str) -> None:
        super().__init__(str(path), locale=locale, validate=False)

    @property
    def uses_ibid(self) -> bool:
        citation = self.root.find(f"{{{CSL_NS}}}citation")
        if citation is None:
            return False
        return any("ibid" in (element.get("position") or "") for element in citation.iter())

    def term(self, name: str) -> str:
        return str(self.root.get_term(name).single)


def clean_output(html: str) -> str:
    """citeproc-py's HTML, in the form our documents use: small capitals as a class."""
    return re.sub(r'<span style="font-variant:\s*small-caps;?">', '<span class="smallcaps">', html)
