"""How a citation reads: the interface the notes stage formats through, and a built-in
Chicago-like notes-and-bibliography style.

The notes stage decides *what* each note cites and at which position (first citation of a
source in a chapter, or a later one); a :class:`CitationStyle` decides how that reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal, Protocol

from .model import CitationItem, Source

Position = Literal["first", "subsequent"]


@dataclass(frozen=True)
class Cite:
    """One source to format: the item as written, its data, and its position in the chapter."""

    item: CitationItem
    source: Source
    position: Position


class CitationStyle(Protocol):
    """What the notes stage needs from a style. All results are XHTML fragments."""

    name: str

    def note(self, cites: Sequence[Cite]) -> str:
        """The text of a note citing ``cites`` (ends with a full stop)."""

    def author(self, source: Source) -> str:
        """The author as named in running text (``@key`` in-text citations)."""

    def bibliography(self, sources: Sequence[Source]) -> list[tuple[Source, str]]:
        """The entries of the sources appendix, in the style's order."""


# --- the built-in style ---------------------------------------------------------------------

_LOCATOR_LABELS = {
    "page": ("", ""),
    "chapter": ("chap.", "chaps."),
    "section": ("sec.", "secs."),
    "paragraph": ("para.", "paras."),
    "volume": ("vol.", "vols."),
    "line": ("line", "lines"),
    "note": ("n.", "nn."),
    "book": ("bk.", "bks."),
    "column": ("col.", "cols."),
    "figure": ("fig.", "figs."),
    "folio": ("fol.", "fols."),
    "issue": ("no.", "nos."),
    "opus": ("op.", "opp."),
    "part": ("pt.", "pts."),
    "sub verbo": ("s.v.", "s.vv."),
    "verse": ("v.", "vv."),
}
_CONTAINED = ("chapter", "paper-conference", "entry-encyclopedia", "entry-dictionary", "entry")
_PERIODICAL = ("article-journal", "article-magazine", "article-newspaper", "article", "review")


class BuiltinChicago:
    """Chicago-like notes: the full form at a source's first citation in a chapter, the short
    form (author's family name, short title) after. No "Ibid."."""

    name = "chicago-notes-builtin"

    def note(self, cites: Sequence[Cite]) -> str:
        parts = []
        for cite in cites:
            body = self._full(cite) if cite.position == "first" else self._short(cite)
            body = _join(", ", [body, _locator(cite.item)])
            if cite.item.prefix:
                body = f"{escape(cite.item.prefix)} {body}"
            if cite.item.suffix:
                body += escape(cite.item.suffix)
            parts.append(body)
        text = "; ".join(parts)
        text = text[:1].upper() + text[1:]  # a note is a sentence: "Quoted in …"
        text = text if text.endswith((".", "?", "!", ".”")) else text + "."
        return _quotes_outside_in(text)

    def author(self, source: Source) -> str:
        names = source.get("author") or source.get("editor") or []
        return escape(_names(names, family_only=True)) if names else _title(source, short=True)

    def bibliography(self, sources: Sequence[Source]) -> list[tuple[Source, str]]:
        ordered = sorted(sources, key=_sort_key)
        return [(source, self._entry(source)) for source in ordered]

    # The three forms.

    def _full(self, cite: Cite) -> str:
        s = cite.source
        names = [] if cite.item.suppress_author else s.get("author") or []
        head = _names(names) if names else ""
        title = _title(s)
        contributors = _join(
            ", ",
            [
                _role("ed.", s.get("editor") if names else None),
                _role("trans.", s.get("translator")),
            ],
        )
        if s.type in _PERIODICAL:
            container = _container(s)
            date = _date(s.get("issued"))
            rest = container + (f" ({date})" if date and s.type == "article-journal" else "")
            if s.type != "article-journal" and date:
                rest = _join(", ", [container, date])
            return _join(", ", [escape(head), title, contributors, rest])
        if s.type in _CONTAINED and s.get("container-title"):
            inner = _join(
                ", ",
                [f"in {_container(s)}", _role("ed.", s.get("container-author") or s.get("editor"))],
            )
            return _join(", ", [escape(head), title, inner]) + _publication(s)
        if s.type == "webpage":
            return _join(
                ", ", [escape(head), title, _container(s), _date(s.get("issued")), _url(s)]
            )
        return _join(", ", [escape(head), title, contributors]) + _publication(s)

    def _short(self, cite: Cite) -> str:
        s = cite.source
        names = [] if cite.item.suppress_author else s.get("author") or []
        return _join(", ", [escape(_names(names, family_only=True)), _title(s, short=True)])

    def _entry(self, s: Source) -> str:
        names = s.get("author") or []
        head = escape(_names(names, inverted=True)) if names else ""
        parts = [head, _title(s, sentence=True)]
        if s.type in _CONTAINED and s.get("container-title"):
            parts.append(f"In {_container(s)}")
        elif s.type in _PERIODICAL:
            parts.append(_container(s))
        parts.append(_role("Edited by", s.get("editor") or s.get("container-author")))
        parts.append(_role("Translated by", s.get("translator")))
        publication = _join(
            ": ", [escape(s.get("publisher-place") or ""), escape(s.get("publisher") or "")]
        )
        parts.append(_join(", ", [publication, _date(s.get("issued"))]))
        # The URL is not part of the entry: the appendix links it ("Full text") or prints it.
        text = ""
        for part in (p for p in parts if p):
            if text:
                text += " " if text.endswith((".", "?", "!", ".”", "?”", "!”")) else ". "
            text += part
        return _quotes_outside_in(text if text.endswith((".", ".”")) else text + ".")


