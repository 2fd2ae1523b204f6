"""Pandoc's citation syntax, found in lesson text before Markdown sees it.

Written in a lesson::

    as the bureaucracy becomes more independent [@trotsky1935, p. 4].
    [see @trotsky1936, chap. 9; @hadden1999, 12]   [-@trotsky1936]   @trotsky1936 [p. 33]

:func:`extract_citations` replaces each citation with a placeholder (private-use characters
around its index) and returns the parsed :class:`~coursebook.model.Citation` objects with their
exact line and column. Doing this on the raw text, not inside Python-Markdown, is what gives
exact positions (Markdown keeps none) and keeps ``[see @a]`` from ever being read as a link.

Which text is a citation is decided as pandoc decides it (:mod:`coursebook.citation_grammar`
reads the text as pandoc's Markdown reader does; ``tests/test_citation_pandoc.py`` compares
the two on a corpus), with one deliberate difference: a bare ``@name`` is a citation only when
``name`` is a known source, so that ``@handles`` in prose stay text. What pandoc reads without
complaint but surely not as the author meant (``[@a, @b]``, ``[@mill1859: 12]``, ``[@a;]``)
is reported as a ``citation-syntax`` warning. Placeholders that end up inside code are turned
back into the text as written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from pathlib import Path

from ..core.diagnostics import Diagnostics, Location
from ..model import Citation, CitationItem, Locator
from .citation_grammar import Brackets, Found, Part, Reading, read

CITE_OPEN, CITE_CLOSE = "\ue000", "\ue001"
"""Around a citation's index in the text handed to Markdown."""
PLACEHOLDER_CHARS = "".join(chr(c) for c in range(0xE000, 0xE010))
"""Reserved for our placeholders; removed from authors' text so they can't be forged."""
PLACEHOLDER = re.compile(f"{CITE_OPEN}(\\d+){CITE_CLOSE}")
_FORGED = re.compile(f"[{PLACEHOLDER_CHARS}]")  # a scan, not str.translate's lookup per char

# Locator terms as authors write them (pandoc's English list), to CSL locator labels.
_LABELS = {
    "book": ("bk.", "bks.", "book", "books"),
    "chapter": ("chap.", "chaps.", "ch.", "chapter", "chapters"),
    "column": ("col.", "cols.", "column", "columns"),
    "figure": ("fig.", "figs.", "figure", "figures"),
    "folio": ("fol.", "fols.", "folio", "folios"),
    "issue": ("no.", "nos.", "issue", "issues"),
    "line": ("l.", "ll.", "line", "lines"),
    "note": ("n.", "nn.", "note", "notes"),
    "opus": ("op.", "opp.", "opus", "opera"),
    "page": ("p.", "pp.", "page", "pages"),
    "paragraph": ("para.", "paras.", "paragraph", "paragraphs", "¶", "¶¶"),
    "part": ("pt.", "pts.", "part", "parts"),
    "section": ("sec.", "secs.", "section", "sections", "§", "§§"),
    "sub verbo": ("s.v.", "s.vv.", "sub verbo", "sub verbis"),
    "verse": ("v.", "vv.", "verse", "verses"),
    "volume": ("vol.", "vols.", "volume", "volumes"),
    # CSL 1.0.2's further locators.
    "act": ("act", "acts"),
    "appendix": ("app.", "apps.", "appendix", "appendices"),
    "article-locator": ("art.", "arts.", "article", "articles"),
    "canon": ("c.", "cc.", "canon", "canons"),
    "elocation": ("loc.", "locs.", "location", "locations"),
    "equation": ("eq.", "eqs.", "equation", "equations"),
    "rule": ("r.", "rr.", "rule", "rules"),
    "scene": ("sc.", "scs.", "scene", "scenes"),
    "supplement": ("supp.", "supps.", "supplement", "supplements"),
    "table": ("tbl.", "tbls.", "table", "tables"),
    "timestamp": ("timestamp", "timestamps"),
    "title-locator": ("tit.", "tits.", "title", "titles"),
}
_TERM_TO_LABEL = {term: label for label, terms in _LABELS.items() for term in terms}
_TERM = re.compile(
    "^(?P<term>"
    + "|".join(re.escape(t) for t in sorted(_TERM_TO_LABEL, key=len, reverse=True))
    + r")(?=[\s\d]|$)\s*",
    re.IGNORECASE,
)
_NUMBER = r"(?:\d+(?:\.\d+)*[a-z]?|[ivxlcdm]+\b|[IVXLCDM]+\b)"
_RANGE = rf"{_NUMBER}(?:\s*[-–—]+\s*{_NUMBER})?"
_VALUE = re.compile(rf"^(?P<value>{_RANGE}(?:\s*(?:,|&|and)\s*{_RANGE})*)")


