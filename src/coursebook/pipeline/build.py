"""The build, top to bottom: load, parse, notes, render, write each format."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from ..core.cache import CACHE_FOLDER, Cache, cache_key
from ..core.diagnostics import BookError, Diagnostics, Location
from ..core.limits import Limits, TimeLimitExceeded, deadline
from ..core.output import (
    OutputError,
    OutputSet,
    check_output_folder,
    output_lock,
    recover,
    recover_early,
    staged_outputs,
)
from ..core.printing import PAPERS, PrintOptions
from ..core.progress import Progress, Silent
from ..model import Book
from ..render.builddate import BuildDates, build_dates
from ..source.loader import load
from . import uptodate
from .packs import pack_slug, select_lessons

# The stages' modules (Markdown, ebooklib, WeasyPrint…) are imported when a
# stage runs, so that a build with nothing to do, --help and check --quick start fast.
if TYPE_CHECKING:
    from ..cite.csl import CitationEngine
    from ..formats.pdf.edition import PrintLayout
    from ..parse.lessons import ParsedLesson
    from ..render.pagemap import PageList
    from ..render.rendering import RenderedBook

FORMATS = ("epub", "pdf")
T = TypeVar("T")


@dataclass(frozen=True)
class Output:
    format: str
    path: Path
    pages: int | None = None


@dataclass(frozen=True)
class BuildOptions:
    """How to build, beyond what book.yaml says."""

    print_overrides: Mapping[str, Any] = field(default_factory=dict)
    """Replacements for book.yaml's ``print:`` settings (names of :class:`PrintOptions`
    fields); a wrong value raises :class:`PrintOptionError`."""
    lessons: str | None = None
    """A pack of some lessons instead of the whole book (see :mod:`coursebook.packs`); a
    selection naming no lesson raises :class:`SelectionError`."""
    limits: Limits = field(default_factory=Limits)
    """What the book may ask of the machine."""
    allow_remote: tuple[str, ...] = ()
    """Hosts whose images lessons may show (over https); nothing else is fetched."""
    force: bool = False
    """Build even when the sources and options are those of the outputs already there."""
    jobs: int = 1
    """Processes that may lay out parts of the print edition side by side, when its pages
    aren't kept (an EPUB built alone, a check). More than one needs the caller's main
    module to be importable without side effects (multiprocessing's spawn); the command
    line uses one per core."""


@dataclass(frozen=True)
class BuildResult:
    book: Book
    outputs: tuple[Output, ...]
    diagnostics: Diagnostics
    notes: int = 0
    """Notes in the book (citations and authored footnotes)."""
    up_to_date: bool = False
    """Nothing was written: the outputs there came from these sources and options."""


def build(
    book: Book | str | Path,
    formats: Sequence[str] = FORMATS,
    out_dir: str | Path = "dist",
    options: BuildOptions | None = None,
    *,
    diagnostics: Diagnostics | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build ``book`` (a loaded :class:`Book`, or its folder) into ``out_dir`` as
    ``<slug>.epub`` and ``<slug>.pdf``.

    Raises :class:`BookError` with every problem found when the book has errors; nothing is
    written then, and earlier outputs stay as they were. Warnings are in the result's
    ``diagnostics`` (and in ``diagnostics``, when given).
    """
    options = options or BuildOptions()
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    progress = progress or Silent()
    out = Path(out_dir)
    book = _the_book(book, options, diagnostics, progress)
    _check_output(out, book, diagnostics)
    cache = Cache.for_output(out)
    slug = pack_slug(book)
    if out.is_dir():  # a build killed while putting its outputs in place is finished first
        recover_early(out, slug, output_names(slug))
    print_options = replace(book.print_options, **options.print_overrides)
    key = uptodate.fingerprint(book.roots, formats, options)
    if not (options.force or options.allow_remote):
        last = uptodate.recorded(cache, slug, key, out)
        if last is not None:
            return _as_recorded(book, last, out, diagnostics)
    rendered = prepare(book, diagnostics, options, cache, progress)
    diagnostics.check()  # nothing is written from a book with errors
    _make_output_folder(out, diagnostics)
    dates = build_dates(book.meta)
    print_edition = PrintEdition(
        rendered, dates, diagnostics, cache, print_options, options.limits, progress, options.jobs
    )
    with output_lock(out, slug), staged_outputs(out, slug) as staged:
        recover(out, slug, output_names(slug))
        outputs = _stage(formats, out / slug, staged, print_edition, diagnostics)
        _commit(staged, diagnostics)
        uptodate.record(
            cache,
            slug,
            key,
            ((o.format, o.path, o.pages) for o in outputs),
            rendered.notes.count,
            diagnostics.warnings,
        )
    return BuildResult(book, tuple(outputs), diagnostics, rendered.notes.count)


def output_names(slug: str) -> tuple[str, ...]:
    """The files a build of ``slug`` may write into its output folder."""
    return (f"{slug}.pdf", f"{slug}-booklet.pdf", f"{slug}.epub")


def _stage(
    formats: Sequence[str],
    stem: Path,
    staged: OutputSet,
    print_edition: PrintEdition,
    diagnostics: Diagnostics,
) -> list[Output]:
    """Each output written to its temporary file; nothing is put in place yet."""
    outputs = []
    progress = print_edition.progress
    if "pdf" in formats:
        target = stem.with_name(stem.name + ".pdf")
        layout = print_edition.layout()
        progress.stage("writing the PDF")
        pdf = _write(
            target, diagnostics, lambda: staged.stage(target, print_edition.writer(layout))
        )
        progress.finish()
        outputs.append(Output("pdf", target, layout.pages))
        if print_edition.options.booklet:
            booklet = stem.with_name(stem.name + "-booklet.pdf")
            sides = _write(
                booklet,
                diagnostics,
                lambda: _stage_booklet(pdf, booklet, staged, print_edition.options),
            )
            outputs.append(Output("booklet", booklet, sides))
    if "epub" in formats:
        from ..formats.epub.writer import write_epub

        target = stem.with_name(stem.name + ".epub")
        pages = print_edition.page_list()
        rendered, dates = print_edition.rendered, print_edition.dates
        progress.stage("writing the EPUB")
        _write(
            target,
            diagnostics,
            lambda: staged.stage(target, lambda s: write_epub(rendered, s, dates, pages)),
        )
        progress.finish()
        outputs.append(Output("epub", target))
    return outputs


def _commit(staged: OutputSet, diagnostics: Diagnostics) -> None:
    """Every output put in place, or a failure that says exactly what was."""
    try:
        staged.commit()
    except OutputError as failure:
        target = staged.written[-1] if staged.written else staged.out_dir
        diagnostics.error(Location(target), str(failure), "output")
        raise BookError(diagnostics, written=tuple(staged.written)) from None


def _as_recorded(
    book: Book, last: uptodate.Recorded, out: Path, diagnostics: Diagnostics
) -> BuildResult:
    diagnostics.extend(p for p in last.problems if p not in diagnostics.items)
    outputs = tuple(Output(fmt, out / name, pages) for fmt, name, pages in last.outputs)
    return BuildResult(book, outputs, diagnostics, last.notes, up_to_date=True)


def _the_book(
    book: Book | str | Path, options: BuildOptions, diagnostics: Diagnostics, progress: Progress
) -> Book:
    """The book to build: loaded from its folder (going on past errors, so that every
    problem is reported), and cut down to a pack when ``options.lessons`` asks for one."""
    if isinstance(book, Book):
        diagnostics.extend(book.problems)
    else:
        progress.stage("reading the book")
        book = load(book, diagnostics, check=False, limits=options.limits)
        progress.finish()
    if options.lessons:
        book = select_lessons(book, options.lessons)
    return book


def remote_folder(cache: Cache) -> Path:
    """Where the images of ``--allow-remote`` hosts are kept once downloaded."""
    return cache.folder / "remote"


def prepare(
    book: Book,
    diagnostics: Diagnostics,
    options: BuildOptions,
    cache: Cache,
    progress: Progress | None = None,
) -> RenderedBook:
    """The stages both formats share: lessons parsed, notes resolved, the book rendered."""
    from ..cite.notes import resolve_notes
    from ..parse.lessons import parse_book
    from ..parse.remote import RemoteImages
    from ..render.rendering import render_book

    progress = progress or Silent()
    remote = (
        RemoteImages(
            frozenset(host.lower() for host in options.allow_remote),
            remote_folder(cache),
            options.limits.image_bytes,
        )
        if options.allow_remote
        else None
    )
    progress.stage("parsing lessons", sum(1 for _ in book.documents()))
    parsed = parse_book(book, diagnostics, options.limits, remote, progress)
    progress.finish()
    book = _with_cited_data(book, parsed, diagnostics)
    citations = sum(len(p.citations) for p in parsed.values())
    progress.stage("formatting citations", citations)
    engine = citation_engine(book, diagnostics, cache, options.limits)
    with _style_failures(book, diagnostics):
        notes = resolve_notes(book, parsed, engine, diagnostics, progress)
    if not diagnostics.errors:  # a failed build writes nothing, not even its cache
        engine.save_memo()
    progress.finish()
    return render_book(book, parsed, notes, diagnostics)


class PrintEdition:
    """The print layout, made at most once per build. The PDF is made of its pages; the
    EPUB's page list only needs where they begin, which the cache keeps part by part, so an
    EPUB built alone lays out only the parts that changed (see :mod:`coursebook.paging`)."""

    def __init__(
        self,
        rendered: RenderedBook,
        dates: BuildDates,
        diagnostics: Diagnostics,
        cache: Cache,
        options: PrintOptions,
        limits: Limits,
        progress: Progress,
        jobs: int = 1,
    ) -> None:
        self.rendered, self.dates, self.diagnostics = rendered, dates, diagnostics
        self.cache, self.options, self.limits, self.progress = cache, options, limits, progress
        self.jobs = jobs
        self._layout: PrintLayout | None = None

    def layout(self) -> PrintLayout:
        if self._layout is None:
            from ..formats.pdf.edition import lay_out  # WeasyPrint is slow to import

            layout = self._timed(
                lambda: lay_out(
                    self.rendered, self.dates, self.diagnostics, self.options, self.cache
                )
            )
            self.progress.finish(f"{layout.pages} pages")
            self._layout = layout
        return self._layout

    def writer(self, layout: PrintLayout) -> Callable[[BinaryIO], None]:
        """What writes the laid-out book as PDF into a stream."""
        from ..formats.pdf.edition import write_pdf

        return lambda stream: write_pdf(layout, stream, self.diagnostics)

    def page_list(self) -> PageList:
        from ..render.pagemap import PageList

        if self._layout is not None:
            return PageList(self._layout.paper, self._layout.starts)
        from ..formats.pdf.paging import PartLayout

        layout = PartLayout(
            self.rendered, self.dates, self.diagnostics, self.options, self.cache, self.jobs
        )
        pages = self._timed(lambda: layout.lay_out(keep_pages=False))
        self.progress.finish(
            f"{len(pages.labels)} pages, {len(layout.fresh)} of {layout.parts} parts laid out"
        )
        return PageList(self.options.paper_name, pages.starts())

    def _timed(self, lay_out: Callable[[], T]) -> T:
        """A layout within the time the limits allow."""
        self.progress.stage("laying out pages")
        try:
            with deadline(self.limits.layout_seconds, "laying out the PDF", "layout_seconds"):
                return lay_out()
        except TimeLimitExceeded as problem:
            self.diagnostics.error(self.rendered.book.location, str(problem), "limit")
            raise BookError(self.diagnostics) from None


def _with_cited_data(
    book: Book, parsed: Mapping[str, ParsedLesson], diagnostics: Diagnostics
) -> Book:
    """The book, the cited entries of a large BibTeX file read now (see
    :func:`coursebook.sources.with_cited_data`); as it was when there is none."""
    from ..source.bibtex import DEFERRED
    from ..source.sources import with_cited_data

    if not any(DEFERRED in source.data for source in book.sources.values()):
        return book
    keys = [item.key for p in parsed.values() for c in p.citations for item in c.items]
    sources = with_cited_data(book.sources, keys, book.bibtex, diagnostics, book.meta.language)
    return replace(book, sources=sources)


@contextlib.contextmanager
def _style_failures(book: Book, diagnostics: Diagnostics) -> Iterator[None]:
    """Pandoc failing on the book's citations (a style of the book's own it can't read, most
    likely) is an error at the line naming the style."""
    from ..cite.csl import CiteprocError

    try:
        yield
    except CiteprocError as failure:
        if failure.code == "limit":
            diagnostics.error(book.location, str(failure), "limit")
            raise BookError(diagnostics) from None
        if failure.code == "output":
            diagnostics.error(book.location, str(failure), "output")
            raise BookError(diagnostics) from None
        style = book.citation_style
        where = book.settings.get("citation_style", book.location)
        name = f"'{style.name}'" if style is not None else "the default style"
        diagnostics.error(
            where, f"citations could not be formatted with {name}: {failure}", "citation-style"
        )
        raise BookError(diagnostics) from None


def citation_engine(
    book: Book,
    diagnostics: Diagnostics,
    cache: Cache | None = None,
    limits: Limits | None = None,
) -> CitationEngine:
    """The book's CSL style, ready to format (a style that could not be used was reported
    when the book was loaded; the default one stands in, so that the citations' own problems
    are found too). With a cache, chapters formatted by earlier builds are taken from it."""
    from ..cite.csl import CitationEngine
    from ..source.csl_style import named_style

    style = book.citation_style or named_style(None)
    limits = limits or Limits()
    name = cache_key(str(book.root), book.meta.language)
    return CitationEngine(
        style,
        book.meta.language,
        book.sources,
        cache,
        name,
        limits.citations_seconds,
        book.bibtex,
    )


def _stage_booklet(pdf: Path, target: Path, staged: OutputSet, options: PrintOptions) -> int:
    """The PDF's pages (read from its staged file) imposed for saddle-stitch printing;
    returns the sheet sides."""
    from ..formats.pdf.booklet import impose

    source = pdf.read_bytes()
    sides = 0

    def write(stream: BinaryIO) -> None:
        nonlocal sides
        sides = impose(source, stream, options.signature, PAPERS[options.paper].sheet)

    staged.stage(target, write)
    return sides


def _check_output(out: Path, book: Book, diagnostics: Diagnostics) -> None:
    """The output folder: not among the sources (made later, once the book is known to
    have no errors: a failed build writes nothing at all)."""
    try:
        check_output_folder(out, book.root)
    except OutputError as refused:
        diagnostics.error(Location(out), str(refused), "output")
        raise BookError(diagnostics) from None


def _make_output_folder(out: Path, diagnostics: Diagnostics) -> None:
    """The output folder and its cache folder, made before the work, so that a folder that
    can't be written is said then, not after the layout."""
    try:
        (out / CACHE_FOLDER).mkdir(parents=True, exist_ok=True)
        if not os.access(out, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as failure:
        diagnostics.error(
            Location(out), f"cannot write into the output folder: {failure.strerror}", "output"
        )
        raise BookError(diagnostics) from None


def _write(target: Path, diagnostics: Diagnostics, write: Callable[[], T]) -> T:
    """Run one backend; a failure to write becomes an error naming the output file."""
    try:
        return write()
    except (OutputError, OSError) as failure:
        message = failure.strerror if isinstance(failure, OSError) else str(failure)
        diagnostics.error(Location(target), f"could not write: {message}", "output")
        raise BookError(diagnostics) from None
