"""``coursebook check``: every problem a build would find, without writing anything.

The same stages as a build run on the book (nothing is checked by a second, weaker copy of
the rules), and the print edition is laid out to find notes too long for the foot of a page;
the outputs are simply not written.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from ..core.cache import Cache
from ..core.diagnostics import BookError, Diagnostics
from ..core.progress import Progress, Silent
from ..model import Book
from ..render.builddate import build_dates
from .build import BuildOptions, PrintEdition, prepare
from .packs import select_lessons


def check_book(
    book: Book,
    options: BuildOptions | None = None,
    layout: bool = True,
    progress: Progress | None = None,
) -> Diagnostics:
    """Every problem of ``book``: those found loading it, then those of each later stage."""
    options = options or BuildOptions()
    progress = progress or Silent()
    diagnostics = Diagnostics()
    diagnostics.extend(book.problems)
    if options.lessons:
        book = select_lessons(book, options.lessons)
    # Images from allowed hosts are fetched into a folder of this check's own.
    with tempfile.TemporaryDirectory(prefix="coursebook-check-") as scratch:
        cache = Cache(Path(scratch))
        try:
            rendered = prepare(book, diagnostics, options, cache, progress)
            if layout and not diagnostics.errors:
                print_options = replace(book.print_options, **options.print_overrides)
                PrintEdition(
                    rendered,
                    build_dates(book.meta),
                    diagnostics,
                    cache,
                    print_options,
                    options.limits,
                    progress,
                    options.jobs,
                ).page_list()  # the layout, without keeping pages: on all cores
        except BookError:
            pass  # a stage that could not go on; what it found is in diagnostics
    return diagnostics
