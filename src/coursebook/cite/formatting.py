"""What the citation engine is given and what it gives back: each chapter's citations and
authored notes in reading order (:data:`Slot`: a :class:`Cite` or an :class:`AuthoredNote`),
and each citation's formatted text (:class:`Formatted`) with the bibliography
(:class:`Formatting`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cite:
    """One citation to format: its text as the lesson wrote it, and where it sits."""

    raw: str
    """``[see @a, p. 3; @b]``, ``[-@a]`` or ``@a [p. 33]``."""
    in_note: bool = False
    """Inside an authored note (else in the running text)."""
    after_text: bool = False
    """In a note: the note has text before the citation."""
    before_capital: bool = True
    """In a note: the text after it starts with a capital letter, or nothing follows (pandoc
    then keeps the final period of an author-in-text citation's note)."""


@dataclass(frozen=True)
class AuthoredNote:
    """An authored footnote: a note number of its own, and the citations it holds."""

    cites: tuple[Cite, ...] = ()


Slot = Cite | AuthoredNote
"""A chapter's notes and citations, in reading order: a citation in the running text, or an
authored note (with the citations inside it)."""


@dataclass(frozen=True)
class Formatted:
    """A citation's text, for each medium."""

    html: str
    """The EPUB's and the preview's: a note's text (note styles) or the citation as set in
    the text (in-text styles)."""
    print_html: str
    """The print edition's: the same, but "Ibid." where the style says so."""
    author: str = ""
    """``@a [p. 33]`` with a note style: the author's name, set in the sentence."""


@dataclass
class Formatting:
    """What one run formatted: each chapter's citations (in slot order, citations inside an
    authored note in their order), and the bibliography of every source cited, as (id,
    XHTML) in the style's order (empty where the style prints nothing for a source)."""

    chapters: list[list[Formatted]] = field(default_factory=list)
    bibliography: list[tuple[str, str]] = field(default_factory=list)
