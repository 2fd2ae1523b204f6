"""The allow-list every lesson's HTML passes through after Markdown.

Python-Markdown passes raw HTML through and ``attr_list`` lets authors set any attribute, so the
HTML of a lesson is cleaned with nh3 (ammonia) before anything else reads it: only the elements
and attributes a course text needs survive, and links keep only the ``https``, ``http`` and
``mailto`` schemes or a relative target.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
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
    "abbr": _COMMON,
    "q": _COMMON | {"cite"},
    "blockquote": _COMMON | {"cite"},
}
# "file" survives here only so that the resolver can report it ("outside the book folder")
# instead of the reference silently vanishing; the resolver never follows it.
URL_SCHEMES = frozenset({"https", "http", "mailto", "file"})
LINK_SCHEMES = frozenset({"https", "http", "mailto"})


def clean(html: str) -> str:
    """The HTML with everything outside the allow-list removed (element content is kept for
    harmless elements, dropped for script and style)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
