"""Pandoc's Markdown reader, as far as finding citations needs it.

Whether ``[…@key…]`` is a citation is decided while pandoc reads inline Markdown, and it
depends on what surrounds it: ``[@a](url)`` is a link (holding the in-text citation ``@a``),
``[@a][^n]`` a citation then a note call, ``[@a]{.c}`` a span, `` `[@a]` `` code,
``[see [a link](x) @a]`` a citation whose prefix holds a link, ``[@a, *x; y*]`` one citation
(the emphasis holds the ``;``), ``[@a;]`` no citation but brackets around ``@a``. This module
reads a lesson's raw text as pandoc 3.9's reader does (``Text.Pandoc.Readers.Markdown``: its
inline parsers followed one for one, with their backtracking) and reports where each
citation starts and ends and where its parts are. :mod:`coursebook.citation_syntax` turns that
into the book's model; ``tests/test_citation_pandoc.py`` holds the two to pandoc itself.

The blocks are found first, more simply than pandoc does (paragraphs, block quotes, list
items, headings, fenced and indented code, pipe-table cells, reference definitions): inline
reading happens within one of them, and a citation never runs out of one. Offsets are those
of the lesson text, so every position stays exact.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace

# ---------------------------------------------------------------------------------------------
# What the reader reports


@dataclass(frozen=True)
class Part:
    """One source of a citation, as offsets in the text: ``see @a, p. 3`` in ``[see @a, p. 3]``."""

    start: int
    """Where its prefix starts (after ``[`` or ``;``)."""
    prefix_end: int
    at: int
    """The ``@`` of its key (a ``-`` before it suppresses the author)."""
    key: str
    key_end: int
    suffix_start: int
    """Where its suffix starts: the key's end, or inside the brackets of ``@a [p. 3]``."""
    end: int
    """Where its suffix ends (before the ``;`` or ``]``)."""
    suppress_author: bool


@dataclass(frozen=True)
class Found:
    """A citation as pandoc reads it: ``[see @a, p. 3; @b]`` or ``@a`` or ``@a [p. 3]``."""

    start: int
    end: int
    parts: tuple[Part, ...]
    in_text: bool
    """``@a`` or ``@a [p. 3]``: the first part's author is named in the sentence."""
    bracketed: bool = False
    """For an in-text citation: material in brackets follows the key (``@a [p. 3]``)."""


@dataclass(frozen=True)
class Brackets:
    """``[…]`` read as text: a link label no reference defines (``[@a;]``, ``[x]``)."""

    start: int
    end: int
    before_label: bool = False
    """A citation but for the ``[`` right after it: ``[@a][x]`` is a reference link."""


@dataclass(frozen=True)
class Refused:
    """``@a [p. 3]`` directly followed by ``[``, ``(`` or ``{``: pandoc cites ``@a`` alone and
    prints the brackets as text."""

    at: int
    bracket_start: int
    bracket_end: int


@dataclass(frozen=True)
class Intricate:
    """A paragraph too intricate to read exactly within the reader's budget (pathological
    nesting, thousands of unclosed quotes or brackets): its citations were found by a simpler,
    linear reading (bracketed citations without brackets inside, and bare keys)."""

    start: int
    end: int


Event = Found | Brackets | Refused | Intricate


@dataclass
class Reading:
    """Everything found in one text."""

    text: str
    found: list[Found] = field(default_factory=list)
    """Every citation, nested ones (``@b`` in ``[@a, @b]``) included, in the order read."""
    brackets: list[Brackets] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    intricate: list[Intricate] = field(default_factory=list)
    hidden: bytearray = field(default_factory=bytearray)
    """1 at each offset that is block structure, not text (a block quote's ``>``)."""

    def written(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end`` without the block quote markers of its lines
        after the first: what pandoc reads there, and what it must be handed again."""
        if not any(self.hidden[start:end]):
            return self.text[start:end]
        return "".join(c for i, c in enumerate(self.text[start:end], start) if not self.hidden[i])


def read(text: str) -> Reading:
    """Every citation in ``text`` (a lesson's Markdown), as pandoc's reader finds it."""
    layout = _Layout(text)
    reader = _Inline(layout.masked, layout.references, budget=_STEPS * len(text) + 10_000)
    for start, end in layout.regions:
        reader.paragraph(start, end)
    reading = Reading(text, hidden=layout.hidden)
    for event in reader.events:
        if isinstance(event, Found):
            reading.found.append(event)
        elif isinstance(event, Brackets):
            reading.brackets.append(event)
        elif isinstance(event, Refused):
            reading.refused.append(event)
        else:
            reading.intricate.append(event)
    return reading


# ---------------------------------------------------------------------------------------------
# Blocks: where inline text is, and what is structure around it

_QUOTE_MARK = re.compile(r" {0,3}> ?")
_FENCE = re.compile(r"[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_RULE = re.compile(r" {0,3}(?:=+|-+|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:-[ \t]*){3,})[ \t]*$")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-+*]|\d{1,9}[.)]|\(\d{1,9}\)|#[.)])(?:[ \t]|$)")
"""A list item's marker. Letters ("a.", "iv.") are left out: pandoc reads a wrapped "p. 3]"
within a bullet item as the item's text."""
_NOTE_DEFINITION = re.compile(r" {0,3}\[\^[^\]\s]+\]:")
_DEFINITION_ITEM = re.compile(r" {0,3}[:~](?:[ \t]|$)")
"""A definition list's definition, after its one-line term."""
_DIV_FENCE = re.compile(r" {0,3}:::")
_CLOSING_FENCE = re.compile(r"(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})[ \t]*$")
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REFERENCE = re.compile(
    r" {0,3}\[(?P<label>(?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])+)\]:[ \t]*\n?[ \t]*"
    r"(?!\[)\S+(?:[ \t]+(?!\[)\S+)*[ \t]*(?=\n|\Z)"
)
"""A reference definition: pandoc takes all the words after the colon for its address (and
title), up to the line's end; a word in brackets makes the line no definition."""


def _indent(line: str) -> int:
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def reference_key(label: str) -> str:
    """A reference label as pandoc compares them: case and spacing ignored."""
    return " ".join(label.split()).casefold()


class _Layout:
    """The lesson's lines sorted into blocks: paragraphs (``regions``: inline text), and
    what holds no citation (code, reference definitions), which is blanked in ``masked``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.chars = list(text)
        self.hidden = bytearray(len(text))
        self.regions: list[tuple[int, int]] = []
        self.references: set[str] = set()
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.lines = text.split("\n")
        self.no_comment_end = len(text) + 1
        self.fences = [
            (index, match.group(1)[0], len(match.group(1)))
            for index, line in enumerate(self.lines)
            if (match := _CLOSING_FENCE.match(line))
        ]
        """Lines that can close a fence: (line, character, length)."""
        self._sort_lines()
        self.masked = "".join(self.chars)
        """The text with what is not inline text blanked (line ends kept, offsets unchanged)."""

    def _blank(self, start: int, end: int) -> None:
        for i in range(start, end):
            if self.chars[i] != "\n":
                self.chars[i] = " "

    def _sort_lines(self) -> None:
        self.region: list[int] | None = None  # [start, end] of the paragraph being read
        quote_depth = 0
        in_list = False  # in a list item or a note: an indented paragraph is no code
        after_blank = True
        index = 0
        while index < len(self.lines):
            line_start = self.starts[index]
            line = self.lines[index]
            depth, offset = self._quote_prefix(line)
            if depth and self.region is not None and quote_depth == 0:
                depth, offset = 0, 0  # "text\n> more": a ">" within a paragraph is text
            if offset:
                self._blank(line_start, line_start + offset)
                self.hidden[line_start : line_start + offset] = b"\x01" * offset
            body = line[offset:]
            body_start = line_start + offset
            if not body.strip():
                self._close()
                after_blank, index = True, index + 1
                continue
            skipped = self._skipped_block(index, body, body_start, after_blank, in_list)
            if skipped or _RULE.match(body) or _DIV_FENCE.match(body):
                self._close()
                after_blank, index = True, index + max(skipped, 1)
                continue
            following = self.lines[index + 1] if index + 1 < len(self.lines) else ""
            if "|" in body and "|" in following and _TABLE_RULE.match(following):
                self._close()
                after_blank, index = True, index + self._table(index)
                continue
            item = _LIST_ITEM.match(body) or _NOTE_DEFINITION.match(body)
            new_item = item is not None and (after_blank or in_list)
            if _DEFINITION_ITEM.match(body) and (
                self.region is None or self.region[0] >= self.starts[index - 1]
            ):
                item, new_item = _DEFINITION_ITEM.match(body), True
            if new_item:
                in_list = True
            elif after_blank and _indent(body) < 4:
                in_list = False
            heading = self.region is None and _ATX.match(body) is not None  # after a blank
            if self.region is None or new_item or heading or (depth and depth != quote_depth):
                self._close()
                self.region = [body_start, body_start + len(body)]
            else:
                self.region[1] = body_start + len(body)
            if heading:
                self._close()  # a heading is one line
            quote_depth = depth
            after_blank, index = False, index + 1
        self._close()

    def _close(self) -> None:
        if self.region is not None:
            self.regions.append((self.region[0], self.region[1]))
            self.region = None

    @staticmethod
    def _quote_prefix(line: str) -> tuple[int, int]:
        """How many ``>`` start the line, and where its text starts."""
        depth = offset = 0
        while match := _QUOTE_MARK.match(line, offset):
            depth += 1
            offset = match.end()
        return depth, offset

    def _skipped_block(
        self, index: int, body: str, body_start: int, after_blank: bool, in_list: bool
    ) -> int:
        """Lines from ``index`` that hold no inline text (fenced or indented code, a reference
        definition, an HTML comment), blanked; 0 if the line starts none."""
        if fence := _FENCE.match(body):
            return self._fenced(index, fence)
        if after_blank and not in_list and _indent(body) >= 4:
            return self._indented(index)
        if body.lstrip(" ").startswith("<!--"):
            close = self._comment_end(body_start + body.index("<!--") + 4)
            if close is not None:
                end_line = bisect.bisect_right(self.starts, close) - 1
                rest = self.text[close : self._line_end(end_line)]
                if not rest.strip() or end_line > index:
                    # A comment opening a block is raw HTML up to "-->", blank lines and all;
                    # what follows it on its last line is read on.
                    self._blank(body_start, close)
                    self.starts[end_line], self.lines[end_line] = close, rest
                    return end_line - index + (not rest.strip())
        if after_blank and body.lstrip(" ").startswith("[") and not _NOTE_DEFINITION.match(body):
            return self._definition(index, body_start)
        return 0

    def _comment_end(self, position: int) -> int | None:
        """The end of the first ``-->`` from ``position`` (remembered: once none is left,
        none is looked for again)."""
        if position >= self.no_comment_end:
            return None
        found = self.text.find("-->", position)
        if found < 0:
            self.no_comment_end = position
            return None
        return found + 3

    def _line_end(self, index: int) -> int:
        return self.starts[index] + len(self.lines[index])

    def _fenced(self, index: int, fence: re.Match[str]) -> int:
        mark = fence.group("fence")
        if mark[0] == "`" and "`" in fence.group("info"):
            return 0  # ```a`b``` is inline code
        first = bisect.bisect_left(self.fences, (index + 1,))
        for end, char, length in self.fences[first:]:
            if char == mark[0] and length >= len(mark):
                self._blank(self.starts[index], self._line_end(end))
                return end - index + 1
        return 0  # never closed: pandoc reads the lines as text

    def _indented(self, index: int) -> int:
        end = index
        while end < len(self.lines) and (
            not self.lines[end].strip() or _indent(self.lines[end]) >= 4
        ):
            end += 1
        while end > index and not self.lines[end - 1].strip():
            end -= 1
        self._blank(self.starts[index], self._line_end(end - 1))
        return end - index

    def _definition(self, index: int, body_start: int) -> int:
        """``[label]: url "title"``: a reference definition (unless the label is a citation,
        which pandoc never takes for one)."""
        match = _REFERENCE.match(self.text, body_start)
        if match is None:
            return 0
        label = match.group("label")
        opening, line_end = match.start("label") - 1, self._line_end(index)
        reader = _Inline(self.text, set(), budget=0)
        reader.limit = _STEPS * (line_end - opening) + 2_000
        try:
            cited = reader._normal_cite(opening, line_end, 0) is not None
        except _Overflow:
            cited = False
        if label.startswith("^") or cited:
            return 0
        self.references.add(reference_key(label))
        self._blank(body_start, match.end())
        return self.text.count("\n", body_start, match.end()) + 1

    def _table(self, index: int) -> int:
        """A pipe table from its header line: each cell is read on its own, as pandoc splits
        rows at ``|`` before reading cells."""
        end = index
        while end < len(self.lines) and self.lines[end].strip() and "|" in self.lines[end]:
            if end != index + 1:
                self._cells(self.starts[end], self._line_end(end))
            end += 1
        return max(end - index, 2)

    def _cells(self, start: int, end: int) -> None:
        cell_start = start
        position = start
        text = self.text
        while position < end:
            char = text[position]
            if char == "\\":
                position += 2
                continue
            if char == "`":
                run = _run(text, position, "`")
                close = _closing_ticks(text, position + run, end, run)
                position = close if close is not None else position + run
                continue
            if char == "|":
                if text[cell_start:position].strip():
                    self.regions.append((cell_start, position))
                cell_start = position + 1
            position += 1
        if text[cell_start:end].strip():
            self.regions.append((cell_start, end))


def _run(text: str, position: int, char: str, end: int | None = None) -> int:
    """How many ``char`` start at ``position`` (before ``end``)."""
    limit = len(text) if end is None else end
    cursor = position
    while cursor < limit and text[cursor] == char:
        cursor += 1
    return cursor - position


def _closing_ticks(text: str, position: int, end: int, run: int) -> int | None:
    """The end of the first run of exactly ``run`` backticks from ``position`` (a code span's
    closing), or None."""
    while True:
        found = text.find("`", position, end)
        if found < 0:
            return None
        length = _run(text, found, "`")
        if length == run:
            return found + length
        position = found + length


# ---------------------------------------------------------------------------------------------
# Inline reading: pandoc's inline parsers, for their extent and the citations they find

_SPECIAL = frozenset("\n`_*^[]!$~<\\@\"'-.&;")
"""Characters some inline parser or loop looks at; anything else is plain text."""
_PLAIN_RUN = re.compile(r"[^\n`_*^\[\]!$~<\\@\"'\-.&;]+")
_CITE_PUNCT = frozenset(":.#$%&-+?<>~/")
_IN_DOUBLE, _IN_SINGLE, _NO_LINKS = 1, 2, 4
_MAX_DEPTH = 60
"""Nesting beyond this (brackets in brackets in emphasis…) is read as text: the recursion
stays far from Python's limit, and no lesson nests so deep."""
_STEPS = 4
"""Inline steps a character may cost. Lessons take about 0.1 (plain text is read in runs);
pandoc's backtracking is quadratic or worse on hostile text (thousands of unclosed quotes,
brackets nested thousands deep), so each paragraph, and the whole text, has this budget and
a paragraph past it is read the simple way (:class:`Intricate`)."""
_SIMPLE_BRACKETS = re.compile(r"(?<![\\!\]])\[(?!\^)[^\[\]]*@[^\[\]]*\](?![(\[{])")
_SIMPLE_KEY = re.compile(r"-?@")


class _Overflow(Exception):
    """The reading of one paragraph went past its budget."""


_AUTOLINK = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9.+-]{1,31}:[^\s<>]*"
    r"|[^\W_][\w!\"#$%&'*+/=?^{|}~;-]*(?:\.[^\W_][\w!\"#$%&'*+/=?^{|}~;-]*)*"
    r"@[^\W_]+(?:-[^\W_]+)*(?:\.[^\W_]+(?:-[^\W_]+)*)*[^\s>]*)>"
)
"""``<https://…>`` or ``<name@host>``: pandoc's address or e-mail address, then to ``>``."""
_HTML_TAG = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9-]*(?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*"
    r"\s*/?|/[A-Za-z][A-Za-z0-9-]*\s*|\?[^<>]*\?|![A-Za-z]+[^<>]*)>"
)
"""An HTML tag (no "<" inside, so that a failed match never reads past the next tag)."""
_SPAN_OPEN = re.compile(r"<span(?:\s[^>]*)?>\Z", re.IGNORECASE)
_SPAN_CLOSE = re.compile(r"</span\s*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_INLINE_MATH = re.compile(
    r"\$(?!\s)(?:[^\s\\$]|\\[\s\S]|[ \t]*\n(?![ \t]*\n)(?!\$)|[ \t]+(?![$\s]))+\$(?!\d)"
)
_DISPLAY_MATH = re.compile(r"\$\$(?:[^\n]|\n(?![ \t]*\n))+?\$\$")
_RAW_TEX = re.compile(r"\\[^\W\d_]+\*?(?:\{[^{}\n]*\}|\[[^\[\]\n]*\])*")
"""A LaTeX command (pandoc keeps it as raw TeX, a word's letters included: ``\\é``)."""
_ATTRIBUTES = re.compile(
    r"\{[ \t]*\n?[ \t]*(?:(?:#[\w:.-]+|\.[A-Za-z][\w:.-]*|[A-Za-z][\w:.-]*="
    r"(?:\"[^\"]*\"|'[^']*'|[^\s}]*)|-|=[\w-]+)[ \t]*\n?[ \t]*)*\}"
)
_NOTE_MARKER = re.compile(r"\[\^[^ \t\n\r][^ \t\n\r\]]*\]")
_SUPERSCRIPT = re.compile(r"\^(?:\\.|[^ \t\n\r^\\])*\^")
_SUBSCRIPT = re.compile(r"~(?:\\.|[^ \t\n\r~\\])*~")

