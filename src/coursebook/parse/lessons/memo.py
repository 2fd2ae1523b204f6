"""Lessons' Markdown as converted by an earlier build, kept in the cache.

Python-Markdown and the allow-list are most of the time it takes to read a book (1.75 s of
2.6 s for 40 lessons, profiled): after an edit, the lessons that didn't change are
converted again to the same HTML. So each conversion is kept, by a hash of the text it was
made from and of everything that makes it (this package's code, the versions of
Python-Markdown and nh3, the book's language), in one cache file per book, and a build
keeps what it used. Kept as text (JSON), read back with the same checks as any HTML from
the parser: a cache is never unpickled. The cache lives outside the book's folder (see
:class:`coursebook.core.cache.Cache`), so a book can't bring conversions of its own. The
sizes of the rasters found whole are kept in the same file (see
:mod:`coursebook.source.images`).
"""

from __future__ import annotations

import json
from functools import cache as once
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ...core.cache import Cache, cache_key, file_bytes
from ...core.version import __version__
from ..citation_grammar import Reading, read
from ..sanitize import Removal


@once
def _code() -> str:
    """A hash of the code that turns Markdown into HTML (this package and its
    extensions): a cache made by other code is not read, even at the same version."""
    package = Path(__file__).resolve().parent.parent
    return cache_key(file_bytes(sorted(package.rglob("*.py"))))


class ConvertedMemo:
    """Conversions kept between builds (see the module's description)."""

    def __init__(self, cache: Cache | None, book_root: Path, language: str) -> None:
        self.cache = cache
        self.name = cache_key(str(book_root))
        self.salt = cache_key(_code(), __version__, version("markdown"), version("nh3"), language)
        stored = cache.get("markdown", self.name) if cache is not None else None
        try:
            known = json.loads(stored) if stored else {}
        except ValueError:
            known = {}
        self.known: dict[str, Any] = known if isinstance(known, dict) else {}
        self.used: dict[str, Any] = {}

    def _key(self, kind: str, text: str) -> str:
        return cache_key(self.salt, kind, text)

    def get(self, kind: str, text: str) -> tuple[str, list[Removal]] | None:
        key = self._key(kind, text)
        entry = self.known.get(key)
        try:
            html, removed = entry  # type: ignore[misc]
            found = str(html), [Removal(str(w), str(n), bool(c)) for w, n, c in removed]
        except (TypeError, ValueError):
            return None
        self.used[key] = entry
        return found

    def put(self, kind: str, text: str, html: str, removed: list[Removal]) -> None:
        removals = [[r.what, r.needle, r.confinement] for r in removed]
        self.used[self._key(kind, text)] = [html, removals]

    def reading(self, text: str) -> Reading:
        """The citations, math and inline notes of ``text`` as the citation reader finds
        them (:func:`~coursebook.parse.citation_grammar.read`), kept like a conversion: it
        was a fifth of an edit's reading of the book (0.4 s of 2 s at 40 lessons,
        profiled)."""
        key = self._key("reading", text)
        try:
            found = Reading.from_data(text, self.known[key])
        except (KeyError, TypeError, ValueError):
            found = read(text)
            self.used[key] = found.as_data()
            return found
        self.used[key] = self.known[key]
        return found

    def size(self, key: str) -> tuple[int, int] | None:
        """The size of a raster an earlier build decoded completely (see
        :mod:`coursebook.source.images`), by its key there."""
        entry = self.known.get(f"decoded:{key}")
        try:
            width, height = entry  # type: ignore[misc]
            found = (int(width), int(height))
        except (TypeError, ValueError):
            return None
        self.used[f"decoded:{key}"] = [*found]
        return found

    def keep_size(self, key: str, size: tuple[int, int]) -> None:
        self.used[f"decoded:{key}"] = [*size]

    def save(self) -> None:
        """Keep what this build converted for the next (a build with errors keeps nothing,
        as it writes nothing)."""
        if self.cache is not None and self.used and self.used != self.known:
            self.cache.put("markdown", self.name, json.dumps(self.used, ensure_ascii=False))
