"""``coursebook check``: every problem a build would find, without writing anything.

The same stages as a build run on the book (nothing is checked by a second, weaker copy of
the rules), and the print edition is laid out to find notes too long for the foot of a page;
the outputs are simply not written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..core.cache import Cache
from ..core.diagnostics import BookError, Diagnostics
from ..core.progress import Progress, Silent
from ..model import Book
from .build import BuildOptions, Jobs, prepare
from .loading import format_settings, the_book


def check_book(
    book: Book | str | Path,
    options: BuildOptions | None = None,
    layout: bool = True,
    progress: Progress | None = None,
) -> Diagnostics:
    """Every problem of ``book`` (loaded, or its folder): those found loading it, then
    those of each later stage. A wrong option of the caller's raises, as for a build."""
    options = options or BuildOptions()
    progress = progress or Silent()
    diagnostics = Diagnostics()
    try:
        book = the_book(book, options.lessons, options.limits, diagnostics, progress)
    except BookError:  # the book could not be read at all (no book.yaml, broken YAML)
        return diagnostics
    settings = format_settings(book, options.format_options, diagnostics)
    # Images from allowed hosts are fetched into a folder of this check's own.
    with tempfile.TemporaryDirectory(prefix="coursebook-check-") as scratch:
        cache = Cache(Path(scratch))
        try:
            rendered = prepare(book, diagnostics, options, cache, progress)
            if layout and not diagnostics.errors:
                stem = Path(scratch) / "check"
                jobs = Jobs(
                    rendered, settings, diagnostics, cache, options, progress, _no_files, stem
                )
                jobs.page_starts()  # the layout, without keeping pages: on all cores
        except BookError:
            pass  # a stage that could not go on; what it found is in diagnostics
    return diagnostics


def _no_files(target: Path, write: object) -> Path:  # pragma: no cover - a check writes nothing
    raise AssertionError(f"a check wrote {target}")
