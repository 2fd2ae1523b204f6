"""What a ``[`` starts, tried in pandoc's order (:class:`_Links`): a note call, a citation, a
span, a link (or an image, after ``!``); brackets that are none of these, and no reference
the lesson defines, are reported as text."""

from __future__ import annotations

from .citations import _Citations
from .events import Brackets
from .inline_base import _ATTRIBUTES, _NO_LINKS, _NOTE_MARKER, Result, reference_key


class _Links(_Citations):
    """Brackets: notes, citations, spans, links, images."""

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
