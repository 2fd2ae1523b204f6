"""The allow-list every lesson's HTML passes through after Markdown.

Python-Markdown passes raw HTML through and ``attr_list`` lets authors set any attribute, so the
HTML of a lesson is cleaned with nh3 (ammonia) before anything else reads it: only the elements
and attributes a course text needs survive, and links keep only the ``https``, ``http`` and
``mailto`` schemes or a relative target. What the allow-list removes is reported, so an author
knows what the reader won't see.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from lxml import etree
from lxml import html as lxml_html

ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "aside",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
    ]
)
_COMMON = {"id", "class", "title", "lang", "dir"}
ALLOWED_ATTRIBUTES = {
    "*": _COMMON,
    "a": _COMMON | {"href"},
    "img": _COMMON | {"src", "alt", "width", "height"},
    "td": _COMMON | {"colspan", "rowspan", "align"},
    "th": _COMMON | {"colspan", "rowspan", "align", "scope"},
    "ol": _COMMON | {"start", "type", "reversed"},
    "col": _COMMON | {"span"},
    "colgroup": _COMMON | {"span"},
    "q": _COMMON | {"cite"},
    "blockquote": _COMMON | {"cite"},
    "span": _COMMON | {"data-index"},  # an index mark's entry (coursebook.terms)
}
LINK_SCHEMES = frozenset({"https", "http", "mailto"})
"""Links that may leave the book (``javascript:``, ``data:`` and the other active or local
schemes may not)."""
# Image sources keep http(s) and file here so that the resolver can refuse them with a clear
# message ("on the network", "outside the book folder") instead of their vanishing silently.
_KEPT_SCHEMES = frozenset({"https", "http", "mailto", "file"})
_URL_ATTRIBUTES = ("href", "src", "cite")
# Elements whose content goes with them (the rest keep their text when unwrapped).
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "template",
        "noscript",
        "textarea",
        "select",
    }
)


@dataclass(frozen=True)
class Removal:
    """Something the allow-list removed, and a piece of its source text to find it by."""

    what: str
    needle: str
    confinement: bool = False
    """It reached for a file outside the book (an error rather than a warning)."""


def clean(html: str) -> str:
    """The HTML with everything outside the allow-list removed."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_KEPT_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def removals(html: str) -> list[Removal]:
    """What :func:`clean` removes from ``html``, one entry per element or attribute."""
    if not html.strip():
        return []
    try:
        tree = lxml_html.fragment_fromstring(html, create_parent="div")
    except etree.ParserError:
        return []
    found: list[Removal] = []
    for element in tree.iter():
        if element is tree or not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag not in ALLOWED_TAGS:
            found.append(_element(tag, element))
            continue
        allowed = ALLOWED_ATTRIBUTES.get(tag, _COMMON)
        for name, value in element.attrib.items():
            if name.lower() not in allowed:
                found.append(Removal(f"removed the '{name}' attribute of <{tag}>", name))
            elif name.lower() in _URL_ATTRIBUTES:
                found.extend(_url(tag, name, value))
    return found


def _element(tag: str, element: etree._Element) -> Removal:
    reference = next((element.get(name) for name in _URL_ATTRIBUTES if element.get(name)), None)
    if reference and urlsplit(reference).scheme.lower() == "file":
        return Removal(
            f"<{tag}> refers to a file outside the book folder ('{reference}')",
            reference,
            confinement=True,
        )
    why = {
        "script": "scripts don't run in a book",
        "style": "a book has its own styles",
        "link": "a book loads nothing of its own",
        "base": "a book loads nothing of its own",
        "iframe": "nothing is embedded from elsewhere",
        "form": "a book has no forms",
    }
    reason = why.get(tag, "it is not allowed in a book")
    return Removal(f"removed <{tag}> ({reason})", f"<{tag}")


def _url(tag: str, name: str, value: str) -> list[Removal]:
    scheme = urlsplit(value.strip()).scheme.lower()
    if not scheme or scheme in LINK_SCHEMES:
        return []
    if tag == "img" and scheme in ("http", "https", "file"):
        return []  # the resolver reports where an image may not come from
    if scheme == "file":
        return [
            Removal(
                f"<{tag}> refers to a file outside the book folder ('{value}')",
                value,
                confinement=True,
            )
        ]
    return [
        Removal(
            f"removed the link to '{value}' (only https, http and mailto links may leave the book)",
            value,
        )
    ]