def _quotes_outside_in(text: str) -> str:
    """American usage: commas and full stops go inside closing quotation marks."""
    return text.replace("”,", ",”").replace("”.", ".”")


def _join(separator: str, parts: Sequence[str]) -> str:
    return separator.join(p for p in parts if p)


def _names(
    names: Sequence[Mapping[str, str]], family_only: bool = False, inverted: bool = False
) -> str:
    formatted = []
    for index, name in enumerate(names):
        if "literal" in name:
            formatted.append(name["literal"])
            continue
        family = _join(" ", [name.get("non-dropping-particle", ""), name.get("family", "")])
        if family_only:
            formatted.append(family)
        elif inverted and index == 0:
            formatted.append(_join(", ", [family, name.get("given", "")]))
        else:
            formatted.append(_join(" ", [name.get("given", ""), family]))
    if len(formatted) > 3 and not inverted:
        return f"{formatted[0]} et al."
    if len(formatted) <= 2:
        return " and ".join(formatted)
    return ", ".join(formatted[:-1]) + ", and " + formatted[-1]


def _role(label: str, names: Any) -> str:
    return f"{label} {escape(_names(names))}" if names else ""


def _title(source: Source, short: bool = False, sentence: bool = False) -> str:
    title = str(source.get("title") or source.get("container-title") or source.id)
    if short:
        title = str(source.get("title-short") or title.split(":")[0])
    if source.type in (*_CONTAINED, *_PERIODICAL, "webpage", "post", "post-weblog", "speech"):
        closing = "." if sentence and not title.endswith(("?", "!", ".")) else ""
        return f"“{escape(title)}{closing}”"
    return f"<i>{escape(title)}</i>"


def _container(source: Source) -> str:
    title = source.get("container-title")
    if not title:
        return ""
    text = f"<i>{escape(str(title))}</i>"
    volume, issue = source.get("volume"), source.get("issue")
    if volume:
        text += f" {escape(str(volume))}"
    if issue:
        text += f", no. {escape(str(issue))}"
    return text


def _publication(source: Source) -> str:
    place = escape(source.get("publisher-place") or "")
    publisher = escape(source.get("publisher") or "")
    inner = _join(", ", [_join(": ", [place, publisher]), _date(source.get("issued"))])
    return f" ({inner})" if inner else ""


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _date(value: Any) -> str:
    if not isinstance(value, Mapping):
        return ""
    if "literal" in value:
        return escape(str(value["literal"]))
    parts = (value.get("date-parts") or [[]])[0]
    if not parts:
        return ""
    year = str(parts[0])
    if len(parts) >= 3:
        return f"{_MONTHS[int(parts[1]) - 1]} {int(parts[2])}, {year}"
    if len(parts) == 2:
        return f"{_MONTHS[int(parts[1]) - 1]} {year}"
    return year


def _url(source: Source) -> str:
    url = source.url
    return f'<a href="{escape(url)}">{escape(url)}</a>' if url else ""


def _locator(item: CitationItem) -> str:
    if item.locator is None:
        return ""
    singular, plural = _LOCATOR_LABELS.get(item.locator.label, (item.locator.label, ""))
    value = item.locator.value
    label = plural if plural and any(c in value for c in ",–-&") else singular
    return escape(f"{label} {value}".strip())


def _sort_key(source: Source) -> tuple[str, str]:
    names = source.get("author") or source.get("editor") or []
    first = names[0] if names else {}
    family = first.get("family") or first.get("literal") or ""
    return (family.lower(), str(source.get("title") or "").lower())