def locator_terms() -> dict[str, tuple[str, ...]]:
    """The locator terms this parser understands, by CSL label (for the README)."""
    return dict(_LABELS)


class Positions:
    """Offsets in the text to line and column, for messages."""

    def __init__(self, text: str, path: Path, first_line: int) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.path = path
        self.first_line = first_line

    def location(self, offset: int) -> Location:
        index = bisect.bisect_right(self.starts, offset) - 1
        return Location(self.path, self.first_line + index, offset - self.starts[index] + 1)


def extract_citations(
    text: str,
    path: Path,
    first_line: int,
    known_keys: Container[str],
    diagnostics: Diagnostics | None = None,
) -> tuple[str, tuple[Citation, ...]]:
    """Replace every citation in ``text`` with a placeholder; return the text and citations.

    ``first_line`` is the line of the file where ``text`` starts. A bare ``@name`` counts as a
    citation only when ``name`` is a known source, so ``@handles`` in prose stay text.
    Malformed citations are reported to ``diagnostics`` as ``citation-syntax`` warnings
    (without it, they are read as pandoc reads them, silently).
    """
    read_text = read_citations(text, path, first_line, known_keys, diagnostics)
    pieces: list[str] = []
    cursor = 0
    for index, found in enumerate(read_text.kept):
        pieces += [read_text.text[cursor : found.start], f"{CITE_OPEN}{index}{CITE_CLOSE}"]
        cursor = found.end
    pieces.append(read_text.text[cursor:])
    return "".join(pieces), read_text.citations


@dataclass(frozen=True)
class ReadText:
    """A lesson's text as pandoc's reader reads it: the citations the book has (``kept``, in
    order, with their :class:`Citation`), and everything else the reading found."""

    text: str
    """The text, our placeholders' characters taken out."""
    reading: Reading
    kept: tuple[Found, ...]
    citations: tuple[Citation, ...]
    positions: Positions
    crossrefs: tuple[Found, ...] = ()
    """``@fig:name``, ``[@eq:a; @eq:b]``: references to the book's own labels."""


def read_citations(
    text: str,
    path: Path,
    first_line: int,
    known_keys: Container[str],
    diagnostics: Diagnostics | None = None,
    reader: Callable[[str], Reading] = read,
) -> ReadText:
    """Read ``text`` for its citations (see :func:`extract_citations`), replacing nothing;
    ``reader`` is :func:`~.citation_grammar.read` or what remembers its readings."""
    text = _FORGED.sub("", text)
    reading = reader(text)
    positions = Positions(text, path, first_line)
    kept, nested, crossrefs = _top_level(reading, known_keys)
    if diagnostics is not None:
        _Warnings(reading, positions, diagnostics, known_keys).report(kept, nested)
    citations = tuple(_citation(found, reading, positions) for found in kept)
    return ReadText(text, reading, tuple(kept), citations, positions, tuple(crossrefs))


CROSSREF_KEY = re.compile(r"(?i:fig|eq|tbl|sec)[:-]\S")
"""``@fig:name`` (pandoc-crossref), ``@fig-name`` (Quarto): a reference to a figure, an
equation, a table or a section, when no source has that key."""


def _top_level(
    reading: Reading, known_keys: Container[str]
) -> tuple[list[Found], list[tuple[Found, Found]], list[Found]]:
    """The citations the book has, in order, and those read inside one of them (``@b`` in
    ``[@a, @b]``), each with the citation holding it; and the cross-references (every key
    a label, not a source). A bare ``@name`` that is neither a known source nor a label is
    left as text."""
    kept: list[Found] = []
    nested: list[tuple[Found, Found]] = []
    crossrefs: list[Found] = []
    for found in sorted(reading.found, key=lambda f: (f.start, -f.end)):
        outer = max((kept[-1:] + crossrefs[-1:]), key=lambda f: f.end, default=None)
        if outer is not None and found.start < outer.end:
            if outer in kept:
                nested.append((outer, found))
        elif all(_is_label(p.key, known_keys) for p in found.parts):
            crossrefs.append(found)
        elif found.in_text and not found.bracketed and found.parts[0].key not in known_keys:
            continue
        else:
            kept.append(found)
    return kept, nested, crossrefs


