"""Inline elements whose text pandoc reads as is, not as Markdown (:class:`_Verbatim`): code
spans, math, autolinks and raw HTML (a ``<span>`` but for its inside), backslash escapes
and raw TeX, entities. A ``[`` or ``;`` inside one is no citation's."""

from __future__ import annotations

import bisect
import re

from .events import Math
from .inline_base import _ATTRIBUTES, _NO_LINKS, Result, _InlineBase

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
_EQUATION_LABEL = re.compile(r"[ \t]*\{#(eq[:-][\w:.-]*[\w])\}")
"""``{#eq:name}`` (pandoc-crossref) or ``{#eq-name}`` (Quarto) after display math."""
_ROUND_MATH = re.compile(r"\\\((?:[^\\\n]|\\(?!\))|\n(?![ \t]*\n))+?\\\)")
"""``\\(…\\)``: LaTeX's inline math, within a paragraph."""
_SQUARE_MATH = re.compile(r"\\\[(?:[^\n]|\n(?![ \t]*\n))+?\\\][ \t]*(?=\n|\Z)")
"""``\\[…\\]`` ending a line: LaTeX's display math (not ``\\[sic\\]`` in a sentence)."""
_TEX_LIKE = re.compile(r"\A\s*\n|[\\^_=]")
"""What makes ``\\[…\\]`` math rather than escaped brackets (``\\[@a\\]``): ``\\[`` alone
on its line, or a command, script or equals sign inside."""
_RAW_TEX = re.compile(r"\\[^\W\d_]+\*?(?:\{[^{}\n]*\}|\[[^\[\]\n]*\])*")
"""A LaTeX command (pandoc keeps it as raw TeX, a word's letters included: ``\\é``)."""


class _Verbatim(_InlineBase):
    """Code, math, HTML, escapes and entities."""

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
        if display := _DISPLAY_MATH.match(self.s, position, end):
            return self._math_event(display, 2, True, end), False
        if inline := _INLINE_MATH.match(self.s, position, end):
            return self._math_event(inline, 1, False, end), False
        return None

    def _math_event(self, match: re.Match[str], delimiter: int, display: bool, end: int) -> int:
        """Report the math ``match`` found (its TeX inside delimiters ``delimiter`` long);
        where it ends, after an equation's label."""
        stop, label = match.end(), ""
        if display and (labelled := _EQUATION_LABEL.match(self.s, stop, end)):
            stop, label = labelled.end(), labelled.group(1)
        tex = (match.start() + delimiter, match.end() - delimiter)
        self.events.append(Math(match.start(), stop, *tex, display, label))
        return stop

    def _latex_math(self, position: int, end: int) -> int | None:
        """``\\(…\\)`` anywhere, ``\\[…\\]`` from a line's start to a line's end."""
        if self.s.startswith("\\(", position):
            if round_math := _ROUND_MATH.match(self.s, position, end):
                return self._math_event(round_math, 2, False, end)
        elif self.s.startswith("\\[", position) and self._starts_line(position):
            square = _SQUARE_MATH.match(self.s, position, end)
            if square and _TEX_LIKE.search(square.group()[2:-2]) and "@" not in square.group():
                tex_end = square.group().rstrip(" \t")
                self.events.append(
                    Math(position, square.end(), position + 2, position + len(tex_end) - 2, True)
                )
                return square.end()
        return None

    def _starts_line(self, position: int) -> bool:
        line_start = self.s.rfind("\n", 0, position) + 1
        return not self.s[line_start:position].strip()

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
        if following in ("(", "[") and (math := self._latex_math(position, end)) is not None:
            return math, False
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
