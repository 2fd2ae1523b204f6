"""No paragraph of print ends on a line holding one short word.

WeasyPrint breaks lines one at a time and has no ``text-wrap: pretty``: a paragraph may end
on a line with a single word ("cost."). The compositor's remedy is to tie the last two words
of a paragraph with a no-break space, so the last line holds two words at least; only when
the last word is short, so that the tie never makes a unit too long to justify a line. The
tie is a no-break space in the text, not a span kept on one line (``white-space: nowrap``):
given a paragraph of the sample book ending in such a span, WeasyPrint 70 broke a line early
("people" alone on a line, then the rest), a worse fault than the one mended.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

LAST_WORD = 12
"""Tie the last word to the one before when it (with what follows it) is this short."""
_PROSE = ("p", "li", "dd", "figcaption")
_OPAQUE = {"pre", "code", "math", "table", "ul", "ol", "dl", "p", "div", "blockquote"}


def tie_last_words(tree: etree._Element) -> None:
    """Tie the last words of the prose's paragraphs, list items and captions (not the
    contents', the index's or a table's lines)."""
    for element in tree.iter(*_PROSE):
        if any(_apart(ancestor) for ancestor in element.iterancestors()):
            continue
        if any(child.tag in _OPAQUE for child in element):
            continue  # a list item holding a list: its last line is the inner list's
        _tie(element)


def _apart(element: etree._Element) -> bool:
    classes = (element.get("class") or "").split()
    return element.tag in ("pre", "table", "nav") or bool({"contents", "book-index"} & set(classes))


def _tie(element: etree._Element) -> None:
    following = 0  # characters of the paragraph after the slot looked at
    for node, attribute in reversed(list(_text_slots(element))):
        text = getattr(node, attribute) or ""
        end = len(text.rstrip())
        space = _last_space(text, end)
        if space is not None and (space[0] > 0 or attribute == "tail"):
            if following + end - space[1] <= LAST_WORD:
                setattr(node, attribute, text[: space[0]] + "\u00a0" + text[space[1] :])
            return
        following += len(text.strip())
        if following > LAST_WORD:
            return


_SPACES = " \t\n\r"


def _last_space(text: str, end: int) -> tuple[int, int] | None:
    """Where the last run of spaces before ``end`` starts and ends (searched from the end:
    a paragraph's text may be long, and only its last space matters)."""
    last = max(text.rfind(space, 0, end) for space in _SPACES)
    if last < 0:
        return None
    start = last
    while start > 0 and text[start - 1] in _SPACES:
        start -= 1
    return start, last + 1


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
