"""The print edition as a whole: laid out (part by part, see :mod:`.paging`) and written, or
only laid out for where its pages begin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from ...core.cache import Cache
from ...core.diagnostics import BookError, Diagnostics
from ...core.limits import TimeLimitExceeded, deadline
from ...render.builddate import BuildDates
from ...render.pagemap import PageList, PageStart
from ...render.rendered_book import RenderedBook
from ..base import Job, Output
from .booklet import impose
from .math import check_math, draw_math
from .paging import Pages, PartLayout
from .parallel import Workers
from .settings import PAPERS, PrintOptions

T = TypeVar("T")


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out print edition."""

    parts: PartLayout
    placed: Pages
    """Its parts' PDFs in order, ready to join."""
    starts: tuple[PageStart, ...]
    """Where each page begins in the book's text (for the EPUB's page list)."""
    paper: str
    """The paper the pages are set on, as the page list's source names it."""

    @property
    def pages(self) -> int:
        return len(self.placed.labels)


def write_edition(job: Job) -> list[Output]:
    """The PDF (and the booklet, when asked for) written through the job's staging; the
    layout's page starts offered to the formats that carry them."""
    options: PrintOptions = job.settings

    def drawn_and_laid_out() -> PrintLayout:
        check_math(job.rendered, job.diagnostics, _workers(job))  # within the layout's time
        return lay_out(
            job.rendered, job.dates, job.diagnostics, options, job.cache, job.jobs, _workers(job)
        )

    layout = _timed(job, drawn_and_laid_out)
    parts = layout.parts
    job.progress.finish(f"{layout.pages} pages, {len(parts.fresh)} of {parts.parts} parts laid out")
    job.page_starts.offer(PageList(layout.paper, layout.starts))
    job.progress.stage("writing the PDF")
    pdf = job.stage(job.target, lambda stream: write_pdf(layout, stream))
    job.progress.finish()
    outputs = [Output("pdf", job.target, layout.pages)]
    if options.booklet:
        target = job.target.with_name(job.target.name.removesuffix(".pdf") + "-booklet.pdf")
        source = pdf.read_bytes()  # the PDF as staged, its pages imposed two-up
        sheet = PAPERS[options.paper].sheet
        sides = 0

        def booklet(stream: BinaryIO) -> None:
            nonlocal sides
            sides = impose(source, stream, options.signature, sheet)

        job.stage(target, booklet)
        outputs.append(Output("booklet", target, sides))
    return outputs


def page_starts(job: Job) -> PageList:
    """Where each printed page begins, without keeping the pages: parts laid out on
    ``job.jobs`` cores, those unchanged since the last build taken from the cache."""
    options: PrintOptions = job.settings
    layout = PartLayout(
        job.rendered, job.dates, job.diagnostics, options, job.cache, job.jobs, _workers(job)
    )

    def drawn_and_laid_out() -> Pages:
        # Every formula drawn ahead (within the layout's time) on a first layout, where every
        # part's HTML is made; after an edit only the changed parts' are (their hashes are
        # kept), their formulas drawn as they are made.
        if job.cache is None or not job.cache.holds("part"):
            draw_math(job.rendered, _workers(job))
        return layout.lay_out(keep_pages=False)

    pages = _timed(job, drawn_and_laid_out)
    pieces = f" ({layout.in_pieces} only in its changed lessons)" if layout.in_pieces else ""
    job.progress.finish(
        f"{len(pages.labels)} pages, {len(layout.fresh)} of {layout.parts} parts laid out{pieces}"
    )
    return PageList(options.paper_name, pages.starts())


def _workers(job: Job) -> Workers | None:
    """The workers started for the job while the book was rendered (see :meth:`PdfFormat.start`)."""
    return job.started if isinstance(job.started, Workers) else None


def _timed(job: Job, lay_out: Callable[[], T]) -> T:
    """A layout within the time the limits allow."""
    job.progress.stage("laying out pages")
    try:
        with deadline(job.limits.layout_seconds, "laying out the PDF", "layout_seconds"):
            return lay_out()
    except TimeLimitExceeded as problem:
        job.diagnostics.error(job.rendered.book.location, str(problem), "limit")
        raise BookError(job.diagnostics) from None


def lay_out(
    rendered: RenderedBook,
    dates: BuildDates,
    diagnostics: Diagnostics,
    options: PrintOptions,
    cache: Cache | None = None,
    jobs: int = 1,
    workers: Workers | None = None,
) -> PrintLayout:
    """Lay the printed book out, without writing it (its parts' PDFs made ready to join),
    on ``jobs`` cores (``workers``, when started already)."""
    layout = PartLayout(rendered, dates, diagnostics, options, cache, jobs, workers)
    pages = layout.lay_out(keep_pages=True)
    return PrintLayout(layout, pages, pages.starts(), options.paper_name)


def write_pdf(layout: PrintLayout, stream: BinaryIO) -> None:
    """Write a laid-out book as PDF into ``stream``: its parts' PDFs joined."""
    layout.parts.write(layout.placed, stream)
