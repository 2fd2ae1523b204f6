"""What a CSL style does, read from its XML (:class:`StyleFacts`), and the style made to
say "Ibid." nowhere (:func:`without_ibid`: the EPUB's and the preview's notes, which have no
"previous note")."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..source.csl_style import CSL_NS


@dataclass(frozen=True)
class StyleFacts:
    """What a style does, read from its XML."""

    note: bool
    """Citations are notes (Chicago notes), not set in the text (author-date, numeric)."""
    ibid: bool
    """Its citations may read "Ibid." (a position of ibid is tested)."""
    bibliography: bool
    """It has a bibliography layout (92 of the bundled styles, notes only, have none)."""


def style_facts(xml: bytes) -> StyleFacts:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    citation = root.find(f"{{{CSL_NS}}}citation")
    return StyleFacts(
        note=root.get("class") == "note",
        ibid=any("ibid" in (e.get("position") or "") for e in root.iter(f"{{{CSL_NS}}}*"))
        and citation is not None,
        bibliography=root.find(f"{{{CSL_NS}}}bibliography") is not None,
    )


_NEVER = "coursebook-never-set"
"""A variable no source has: a condition on it is never true."""


def without_ibid(xml: bytes) -> bytes:
    """The style with its ``ibid`` and ``ibid-with-locator`` position tests never true, so
    that a citation in ibid position is set as a ``subsequent`` one (which it also is)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for test in root.iter(f"{{{CSL_NS}}}if", f"{{{CSL_NS}}}else-if"):
        positions = (test.get("position") or "").split()
        kept = [p for p in positions if p not in ("ibid", "ibid-with-locator")]
        if kept == positions:
            continue
        match = test.get("match", "all")
        if match == "all" or not kept:
            # Every test must hold, and one can't; or only ibid tests were named.
            test.attrib.pop("position")
            if match == "none":  # "none of [nothing]" would be true: keep it false
                test.set("match", "all")
            test.set("variable", f"{test.get('variable', '')} {_NEVER}".strip())
        else:
            test.set("position", " ".join(kept))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
