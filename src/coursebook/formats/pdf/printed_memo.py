"""The hash of each part's print HTML as an earlier build made it, kept in the cache.

Which parts the cache holds laid out is told by the hash of their print HTML; making the
HTML of every part to hash it (notes moved to their calls, links given their pages, words
tied) took about 0.8 s of the 5 s an edit's EPUB took at 40 lessons (profiled). So each
part's hash is kept, by a hash of everything its HTML is made from (its documents as
rendered, the labels, images, dates and book details around them, and the code that makes
it), with the page numbers its links printed: a later build whose part was made from the
same and whose links lead to the same pages takes the hash without making the HTML. A part
whose HTML must be laid out is still made in full.

Kept as text (JSON) in one cache file per book, outside the book's folder (see
:class:`coursebook.core.cache.Cache`); what is read back is only ever compared with other
hashes, never printed. A part's layout is kept by its HTML's hash and its documents' ids,
so a wrong entry can't give a part another's layout: at worst (a cache edited by hand) an
older layout of the same part, as an edited cache of layouts could; the cache is the user's
own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import cache as once
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ...core.cache import Cache, cache_key, file_bytes
from ...core.version import __version__
from ...render.builddate import BuildDates
from ...render.rendered_book import RenderedBook
from .parts import PartSource, PartSpec

KIND = "printed"
"""The cache's name for these memos."""


@once
def _code() -> str:
    """A hash of the code and templates that make a part's HTML (the whole package: the
    print HTML is made by the rendering, the notes and this package together)."""
    package = Path(__file__).resolve().parent.parent.parent
    files = sorted(
        path
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )
    return cache_key(file_bytes(files))


def _context(rendered: RenderedBook, dates: BuildDates) -> str:
    """What every part's HTML is made from besides its own documents."""
    urls = [(entry.source.id, entry.source.link or "") for entry in rendered.notes.bibliography]
    return cache_key(
        _code(),
        __version__,
        sys.version,
        *(version(name) for name in ("lxml", "jinja2", "markupsafe", "ziamath", "segno")),
        repr(rendered.book.meta),
        repr(sorted(rendered.labels.items())),
        repr(sorted((image.href, str(image.path)) for image in rendered.images)),
        repr([(d.id, d.kind) for d in rendered.documents]),
        repr(urls),
        dates.created.date().isoformat(),
        dates.modified.date().isoformat(),
    )


Made = tuple[str, dict[str, str], PartSource]
"""A part's HTML hash, the page numbers its links print, its documents' hashes (the
source without its HTML): see ``PartLayout._key``."""


class PrintedMemo:
    """Parts' print HTML hashes kept between builds (see the module's description)."""

    def __init__(
        self, cache: Cache | None, name: str, rendered: RenderedBook, dates: BuildDates
    ) -> None:
        self.cache, self.name = cache, name
        self.context = _context(rendered, dates)
        stored = cache.get(KIND, name) if cache is not None else None
        try:
            known = json.loads(stored) if stored else {}
        except ValueError:
            known = {}
        self.known: dict[str, Any] = known if isinstance(known, dict) else {}
        self.used: dict[str, Any] = {}

    def _key(self, spec: PartSpec) -> str:
        # A part's documents, notes and options spelled out: frozen dataclasses of strings,
        # numbers and tuples, whose repr is the same from one process to the next.
        return cache_key(self.context, repr(spec))

    def get(self, spec: PartSpec, page_of: Callable[[str], str]) -> Made | None:
        """The part's hashes as last made, if its links lead to the same pages."""
        key = self._key(spec)
        try:
            digest, links, digests, wrapper = self.known[key]
            made = (
                str(digest),
                {str(target): str(page) for target, page in dict(links).items()},
                PartSource("", tuple(str(d) for d in digests), str(wrapper)),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if any(page_of(target) != page for target, page in made[1].items()):
            return None
        self.used[key] = self.known[key]
        return made

    def put(self, spec: PartSpec, made: Made) -> None:
        digest, links, source = made
        self.used[self._key(spec)] = [digest, links, list(source.digests), source.wrapper]

    def save(self) -> None:
        """Keep this build's hashes for the next (only those used: the memo doesn't grow
        with every edit)."""
        if self.cache is not None and self.used and self.used != self.known:
            self.cache.put(KIND, self.name, json.dumps(self.used, sort_keys=True))
