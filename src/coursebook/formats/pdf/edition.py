"""The print edition as a whole: laid out (part by part, see :mod:`.paging`) and written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ...core.cache import Cache
from ...core.diagnostics import Diagnostics
from ...core.gcpause import fewer_collections
from ...core.printing import PrintOptions
from ...render.builddate import BuildDates
from ...render.pagemap import PageStart
from ...render.rendering import RenderedBook
from .layout import WeasyPrintLog
from .paging import PartLayout


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out print edition."""

    document: Any
    """WeasyPrint's document, ready to write."""
    manifest: Path
    starts: tuple[PageStart, ...]
    """Where each page begins in the book's text (for the EPUB's page list)."""
    paper: str
    """The paper the pages are set on, as the page list's source names it."""
    variant: str | None = None
    """The PDF standard to write to (``pdf/a-3b``, ``pdf/ua-1``)."""
    first_body: int = 0
    """The index of the first page numbered in arabic (the front matter is in roman)."""

    @property
    def pages(self) -> int:
        return len(self.document.pages)


def lay_out(
    rendered: RenderedBook,
    dates: BuildDates,
    diagnostics: Diagnostics,
    options: PrintOptions,
    cache: Cache | None = None,
) -> PrintLayout:
    """Lay the printed book out, without writing it."""
    layout = PartLayout(rendered, dates, diagnostics, options, cache)
    pages = layout.lay_out(keep_pages=True)
    return PrintLayout(
        layout.document(pages),
        rendered.book.manifest,
        pages.starts(),
        options.paper_name,
        options.variant,
        pages.first_body,
    )


def write_pdf(layout: PrintLayout, stream: BinaryIO, diagnostics: Diagnostics) -> None:
    """Write a laid-out book as PDF into ``stream``."""
    with WeasyPrintLog(layout.manifest, diagnostics), fewer_collections():
        layout.document.write_pdf(
            stream, pdf_variant=layout.variant, finisher=_page_labels(layout.first_body)
        )


def _page_labels(first_body: int) -> Callable[[Any, Any], None]:
    """A PDF viewer shows the numbers printed on the pages (roman, then arabic from 1), not
    the page's position: the PDF's /PageLabels say how they run."""

    def finish(document: Any, pdf: Any) -> None:
        import pydyf

        ranges = [0, pydyf.Dictionary({"S": "/r"})] if first_body else []
        ranges += [first_body, pydyf.Dictionary({"S": "/D"})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(ranges)})

    return finish
