"""Pandoc's citation syntax, found in lesson text before Markdown sees it.

Written in a lesson::

    as the bureaucracy becomes more independent [@trotsky1935, p. 4].
    [see @trotsky1936, chap. 9; @hadden1999, 12]   [-@trotsky1936]   @trotsky1936 [p. 33]

:func:`extract_citations` replaces each citation with a placeholder (private-use characters
around its index) and returns the parsed :class:`~coursebook.model.Citation` objects with their
exact line and column. Doing this on the raw text, not inside Python-Markdown, is what gives
exact positions (Markdown keeps none) and keeps ``[see @a]`` from ever being read as a link.
Placeholders that end up inside code are turned back into the text as written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container
from pathlib import Path

from .diagnostics import Location
from .model import Citation, CitationItem, Locator

CITE_OPEN, CITE_CLOSE = "\ue000", "\ue001"
"""Around a citation's index in the text handed to Markdown."""
PLACEHOLDER_CHARS = "\ue000\ue001\ue002\ue003\ue004"
"""Reserved for our placeholders; removed from authors' text so they can't be forged."""
PLACEHOLDER = re.compile(f"{CITE_OPEN}(\\d+){CITE_CLOSE}")

# Keys: a letter, digit or _, then alphanumerics, _ and internal punctuation (pandoc's rule),
# or anything in braces.
_KEY = r"(?:\{(?P<bkey>[^{}]+)\}|(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?))"
_ITEM = re.compile(rf"^(?P<prefix>.*?)(?<![\w.@])(?P<minus>-?)@{_KEY}(?P<rest>.*)$", re.DOTALL)
# Not a link's text ("](" or "]["); a reference definition is skipped by _is_definition.
_BRACKETED = re.compile(r"(?<![\\!\]])\[(?P<body>[^\[\]^][^\[\]]*)\](?![(\[])")
_DEFINITION_START = re.compile(r"(?:^|\n) {0,3}$")
_IN_TEXT = re.compile(rf"(?<![\w@\\.])@{_KEY}(?:[ \t]*\[(?P<locator>[^\[\]]*)\](?![(\[]))?")

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


class _Positions:
    """Offsets in the text to line and column, for messages."""

    def __init__(self, text: str, path: Path, first_line: int) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.path = path
        self.first_line = first_line

    def location(self, offset: int) -> Location:
        index = bisect.bisect_right(self.starts, offset) - 1
        return Location(self.path, self.first_line + index, offset - self.starts[index] + 1)


def extract_citations(
    text: str, path: Path, first_line: int, known_keys: Container[str]
) -> tuple[str, tuple[Citation, ...]]:
    """Replace every citation in ``text`` with a placeholder; return the text and citations.

    ``first_line`` is the line of the file where ``text`` starts. A bare ``@name`` counts as a
    citation only when ``name`` is a known source, so ``@handles`` in prose stay text.
    """
    text = text.translate({ord(c): None for c in PLACEHOLDER_CHARS})
    positions = _Positions(text, path, first_line)
    found: list[tuple[int, int, Citation]] = []
    for match in _BRACKETED.finditer(text):
        if _is_definition(text, match):
            continue
        if citation := _parse_bracketed(match, positions):
            found.append((match.start(), match.end(), citation))
    taken = [(start, end) for start, end, _ in found]
    for match in _IN_TEXT.finditer(text):
        key = match.group("bkey") or match.group("key")
        if match.group("locator") is None and key not in known_keys:
            continue
        if any(start <= match.start() < end for start, end in taken):
            continue  # inside a bracketed citation: already part of it
        found.append((match.start(), match.end(), _parse_in_text(match, positions)))
    found.sort(key=lambda entry: entry[0])
    pieces: list[str] = []
    cursor = 0
    for index, (start, end, _) in enumerate(found):
        pieces += [text[cursor:start], f"{CITE_OPEN}{index}{CITE_CLOSE}"]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), tuple(citation for _, _, citation in found)


def _is_definition(text: str, match: re.Match[str]) -> bool:
    """``[label]: url`` starting a line (up to three spaces in) defines a reference link, as
    in Markdown and pandoc; ``[@key]: text`` within a sentence is a citation before a colon."""
    if not text.startswith(":", match.end()):
        return False
    return _DEFINITION_START.search(text, 0, match.start()) is not None


def _parse_bracketed(match: re.Match[str], positions: _Positions) -> Citation | None:
    body = match.group("body")
    start = match.start("body")
    items = []
    offset = start
    for part in body.split(";"):
        item = _ITEM.match(part)
        if item is None:
            return None  # not every part names a source: ordinary bracketed text
        key = item.group("bkey") or item.group("key")
        at_offset = offset + item.start("minus") + len(item.group("minus"))  # the "@"
        locator, suffix = _locator_and_suffix(item.group("rest"))
        items.append(
            CitationItem(
                key=key,
                location=positions.location(at_offset),
                locator=locator,
                prefix=item.group("prefix").strip(),
                suffix=suffix,
                suppress_author=bool(item.group("minus")),
            )
        )
        offset += len(part) + 1
    return Citation(tuple(items), positions.location(match.start()), match.group(0))


def _parse_in_text(match: re.Match[str], positions: _Positions) -> Citation:
    key = match.group("bkey") or match.group("key")
    locator, suffix = _locator_and_suffix(match.group("locator") or "")
    item = CitationItem(
        key=key, location=positions.location(match.start()), locator=locator, suffix=suffix
    )
    return Citation((item,), positions.location(match.start()), match.group(0), author_in_text=True)


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
