"""The inline reader whole (:class:`_Inline`): every parser, a paragraph read as pandoc
would read it (or, past its budget, the simple way), and which parser each special
character starts (:data:`_DISPATCH`)."""

from __future__ import annotations

import re

from .events import Found, Intricate, Part
from .formatting import _Formatting
from .inline_base import _STEPS, Result, _Overflow

_SIMPLE_BRACKETS = re.compile(r"(?<![\\!\]])\[(?!\^)[^\[\]]*@[^\[\]]*\](?![(\[{])")
_SIMPLE_KEY = re.compile(r"-?@")


class _Inline(_Formatting):
    """Pandoc's inline parsers over ``text`` (blanked where it is not inline text).

    Each parser takes where to start, where its block ends, whether a word just ended there
    and the quote/link context; it returns where it stopped (and whether a word ends there),
    or None when it does not match. Citations and the other events go to ``events``, which a
    failed alternative truncates back, as pandoc's backtracking forgets what it read.
    Results are memoized: pandoc tries a bracket as a note, a citation, a span and a link,
    each reading the same text inside again.
    """

    # --- the driver: a paragraph ----------------------------------------------------------

    def paragraph(self, start: int, end: int) -> None:
        """Read one block's inline text, as pandoc would; past the budget, the simple way."""
        mark = len(self.events)
        self.steps, self.limit = 0, min(self.remaining, _STEPS * (end - start) + 2_000)
        try:
            position, after = start, False
            while position < end:
                result = self.inline(position, end, after, 0)
                if result is None:
                    position, after = position + 1, False
                else:
                    position, after = result
        except _Overflow:
            self._undo(mark)
            self.events.append(Intricate(start, end))
            self._simply(start, end)
        finally:
            self.remaining -= self.steps

    def _simply(self, start: int, end: int) -> None:
        """Citations in brackets holding no brackets, then bare keys: linear, for text
        that pandoc's way of reading would take too long over."""
        taken: list[tuple[int, int]] = [(end, end + 1)]
        for match in _SIMPLE_BRACKETS.finditer(self.s, start, end):
            mark = len(self.events)
            self.steps, self.limit = 0, _STEPS * len(match.group()) + 2_000
            try:
                body = self._cite_body(match.start(), match.end(), 0)
            except _Overflow:
                body = None
            if body is None:
                self._undo(mark)
                continue
            self.events.append(Found(match.start(), match.end(), body[1], in_text=False))
            taken.insert(-1, (match.start(), match.end()))
        index = 0  # both in order: the next citation in brackets
        for match in _SIMPLE_KEY.finditer(self.s, start, end):
            at = match.start()
            while taken[index][1] <= at:
                index += 1
            if taken[index][0] <= at:
                continue
            after = at > start and (self.s[at - 1].isalnum() or self.s[at - 1] in ".\\")
            key = self.cite_key(at, end, after)
            if key is not None:
                suppress = self.s[at] == "-"
                part = Part(at, at, at + suppress, key[1], key[0], key[0], key[0], suppress)
                self.events.append(Found(at, key[0], (part,), in_text=True))

    # --- what a special character starts --------------------------------------------------

    def _special(self, char: str, position: int, end: int, after: bool, ctx: int) -> Result:
        handler = _DISPATCH.get(char)
        if handler is not None:
            result = handler(self, position, end, after, ctx)
            if result is not None:
                return result
        return self._str_or_symbol(char, position, end)

    def _str_or_symbol(self, char: str, position: int, end: int) -> Result:
        if char == "\n":
            return None  # endline failed: the paragraph ends here
        if char == ".":
            if self._char(position + 1, end) == ".":
                return position + 1, False  # a lone symbol; the next "." may be a word's
            return position + 1, True
        return position + 1, False


_DISPATCH = {
    "\n": _Inline._endline,
    "`": _Inline._code,
    "_": _Inline._emphasis,
    "*": _Inline._emphasis,
    "^": _Inline._caret,
    "[": _Inline._bracket,
    "!": _Inline._image,
    "$": _Inline._math,
    "~": _Inline._tilde,
    "<": _Inline._angle,
    "\\": _Inline._backslash,
    "@": _Inline._at,
    '"': _Inline._double_quote,
    "'": _Inline._single_quote,
    "-": _Inline._dash,
    ".": _Inline._dot,
    "&": _Inline._entity,
}
