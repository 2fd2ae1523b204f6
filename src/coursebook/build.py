"""The build, top to bottom: load, parse, notes, render, write each format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .builddate import build_dates
from .csl import CslEngine, StyleError, find_style
from .diagnostics import BookError, Diagnostics, Location
from .epub import write_epub
from .lessons import parse_book
from .loader import load
from .model import Book
from .naming import slugify
from .notes import resolve_notes
from .output import OutputError, check_output_folder
from .render import render_book

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
) -> BuildResult:
    """Build the book in ``book_dir`` into ``out_dir`` as ``<slug>.epub`` and ``<slug>.pdf``.

    Raises :class:`BookError` with every problem found when the book has errors; nothing is
    written then, and earlier outputs stay as they were.
    """
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    out = Path(out_dir)
    book = load(book_dir, diagnostics, check=False)  # go on: report later stages' errors too
    _check_output(out, book, diagnostics)
    parsed = parse_book(book, diagnostics)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    rendered = render_book(book, parsed, notes, diagnostics)
    diagnostics.check()  # nothing is written from a book with errors
    dates = build_dates(book.meta)
    slug = slugify(book.meta.title)
    outputs = []
    if "epub" in formats:
        target = out / f"{slug}.epub"
        _write(target, diagnostics, lambda: write_epub(rendered, target, dates))
        outputs.append(Output("epub", target))
    if "pdf" in formats:
        from .pdf import write_pdf  # WeasyPrint is slow to import

        target = out / f"{slug}.pdf"
        pages = _write(target, diagnostics, lambda: write_pdf(rendered, target, dates, diagnostics))
        outputs.append(Output("pdf", target, pages))
    return BuildResult(book, tuple(outputs), diagnostics)


def citation_engine(book: Book, diagnostics: Diagnostics) -> CslEngine:
    """The book's CSL style, ready to format; an unusable style is an error at its line."""
    try:
        return CslEngine(find_style(book.citation_style), book.meta.language, book.sources)
    except StyleError as problem:
        location = book.settings.get("citation_style", book.location)
        diagnostics.error(location, str(problem), "citation-style")
        raise BookError(diagnostics) from None


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
