"""The print edition laid out part by part: the front matter, each chapter, each appendix,
the sources appendix.

Every part starts on a page of its own (a right-hand page when printing on both sides), and
nothing flows from one part into the next: notes restart in each chapter, running heads are
the chapter's. So each part is laid out by WeasyPrint as a document of its own. This makes
the layout incremental and its repairs local:

- **What didn't change isn't laid out again.** A part's pages depend on its HTML (with the
  page numbers it prints for links to other parts), the stylesheets and the options, not on
  the number of its first page (printed in the margin only). So each part's page starts are
  kept in the cache folder by a hash of those, and an EPUB built after one lesson was edited
  lays out that lesson's chapter, not the book. For the PDF, each part is written as a PDF
  of its own as soon as it is laid out (its pages are then let go: the memory a build takes
  is a part's, not the book's), kept in the cache by that hash and its first page's number,
  and the parts' PDFs are joined (:mod:`.joining`: one copy of each font, links, outline,
  page labels and structure tree across parts).
- **A note that can't sit at the foot of its call's page** goes to the end of its lesson,
  a pointer at the foot of that page for all such notes of the page ("23–29. See the end
  of this lesson, p. 37."): only its part is laid out again. Every layout is checked for
  it (:func:`.footnotes.note_placement`); a note that can't be kept at its call even so
  fails the build. A paragraph with three hyphenated
  lines in a row is set again without hyphenation (:mod:`.hyphenation`), in the same way.
- **Page numbers that point across parts** are printed as text, not computed by WeasyPrint
  (which can't see into other documents): the sources appendix and the contents are laid
  out last, when every page is known; a link to a later lesson prints the number the last
  build gave it, and its part is laid out again if the number turns out to be wrong.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from typing import Any, BinaryIO

from ...cite.book_notes import BibliographyEntry
from ...core.cache import Cache, cache_key, file_bytes
from ...core.diagnostics import Diagnostic, Diagnostics
from ...core.gcpause import fewer_collections
from ...core.resources import stylesheet
from ...core.version import __version__
from ...parse.terms import IndexPlace
from ...render.appendices import index_appendix, sources_appendix
from ...render.builddate import BuildDates
from ...render.pagemap import PageStart, Place, numbered_starts, page_places
from ...render.rendered_book import RenderedBook
from . import page_numbers
from .footnotes import end_groups, fail_notes, note_placement, warn_notes
from .hyphenation import hyphen_runs, unhyphenated_css
from .joining import join, write_part
from .layout import Layout, css_string
from .parts import PartSpec, part_html, part_specs
from .settings import PrintOptions, page_css

LAYOUTS_FOR_NOTES = 4
"""At most this many layouts of a part to bring every note to the foot of its call's page."""
PASSES = 3
"""At most this many passes over the parts for the numbers of links to later parts to settle."""
UNKNOWN = "?"
"""The page printed for a link to a part never laid out before (corrected in a second pass)."""


@dataclass
class LaidPart:
    """A part, laid out: what the book needs to know of its pages."""

    count: int
    places: tuple[Place | None, ...]
    """Where each page begins in the text; None for a page without any."""
    anchors: dict[str, int]
    """The page (counted from the part's first) of every id in the part."""
    links: dict[str, str]
    """The page numbers it prints for links to other parts, by target id."""
    problems: tuple[Diagnostic, ...] = ()
    """What its layout found (a note too long for the foot of a page): said again when the
    part comes from the cache."""
    pdf: bytes | None = field(default=None, repr=False)
    """The part as a PDF of its own (see :mod:`.joining`), when laid out for the PDF."""
    pdf_key: str = ""
    """The cache key of :attr:`pdf`."""

    def dumps(self) -> str:
        return json.dumps(
            {
                "count": self.count,
                "places": self.places,
                "anchors": self.anchors,
                "links": self.links,
                "problems": [problem.as_data() for problem in self.problems],
            }
        )

    @classmethod
    def loads(cls, text: str) -> LaidPart:
        data = json.loads(text)
        places = tuple((p[0], p[1], p[2]) if p else None for p in data["places"])
        problems = tuple(Diagnostic.from_data(problem) for problem in data["problems"])
        return cls(data["count"], places, data["anchors"], data["links"], problems)


