"""The sources appendix's entries: what the engine is asked to format for them (for a
style with no bibliography, each cited source's first note), and, for a source the style
prints no entry for, whether its data or its type is why (probes, one more field each)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from ..core.diagnostics import Diagnostics
from ..model import Book, Source
from .csl import CitationEngine
from .formatting import Cite, Formatting, Slot


class _Requests:
    """What the engine is asked to format: the chapters, and for a style with no
    bibliography (notes only) one more chapter per cited source, whose single citation is its
    full first form: the sources appendix lists that."""

    def __init__(
        self, engine: CitationEngine, chapters: list[tuple[Slot, ...]], cited: list[str]
    ) -> None:
        self.engine = engine
        self.cited = cited
        self.with_bibliography = engine.facts.bibliography
        self.chapters: list[Sequence[Slot]] = list(chapters)
        self.alone: dict[str, int] = {}
        if not self.with_bibliography:
            for key in cited:
                self.alone[key] = len(self.chapters)
                self.chapters.append(_alone(key))

    def entries(
        self, formatting: Formatting, book: Book, diagnostics: Diagnostics
    ) -> list[tuple[str, str]]:
        """Every cited source's entry, in the style's order. Every cited source is in the
        sources appendix: one the style prints no entry for is listed as its first note
        reads, with a warning, when the style leaves out every source of its type (Chicago
        lists no personal communication); an error when it is the source's data that leave
        the entry empty (what the author can mend)."""
        if not self.with_bibliography:
            alone = [(k, formatting.chapters[self.alone[k]][0].html) for k in self.cited]
            return sorted(alone, key=lambda entry: _sort_text(entry[1]))
        cited = set(self.cited)
        made = [(k, t) for k, t in formatting.bibliography if k in cited and t.strip()]
        listed = {k for k, _ in made}
        missing = [k for k in self.cited if k not in listed and book.sources[k].sound]
        if not missing:
            return made
        fields, notes = _what_would_print(self.engine, book, missing)
        for key in missing:
            source = book.sources[key]
            if fields[key]:
                diagnostics.error(
                    source.location,
                    f"source '{key}' is cited, but the citation style prints no entry for it "
                    "in the sources appendix: its data leave the entry empty (give it "
                    f"{_one_of(fields[key])})",
                    "empty-entry",
                )
                continue
            diagnostics.warning(
                source.location,
                f"the citation style lists no '{source.type}' in a bibliography; source "
                f"'{key}' is in the sources appendix as its first note reads",
                "empty-entry",
            )
            made = _inserted(made, (key, notes[key]))
        return made


_PROBE: dict[str, Any] = {
    "title": "Title",
    "author": [{"family": "Author", "given": "A."}],
    "editor": [{"family": "Editor", "given": "E."}],
    "issued": {"date-parts": [[2000, 1, 1]]},
    "publisher": "Publisher",
    "publisher-place": "Place",
    "container-title": "Container",
    "collection-title": "Collection",
    "event-title": "Event",
    "archive": "Archive",
    "archive-place": "Archive Place",
    "genre": "Genre",
    "medium": "Medium",
    "number": "1",
    "volume": "1",
    "page": "1-2",
    "URL": "https://example.org/",
}
"""Fields a style may print, with a value each, to find what a source lacks."""


def _what_would_print(
    engine: CitationEngine, book: Book, missing: list[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """For each source the style printed no entry for: the fields that, given alone, make
    it print one (none: the style lists no source of its type, whatever its data), and its
    first note, all in one more run over probes (the source with one more field each)."""
    sources: dict[str, Source] = {key: book.sources[key] for key in missing}
    probes: dict[str, tuple[str, str]] = {}
    for key in missing:
        source = book.sources[key]
        for name, value in _PROBE.items():
            if name not in source.data:
                probe = f"coursebookprobe{len(probes)}"  # a key pandoc reads whole
                probes[probe] = (key, name)
                data = {**source.data, name: value}
                sources[probe] = Source(probe, source.type, data, source.location)
    probing = CitationEngine(engine.style, engine.language, sources, seconds=engine.seconds)
    chapters = [_alone(key) for key in missing]
    chapters.append(tuple(Cite(f"[@{_key_text(p)}]") for p in probes))
    formatting = probing.format(chapters)
    fields: dict[str, list[str]] = {key: [] for key in missing}
    for probe, text in formatting.bibliography:
        if probe in probes and text.strip():
            key, name = probes[probe]
            fields[key].append(name)
    notes = {key: formatting.chapters[i][0].html for i, key in enumerate(missing)}
    return fields, notes


def _one_of(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return f"a {quoted[0]}"
    return "one of " + ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _alone(key: str) -> tuple[Slot, ...]:
    """A chapter of one citation of ``key``: its first, full form."""
    return (Cite(f"[@{_key_text(key)}]"),)


def _inserted(entries: list[tuple[str, str]], entry: tuple[str, str]) -> list[tuple[str, str]]:
    """``entry`` among alphabetically ordered ``entries``, where its text falls."""
    text = _sort_text(entry[1])
    at = next((i for i, (_, t) in enumerate(entries) if _sort_text(t) > text), len(entries))
    return [*entries[:at], entry, *entries[at:]]


def _key_text(key: str) -> str:
    return key if re.fullmatch(r"\w(?:[\w:.#$%&+?<>~/-]*\w)?", key) else "{" + key + "}"


def _sort_text(text: str) -> str:
    return re.sub(r"<[^>]+>", "", html.unescape(text)).casefold()
