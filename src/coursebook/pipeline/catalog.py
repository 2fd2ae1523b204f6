"""Many books at once: a portal's whole catalog, on all cores.

Each book is built in a process of its own (a pool as wide as the machine has cores, or
``jobs``), exactly as ``coursebook build`` builds one: the same outputs, byte for byte, and the
same up-to-date check, so a catalog rebuilt after a change builds only the books that changed.
A book that fails (its errors, or a crash) is reported with the others; it stops nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.diagnostics import BookError, Diagnostic, Diagnostics
from ..formats.base import Output, SettingsError
from ..source.manifest import MANIFEST_NAMES
from .build import BuildOptions, build
from .packs import SelectionError


@dataclass(frozen=True)
class BookOutcome:
    """How one book of a catalog went."""

    folder: Path
    outputs: tuple[Output, ...] = ()
    problems: tuple[Diagnostic, ...] = ()
    """Errors (then nothing was written) and warnings."""
    up_to_date: bool = False
    seconds: float = 0.0
    failure: str | None = None
    """What went wrong when it wasn't the book: a wrong option, or a bug."""
    notes: int = 0
    lessons: int = 0
    sources: int = 0
    written: tuple[Path, ...] = ()
    """Outputs put in place by a build that then failed (only a failed rename leaves any)."""

    @property
    def failed(self) -> bool:
        return self.failure is not None or any(p.severity.value == "error" for p in self.problems)


def books_in(folders: Sequence[Path]) -> list[Path]:
    """The books named: each folder holding a book.yaml, or, for a folder that holds none,
    each of its subfolders that does (a catalog folder), in name order."""
    books: list[Path] = []
    for folder in folders:
        if _is_book(folder) or not folder.is_dir():
            books.append(folder)  # a folder that isn't there is reported as its own problem
            continue
        inside = sorted(child for child in folder.iterdir() if child.is_dir() and _is_book(child))
        books += inside or [folder]
    return books


def _is_book(folder: Path) -> bool:
    return any((folder / name).is_file() for name in MANIFEST_NAMES)


def build_catalog(
    books: Sequence[Path],
    formats: Sequence[str],
    out_dir: Path,
    options: BuildOptions,
    jobs: int | None = None,
    on_done: Callable[[BookOutcome], None] | None = None,
) -> list[BookOutcome]:
    """Build every book into ``out_dir``; the outcomes in the order the books were given."""
    width = max(1, min(jobs or os.cpu_count() or 1, len(books)))
    outcomes: dict[Path, BookOutcome] = {}
    writers: dict[Path, Path] = {}
    # spawn, not fork: the parent may have threads (the progress display), and a forked
    # child of a threaded process can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=width, mp_context=context) as pool:
        futures: dict[Future[BookOutcome], Path] = {
            pool.submit(build_one, book, tuple(formats), out_dir, options): book for book in books
        }
        for future in as_completed(futures):
            book = futures[future]
            try:
                outcome = future.result()
            except Exception as crash:  # the worker died (out of memory, a signal)
                outcome = BookOutcome(book, failure=f"the build stopped: {crash!r}")
            outcome = _clash(outcome, writers)
            outcomes[book] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[book] for book in books]


def _clash(outcome: BookOutcome, writers: dict[Path, Path]) -> BookOutcome:
    """Two books with one title write the same files, the later over the earlier: the one
    that finished second is reported as failed."""
    clash = next((o.path for o in outcome.outputs if o.path in writers), None)
    for output in outcome.outputs:
        writers.setdefault(output.path, outcome.folder)
    if clash is None:
        return outcome
    return replace(
        outcome,
        failure=f"writes {clash.name}, as {writers[clash]} does: give the books different "
        "titles, or build them into different folders",
    )


def build_one(
    book: Path, formats: tuple[str, ...], out_dir: Path, options: BuildOptions
) -> BookOutcome:
    """One book of the catalog (in a worker process): never raises."""
    started = time.perf_counter()
    diagnostics = Diagnostics()
    try:
        result = build(book, formats, out_dir, options, diagnostics=diagnostics)
    except BookError as error:
        return BookOutcome(
            book,
            problems=tuple(diagnostics.by_place()),
            seconds=time.perf_counter() - started,
            written=error.written,
        )
    except (SettingsError, SelectionError) as wrong:
        return BookOutcome(book, failure=str(wrong))
    except Exception as bug:  # a bug in coursebook: one book's, not the catalog's, end
        where = traceback.extract_tb(bug.__traceback__)[-1]
        return BookOutcome(
            book,
            problems=tuple(diagnostics.by_place()),
            failure=f"internal error: {type(bug).__name__}: {bug} "
            f"(at {Path(where.filename).name}:{where.lineno})",
        )
    return BookOutcome(
        book,
        outputs=result.outputs,
        problems=tuple(diagnostics.by_place()),
        up_to_date=result.up_to_date,
        seconds=time.perf_counter() - started,
        notes=result.notes,
        lessons=result.lessons,
        sources=result.sources,
    )