Result = tuple[int, bool] | None
"""Where a parser stopped and whether the text just read ends a word (pandoc's "last string
position": no citation starts right after a word, so ``me@example.org`` is none)."""


def _is_word(char: str) -> bool:
    return char.isalnum()


def _key_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Inline:
    """Pandoc's inline parsers over ``text`` (blanked where it is not inline text).

    Each parser takes where to start, where its block ends, whether a word just ended there
    and the quote/link context; it returns where it stopped (and whether a word ends there),
    or None when it does not match. Citations and the other events go to ``events``, which a
    failed alternative truncates back, as pandoc's backtracking forgets what it read.
    Results are memoized: pandoc tries a bracket as a note, a citation, a span and a link,
    each reading the same text inside again.
    """

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

    # --- code, math, HTML, escapes, entities ----------------------------------------------

    def _code(self, position: int, end: int, after: bool, ctx: int) -> Result:
        run = min(self._tick_run_end(position), end) - position
        close = self._closing_ticks(position + run, end, run)
        if close is None:
            return None
        attributes = _ATTRIBUTES.match(self.s, close, end)
        return (attributes.end() if attributes else close), False

    def _index_ticks(self) -> dict[int, list[int]]:
        """Every run of backticks in the text, indexed once (by length, and where each
        ends), as a text of many backticks would make each search quadratic."""
        if self.ticks is None:
            self.ticks = {}
            self.tick_starts: list[int] = []
            self.tick_ends: list[int] = []
            for match in re.finditer("`+", self.s):
                self.ticks.setdefault(len(match.group()), []).append(match.start())
                self.tick_starts.append(match.start())
                self.tick_ends.append(match.end())
        return self.ticks

    def _tick_run_end(self, position: int) -> int:
        """The end of the run of backticks ``position`` is in."""
        self._index_ticks()
        return self.tick_ends[bisect.bisect_right(self.tick_starts, position) - 1]

    def _closing_ticks(self, position: int, end: int, run: int) -> int | None:
        """The end of the first run of exactly ``run`` backticks from ``position``."""
        starts = self._index_ticks().get(run, [])
        index = bisect.bisect_left(starts, position)
        if index < len(starts) and starts[index] + run <= end:
            return starts[index] + run
        return None

    def _math(self, position: int, end: int, after: bool, ctx: int) -> Result:
        match = _DISPLAY_MATH.match(self.s, position, end) or _INLINE_MATH.match(
            self.s, position, end
        )
        return (match.end(), False) if match else None

    def _angle(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if not ctx & _NO_LINKS and (link := _AUTOLINK.match(self.s, position, end)):
            return link.end(), False
        if self.s.startswith("<!--", position):
            return self._html_comment(position, end)
        if tag := _HTML_TAG.match(self.s, position, end):
            if _SPAN_OPEN.match(tag.group()):
                span = self._html_span(tag.end(), end, ctx)
                if span is not None:
                    return span, False
            return tag.end(), False
        return None

    def _html_comment(self, position: int, end: int) -> Result:
        searched_from, found = self.comment
        if not searched_from <= position + 4 <= found:  # the last search's answer holds
            found = self.s.find("-->", position + 4)
            self.comment = (position + 4, found if found >= 0 else len(self.s))
        return (found + 3, False) if found >= 0 and found + 3 <= end else None

    def _html_span(self, position: int, end: int, ctx: int) -> int | None:
        """``<span>…</span>``: inlines up to the closing tag (which may hold a ``;`` or ``]``
        of a citation's suffix)."""
        mark = len(self.events)
        after = False
        while position < end:
            if closing := _SPAN_CLOSE.match(self.s, position, end):
                return closing.end()
            result = self.inline(position, end, after, ctx)
            if result is None:
                break
            position, after = result
        self._undo(mark)
        return None

    def _backslash(self, position: int, end: int, after: bool, ctx: int) -> Result:
        following = self._char(position + 1, end)
        if following == "\n":
            return position + 1, False  # a hard line break; the line end is read next
        if following and following not in "\r" and not following.isalnum():
            return position + 2, False  # an escaped character: "\@", "\[", "\;"
        if tex := _RAW_TEX.match(self.s, position, end):
            return tex.end(), False
        return None

    def _entity(self, position: int, end: int, after: bool, ctx: int) -> Result:
        match = _ENTITY.match(self.s, position, end)
        return (match.end(), False) if match else None

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

    # --- brackets: notes, citations, spans, links, images ---------------------------------

    def _bracket(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if note := _NOTE_MARKER.match(self.s, position, end):
            return note.end(), False
        if (cited := self._normal_cite_event(position, end, ctx)) is not None:
            return cited, False
        if (span := self._span(position, end, ctx)) is not None:
            return span, False
        if not ctx & _NO_LINKS:
            return self._link(position, end, ctx)
        return None

    def _image(self, position: int, end: int, after: bool, ctx: int) -> Result:
        if self._char(position + 1, end) != "[":
            return None
        return self._link(position + 1, end, ctx)

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

    def _reference(self, position: int, end: int, ctx: int) -> int | None:
        """``[label]``: balanced brackets, not a note marker; the label is read as inlines."""
        if self.s.startswith("[^", position) and _NOTE_MARKER.match(self.s, position, end):
            return None
        close = self._balanced(position, end)
        if close is None:
            return None
        self.inlines(position + 1, close - 1, ctx)
        return close

    def _span(self, position: int, end: int, ctx: int) -> int | None:
        mark = len(self.events)
        close = self._reference(position, end, ctx)
        if close is not None and (attributes := _ATTRIBUTES.match(self.s, close, end)):
            return attributes.end()
        self._undo(mark)
        return None

    def _link(self, position: int, end: int, ctx: int) -> Result:
        mark = len(self.events)
        close = self._reference(position, end, ctx | _NO_LINKS)
        if close is None:
            self._undo(mark)
            return None
        if (target := self._source(close, end)) is not None:
            return self._attributes_after(target, end), False
        label = self.s[position + 1 : close - 1]
        after_label = close
        if self._char(close, end) == "[" and not self._cite_follows(close, end, ctx):
            second = self._reference_raw(close, end)
            if second is not None:
                if second - close > 2:  # [text][label]; [text][] is labelled by its text
                    label = self.s[close + 1 : second - 1]
                after_label = second
        if reference_key(label) not in self.references:
            shaped = self._char(close, end) == "[" and self._cite_shaped(position, end, ctx)
            self.events.append(Brackets(position, close, shaped))
        return self._attributes_after(after_label, end), False

    def _cite_shaped(self, position: int, end: int, ctx: int) -> bool:
        """Whether ``[…]`` at ``position`` reads as a citation, whatever follows it."""
        mark = len(self.events)
        found = self._cite_body(position, end, ctx) is not None
        self._undo(mark)
        return found

    def _cite_follows(self, position: int, end: int, ctx: int) -> bool:
        """Whether a citation starts at ``position`` (pandoc looks ahead, reading nothing)."""
        mark = len(self.events)
        found = self._normal_cite(position, end, ctx) is not None
        self._undo(mark)
        return found

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

    # --- citations ------------------------------------------------------------------------

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
