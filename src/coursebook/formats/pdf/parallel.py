"""Worker processes that lay the print edition's parts out side by side, on every core.

A part's pages don't depend on the number of its first page, which is known only once the
parts before it are laid out; only what its margins print does (see :mod:`.folios`). So a
worker lays a part out as soon as it is handed one, tells the book its page count and where
its pages begin, and keeps its pages until the book, having placed it, sends the number of
its first page: the worker then prints its margins with that number and writes its PDF.
Each worker is a process of its own with a queue of its own (a pool of one), so that a part
goes back to the worker holding its pages.

The pages can't leave the process that laid them out (they are large and full of WeasyPrint's
objects), hence the PDF written there; a worker holds at most the pages of the few parts it
laid out ahead of their placement (see :data:`AHEAD`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from ...core.cache import Cache
from ...core.diagnostics import Diagnostic, Diagnostics
from ...core.gcpause import let_go
from ...render.builddate import BuildDates
from ...render.rendered_book import RenderedBook
from . import math as print_math
from .folios import recording
from .laid import LaidPart
from .layout import import_weasyprint
from .parts import PartSpec
from .settings import PrintOptions

T = TypeVar("T")


class PartLayout(Protocol):
    """What a worker lays parts out with (:class:`.paging.PartLayout`, which starts the
    workers: given to them, not imported here, so that imports point one way)."""

    def __init__(
        self,
        rendered: RenderedBook,
        dates: BuildDates,
        diagnostics: Diagnostics,
        options: PrintOptions,
        cache: Cache | None,
    ) -> None: ...

    def laid_out(
        self,
        spec: PartSpec,
        number: int,
        links: dict[str, str],
        roman: bool = False,
        *,
        drawn: bool = True,
    ) -> tuple[LaidPart, Any]: ...

    def written(self, document: Any) -> tuple[bytes, tuple[Diagnostic, ...]]: ...

    def numbered_and_written(
        self, document: Any, number: int
    ) -> tuple[bytes, tuple[Diagnostic, ...]] | None: ...

    def ready(self) -> None: ...


AHEAD = 2
"""Parts a worker may lay out beyond those placed: enough to keep it busy while an earlier
part is finished elsewhere, few enough that the pages it holds stay a part's or two."""


