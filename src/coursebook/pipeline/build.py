"""The build, top to bottom: load, parse, notes, render, write each format."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from ..core.cache import CACHE_FOLDER, Cache, cache_key
from ..core.diagnostics import BookError, Diagnostics, Location
from ..core.limits import Limits
from ..core.output import (
    OutputError,
    OutputSet,
    check_output_folder,
    output_lock,
    recover,
    recover_early,
    staged_outputs,
)
from ..core.progress import Progress, Silent
from ..formats import registry
from ..formats.base import Job, Output, OutputFormat, PageStarts, Stage, Started
from ..model import Book
from ..render.builddate import build_dates
from . import uptodate
from .loading import format_settings, the_book
from .packs import pack_slug

# The stages' modules (Markdown, ebooklib, WeasyPrint…) are imported when a
# stage runs, so that a build with nothing to do, --help and check --quick start fast.
if TYPE_CHECKING:
    from ..cite.csl import CitationEngine
    from ..parse.lessons import ParsedLesson
    from ..render.rendered_book import RenderedBook

T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    """How to build, beyond what book.yaml says."""

    format_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """By format name, settings that replace the format's own in book.yaml, by their names
    there: ``{"pdf": {"paper": "letter", "qr": True}}``; a wrong one raises
    :class:`~coursebook.formats.base.SettingsError`."""
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
    """Processes a format may use side by side (the print edition's parts laid out, for
    the PDF or for the EPUB's page list). More than one needs the caller's main module to be
    importable without side effects (multiprocessing's spawn); the command line uses one per
    core."""


@dataclass(frozen=True)
class BuildResult:
    source: Book | Path
    """The book built, or its folder when the build found nothing to do without reading
    it (see :attr:`book`)."""
    outputs: tuple[Output, ...]
    diagnostics: Diagnostics
    notes: int = 0
    """Notes in the book (citations and authored footnotes)."""
    sources: int = 0
    """Sources the book lists: those its lessons cite (a pack's, those of its lessons)."""
    up_to_date: bool = False
    """Nothing was written: the outputs there came from these sources and options."""
    lessons: int = 0
    """Lessons in the book (a pack's, its own)."""
    pack: str | None = None
    """The lessons option the book was cut down with."""

    @cached_property
    def book(self) -> Book:
        """The book, read from its folder when first asked for after a build that had
        nothing to do."""
        if isinstance(self.source, Book):
            return self.source
        return the_book(self.source, self.pack, Limits(), Diagnostics())


def build(
    book: Book | str | Path,
    formats: Sequence[str] | None = None,
    out_dir: str | Path = "dist",
    options: BuildOptions | None = None,
    *,
    diagnostics: Diagnostics | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build ``book`` (a loaded :class:`Book`, or its folder) into ``out_dir`` as
    ``<slug>.epub``, ``<slug>.pdf``… : one file per format named (default: the formats of
    :func:`coursebook.formats.registry.defaults`).

    Raises :class:`BookError` with every problem found when the book has errors; nothing is
    written then, and earlier outputs stay as they were. Warnings are in the result's
    ``diagnostics`` (and in ``diagnostics``, when given).
    """
    options = options or BuildOptions()
    chosen = registry.chosen(registry.defaults() if formats is None else formats)
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    progress = progress or Silent()
    out = Path(out_dir)
    if not isinstance(book, Book) and not (options.force or options.allow_remote):
        unchanged = _unchanged(Path(book), chosen, out, options, diagnostics)
        if unchanged is not None:
            return unchanged
    folder = book
    needed = any(lays_out(f) for f in chosen)
    # Started before the book is read: a worker takes a second to be ready, about what
    # reading and rendering a 40-lesson book takes after an edit.
    with layout_started(needed, options.jobs, _cache_unread(book, out)) as early:
        book = the_book(book, options.lessons, options.limits, diagnostics, progress)
        settings = format_settings(book, options.format_options, diagnostics)
        _check_output(out, book, diagnostics)
        cache = Cache.for_output(out, book.root)
        slug = pack_slug(book)
        if out.is_dir():  # a build killed while putting its outputs in place is finished first
            recover_early(out, slug, registry.file_names(slug))
        key = uptodate.fingerprint(book.roots, [f.name for f in chosen], options)
        if not (options.force or options.allow_remote):
            last = uptodate.recorded(cache, slug, key, out)
            if last is not None:
                return _as_recorded(book, last, out, diagnostics, options)
        rendered = prepare(book, diagnostics, options, cache, progress, early)
        diagnostics.check()  # nothing is written from a book with errors
        _make_output_folder(out, diagnostics)
        with output_lock(out, slug), staged_outputs(out, slug) as staged:
            recover(out, slug, registry.file_names(slug))
            stage = _stage(staged, diagnostics)
            jobs = Jobs(
                rendered,
                settings,
                diagnostics,
                cache,
                options,
                progress,
                stage,
                out / slug,
                early.started,
            )
            outputs = [output for f in chosen for output in f.write(jobs.job(f))]
            diagnostics.check()  # an error found while writing (a note lost): nothing written
            _commit(staged, diagnostics)
            uptodate.record(  # under the output lock, as the outputs it describes were put
                cache,
                slug,
                key,
                ((o.format, o.path, o.pages) for o in outputs),
                (len(book.lessons), rendered.notes.count, len(rendered.notes.bibliography)),
                diagnostics.warnings,
            )
            if not isinstance(folder, Book):
                uptodate.remember_book(cache, Path(folder), options.lessons, slug, book.roots)
    return BuildResult(
        book,
        tuple(outputs),
        diagnostics,
        rendered.notes.count,
        len(rendered.notes.bibliography),
        lessons=len(book.lessons),
    )


def _unchanged(
    folder: Path,
    chosen: Sequence[OutputFormat],
    out: Path,
    options: BuildOptions,
    diagnostics: Diagnostics,
) -> BuildResult | None:
    """The last build's outputs, when the book in ``folder`` and the options are those it
    was built from: found without reading the book (its name and folders remembered from
    the last build, its files hashed as they are). None when the build must run."""
    cache = _cache_unread(folder, out)
    if cache is None:
        return None
    known = uptodate.known_book(cache, folder, options.lessons)
    if known is None:
        return None
    slug, roots = known
    if not roots or roots[0] != folder.resolve():
        return None
    key = uptodate.fingerprint(roots, [f.name for f in chosen], options)
    last = uptodate.recorded(cache, slug, key, out)
    return None if last is None else _as_recorded(folder, last, out, diagnostics, options)


def lays_out(output_format: OutputFormat) -> bool:
    """Whether writing the format lays out the print edition (unless the cache knows it)."""
    return output_format is registry.PAGE_SOURCE or output_format.needs_page_starts


@contextlib.contextmanager
def layout_started(needed: bool, jobs: int, cache: Cache | None) -> Iterator[EarlyLayout]:
    """The print edition's layout started (on ``jobs`` cores, a worker warming up) while
    the book is read and rendered, when it will be ``needed``: at once, beside this process
    reading and parsing the book on one core; on a cold build (no earlier layout in the
    ``cache``: the citations are formatted too) stopped before the citations when there are
    many (see :meth:`EarlyLayout.before_citations`), the other workers started after them
    (:meth:`EarlyLayout.after_citations`); stopped at the end if the layout didn't use it
    (its parts all in the cache, an error in the book)."""
    early = EarlyLayout(needed, jobs, cold=cache is None or not cache.holds("part"))
    if cache is not None:  # else the build will refuse its output folder
        early.start()
    try:
        yield early
    finally:
        if early.started is not None:
            early.started.close(abandon=True)


class EarlyLayout:
    """What the page source started of its layout before the book is rendered, if anything
    (see :func:`layout_started`)."""

    def __init__(self, needed: bool, jobs: int, cold: bool = False) -> None:
        self.needed, self.jobs, self.cold = needed, jobs, cold
        self.started: Started | None = None

    def start(self) -> None:
        if self.needed and self.started is None:
            self.started = registry.PAGE_SOURCE.start(self.jobs)

    def before_citations(self, citations: int) -> None:
        """A cold build's worker stopped before its ``citations`` go to pandoc's citeproc when
        they are too many to be formatted side by side (see
        :data:`coursebook.cite.csl.SIDE_BY_SIDE`): they are then one of the two moments a
        build's process tree is largest (690 MB at 160 lessons, pandoc's memory growing with
        them), which a warm worker (65 MB) would make larger; the workers, started once the
        book is rendered, are busy at once there. With fewer, the worker is warm before they
        are formatted, its start not taking a core from citeproc's two processes (on the
        40-lesson course, formatting them took 1.70–1.83 s with the worker started as they
        went to citeproc, 1.34–1.58 s with it started before the book is read: four runs
        each)."""
        from ..cite.csl import SIDE_BY_SIDE  # imported by then: the citations' engine

        if self.cold and citations > SIDE_BY_SIDE and self.started is not None:
            self.started.close(abandon=True)
            self.started = None

    def after_citations(self, parts: int) -> None:
        """A cold build's other workers started once the citations are formatted, when the
        body has ``parts`` to lay out side by side: they warm up while this process renders
        the book on one core, and start their first part with the first worker's. Started
        when the parts are handed out, the second worker began its first part 0.65 s after
        the first on the 40-lesson course (timestamps), and the two finished the body 1.5 s
        apart. Not with many citations, where the first worker was stopped (see
        :meth:`before_citations`)."""
        if self.cold and parts >= 2 and self.started is not None:
            self.started.more(min(self.jobs, parts))


class Jobs:
    """What each format of one build is given: the same rendering, dates and page starts
    (laid out at most once, by whichever format needs them first), its own settings."""

    def __init__(
        self,
        rendered: RenderedBook,
        settings: Mapping[str, Any],
        diagnostics: Diagnostics,
        cache: Cache,
        options: BuildOptions,
        progress: Progress,
        stage: Stage,
        stem: Path,
        started: Started | None = None,
    ) -> None:
        self.rendered, self.settings, self.diagnostics = rendered, settings, diagnostics
        self.cache, self.options, self.progress, self.stage = cache, options, progress, stage
        self.stem = stem
        """``<out>/<slug>``: each format's file is this and its suffix."""
        self.started = started
        """What the page source started early (see :func:`layout_started`)."""
        self.dates = build_dates(rendered.book.meta)
        source = registry.PAGE_SOURCE
        self.page_starts = PageStarts(lambda: source.page_starts(self.job(source)))

    def job(self, output_format: OutputFormat) -> Job:
        return Job(
            self.rendered,
            self.settings[output_format.name],
            self.stem.with_name(self.stem.name + output_format.suffix),
            self.stage,
            self.dates,
            self.diagnostics,
            self.cache,
            self.options.limits,
            self.progress,
            self.page_starts,
            self.options.jobs,
            self.started,
        )


def _stage(staged: OutputSet, diagnostics: Diagnostics) -> Stage:
    """Files written into the build's staging area; a failure to write one is an error
    naming it."""

    def stage(target: Path, write: Callable[[BinaryIO], None]) -> Path:
        try:
            return staged.stage(target, write)
        except (OutputError, OSError) as failure:
            message = failure.strerror if isinstance(failure, OSError) else str(failure)
            diagnostics.error(Location(target), f"could not write: {message}", "output")
            raise BookError(diagnostics) from None

    return stage


def _commit(staged: OutputSet, diagnostics: Diagnostics) -> None:
    """Every output put in place, or a failure that says exactly what was."""
    try:
        staged.commit()
    except OutputError as failure:
        target = staged.written[-1] if staged.written else staged.out_dir
        diagnostics.error(Location(target), str(failure), "output")
        raise BookError(diagnostics, written=tuple(staged.written)) from None


def _as_recorded(
    book: Book | Path,
    last: uptodate.Recorded,
    out: Path,
    diagnostics: Diagnostics,
    options: BuildOptions,
) -> BuildResult:
    diagnostics.extend(p for p in last.problems if p not in diagnostics.items)
    outputs = tuple(Output(fmt, out / name, pages) for fmt, name, pages in last.outputs)
    return BuildResult(
        book,
        outputs,
        diagnostics,
        last.notes,
        last.sources,
        up_to_date=True,
        lessons=last.lessons,
        pack=options.lessons,
    )


def remote_folder(cache: Cache) -> Path:
    """Where the images of ``--allow-remote`` hosts are kept once downloaded."""
    return cache.folder / "remote"


def prepare(
    book: Book,
    diagnostics: Diagnostics,
    options: BuildOptions,
    cache: Cache,
    progress: Progress | None = None,
    early: EarlyLayout | None = None,
) -> RenderedBook:
    """The stages both formats share: lessons parsed, notes resolved, the book rendered
    (the ``early`` layout told how many citations there are before they are formatted,
    and how many parts the body has at least once they are)."""
    from ..cite.notes import resolve_notes
    from ..parse.lessons import parse_book
    from ..parse.lessons.memo import ConvertedMemo
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
    memo = ConvertedMemo(cache, book.root, book.meta.language)
    parsed = parse_book(book, diagnostics, options.limits, remote, progress, memo)
    progress.finish()
    book = _with_cited_data(book, parsed, diagnostics)
    citations = sum(len(p.citations) for p in parsed.values())
    if early is not None:
        early.before_citations(citations)
    progress.stage("formatting citations", citations)
    engine = citation_engine(book, diagnostics, cache, options.limits)
    with _style_failures(book, diagnostics):
        notes = resolve_notes(book, parsed, engine, diagnostics, progress)
    if not diagnostics.errors:  # a failed build writes nothing, not even its cache
        memo.save()
        engine.save_memo()
    progress.finish()
    if early is not None and not diagnostics.errors:  # else no layout follows
        early.after_citations(len(book.chapters) + len(book.appendices))
    return render_book(book, parsed, notes, diagnostics)


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


def _cache_unread(book: Book | str | Path, out: Path) -> Cache | None:
    """The cache of the builds into ``out``, looked into before the book is read; None
    when the build will refuse the folder (it says why once it has read the book: see
    :func:`_check_output`)."""
    root = book.root if isinstance(book, Book) else Path(book)
    try:
        check_output_folder(out, root)
    except OutputError:
        return None
    return Cache.for_output(out, root)


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
