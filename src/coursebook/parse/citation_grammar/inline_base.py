"""What every inline parser stands on (:class:`_InlineBase`): the text, the events read so
far (which a failed alternative truncates back), the memo, the budget of steps, reading one
element or many, and spaces and line ends; with the constants and patterns the parsers
share."""

from __future__ import annotations

import re

from .events import Event

_SPECIAL = frozenset("\n`_*^[]!$~<\\@\"'-.&;")
"""Characters some inline parser or loop looks at; anything else is plain text."""
_PLAIN_RUN = re.compile(r"[^\n`_*^\[\]!$~<\\@\"'\-.&;]+")

_IN_DOUBLE, _IN_SINGLE, _NO_LINKS = 1, 2, 4
_MAX_DEPTH = 60
"""Nesting beyond this (brackets in brackets in emphasis…) is read as text: the recursion
stays far from Python's limit, and no lesson nests so deep."""
_STEPS = 4
"""Inline steps a character may cost. Lessons take about 0.1 (plain text is read in runs);
pandoc's backtracking is quadratic or worse on hostile text (thousands of unclosed quotes,
brackets nested thousands deep), so each paragraph, and the whole text, has this budget and
a paragraph past it is read the simple way (:class:`Intricate`)."""

_ATTRIBUTES = re.compile(
    r"\{[ \t]*\n?[ \t]*(?:(?:#[\w:.-]+|\.[A-Za-z][\w:.-]*|[A-Za-z][\w:.-]*="
    r"(?:\"[^\"]*\"|'[^']*'|[^\s}]*)|-|=[\w-]+)[ \t]*\n?[ \t]*)*\}"
)
_NOTE_MARKER = re.compile(r"\[\^[^ \t\n\r][^ \t\n\r\]]*\]")

Result = tuple[int, bool] | None
"""Where a parser stopped and whether the text just read ends a word (pandoc's "last string
position": no citation starts right after a word, so ``me@example.org`` is none)."""


class _Overflow(Exception):
    """The reading of one paragraph went past its budget."""


def _is_word(char: str) -> bool:
    return char.isalnum()


def _run(text: str, position: int, char: str, end: int | None = None) -> int:
    """How many ``char`` start at ``position`` (before ``end``)."""
    limit = len(text) if end is None else end
    cursor = position
    while cursor < limit and text[cursor] == char:
        cursor += 1
    return cursor - position


def reference_key(label: str) -> str:
    """A reference label as pandoc compares them: case and spacing ignored."""
    return " ".join(label.split()).casefold()


class _InlineBase:
    """The state of :class:`_Inline` and the steps every parser takes: one inline element
    (memoized, counted against the budget), many, spaces; what a special character starts is
    the whole reader's to say (:meth:`_special`)."""

    def __init__(self, text: str, references: set[str], budget: int) -> None:
        self.s = text
        self.references = references
        self.events: list[Event] = []
        self.memo: dict[tuple[int, int, bool, int], tuple[Result, tuple[Event, ...]]] = {}
        self.matching: dict[tuple[int, int], int | None] = {}
        self.ticks: dict[int, list[int]] | None = None
        self.comment: tuple[int, int] = (-1, -1)
        self.depth = 0
        self.remaining = budget
        """Steps left for the whole text."""
        self.steps = self.limit = 0

    # --- the driver -----------------------------------------------------------------------

    def inlines(self, position: int, end: int, ctx: int) -> int:
        """``many inline``: as far as inline text goes (text in brackets, a link's label)."""
        after = False
        while position < end:
            result = self.inline(position, end, after, ctx)
            if result is None:
                break
            position, after = result
        return position

    def _undo(self, mark: int) -> None:
        del self.events[mark:]

    # --- one inline element ---------------------------------------------------------------

    def inline(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if position >= end:
            return None
        char = self.s[position]
        if char not in _SPECIAL:
            run = _PLAIN_RUN.match(self.s, position, end)
            assert run is not None
            return run.end(), _is_word(self.s[run.end() - 1])
        self.steps += 1
        if self.steps > self.limit:
            raise _Overflow
        key = (position, end, after, ctx)
        if (known := self.memo.get(key)) is not None:
            self.events.extend(known[1])
            return known[0]
        if self.depth >= _MAX_DEPTH:
            return None
        mark = len(self.events)
        self.depth += 1
        try:
            result = self._special(char, position, end, after, ctx)
        finally:
            self.depth -= 1
        if result is None:
            self._undo(mark)
        self.memo[key] = (result, tuple(self.events[mark:]))
        return result

    def _special(self, char: str, position: int, end: int, after: bool, ctx: int) -> Result:
        """The element the special character ``char`` starts: :class:`_Inline`, which has
        every parser, says."""
        raise NotImplementedError

    def _char(self, position: int, end: int) -> str:
        return self.s[position] if position < end else ""

    # --- spaces and line ends -------------------------------------------------------------

    def _spaces(self, position: int, end: int) -> int:
        while position < end and self.s[position] in " \t":
            position += 1
        return position

    def spnl(self, position: int, end: int) -> int | None:
        """Spaces, at most one line end, spaces; never a blank line (or the block's end)."""
        position = self._spaces(position, end)
        if position >= end:
            return None
        if self.s[position] == "\n":
            position = self._spaces(position + 1, end)
            if position >= end or self.s[position] == "\n":
                return None
        return position

    def _endline(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if position + 1 >= end:
            return None
        return self._spaces(position + 1, end), False
