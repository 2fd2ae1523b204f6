"""Inline formatting (:class:`_Formatting`): emphasis (pandoc's enclosures of one, two and
three), superscript, subscript, strikeout and inline notes, and smart punctuation (quotes,
dashes, ellipses). Each may hold a citation, or the ``;`` or ``]`` of one."""

from __future__ import annotations

import re

from .events import InlineNote
from .inline_base import _ATTRIBUTES, _IN_DOUBLE, _IN_SINGLE, _NO_LINKS, Result, _run
from .links import _Links

_SUPERSCRIPT = re.compile(r"\^(?:\\.|[^ \t\n\r^\\])*\^")
_SUBSCRIPT = re.compile(r"~(?:\\.|[^ \t\n\r~\\])*~")


class _Formatting(_Links):
    """Emphasis, super- and subscript, strikeout, inline notes, smart punctuation."""

    # --- emphasis (pandoc's enclosure, one, two, three) -----------------------------------

    def _emphasis(self, position: int, end: int, after: bool, ctx: int) -> Result:
        char = self.s[position]
        if char == "_" and after:
            return None  # intraword underscores
        run = _run(self.s, position, char, end)
        start = position + run
        if self._char(start, end) in (" ", "\t"):
            return self._spaces(start, end), False  # a literal * before a space
        # The opening run ends no word: what follows it may start a citation.
        if run == 1:
            return self._one(char, start, end, False, ctx)
        if run == 2:
            return self._two(char, start, end, False, ctx)
        if run == 3:
            return self._three(char, start, end, False, ctx)
        return start, False

    def _ender(self, char: str, count: int, position: int, end: int) -> bool:
        if self.s[position : min(position + count, end)] != char * count:
            return False
        return char == "*" or not self._char(position + count, end).isalnum()

    def _one(self, char: str, position: int, end: int, after: bool, ctx: int) -> tuple[int, bool]:
        while position < end:
            if self._ender(char, 1, position, end):
                doubled = self.s.startswith(char * 2, position) and position + 1 < end
                if doubled and not self._ender(char, 1, position + 2, end):
                    position, after = self._two(char, position + 2, end, False, ctx)
                    continue
                break
            result = self.inline(position, end, after, ctx)
            if result is None:
                break
            position, after = result
        if self._ender(char, 1, position, end):
            return position + 1, True
        return position, after

    def _two(self, char: str, position: int, end: int, after: bool, ctx: int) -> tuple[int, bool]:
        while position < end and not self._ender(char, 2, position, end):
            result = self.inline(position, end, after, ctx)
            if result is None:
                break
            position, after = result
        if self._ender(char, 2, position, end):
            return position + 2, True
        return position, after

    def _three(self, char: str, position: int, end: int, after: bool, ctx: int) -> tuple[int, bool]:
        while position < end and not self._ender(char, 1, position, end):
            result = self.inline(position, end, after, ctx)
            if result is None:
                break
            position, after = result
        if self._ender(char, 3, position, end):
            return position + 3, True
        if self._ender(char, 2, position, end):
            return self._one(char, position + 2, end, True, ctx)
        if self._ender(char, 1, position, end):
            return self._two(char, position + 1, end, True, ctx)
        return position, after

    # --- superscript, subscript, strikeout, inline notes ----------------------------------

    def _caret(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if self._char(position + 1, end) == "[":
            close = self._balanced(position + 1, end)
            if (
                close is not None
                and self._char(close, end) not in ("(", "[")
                and not (_ATTRIBUTES.match(self.s, close, end))
            ):
                self.events.append(InlineNote(position, close))
                self.inlines(position + 2, close - 1, ctx & _NO_LINKS)
                return close, False
        return self._between(_SUPERSCRIPT, position, end, ctx)

    def _tilde(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if self.s.startswith("~~", position) and self._char(position + 2, end) not in (
            "",
            " ",
            "\t",
            "\n",
            "~",
        ):
            mark = len(self.events)
            inner = position + 2
            inner_after = False
            while inner < end:
                if self.s.startswith("~~", inner):
                    return inner + 2, False
                result = self.inline(inner, end, inner_after, ctx)
                if result is None:
                    break
                inner, inner_after = result
            self._undo(mark)
            return None
        return self._between(_SUBSCRIPT, position, end, ctx)

    def _between(self, pattern: re.Pattern[str], position: int, end: int, ctx: int) -> Result:
        match = pattern.match(self.s, position, end)
        if match is None:
            return None
        self.inlines(position + 1, match.end() - 1, ctx)
        return match.end(), False

    # --- smart punctuation: quotes, dashes, ellipses --------------------------------------

    def _double_quote(self, position: int, end: int, after: bool, ctx: int) -> Result:
        following = self._char(position + 1, end)
        if not ctx & _IN_DOUBLE and not after and following not in ("", " ", "\t", "\n", "\r"):
            mark = len(self.events)
            inner, inner_after = position + 1, False
            while inner < end:
                if self.s[inner] == '"':
                    return inner + 1, False
                result = self.inline(inner, end, inner_after, ctx | _IN_DOUBLE)
                if result is None:
                    break
                inner, inner_after = result
            self._undo(mark)
        return position + 1, False

    def _single_quote(self, position: int, end: int, after: bool, ctx: int) -> Result:
        following = self._char(position + 1, end)
        if not ctx & _IN_SINGLE and not after and following not in ("", " ", "\t", "\n", "\r"):
            mark = len(self.events)
            inner_ctx = ctx | _IN_SINGLE
            result = self.inline(position + 1, end, False, inner_ctx)
            while result is not None:
                inner, inner_after = result
                if self._char(inner, end) == "'" and not self._char(inner + 1, end).isalnum():
                    return inner + 1, False
                result = self.inline(inner, end, inner_after, inner_ctx)
            self._undo(mark)
        return position + 1, False

    def _dash(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if (cited := self._textual_cite(position, end, after, ctx)) is not None:
            return cited
        if self.s.startswith("--", position) and position + 1 < end:
            return (position + 3 if self._char(position + 2, end) == "-" else position + 2), False
        return None

    def _dot(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if self.s.startswith("...", position) and position + 2 < end:
            return position + 3, False
        return None
