"""Where brackets and parentheses close (:class:`_Matching`): pandoc's balanced brackets,
skipping code, math and HTML, settled in one pass for every bracket met; a link's target in
parentheses, a reference label, attributes after either."""

from __future__ import annotations

from .inline_base import _ATTRIBUTES, _NO_LINKS, _NOTE_MARKER, Result
from .verbatim import _Verbatim


class _Matching(_Verbatim):
    """Where brackets and parentheses close."""

    def _balanced(self, position: int, end: int) -> int | None:
        """The end of ``[…]`` at ``position`` (balanced brackets, skipping escapes, code,
        math and HTML), or None: pandoc's ``inBalancedBrackets``."""
        return self._matching(position, end, "[", "]")

    def _matching(self, position: int, end: int, opening: str, closing: str) -> int | None:
        """The end of the bracket (or parenthesis) opened at ``position``. One pass settles
        every bracket it meets, and an inner bracket never closed leaves the outer ones
        open too, so that each text is scanned once however many brackets ask."""
        if (position, end) in self.matching:
            return self.matching[position, end]
        stack = [position]
        cursor = position + 1
        while cursor < end and stack:
            char = self.s[cursor]
            if char == opening:
                known = self.matching.get((cursor, end), -1)
                if known is None:
                    break  # never closed: neither are those around it
                if known == -1:
                    stack.append(cursor)
                    cursor += 1
                else:
                    cursor = known
                continue
            if char == closing:
                self.matching[stack.pop(), end] = cursor + 1
                cursor += 1
                continue
            skip = self._opaque(char, cursor, end) if opening == "[" else None
            if skip is not None:
                cursor = skip
            elif char == "\\":
                cursor += 2
            else:
                cursor += 1
        for opened in stack:
            self.matching[opened, end] = None
        return self.matching[position, end]

    def _opaque(self, char: str, position: int, end: int) -> int | None:
        """Where code, math or HTML starting at ``position`` ends (brackets in them count
        for nothing), or None."""
        skip: Result = None
        if char == "\\":
            skip = self._backslash(position, end, False, 0)
        elif char == "`":
            skip = self._code(position, end, False, 0)
        elif char == "$":
            skip = self._math(position, end, False, 0)
        elif char == "<":
            skip = self._angle(position, end, False, _NO_LINKS)
        return None if skip is None else skip[0]

    def _reference_raw(self, position: int, end: int) -> int | None:
        if self.s.startswith("[^", position) and _NOTE_MARKER.match(self.s, position, end):
            return None
        return self._balanced(position, end)

    def _attributes_after(self, position: int, end: int) -> int:
        attributes = _ATTRIBUTES.match(self.s, position, end)
        return attributes.end() if attributes else position

    def _source(self, position: int, end: int) -> int | None:
        """``(url "title")`` after a link's label: balanced parentheses."""
        if self._char(position, end) != "(":
            return None
        return self._matching(position, end, "(", ")")
