"""The build, top to bottom: load, parse, notes, render, write each format."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from .booklet import booklet_path, impose
from .builddate import BuildDates, build_dates
from .cache import Cache
from .csl import CslEngine, StyleError, find_style
from .diagnostics import BookError, Diagnostics, Location
from .epub import write_epub
from .lessons import parse_book
from .limits import Limits, TimeLimitExceeded, deadline
from .loader import load
from .model import Book
from .notes import resolve_notes
from .output import OutputError, check_output_folder, output_lock, write_atomically
from .packs import pack_slug, select_lessons
from .pagemap import PageList
from .printing import PAPERS, PrintOptions
from .remote import RemoteImages
from .render import RenderedBook, render_book

if TYPE_CHECKING:
    from .pdf import PrintLayout

FORMATS = ("epub", "pdf")
T = TypeVar("T")


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    pages: int | None = None


@dataclass(frozen=True)
class BuildResult:
    book: Book
    outputs: tuple[Output, ...]
    diagnostics: Diagnostics


def build(
    book_dir: str | Path,
    out_dir: str | Path = "dist",
    formats: Sequence[str] = FORMATS,
    diagnostics: Diagnostics | None = None,
    print_overrides: Mapping[str, Any] | None = None,
    lessons: str | None = None,
    limits: Limits | None = None,
    allow_remote: Sequence[str] = (),
) -> BuildResult:
    """Build the book in ``book_dir`` into ``out_dir`` as ``<slug>.epub`` and ``<slug>.pdf``.

    Raises :class:`BookError` with every problem found when the book has errors; nothing is
    written then, and earlier outputs stay as they were. ``print_overrides`` replace
    book.yaml's ``print:`` settings (names of :class:`PrintOptions` fields); a wrong value
    raises :class:`PrintOptionError`. ``lessons`` builds a pack of some lessons instead
    (see :mod:`coursebook.packs`); a selection naming no lesson raises :class:`SelectionError`.
    ``limits`` bound what the book may ask of the machine (:class:`Limits`). Nothing is
    fetched from the network but images over https from the hosts in ``allow_remote``.
    """
    limits = limits or Limits()
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    out = Path(out_dir)
    book = load(book_dir, diagnostics, check=False, limits=limits)  # go on: report all errors
    if lessons:
        book = select_lessons(book, lessons)
    _check_output(out, book, diagnostics)
    remote = (
        RemoteImages(
            frozenset(host.lower() for host in allow_remote),
            Cache.for_output(out).folder / "remote",
            limits.image_bytes,
        )
        if allow_remote
        else None
    )
    parsed = parse_book(book, diagnostics, limits, remote)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    rendered = render_book(book, parsed, notes, diagnostics)
    diagnostics.check()  # nothing is written from a book with errors
    dates = build_dates(book.meta)
    slug = pack_slug(book)
    options = replace(book.print_options, **(print_overrides or {}))
    print_edition = _PrintEdition(
        rendered, dates, diagnostics, Cache.for_output(out), options, limits
    )
    outputs = []
    with output_lock(out):
        if "pdf" in formats:
            target = out / f"{slug}.pdf"
            layout = print_edition.layout()
            _write(target, diagnostics, lambda: print_edition.write(layout, target))
            outputs.append(Output("pdf", target, layout.pages))
            if options.booklet:
                booklet = booklet_path(target)
                sides = _write(
                    booklet, diagnostics, lambda: write_booklet(target, booklet, options)
                )
                outputs.append(Output("booklet", booklet, sides))
        if "epub" in formats:
            target = out / f"{slug}.epub"
            pages = print_edition.page_list()
            _write(target, diagnostics, lambda: write_epub(rendered, target, dates, pages))
            outputs.append(Output("epub", target))
    return BuildResult(book, tuple(outputs), diagnostics)


class _PrintEdition:
    """The print layout, made once per build, and its page starts kept for the next build:
    the EPUB's page list needs them, and an EPUB-only build of unchanged sources reuses
    them instead of laying the book out again."""

    def __init__(
        self,
        rendered: RenderedBook,
        dates: BuildDates,
        diagnostics: Diagnostics,
        cache: Cache,
        options: PrintOptions,
        limits: Limits,
    ) -> None:
        self.rendered, self.dates, self.diagnostics, self.cache = (
            rendered,
            dates,
            diagnostics,
            cache,
        )
        self.options = options
        self._layout: PrintLayout | None = None
        self.limits = limits

    def layout(self) -> PrintLayout:
        from .pdf import PrintLayout, lay_out  # WeasyPrint is slow to import

        if self._layout is None:
            try:
                with deadline(self.limits.layout_seconds, "laying out the PDF", "layout_seconds"):
                    self._layout = lay_out(
                        self.rendered, self.dates, self.diagnostics, self.options
                    )
            except TimeLimitExceeded as problem:
                self.diagnostics.error(self.rendered.book.location, str(problem), "limit")
                raise BookError(self.diagnostics) from None
            pages = PageList(self._layout.paper, self._layout.starts)
            self.cache.put("pages", self._key(), pages.dumps())
        assert isinstance(self._layout, PrintLayout)
        return self._layout

    def write(self, layout: PrintLayout, target: Path) -> None:
        from .pdf import write_pdf

        write_pdf(layout, target, self.diagnostics)

    def _key(self) -> str:
        from .pdf import layout_key

        return layout_key(self.rendered, self.dates, self.options)

    def page_list(self) -> PageList:
        if self._layout is None:
            cached = self.cache.get("pages", self._key())
            if cached is not None:
                return PageList.loads(cached)
        layout = self.layout()
        return PageList(layout.paper, layout.starts)


def citation_engine(book: Book, diagnostics: Diagnostics) -> CslEngine:
    """The book's CSL style, ready to format; an unusable style is an error at its line."""
    try:
        return CslEngine(find_style(book.citation_style), book.meta.language, book.sources)
    except StyleError as problem:
        location = book.settings.get("citation_style", book.location)
        diagnostics.error(location, str(problem), "citation-style")
        raise BookError(diagnostics) from None


def write_booklet(pdf: Path, target: Path, options: PrintOptions) -> int:
    """The PDF's pages imposed for saddle-stitch printing; returns the sheet sides."""
    source = pdf.read_bytes()
    sides = 0

    def write(stream: BinaryIO) -> None:
        nonlocal sides
        sides = impose(source, stream, options.signature, PAPERS[options.paper].sheet)

    write_atomically(target, write)
    return sides


def _check_output(out: Path, book: Book, diagnostics: Diagnostics) -> None:
    try:
        check_output_folder(out, book.root)
    except OutputError as refused:
        diagnostics.error(Location(out), str(refused), "output")
        raise BookError(diagnostics) from None


def _write(target: Path, diagnostics: Diagnostics, write: Callable[[], T]) -> T:
    """Run one backend; a failure to write becomes an error naming the output file."""
    try:
        return write()
    except (OutputError, OSError) as failure:
        message = failure.strerror if isinstance(failure, OSError) else str(failure)
        diagnostics.error(Location(target), f"could not write: {message}", "output")
        raise BookError(diagnostics) from None
