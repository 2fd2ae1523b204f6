"""Pandoc's citation parsers (:class:`_Citations`): a key (``@key``, ``-@key``, ``@{key}``),
a citation in brackets (``[see @a, p. 3; @b]``) with its prefixes and suffixes, and an
in-text citation with what may follow it in brackets (``@a [p. 3]``)."""

from __future__ import annotations

from dataclasses import replace

from .events import Found, Part, Refused
from .inline_base import _ATTRIBUTES, Result, reference_key
from .matching import _Matching

_CITE_PUNCT = frozenset(":.#$%&-+?<>~/")


def _key_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Citations(_Matching):
    """Citations: keys, in brackets, in the text."""

    def _at(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if (cited := self._textual_cite(position, end, after, ctx)) is not None:
            return cited
        # pandoc's example reference: "@" and a label, read as text
        cursor = position + 1
        while cursor < end:
            if self.s[cursor].isalnum():
                cursor += 1
            elif self.s[cursor] in "_-" and self._char(cursor + 1, end).isalnum():
                cursor += 2
            else:
                break
        return cursor, False

    def cite_key(self, position: int, end: int, after: bool) -> tuple[int, str] | None:
        """``@key``, ``-@key`` or ``@{key}`` at ``position``: where it ends and the key."""
        if after:
            return None
        cursor = position + (self._char(position, end) == "-")
        if self._char(cursor, end) != "@":
            return None
        cursor += 1
        first = self._char(cursor, end)
        if first and (_key_char(first) or first == "*"):
            start = cursor
            cursor += 1
            while cursor < end and self._in_key(cursor, end):
                cursor += 1
            return cursor, self.s[start:cursor]
        if first == "{":
            close = self._braced_key(cursor, end)
            if close is not None:
                return close, self.s[cursor + 1 : close - 1]
        return None

    def _in_key(self, position: int, end: int) -> bool:
        """Whether the key goes on at ``position``: letters, digits and ``_``, and
        punctuation between them (``doe:2020``, ``a.b``; not a final ``.``)."""
        char, following = self.s[position], self._char(position + 1, end)
        if _key_char(char):
            return True
        if char in _CITE_PUNCT and following and _key_char(following):
            return True
        return char in ":/" and following == "/"

    def _braced_key(self, position: int, end: int) -> int | None:
        depth = 0
        cursor = position
        while cursor < end:
            char = self.s[cursor]
            if char.isspace():
                return None
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return cursor + 1 if cursor > position + 1 else None
            cursor += 1
        return None

    def _normal_cite_event(self, position: int, end: int, ctx: int) -> int | None:
        found = self._normal_cite(position, end, ctx)
        if found is None:
            return None
        close, parts = found
        self.events.append(Found(position, close, parts, in_text=False))
        return close

    def _normal_cite(
        self, position: int, end: int, ctx: int
    ) -> tuple[int, tuple[Part, ...]] | None:
        """``[prefix @key suffix; …]``, not followed by a link's target, attributes or a
        reference label (a note call may follow)."""
        mark = len(self.events)
        parsed = self._cite_body(position, end, ctx)
        if parsed is None:
            self._undo(mark)
            return None
        close, parts = parsed
        if (
            self._source(close, end) is not None
            or _ATTRIBUTES.match(self.s, close, end)
            or (self._char(close, end) == "[" and self._reference_raw(close, end) is not None)
        ):
            self._undo(mark)
            return None
        return close, parts

    def _cite_body(self, position: int, end: int, ctx: int) -> tuple[int, tuple[Part, ...]] | None:
        if self._char(position, end) != "[":
            return None
        start = self.spnl(position + 1, end)
        if start is None:
            return None
        listed = self._cite_list(start, end, ctx)
        if listed is None:
            return None
        cursor, parts = listed
        cursor = self.spnl(cursor, end)  # type: ignore[assignment]
        if cursor is None or self._char(cursor, end) != "]":
            return None
        return cursor + 1, parts

    def _cite_list(self, position: int, end: int, ctx: int) -> tuple[int, tuple[Part, ...]] | None:
        first = self._citation(position, end, ctx)
        if first is None:
            return None
        parts = [first]
        cursor = first.end
        while self._char(cursor, end) == ";":
            start = self.spnl(cursor + 1, end)
            if start is None:
                break
            part = self._citation(start, end, ctx)
            if part is None:
                return None  # the ';' was read: pandoc does not go back
            parts.append(part)
            cursor = part.end
        return cursor, tuple(parts)

    def _citation(self, position: int, end: int, ctx: int) -> Part | None:
        prefix = self._prefix(position, end, ctx)
        if prefix is None:
            return None
        prefix_end, key_start, after = prefix
        key = self.cite_key(key_start, end, after)
        if key is None:
            return None
        key_end, name = key
        suffix_end = self._suffix(key_end, end, ctx)
        if suffix_end is None:
            return None
        suppress = self.s[key_start] == "-"
        return Part(
            position, prefix_end, key_start + suppress, name, key_end, key_end, suffix_end, suppress
        )

    def _prefix(self, position: int, end: int, ctx: int) -> tuple[int, int, bool] | None:
        """Inlines up to a citation key (or a ``]``, after which one must follow)."""
        cursor, after = position, False
        while cursor < end:
            char = self.s[cursor]
            if char == "]":
                return cursor, cursor + 1, False
            if char in "-@" and self.cite_key(cursor, end, after) is not None:
                return cursor, cursor, after
            if char == ";":
                return None
            result = self.inline(cursor, end, after, ctx)
            if result is None:
                return None
            cursor, after = result
        return None

    def _suffix(self, position: int, end: int, ctx: int) -> int | None:
        """Inlines up to a ``;`` or ``]`` (what they hold, like code or emphasis, may hold
        either)."""
        cursor = self.spnl(position, end)
        if cursor is None:
            return None
        after = False
        while cursor < end and self.s[cursor] not in ";]":
            result = self.inline(cursor, end, after, ctx)
            if result is None:
                break
            cursor, after = result
        return cursor

    def _textual_cite(self, position: int, end: int, after: bool, ctx: int) -> Result:
        """``@key``, then maybe ``[…]`` after it: ``@a [p. 3]``, ``@a [-@b]``."""
        key = self.cite_key(position, end, after)
        if key is None:
            return None
        key_end, name = key
        suppress = self.s[position] == "-"
        first = Part(
            position, position, position + suppress, name, key_end, key_end, key_end, suppress
        )
        mark = len(self.events)
        bracket = self.spnl(key_end, end)
        if bracket is not None and self._char(bracket, end) == "[":
            normal = self._normal_cite(bracket, end, ctx)
            if normal is not None:
                close, parts = normal
                return self._with_brackets(position, (first, *parts), bracket, close, mark)
            located = self._bare_locator(first, bracket, end, ctx)
            if located is not None:
                close, parts = located
                if self._char(close, end) not in ("[", "(", "{"):
                    return self._with_brackets(position, parts, bracket, close, mark)
                self._undo(mark)
                self.events.append(Refused(position, bracket, close))
            else:
                self._undo(mark)
        self.events.append(Found(position, key_end, (first,), in_text=True))
        return key_end, False

    def _with_brackets(
        self, start: int, parts: tuple[Part, ...], bracket: int, close: int, mark: int
    ) -> Result:
        """An in-text citation with its bracketed material, unless the brackets are a
        reference label defined in the lesson (then pandoc cites the key alone and links)."""
        first = parts[0]
        if reference_key(self.s[bracket + 1 : close - 1]) in self.references:
            self._undo(mark)
            alone = replace(first, suffix_start=first.key_end, end=first.key_end)
            self.events.append(Found(start, first.key_end, (alone,), in_text=True))
            return first.key_end, False
        self.events.append(Found(start, close, parts, in_text=True, bracketed=True))
        return close, False

    def _bare_locator(
        self, first: Part, bracket: int, end: int, ctx: int
    ) -> tuple[int, tuple[Part, ...]] | None:
        """``[p. 3]`` or ``[p. 3; @b]`` after an in-text key: the suffix of its first part."""
        if self._char(bracket + 1, end) == "^":
            return None
        suffix_end = self._suffix(bracket + 1, end, ctx)
        if suffix_end is None:
            return None
        parts: list[Part] = [replace(first, suffix_start=bracket + 1, end=suffix_end)]
        cursor = suffix_end
        if self._char(cursor, end) == ";":
            mark = len(self.events)
            start = self.spnl(cursor + 1, end)
            listed = self._cite_list(start, end, ctx) if start is not None else None
            if listed is not None:
                cursor, rest = listed
                parts.extend(rest)
            else:
                self._undo(mark)
        closing = self.spnl(cursor, end)
        if closing is None or self._char(closing, end) != "]":
            return None
        return closing + 1, tuple(parts)