class Workers:
    """Processes laying parts out, each keeping the pages it laid out until they are placed."""

    def __init__(self, count: int) -> None:
        self.pools: list[ProcessPoolExecutor] = []
        self.busy: list[int] = []
        """The tasks each worker has been given whose end hasn't been taken in (see
        :meth:`took`): counted by the thread that hands tasks out, never by a callback,
        which could run after the waiting thread has seen the task done."""
        self._given: list[Future[None]] = []
        self.resize(count)

    def resize(self, count: int) -> None:
        """Keep ``count`` workers: those beyond stopped, new ones started."""
        for pool in self.pools[count:]:
            _stop(pool)
        del self.pools[count:], self.busy[count:], self._given[count:]
        context = multiprocessing.get_context("spawn")  # see coursebook.catalog
        while len(self.pools) < count:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            # Started now (a pool starts its process with its first task), warming up while
            # the book is read and rendered: a worker takes a second or so to import
            # WeasyPrint and read the fonts' configuration.
            pool.submit(_warm_up)
            self.pools.append(pool)
            self.busy.append(0)

    def more(self, jobs: int) -> None:
        """As many workers as ``jobs``, if there are fewer."""
        if len(self.pools) < jobs:
            self.resize(jobs)

    def keep(self, worker: int) -> None:
        """Keep ``worker`` alone, now the first: the others stopped."""
        assert len(self._given) == len(self.pools), "a worker not given the book"
        order = [worker, *(other for other in range(len(self.pools)) if other != worker)]
        self.pools = [self.pools[i] for i in order]
        self.busy = [self.busy[i] for i in order]
        self._given = [self._given[i] for i in order]
        self.resize(1)

    def give(
        self,
        layout: type[PartLayout],
        rendered: RenderedBook,
        dates: BuildDates,
        options: PrintOptions,
    ) -> None:
        """Give each worker not given it yet the book to lay out, before any part (a
        worker's tasks run in the order given; a worker started after is given none until
        this is called again): the rendering goes to each worker once, not with each part
        (sent with every part, it was pickled and unpickled 42 times for a 160-lesson
        book)."""
        drawings = print_math.drawn()  # the book's formulas, drawn once
        for pool in self.pools[len(self._given) :]:
            self._given.append(pool.submit(_start, layout, rendered, dates, options, drawings))

    def __len__(self) -> int:
        return len(self.pools)

    def idle(self) -> list[int]:
        return [worker for worker, tasks in enumerate(self.busy) if not tasks]

    def least_busy(self) -> int:
        return min(range(len(self.busy)), key=self.busy.__getitem__)

    def submit(self, worker: int, task: Callable[..., T], *args: Any) -> Future[T]:
        given = self._given[worker] if worker < len(self._given) else None
        if given is not None and given.done() and given.exception() is not None:
            raise RuntimeError("a layout worker could not take the book") from given.exception()
        self.busy[worker] += 1
        return self.pools[worker].submit(task, *args)

    def took(self, worker: int) -> None:
        """A task of ``worker`` is done and its result taken in."""
        self.busy[worker] -= 1

    def close(self, abandon: bool = False) -> None:
        """Stop the workers (again: nothing happens); ``abandon`` (a time limit, Ctrl-C, a
        failure, workers never used): at once, without finishing what they were given."""
        for pool in self.pools:
            if abandon:
                _stop(pool)
            pool.shutdown(cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """A pool's process stopped at once, whatever it is doing."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(cancel_futures=True)


# --- in the worker processes ----------------------------------------------------------------

_WORKER: dict[str, Any] = {}
"""What a worker process was started with, and the pages it keeps, by token."""


def _warm_up() -> None:
    """What any layout needs, made ready before the book is known: WeasyPrint imported,
    the fonts' configuration read."""
    import_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    from . import fetcher, notes_fix  # noqa: F401  # what a layout imports when it starts

    FontConfiguration()


def _start(
    layout: type[PartLayout],
    rendered: RenderedBook,
    dates: BuildDates,
    options: PrintOptions,
    drawings: dict[str, print_math.Drawing],
) -> None:
    print_math.remember(drawings)
    # One layout for the worker's parts: WeasyPrint's stylesheets are parsed once, now (the
    # book is given before its parts, while the build makes their HTML).
    _WORKER["layout"] = layout(rendered, dates, Diagnostics(), options, None)
    _WORKER["layout"].ready()
    _WORKER["kept"] = {}


def lay_out(
    spec: PartSpec, links: dict[str, str], number: int, token: int | None = None
) -> tuple[LaidPart, list[Diagnostic]]:
    """A part laid out, its first page numbered ``number``: what the book needs to know of
    its pages, and the problems found. With a ``token`` its pages are kept for
    :func:`write` (else they are let go: the EPUB's page list needs no PDF)."""
    layout: PartLayout = _collected()
    with recording():
        part, document = layout.laid_out(spec, number, links, drawn=token is not None)
    if token is not None:
        _WORKER["kept"][token] = (document, spec, links)
        document = None
        let_go()
    else:
        _WORKER["garbage"] = True
    return part, list(part.problems)


def write(token: int, number: int) -> tuple[bytes, tuple[Diagnostic, ...]]:
    """The PDF of the part kept under ``token``, its first page numbered ``number``, and
    what WeasyPrint said writing it; its pages are let go."""
    layout: PartLayout = _collected()
    document, spec, links = _WORKER["kept"].pop(token)
    written = layout.numbered_and_written(document, number)
    if written is None:
        # A stylesheet sets the page counter itself: its margins can't be printed again
        # with another number, the part is laid out again with this one.
        document = None
        _, document = layout.laid_out(spec, number, links)
        written = layout.written(document)
    document = None
    let_go()
    return written


def collect() -> None:
    """The pages of the worker's last part collected now, if left as garbage (see
    :func:`_collected`): the worker has nothing else to do."""
    _collected()


def release(token: int) -> None:
    """Let go of the pages kept under ``token``, unwritten."""
    _WORKER["kept"].pop(token, None)
    let_go()


def _collected() -> PartLayout:
    """The worker's layout, once the pages of its last part are collected if they were left
    as garbage.

    A part's pages are garbage once laid out for the page list alone, or once written:
    collected before the next part's layout freezes what is alive (see
    coursebook.core.gcpause), or a worker grows part after part. Pages that were laid out
    for the page list alone are collected when the next task starts rather than before
    their part is sent back: the build is waiting for it (an edited lesson's pages, 0.07 s
    of an edit's build), and a worker is stopped once its last part is in. Pages written to
    a PDF are collected at once: a worker may then wait a while for the next part, holding
    them (the book's process tree is largest while parts are laid out side by side)."""
    if _WORKER.pop("garbage", False):
        let_go()
    layout: PartLayout = _WORKER["layout"]
    return layout


def lay_out_alone(
    spec: PartSpec, links: dict[str, str], number: int, write: bool = True, roman: bool = False
) -> tuple[LaidPart, list[Diagnostic]]:
    """A part laid out with its first page's number known (``roman``: the front matter,
    numbered on its own), and written (unless not ``write``: the EPUB's page list needs no
    PDF)."""
    layout: PartLayout = _collected()
    part, document = layout.laid_out(spec, number, links, roman, drawn=write)
    problems = list(part.problems)
    if write:
        part.pdf, written = layout.written(document)
        problems += written
        document = None
        let_go()
    else:
        _WORKER["garbage"] = True
    return part, problems
