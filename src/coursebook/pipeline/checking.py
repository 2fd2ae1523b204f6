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
from .build import BuildOptions, Jobs, layout_started, prepare
from .loading import format_settings, the_book


def check_book(
    book: Book | str | Path,
    options: BuildOptions | None = None,
    layout: bool = True,
    progress: Progress | None = None,
    out_dir: Path | None = None,
) -> Diagnostics:
    """Every problem of ``book`` (loaded, or its folder): those found loading it, then
    those of each later stage. A wrong option of the caller's raises, as for a build.

    With ``out_dir``, the folder a build of the book writes to, the build's cache there is
    used when there is one (citations formatted, parts laid out, images fetched): a check
    after a build then costs what an up-to-date build costs, and the next build finds
    what the check laid out. Nothing else is written there.
    """
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
        cache = _cache(out_dir, book.root, Path(scratch))
        try:
            with layout_started(layout, options.jobs, cache) as early:
                rendered = prepare(book, diagnostics, options, cache, progress, early)
                if layout and not diagnostics.errors:
                    stem = Path(scratch) / "check"
                    jobs = Jobs(
                        rendered,
                        settings,
                        diagnostics,
                        cache,
                        options,
                        progress,
                        _no_files,
                        stem,
                        early.started,
                    )
                    jobs.page_starts()  # the layout, without keeping pages: on all cores
        except BookError:
            pass  # a stage that could not go on; what it found is in diagnostics
    return diagnostics


def _cache(out_dir: Path | None, root: Path, scratch: Path) -> Cache:
    """The cache of the builds into ``out_dir`` if a build made one (a folder of its own,
    not a symbolic link: see :func:`coursebook.core.output.check_output_folder`), else
    one in ``scratch``."""
    if out_dir is not None:
        build_cache = Cache.for_output(out_dir, root)
        if build_cache.folder.is_dir() and not any(
            p.is_symlink() for p in (out_dir, build_cache.folder)
        ):
            return build_cache
    return Cache(scratch)


def _no_files(target: Path, write: object) -> Path:  # pragma: no cover - a check writes nothing
    raise AssertionError(f"a check wrote {target}")