def _is_label(key: str, known_keys: Container[str]) -> bool:
    return bool(CROSSREF_KEY.match(key)) and key not in known_keys


def _citation(found: Found, reading: Reading, positions: Positions) -> Citation:
    items = tuple(_item(part, reading, positions) for part in found.parts)
    raw = reading.written(found.start, found.end)
    return Citation(items, positions.location(found.start), raw, author_in_text=found.in_text)


def _item(part: Part, reading: Reading, positions: Positions) -> CitationItem:
    locator, suffix = _locator_and_suffix(reading.written(part.suffix_start, part.end))
    return CitationItem(
        key=part.key,
        location=positions.location(part.at),
        locator=locator,
        prefix=reading.written(part.start, part.prefix_end).strip(),
        suffix=suffix,
        suppress_author=part.suppress_author,
    )


class _Warnings:
    """What pandoc reads without complaint but surely not as the author meant."""

    def __init__(
        self,
        reading: Reading,
        positions: Positions,
        diagnostics: Diagnostics,
        known_keys: Container[str],
    ) -> None:
        self.reading = reading
        self.positions = positions
        self.diagnostics = diagnostics
        self.known_keys = known_keys

    def warn(self, offset: int, message: str) -> None:
        self.diagnostics.warning(self.positions.location(offset), message, "citation-syntax")

    def report(self, kept: list[Found], nested: list[tuple[Found, Found]]) -> None:
        for outer, inner in nested:
            self.nested(outer, inner)
        for found in kept:
            for part in found.parts:
                self.colon(part)
            self.note_call(found)
        self.brackets(kept)
        self.refused(kept)
        self.intricate()

    def nested(self, outer: Found, inner: Found) -> None:
        """``[@a, @b]``: pandoc reads ``@b`` as an in-text citation inside the suffix of
        ``@a`` (printed within its note), not as a second source."""
        at = inner.parts[0].at
        name = self.reading.written(at - inner.parts[0].suppress_author, inner.parts[0].key_end)
        before = self.reading.text[outer.start : at - inner.parts[0].suppress_author].rstrip()
        if before.endswith(","):
            self.warn(
                at,
                f"'{name}' after a comma inside a citation is not a citation; "
                "separate citations with ';'",
            )
        else:
            holder = _short(self.reading.written(outer.start, outer.end))
            self.warn(
                at,
                f"'{name}' inside the citation '{holder}' is not a citation of its own; "
                "separate citations with ';'",
            )

    def colon(self, part: Part) -> None:
        """``[@mill1859: 12]``: pandoc prints ": 12" after the reference; a locator follows
        a comma (or a space)."""
        written = self.reading.text[part.suffix_start : part.end]
        stripped = written.lstrip()
        if part.suffix_start != part.key_end or not stripped.startswith(":"):
            return
        colon = part.suffix_start + len(written) - len(stripped)
        rest = stripped[1:].strip()
        self.warn(
            colon,
            f"':' after '@{part.key}' does not start a locator (the note would print "
            f"': {rest}'); write a comma: '@{part.key}, {rest}'",
        )

    def note_call(self, found: Found) -> None:
        """``[@a, see[^2]]``: pandoc puts the note inside the citation's note; the book
        would lose it (the citation is formatted on its own)."""
        for part in found.parts:
            for start, end in ((part.start, part.prefix_end), (part.suffix_start, part.end)):
                if call := _NOTE_CALL.search(self.reading.text, start, end):
                    self.warn(
                        call.start(),
                        f"the note call '{call.group()}' inside the citation "
                        f"'{_short(self.reading.written(found.start, found.end))}' is lost: "
                        "put it outside the brackets",
                    )

    def brackets(self, kept: list[Found]) -> None:
        """``[@a;]``, ``[@a, {pp. 1; 3}]``, ``[@a, 5*]``, ``[@a][x]``: not a citation for
        pandoc, which prints the brackets and cites ``@a`` in the sentence."""
        found = sorted(self.reading.found, key=lambda f: f.start)
        starts = [f.start for f in found]
        for brackets in self.reading.brackets:
            index = bisect.bisect_right(starts, brackets.start)
            if index == len(found) or found[index].start >= brackets.end:
                continue
            first = found[index]
            if not first.in_text:
                continue
            opening = self.reading.text[brackets.start + 1 : first.start].strip()
            if first.parts[0].key not in self.known_keys and opening:
                continue  # "[write to @handle" …: prose
            written = self.reading.written(brackets.start, brackets.end)
            self.warn(
                first.parts[0].at,
                f"'{_short(written)}' is not a citation ({_why_not(written, brackets)}): "
                "the brackets are printed as text",
            )

    def refused(self, kept: list[Found]) -> None:
        """``@a [p. 3][^n]``: a note call right after the brackets makes pandoc cite ``@a``
        alone and print ``[p. 3]`` as text. (A link or attributes right after them, as in
        ``@a [its preface](url)``, are surely meant: no warning.)"""
        starts = {found.start: found for found in kept}
        for refused in self.reading.refused:
            found = starts.get(refused.at)
            if found is None or not self.reading.text.startswith("[^", refused.bracket_end):
                continue
            written = self.reading.written(refused.bracket_start, refused.bracket_end)
            name = self.reading.written(found.start, found.end)
            self.warn(
                refused.bracket_start,
                f"'{_short(written)}' right before a note call is not read as the locator of "
                f"'{name}': it is printed as text; put a space before the note call",
            )

    def intricate(self) -> None:
        """A paragraph too intricate to read as pandoc does, in reasonable time: said once."""
        if not self.reading.intricate:
            return
        more = len(self.reading.intricate) - 1
        self.warn(
            self.reading.intricate[0].start,
            "this paragraph is too intricate to find its citations exactly as pandoc does "
            "(thousands of brackets, quotes or '*' left open?); they were found by a simpler "
            "reading" + (f" (and in {more} more paragraphs)" if more else ""),
        )


