"""Pandoc's inlines and blocks (its JSON) as XHTML: the formatted citations and
bibliography entries as the book sets them."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from ..core.diagnostics import Diagnostics, Location
from ..parse.extraction import MathSpan
from ..parse.math import set_math

# CSL's italics and bold are typography (a title's italics), not stress: <i> and <b>.
_WRAPPERS = {
    "Emph": "i",
    "Strong": "b",
    "Underline": "u",
    "Strikeout": "s",
    "Superscript": "sup",
    "Subscript": "sub",
}
_LINK_SCHEMES = ("https://", "http://", "mailto:")


def blocks_html(blocks: list[Any]) -> str:
    """A note's or an entry's blocks (a paragraph, as citeproc makes them) as inline XHTML;
    paragraphs after the first are separated by a line break."""
    parts = [inline_html(block["c"]) for block in blocks if block.get("t") in ("Para", "Plain")]
    return "<br/>".join(part.strip() for part in parts)


def inline_html(inlines: list[Any]) -> str:
    """Pandoc inlines as XHTML: text escaped, emphasis and the like as their elements,
    links kept only to the web and mail."""
    return "".join(_inline(inline) for inline in inlines)


def _inline(inline: dict[str, Any]) -> str:
    kind, content = inline.get("t"), inline.get("c", [])
    if kind == "Str":
        return html.escape(content, quote=False)
    if kind in ("Space", "SoftBreak"):
        return " "
    if kind == "LineBreak":
        return "<br/>"
    if kind in _WRAPPERS:
        tag = _WRAPPERS[kind]
        return f"<{tag}>{inline_html(content)}</{tag}>"
    if kind == "SmallCaps":
        return f'<span class="smallcaps">{inline_html(content)}</span>'
    if kind == "Quoted":
        quote, inner = content
        marks = ("“", "”") if quote["t"] == "DoubleQuote" else ("‘", "’")
        return f"{marks[0]}{inline_html(inner)}{marks[1]}"
    if kind == "Span":
        return _span(content[0], content[1])
    if kind == "Link":
        return _link(content[1], content[2][0])
    if kind == "Math":
        return _math(content[1], content[0].get("t") == "DisplayMath")
    if kind == "Code":
        return html.escape(content[-1], quote=False)
    if kind == "RawInline":
        return html.escape(content[1], quote=False)
    if kind == "Cite":
        return inline_html(content[1])
    if kind == "Note":
        return ""
    if kind == "Image":
        return inline_html(content[1])
    return ""


@lru_cache(maxsize=1024)
def _math(tex: str, display: bool) -> str:
    """Math in a source's data (a title's ``$\\tau$``) as the lessons' math is set: MathML by
    pandoc's texmath, or its TeX as written when it can't be. Rare enough (a title or two
    in a book) to set one at a time."""
    where = Location(Path("citation"))
    quiet = Diagnostics()  # what can't be set is printed as written, in the note itself
    written = f"$${tex}$$" if display else f"${tex}$"
    formula = set_math([MathSpan(tex, display, written, where)], quiet).get((tex, display))
    if formula is None:
        return f'<code class="math-tex">{html.escape(written, quote=False)}</code>'
    return etree.tostring(formula, encoding="unicode")


_DISPLAY = ("csl-block", "csl-left-margin", "csl-right-inline", "csl-indent")
"""The spans citeproc makes of CSL's ``display`` attribute (an entry's number in the margin,
its text beside it, a heading block, an indented block): kept, as pandoc's own HTML keeps
them, so that a stylesheet can lay them out (flattened, a number and a title run together)."""


def _span(attributes: list[Any], content: list[Any]) -> str:
    classes = attributes[1]
    inner = inline_html(content)
    if "smallcaps" in classes or any(
        value == "font-variant:small-caps;" for key, value in attributes[2] if key == "style"
    ):
        return f'<span class="smallcaps">{inner}</span>'
    display = next((c for c in classes if c in _DISPLAY), None)
    if display is not None:
        return f'<span class="{display}">{inner}</span>'
    return inner


def _link(content: list[Any], url: str) -> str:
    """A link to the web or to mail (anything else is its text). An address printed as the
    link's text is ``class="url"``: print shows it as it is; other links print their address
    after them (print.css)."""
    text = inline_html(content)
    if not url.lower().startswith(_LINK_SCHEMES):
        return text
    shown = re.sub(r"<[^>]+>", "", text)
    address = html.escape(url, quote=True)
    kind = ' class="url"' if html.unescape(shown) == url else ""
    return f'<a{kind} href="{address}">{text}</a>'
