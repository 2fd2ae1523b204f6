"""The parts of a lesson page that both readers (text and HTML) recognise: the page's own
text cleaned (of our marks, of the portal's escapes and spaces), the lesson heading and its
number, the "About this course" block and its dates, and a short line that is a quotation's
attribution."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from .citations import parse_citation_text
from .model import _MARKS, Furniture


def _unmarked(text: str) -> str:
    """The page's own text, without the characters we use as marks (so it can't forge one)."""
    return text.translate({ord(c): None for c in _MARKS})


def _clean(text: str) -> str:
    """Text as the Markdown should have it: the portal's ``\\'`` escapes undone, spaces (and
    no-break spaces) collapsed."""
    text = text.replace("\\'", "'").replace('\\"', '"')
    # Newlines too: HTML breaks a paragraph's lines anywhere, and a line of Markdown that
    # began with "#", "-" or ">" would become a heading, list or quotation.
    return re.sub(r"[\s\u00a0\u2009\u202f]+", " ", text).strip()


# Plain text: a lesson heading, section headings like "a) Proletarian Bonapartism", the
# "About this course" block at the end.
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_ROMAN = re.compile(r"^(?=[ivxlc]+$)(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_LESSON_HEADING = re.compile(
    r"^\s*lesson\s+(?P<number>[a-z0-9]+(?:[ -][a-z]+)?)\s*[:.\u2013\u2014-]\s*(?P<title>\S.*)$",
    re.IGNORECASE,
)
_ABOUT = re.compile(r"^about this (?:course|book)\s*:?$", re.IGNORECASE)


def lesson_number(text: str) -> int | None:
    """``16``, ``sixteen``, ``twenty-one``, ``XVI`` → the number; None for anything else."""
    words = text.strip().lower().replace("-", " ").split()
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    if len(words) == 1 and words[0] in _NUMBER_WORDS:
        return _NUMBER_WORDS[words[0]]
    if len(words) == 1 and words[0] in _TENS:
        return _TENS[words[0]]
    if len(words) == 2 and words[0] in _TENS and words[1] in _NUMBER_WORDS:
        return _TENS[words[0]] + _NUMBER_WORDS[words[1]] if _NUMBER_WORDS[words[1]] < 10 else None
    roman = _ROMAN.match(words[0]) if len(words) == 1 else None
    if roman and words[0]:
        return _roman_value(words[0])
    return None


def _roman_value(text: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for here, after in zip(text, text[1:] + " ", strict=True):
        value = values[here]
        total += -value if after != " " and values[after] > value else value
    return total


def parse_heading(text: str) -> tuple[int | None, str] | None:
    """ "LESSON SIXTEEN: The nature of the Stalinist state" → (16, "The nature …")."""
    match = _LESSON_HEADING.match(text)
    if match is None:
        return None
    number = lesson_number(match["number"])
    return (number, match["title"].strip()) if number is not None else None


_ABOUT_FIELDS = {
    "title": "course_title",
    "course": "course_title",
    "published": "published",
    "updated": "updated",
    "last updated": "updated",
    "course id": "course_id",
    "id": "course_id",
    "publisher": "site_name",
    "language": "language",
}


def _about(lines: Sequence[str]) -> Furniture:
    """ "About this course": ``Key: value`` lines, and any other text as the description."""
    values: dict[str, object] = {}
    described: list[str] = []
    for line in lines:
        key, colon, value = line.partition(":")
        name = _ABOUT_FIELDS.get(key.strip().lower()) if colon else None
        if name is None or not value.strip():
            described.append(line)
        elif name in ("published", "updated"):
            values[name] = parse_date(value)
        else:
            values.setdefault(name, value.strip())
    if described:
        values["description"] = " ".join(described)
    return Furniture(**values)  # type: ignore[arg-type]  # names from _ABOUT_FIELDS


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}


def parse_date(text: str) -> dt.date | None:
    """ "February 10, 2026", "10 February 2026" or "2026-02-10"; None otherwise. Month names
    are matched here, not with strptime, whose %B follows the machine's locale."""
    text = text.strip().lower().replace(",", " ")
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})\s+(\d{4})", text)
        if match and match[1] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[1]], int(match[2]))
        match = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text)
        if match and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except ValueError:  # February 30
        return None
    return None


_WRAPPED = re.compile(r"^\((?P<inner>[^()]+)\)\.?(?:\s*\(full text\))?\.?$", re.IGNORECASE)


def _unwrapped(line: str) -> str:
    """ "(Title,1933) (Full text)" on a line of its own → "Title,1933"."""
    match = _WRAPPED.match(line.strip())
    return match["inner"].strip() if match else line.strip().lstrip("—–- ")


def _is_attribution(line: str) -> bool:
    """A short line, not a sentence, that reads as a citation: "Writings 1934-35", or a
    parenthetical citation alone on its line."""
    line = _unwrapped(line)
    if len(line) > 120 or line.endswith((".", ",", ":", ";", "!", "?")):
        return False
    return parse_citation_text(line, attribution=True) is not None
