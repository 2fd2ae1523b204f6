"""One set of sources for the book: every page's citations, each work once with one key."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ...core.diagnostics import Diagnostics
from ...core.naming import slugify
from ...model import Source
from .model import Cite, DraftSource, ImportedLesson, Work, family_key, title_key


@dataclass(frozen=True)
class SourceIndex:
    """The entries of an existing sources file, findable by title and by author and year."""

    sources: Mapping[str, Source]
    titles: Mapping[str, tuple[str, ...]]
    authors_years: Mapping[tuple[str, int], tuple[str, ...]]

    @classmethod
    def of(cls, sources: Mapping[str, Source]) -> SourceIndex:
        titles: dict[str, list[str]] = {}
        authors_years: dict[tuple[str, int], list[str]] = {}
        for key, source in sources.items():
            for title in source_titles(source):
                titles.setdefault(title_key(title), []).append(key)
            for family in source_families(source):
                for year in source_years(source):
                    authors_years.setdefault((family, year), []).append(key)
        return cls(
            sources,
            {k: tuple(dict.fromkeys(v)) for k, v in titles.items() if k},
            {k: tuple(dict.fromkeys(v)) for k, v in authors_years.items()},
        )

    def match(
        self, title: str | None, author: str | None, year: int | None
    ) -> tuple[str, str] | None:
        """(key, how) of the one entry with this title (or short title, or the title before
        its subtitle), else of the one entry of this author and year; None when none is, or
        when several are and nothing tells them apart."""
        if title:
            keys = self.titles.get(title_key(title), ())
            if len(keys) == 1:
                return keys[0], "title"
        if author and year:
            keys = self.authors_years.get((family_key(author), year), ())
            if len(keys) == 1:
                return keys[0], "author and year"
        return None


def source_titles(source: Source) -> list[str]:
    titles = [source.get(name) for name in ("title", "title-short", "shortTitle")]
    found = [t for t in titles if isinstance(t, str) and t]
    # "The Struggle for Socialism Today: A Reply to …" is also cited as its main title.
    found += [t.split(":")[0] for t in found if ":" in t]
    return found


def source_families(source: Source) -> list[str]:
    names = source.get("author") or source.get("editor") or []
    return [
        family_key(n.get("family") or n.get("literal") or "")
        for n in names
        if isinstance(n, Mapping)
    ]


def source_years(source: Source) -> list[int]:
    years = []
    for name in ("issued", "original-date"):
        date = source.get(name)
        if isinstance(date, Mapping) and date.get("date-parts"):
            with contextlib.suppress(TypeError, ValueError, IndexError):
                years.append(int(date["date-parts"][0][0]))
    return years


def assemble(
    lessons: Sequence[ImportedLesson],
    known: SourceIndex | None,
    diagnostics: Diagnostics,
) -> tuple[DraftSource, ...]:
    """Every cited work once, each with one key: an entry of --sources when one matches,
    otherwise a draft completed from all the citations of the work."""
    merged: dict[str, tuple[Work, Cite]] = {}
    for cite in (cite for lesson in lessons for cite in lesson.cites):
        identity = _identity(cite.work, merged)
        if identity in merged:
            work, first = merged[identity]
            merged[identity] = (_completed(work, cite.work), first)
        else:
            merged[identity] = (cite.work, cite)
    drafts: list[DraftSource] = []
    used: set[str] = set(known.sources) if known else set()
    for work, first in merged.values():
        found = known.match(work.title, work.author, work.year) if known else None
        if found and known:
            key, how = found
            if how != "title":
                diagnostics.warning(
                    first.location,
                    f"'{work.title or work.author}' taken to be source '{key}' of the sources "
                    f"file ({how} match, titles differ): check",
                    "import-guessed-source",
                )
            drafts.append(DraftSource(key, work, first, known.sources[key], how))
            continue
        key = _unique(draft_key(work), used)
        used.add(key)
        drafts.append(DraftSource(key, work, first))
    return tuple(drafts)


def _identity(work: Work, merged: Mapping[str, tuple[Work, Cite]]) -> str:
    """A citation without a title ("(Trotsky, 1935)") is the titled work of the same author
    and year, when there is exactly one."""
    if work.title or not work.author:
        return work.identity
    same = [
        identity
        for identity, (other, _) in merged.items()
        if other.year == work.year and family_key(other.author or "") == family_key(work.author)
    ]
    return same[0] if len(same) == 1 else work.identity


def _completed(work: Work, other: Work) -> Work:
    """One work from two citations of it: the longer title, and what either knows."""
    title = work.title
    if other.title and (title is None or len(other.title) > len(title)):
        title = other.title
    return Work(
        title,
        work.author or other.author,
        work.year or other.year,
        work.container or other.container,
        work.url or other.url,
        "chapter" if work.container or other.container else work.kind,
    )


_KEY_STOP = frozenset(["the", "a", "an", "of", "and", "on", "in", "for", "to"])


def draft_key(work: Work) -> str:
    """``trotsky1935workers``: family name, year and the title's first word, as the sample
    book's keys are made."""
    family = slugify(family_key(work.author or ""), fallback="").replace("-", "")
    words = [w for w in title_key(work.title or "").split() if w not in _KEY_STOP]
    first = slugify(words[0], fallback="").replace("-", "") if words else ""
    key = f"{family}{work.year or ''}{first}"
    return key if key and key[0].isalpha() else f"source{key}"


def _unique(key: str, used: set[str]) -> str:
    if key not in used:
        return key
    for suffix in "bcdefghijklmnopqrstuvwxyz":
        if key + suffix not in used:
            return key + suffix
    number = 2
    while f"{key}{number}" in used:
        number += 1
    return f"{key}{number}"
