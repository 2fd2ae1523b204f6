"""What the reader reports: each citation found (:class:`Found`, its sources as
:class:`Part`s), brackets read as text, in-text citations whose brackets pandoc refuses,
paragraphs read the simple way, and all of it for one text (:class:`Reading`)."""

from __future__ import annotations

from dataclasses import astuple, dataclass, field, fields
from typing import Any


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


@dataclass(frozen=True)
class Math:
    """TeX math as pandoc reads it: ``$…$``, ``$$…$$`` (display), and, beyond pandoc's
    default reader, ``\\(…\\)`` and a ``\\[…\\]`` on lines of its own."""

    start: int
    end: int
    """The end of the math (and of an equation's ``{#eq:label}``, when it has one)."""
    tex_start: int
    tex_end: int
    display: bool
    label: str = ""
    """``eq:name`` or ``eq-name`` from a ``{#…}`` right after display math."""


@dataclass(frozen=True)
class InlineNote:
    """``^[…]``: a note written where it is called; its text is between ``start + 2`` and
    ``end - 1``."""

    start: int
    end: int


Event = Found | Brackets | Refused | Intricate | Math | InlineNote


@dataclass
class Reading:
    """Everything found in one text."""

    text: str
    found: list[Found] = field(default_factory=list)
    """Every citation, nested ones (``@b`` in ``[@a, @b]``) included, in the order read."""
    brackets: list[Brackets] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    intricate: list[Intricate] = field(default_factory=list)
    maths: list[Math] = field(default_factory=list)
    notes: list[InlineNote] = field(default_factory=list)
    hidden: bytearray = field(default_factory=bytearray)
    """1 at each offset that is block structure, not text (a block quote's ``>``)."""

    def written(self, start: int, end: int) -> str:
        """The text from ``start`` to ``end`` without the block quote markers of its lines
        after the first: what pandoc reads there, and what it must be handed again."""
        if not any(self.hidden[start:end]):
            return self.text[start:end]
        return "".join(c for i, c in enumerate(self.text[start:end], start) if not self.hidden[i])

    def as_data(self) -> dict[str, Any]:
        """What was found, as JSON data (for :mod:`coursebook.parse.lessons.memo`): each
        event as the list of its fields, the hidden offsets as runs."""
        data: dict[str, Any] = {name: [astuple(e) for e in getattr(self, name)] for name in _KINDS}
        data["hidden"] = _runs(self.hidden)
        return data

    @classmethod
    def from_data(cls, text: str, data: Any) -> Reading:
        """The reading :meth:`as_data` gave, of ``text``; ValueError unless every event is
        well formed and within the text (the data comes from a cache file)."""
        if not isinstance(data, dict):
            raise ValueError("not a reading")
        reading = cls(text, hidden=bytearray(len(text)))
        for name, kind in _KINDS.items():
            getattr(reading, name).extend(_event(kind, row, len(text)) for row in data[name])
        for start, end in data["hidden"]:
            if not (_offset(start, len(text)) < _offset(end, len(text))):
                raise ValueError("an empty run")
            reading.hidden[start:end] = b"\x01" * (end - start)
        return reading


_KINDS: dict[str, type[Any]] = {
    "found": Found,
    "brackets": Brackets,
    "refused": Refused,
    "intricate": Intricate,
    "maths": Math,
    "notes": InlineNote,
}


def _runs(hidden: bytearray) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = hidden.find(1)
    while start != -1:
        end = hidden.find(0, start)
        end = len(hidden) if end == -1 else end
        runs.append((start, end))
        start = hidden.find(1, end)
    return runs


def _event(kind: type[Any], row: Any, size: int) -> Any:
    """One event of ``kind`` from its fields as :func:`dataclasses.astuple` gave them."""
    kinds = fields(kind)
    if not isinstance(row, list) or len(row) != len(kinds):
        raise ValueError(f"not a {kind.__name__}")
    values: list[Any] = []
    for spec, value in zip(kinds, row, strict=True):
        if spec.type == "int":
            values.append(_offset(value, size))
        elif spec.type == type(value).__name__ in ("bool", "str"):
            values.append(value)
        elif spec.type == "tuple[Part, ...]" and isinstance(value, list):
            values.append(tuple(_event(Part, part, size) for part in value))
        else:
            raise ValueError(f"a {kind.__name__}'s {spec.name}")
    return kind(*values)


def _offset(value: Any, size: int) -> int:
    if type(value) is not int or not 0 <= value <= size:
        raise ValueError("an offset outside the text")
    return value