_NOTE_CALL = re.compile(r"\[\^[^\s\]]+\]|\^\[")
"""An authored note's call, or an inline note's start."""


def _why_not(written: str, brackets: Brackets) -> str:
    """What most likely keeps pandoc from reading ``[…]`` holding an ``@key`` as a citation."""
    if brackets.before_label:
        return "a '[' right after it makes it a reference link; put a space between them"
    if re.search(r"\{[^}]*;", written):
        return "a ';' inside '{…}' still separates citations"
    if ";" in written:
        return "each part between ';' needs its own @key"
    for mark in ("*", "_", '"', "`"):
        if written.count(mark) % 2:
            return f"its '{mark}' is never closed"
    return "pandoc reads it as text"


def _short(text: str, limit: int = 60) -> str:
    """Quoted text for a message: on one line, and cut when long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _locator_and_suffix(rest: str) -> tuple[Locator | None, str]:
    """``, pp. 33–35, emphasis mine`` → (page 33–35, ``, emphasis mine``)."""
    text = rest.strip()
    if text.startswith(","):
        text = text[1:].lstrip()
    if not text:
        return None, ""
    if text.startswith("{"):  # explicit locator: {pp. iv, vi–xi}
        end = text.find("}")
        if end > 0:
            locator = _labelled(text[1:end].strip()) or Locator("page", text[1:end].strip())
            return locator, text[end + 1 :].rstrip()
    term = _TERM.match(text)
    label = _TERM_TO_LABEL[term.group("term").lower()] if term else "page"
    after = text[term.end() :] if term else text
    value = _VALUE.match(after)
    if value is None:
        if term is None:
            return None, _suffix(rest)
        word = after.split(None, 1)
        if not word:
            return None, _suffix(rest)
        value_text = word[0].rstrip(",;")
        return Locator(label, value_text), _suffix(after[len(value_text) :])
    return Locator(label, value.group("value")), _suffix(after[value.end() :])


def _labelled(text: str) -> Locator | None:
    term = _TERM.match(text)
    if term is None:
        return None
    return Locator(_TERM_TO_LABEL[term.group("term").lower()], text[term.end() :].strip())


def _suffix(text: str) -> str:
    """What follows the locator, as written (a leading comma is kept: ", emphasis mine")."""
    text = text.rstrip()
    return text if text.strip() else ""