BLANK = None
"""A blank page in :attr:`Pages.sequence` (the left-hand page before a chapter)."""


@dataclass(frozen=True)
class Pages:
    """The print edition, placed: its parts and blank pages in order, and their numbers."""

    sequence: tuple[LaidPart | None, ...]
    labels: tuple[str, ...]
    """The number printed on (or, for a blank page, counted for) each page."""
    first_body: int
    """The index of the body's first page, where arabic numbering starts."""

    def starts(self) -> tuple[PageStart, ...]:
        places: list[Place | None] = []
        for item in self.sequence:
            places += [None] if item is BLANK else list(item.places)
        return numbered_starts(places, self.labels)

    def pdfs(self, blank: bytes) -> list[bytes]:
        """The PDF of each part and blank page, in order."""
        pdfs: list[bytes] = []
        for item in self.sequence:
            if item is BLANK:
                pdfs.append(blank)
            else:
                assert item.pdf is not None, "laid out without its PDF"
                pdfs.append(item.pdf)
        return pdfs


class PartLayout:
    """Lays the book out part by part (see the module's description)."""

    def __init__(
        self,
        rendered: RenderedBook,
        dates: BuildDates,
        diagnostics: Diagnostics,
        options: PrintOptions,
        cache: Cache | None,
        jobs: int = 1,
    ) -> None:
        self.rendered, self.dates, self.diagnostics = rendered, dates, diagnostics
        self.options, self.cache, self.jobs = options, cache, jobs
        self._weasyprint: Layout | None = None  # made when a part must be laid out
        self._laid: dict[tuple[str, int | None], LaidPart] = {}
        self._styles = cache_key(
            file_bytes(stylesheet(name) for name in ("base.css", "print.css")),
            page_css(options),
            rendered.book.css_for("print"),
            # The images' bytes: an image replaced under the same name changes the pages
            # (its size) and the PDF (its pixels), not the HTML.
            "\n".join(sorted(f"{i.href} {i.checked.digest}" for i in rendered.images)),
            version("weasyprint"),
            __version__,
        )
        self.parts = 0
        """The parts of the book."""
        self.fresh: set[int] = set()
        """The parts (by their place in the book) that WeasyPrint laid out in this build:
        the others came from the cache."""

    @property
    def weasyprint(self) -> Layout:
        if self._weasyprint is None:
            self._weasyprint = Layout(self.rendered, self.diagnostics, self.options)
        return self._weasyprint

    def lay_out(self, keep_pages: bool) -> Pages:
        """Every part, placed and numbered. With ``keep_pages`` every part is laid out in
        this build (the PDF is made of its pages); without, parts come from the cache when
        their HTML, stylesheets and options are those of an earlier layout."""
        front, body, back = part_specs(self.rendered, self.options)
        self.parts = 1 + len(body) + (back is not None)
        guess = self._last_numbers()
        if not keep_pages:
            self._lay_out_ahead(body, guess)
        known: dict[str, str] = {}
        placed: list[tuple[LaidPart, int]] = []
        for _ in range(PASSES):
            previous, known, placed = known, {}, []
            number = 1
            # A link's page: from this pass (an earlier part), else the last pass, else the
            # last build.
            sources = (known, previous, guess)

            def page_of(target: str, sources: tuple[dict[str, str], ...] = sources) -> str:
                return next((s[target] for s in sources if target in s), UNKNOWN)

            for spec in body:
                number += self._blank_before(number)
                part = self._part(spec, number, page_of, keep_pages)
                known.update({anchor: str(number + i) for anchor, i in part.anchors.items()})
                placed.append((part, number))
                number += part.count
            if all(known.get(t) == n for part, _ in placed for t, n in part.links.items()):
                break
        back_part, back_number = None, number
        if back is not None:
            back_number += self._blank_before(number)
            back_part = self._back(back, back_number, known, placed, keep_pages)
            known.update({a: str(back_number + i) for a, i in back_part.anchors.items()})
        front_part = self._part(front, 1, lambda t: known.get(t, UNKNOWN), keep_pages, True)
        self._keep_numbers(known)
        if back_part is not None:
            placed.append((back_part, back_number))
        return self._pages(front_part, placed)

    def _lay_out_ahead(self, body: Sequence[PartSpec], guess: Mapping[str, str]) -> None:
        """The parts the cache doesn't know, laid out side by side on all cores before the
        passes place them (which then find them ready). Only when no pages are kept: pages
        can't leave the process that laid them out. A part whose links turn out to need
        other page numbers than the last build's is laid out again, in the passes."""
        wanted: list[tuple[PartSpec, dict[str, str], str]] = []
        for spec in body:
            links: dict[str, str] = {}

            def page_of(target: str, links: dict[str, str] = links) -> str:
                links[target] = guess.get(target, UNKNOWN)
                return links[target]

            html = part_html(self.rendered, self.dates, spec, page_of)
            key = cache_key(html, self._styles, "arabic")
            if self.cache is None or self.cache.get("part", key) is None:
                wanted.append((spec, links, key))
        workers = min(len(wanted), self.jobs)
        if workers < 2:
            return
        context = multiprocessing.get_context("spawn")  # see coursebook.catalog
        # The rendering goes to each worker once, not with each part: sent with every part,
        # it was pickled and unpickled 42 times for a 160-lesson book.
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_worker_start,
            initargs=(self.rendered, self.dates, self.options),
        )
        try:
            futures = {
                pool.submit(lay_out_alone, spec, links): (key, spec) for spec, links, key in wanted
            }
            for future in as_completed(futures):
                part, problems = future.result()
                key, spec = futures[future]
                self.diagnostics.extend(problems)
                self._laid[(key, None)] = part
                self.fresh.add(id(spec))
                if self.cache is not None:
                    self.cache.put("part", key, part.dumps())
        except BaseException:
            # A time limit, or Ctrl-C: the workers must not go on laying out.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            raise
        finally:
            pool.shutdown(cancel_futures=True)

    def _blank_before(self, number: int) -> int:
        """1 when a part starting on page ``number`` needs a blank page before it: printed on
        both sides, every part opens on a right-hand page, an odd one."""
        return 1 if self.options.double_sided and number % 2 == 0 else 0

    def _pages(self, front: LaidPart, placed: Sequence[tuple[LaidPart, int]]) -> Pages:
        sequence: list[LaidPart | None] = [front]
        blank_after_front = self.options.double_sided and front.count % 2 == 1
        if blank_after_front:
            sequence.append(BLANK)
        first_body = front.count + blank_after_front
        labels = [page_numbers.roman(i + 1) for i in range(first_body)]
        number = 1
        for part, start in placed:
            while number < start:  # the blank page before a part, counted in the numbering
                sequence.append(BLANK)
                labels.append(str(number))
                number += 1
            sequence.append(part)
            labels += [str(n) for n in range(start, start + part.count)]
            number = start + part.count
        return Pages(tuple(sequence), tuple(labels), first_body)

    def write(self, pages: Pages, stream: BinaryIO) -> None:
        """The PDF: the parts' PDFs joined (see :mod:`.joining`)."""
        blank = self._written(self.weasyprint.blank_document())
        join(pages.pdfs(blank), pages.first_body, stream)
        if self.cache is not None:
            # The PDFs of the parts as placed: not those of a pass whose numbers moved.
            kept = [item.pdf_key for item in pages.sequence if item is not BLANK]
            self.cache.keep_only(self._pdf_kind, kept)

    @property
    def _pdf_kind(self) -> str:
        """The cache's name for this book's part PDFs (an output folder may hold a catalog:
        each book's are pruned apart)."""
        return f"part-pdf-{self._book_key()[:16]}"

    # --- one part ------------------------------------------------------------------------

    def _part(
        self,
        spec: PartSpec,
        number: int,
        page_of: Callable[[str], str],
        keep_pages: bool,
        roman: bool = False,
    ) -> LaidPart:
        links: dict[str, str] = {}

        def printed_page(target: str) -> str:
            links[target] = page_of(target)
            return links[target]

        html = part_html(self.rendered, self.dates, spec, printed_page)
        key = cache_key(html, self._styles, "roman" if roman else "arabic")
        memo = (key, number if keep_pages else None)
        if memo in self._laid:
            return self._laid[memo]
        # A part's PDF prints the number of its first page: kept by that number too.
        pdf_key = cache_key(key, str(number), self.options.pdf_variant or "")
        kept = self.cache.get("part", key) if self.cache is not None else None
        pdf = (
            self.cache.get_bytes(self._pdf_kind, pdf_key)
            if self.cache is not None and kept and keep_pages
            else None
        )
        if kept is not None and (pdf is not None or not keep_pages):
            part = replace(LaidPart.loads(kept), pdf=pdf)
            self.diagnostics.extend(part.problems)
        else:
            part = self._lay_out_part(spec, number, printed_page, links, roman, html, keep_pages)
            if keep_pages:
                # Its pages are written and let go: collected now, before the next part's
                # layout freezes what is alive (see coursebook.core.gcpause).
                gc.collect()
            self.fresh.add(id(spec))
            if self.cache is not None:
                self.cache.put("part", key, part.dumps())
                if part.pdf is not None:
                    self.cache.put_bytes(self._pdf_kind, pdf_key, part.pdf)
        if keep_pages:
            part.pdf_key = pdf_key
        self._laid[memo] = part
        return part

    def _lay_out_part(
        self,
        spec: PartSpec,
        number: int,
        printed_page: Callable[[str], str],
        links: dict[str, str],
        roman: bool,
        html: str,
        write: bool = False,
    ) -> LaidPart:
        # The front matter is numbered in roman from 1 and names the book on its title page;
        # another part is told its first page's number and the book's title (for the running
        # heads of its left-hand pages).
        first_page = (
            ""
            if roman
            else f"@page :first {{ counter-reset: page {number} }}\n"
            f"html {{ string-set: book-title {css_string(self.rendered.book.meta.title)} }}"
        )
        said = len(self.diagnostics.items)  # what this layout finds is kept with the part
        endnotes: dict[str, int] = {}  # notes at the end of their lesson: their pointer group
        plain: frozenset[str] = frozenset()  # paragraphs set without hyphenation
        document = self.weasyprint.render(html, first_page)
        for attempt in range(LAYOUTS_FOR_NOTES):
            placement = note_placement(document, html)
            runs = hyphen_runs(document) - plain
            if not placement.out_of_place and not runs:
                break
            # Notes not at the foot of their call's page go to the end of their lesson, one
            # pointer for those called on a page; a pointer that can't stay there either
            # fails the build.
            groups = end_groups(placement, endnotes)
            last = attempt == LAYOUTS_FOR_NOTES - 1
            if placement.out_of_place and (groups == endnotes or last):
                labels = [
                    page_numbers.roman(i + 1) if roman else str(number + i)
                    for i in range(len(document.pages))
                ]
                fail_notes(self.rendered, placement, labels, self.diagnostics)
                break
            if last:
                break  # a run of hyphens left: counted by the print audit
            warn_notes(self.rendered, placement.too_tall - endnotes.keys(), self.diagnostics)
            if groups != endnotes:
                html = part_html(self.rendered, self.dates, spec, printed_page, groups)
            endnotes = groups
            plain |= runs
            document = None  # free the last layout before the next: memory, and GC time
            document = self.weasyprint.render(html, f"{first_page}\n{unhyphenated_css(plain)}")
        pages = list(document.pages)
        anchors: dict[str, int] = {}
        for index, page in enumerate(pages):
            for anchor in page.anchors:  # an element on several pages is on its first
                anchors.setdefault(anchor, index)
        places = page_places(pages)
        # Written now, the part's pages are let go before the next part is laid out: the
        # memory a build takes is a part's, not the book's.
        pdf = self._written(document) if write else None
        problems = tuple(self.diagnostics.items[said:])
        return LaidPart(len(pages), places, anchors, dict(links), problems, pdf)

    def _written(self, document: Any) -> bytes:
        with self.weasyprint.logging(), fewer_collections():
            return write_part(document, self.options.pdf_variant)

    def _back(
        self,
        spec: PartSpec,
        number: int,
        known: Mapping[str, str],
        placed: Sequence[tuple[LaidPart, int]],
        keep_pages: bool,
    ) -> LaidPart:
        """The sources appendix and the index, now that every page is known: "Cited on pp.
        6, 9." instead of the note by note list of the shared rendering, and the index's
        page numbers instead of its links by lesson."""
        order: dict[str, int] = {}
        for part, start in placed:
            order.update({anchor: start + page for anchor, page in part.anchors.items()})

        def cited_on(entry: BibliographyEntry) -> str:
            return page_numbers.cited_on(entry, order, known, self.rendered.labels)

        def pages_of(places: Sequence[IndexPlace]) -> str:
            return page_numbers.index_pages(places, order, known)

        printed = {
            "sources": lambda: sources_appendix(
                self.rendered.notes, self.rendered.labels, cited_on
            ),
            "index": lambda: index_appendix(self.rendered.index, self.rendered.labels, pages_of),
        }
        documents = tuple(
            replace(document, html=printed[document.kind]()) for document in spec.documents
        )
        return self._part(
            replace(spec, documents=documents), number, lambda t: known.get(t, UNKNOWN), keep_pages
        )

    # --- the page numbers of the last layout, for links to later parts ------------------

    def _last_numbers(self) -> dict[str, str]:
        kept = self.cache.get("numbers", self._book_key()) if self.cache is not None else None
        try:
            return dict(json.loads(kept)) if kept else {}
        except ValueError:
            return {}

    def _keep_numbers(self, numbers: Mapping[str, str]) -> None:
        if self.cache is not None:
            self.cache.put("numbers", self._book_key(), json.dumps(numbers, sort_keys=True))

    def _book_key(self) -> str:
        book = self.rendered.book
        return cache_key(str(book.root), book.pack or "", self._styles)


_WORKER: dict[str, Any] = {}
"""What a worker process of :meth:`PartLayout._lay_out_ahead` was started with."""


def _worker_start(rendered: RenderedBook, dates: BuildDates, options: PrintOptions) -> None:
    # One layout for the worker's parts: WeasyPrint's stylesheets are parsed once.
    _WORKER["layout"] = PartLayout(rendered, dates, Diagnostics(), options, None)


def lay_out_alone(spec: PartSpec, links: dict[str, str]) -> tuple[LaidPart, list[Diagnostic]]:
    """One part, laid out in a worker process: what the book needs to know of its pages,
    and the problems found (its pages stay here)."""
    layout: PartLayout = _WORKER["layout"]

    def page_of(target: str) -> str:
        return links.get(target, UNKNOWN)

    html = part_html(layout.rendered, layout.dates, spec, page_of)
    part = layout._lay_out_part(spec, 1, page_of, dict(links), False, html)
    # The part's pages are garbage now: collected before the next part's layout freezes
    # what is alive (see coursebook.core.gcpause), or a worker grows part after part.
    gc.collect()
    return part, list(part.problems)
