"""Markdown that would be printed as written: the safety net under every reader of the
lesson's syntax. Whatever the readers did not turn into structure (a ``:::`` that closes no
div, ``$$`` left open, ``{#id}`` after something that takes no attributes, a grid table
drawn unevenly) is still in the text of the finished tree; each is a ``raw-markup`` warning
at its place, naming what it looks like. Code and math are left out: their text is meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

from ...core.diagnostics import Diagnostics, Location, did_you_mean
from ..extensions.divs import unmatched_fences
from .tree import VERBATIM

_FENCE = re.compile(r"^[ \t]*:{3,}.*", re.M)
_LOOKS_LIKE = (
    (_FENCE, "a fenced div's fence with no partner"),
    (re.compile(r"\^\[[^\]]{0,40}"), "an inline note that was not read as one"),
    (re.compile(r"\$\$"), "display math that is never closed"),
    (re.compile(r"\{[#.][\w:.-]+[^{}\n]{0,40}\}"), "attributes that nothing took"),
    (re.compile(r"\+(?:-{3,}|={3,})\+\S*"), "a grid table that could not be read"),
    (re.compile(r"(?:^|\|)[ \t]*:?-{3,}:?[ \t]*\|\S*", re.M), "a table rule that made no table"),
)
_MATHML = "{http://www.w3.org/1998/Math/MathML}"


def report_raw_markup(
    tree: etree._Element, body: str, where: Callable[[int], Location], diagnostics: Diagnostics
) -> None:
    """A ``raw-markup`` warning for each piece of syntax left in ``tree``'s text; ``where``
    gives the place of an offset in ``body`` (the lesson's Markdown)."""
    cursors: dict[str, int] = {}
    fences = iter(unmatched_fences(body))  # in order, as the text is read
    for text in _texts(tree):
        for pattern, what in _LOOKS_LIKE:
            matches = list(pattern.finditer(text))
            if not matches:
                continue
            written = matches[0].group().strip(" \t|")
            if pattern is _FENCE:
                starts = [next(fences, -1) for _ in matches]  # each fence is one of those
                start = starts[0] if starts[0] >= 0 else body.find(written)
            else:
                start = body.find(written, cursors.get(written, 0))
                start = start if start >= 0 else body.find(written)
                cursors[written] = start + 1 if start >= 0 else 0
            # One warning for each kind in a paragraph: a table's three borders are one table.
            diagnostics.warning(
                where(max(start, 0)),
                f"'{_short(written)}' is printed as written: it looks like {what}",
                "raw-markup",
            )


_NOTE_CALL = re.compile(r"\[\^([^\]\s]{1,40})\]")
_OPEN_CALL = re.compile(r"\[\^([\w-]{1,40})(?![\w\]-])")
_NOTE_LABEL = re.compile(r"^[ ]{0,3}\[\^([^\]]+)\]:", re.M)


def report_note_calls(
    tree: etree._Element, body: str, where: Callable[[int], Location], diagnostics: Diagnostics
) -> None:
    """A warning for each note call printed as written: one naming no note of the lesson
    (``[^wages]`` where no ``[^wages]: …`` is written), or never closed (``[^wages``)."""
    labels = set(_NOTE_LABEL.findall(body))
    cursor = 0
    for text in _texts(tree):
        for match in _NOTE_CALL.finditer(text):
            label = match.group(1)
            start = body.find(match.group(), cursor)
            if start < 0 or body[start - 1 : start] == "\\":
                continue  # escaped (\[\^1]): written to be printed
            cursor = start + 1
            diagnostics.warning(
                where(max(start, 0)),
                f"note call '[^{label}]' names no note: write '[^{label}]: …' in this "
                f"lesson{did_you_mean(label, labels)}",
                "raw-markup",
            )
        for match in _OPEN_CALL.finditer(text):
            start = body.find(match.group())
            if start < 0 or body[start - 1 : start] == "\\":
                continue
            diagnostics.warning(
                where(max(start, 0)),
                f"'{match.group()}' is printed as written: a note call needs its closing ']'",
                "raw-markup",
            )


def _texts(element: etree._Element) -> Iterator[str]:
    """The text of ``element`` outside code and math, a piece for each text node."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in VERBATIM or tag.startswith(_MATHML) or "math-tex" in (element.get("class") or ""):
        return
    if element.text:
        yield element.text
    for child in element:
        yield from _texts(child)
        if child.tail:
            yield child.tail


def _short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
