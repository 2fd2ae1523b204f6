"""No paragraph of print ends on a line holding one short word.

WeasyPrint breaks lines one at a time and has no ``text-wrap: pretty``: a paragraph may end
on a line with a single word ("cost.") or a word's last letters. The compositor's remedy is
to tie the last two words of a paragraph, so the last line holds two words at least, and not
to hyphenate the last word; the tie only when the last word is short, so that it never makes
a unit too long to justify a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

LAST_WORD = 12
"""Tie the last word to the one before when it (with what follows it) is this short."""
_PROSE = ("p", "li", "dd", "figcaption")
_OPAQUE = {"pre", "code", "math", "table", "ul", "ol", "dl", "p", "div", "blockquote"}


def tie_last_words(tree: etree._Element) -> None:
    for element in tree.iter(*_PROSE):
        if any(ancestor.tag in ("pre", "table") for ancestor in element.iterancestors()):
            continue
        if any(child.tag in _OPAQUE for child in element):
            continue  # a list item holding a list: its last line is the inner list's
        _tie(element)


def _tie(element: etree._Element) -> None:
    following = 0  # characters of the paragraph after the slot looked at
    for node, attribute in reversed(list(_text_slots(element))):
        text = getattr(node, attribute) or ""
        end = len(text.rstrip())
        spaces = [m for m in _SPACE.finditer(text, 0, end) if m.start() > 0 or attribute == "tail"]
        if spaces:
            space = spaces[-1]
            tie = following + end - space.end() <= LAST_WORD
            # Tied, the word before goes in the span too.
            begin = spaces[-2].end() if tie and len(spaces) > 1 else 0 if tie else space.end()
            _last_word(node, attribute, begin, space.start(), space.end(), tie)
            return
        following += len(text.strip())
        if following > LAST_WORD:
            return


_SPACE = re.compile(r"[ \t\n\r]+")


def _last_word(
    node: etree._Element, attribute: str, begin: int, start: int, end: int, tie: bool
) -> None:
    """The slot's text from ``begin`` on (the last word, or the last two when ``tie``, the
    spaces at ``start:end`` between them) kept on one line in a span: ``span.last-words``,
    not broken (``white-space: nowrap``, a plain space in the PDF's text, where a no-break
    space would defeat a reader's search), or ``span.last-word``, never hyphenated."""
    text = getattr(node, attribute) or ""
    setattr(node, attribute, text[:begin])
    word = etree.Element("span", {"class": "last-words" if tie else "last-word"})
    word.text = text[begin:start] + " " + text[end:] if tie else text[end:]
    if attribute == "text":
        node.insert(0, word)
    else:
        node.addnext(word)


def _text_slots(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """The element's text, in order: its own, its children's (not a note call's, not code's)
    and the text after each child."""
    yield element, "text"
    for child in element:
        if not _skipped(child):
            yield from _text_slots(child)
        yield child, "tail"


def _skipped(element: etree._Element) -> bool:
    return (
        element.get("role") == "doc-noteref"
        or element.tag in ("code", "math", "img", "br")
        or "footnote" in (element.get("class") or "").split()
    )
