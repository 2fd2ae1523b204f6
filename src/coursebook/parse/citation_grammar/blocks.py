"""The blocks of a lesson: where inline text is, and what is structure around it.

:class:`_Layout` sorts the lesson's lines into paragraphs (the regions read as inline text,
a pipe table's cells each on its own) and what holds no citation (fenced and indented code,
reference definitions, HTML comments), which it blanks, offsets unchanged; it notes the
block quote markers and the reference labels the lesson defines."""

from __future__ import annotations

import bisect
import re

from .inline import _Inline
from .inline_base import _STEPS, _Overflow, _run, reference_key

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
_TABLE_DASHES = re.compile(r"[ \t]*-{3,}(?:[ \t]+-{3,})+[ \t]*$")
"""The dashes under a simple table's header, a group for each column."""
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
            rule = _RULE.match(body) and not self._in_display_math()
            if skipped or rule or _DIV_FENCE.match(body):
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

    def _in_display_math(self) -> bool:
        """The paragraph being read has opened ``$$`` and not closed it: a line of ``=`` or
        ``-`` is the formula's, not a heading's underline."""
        if self.region is None:
            return False
        return self.text.count("$$", self.region[0], self.region[1]) % 2 == 1

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
        if after_blank and not in_list and _indent(body) >= 4 and not self._table_head(index):
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

    def _table_head(self, index: int) -> bool:
        """The line is a simple table's header (the dashes of its columns under it): pandoc
        reads tables before indented code."""
        return index + 1 < len(self.lines) and bool(_TABLE_DASHES.match(self.lines[index + 1]))

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
