"""The print edition laid out part by part: the front matter, each chapter, each appendix,
the sources appendix.

Every part starts on a page of its own (a right-hand page when printing on both sides), and
nothing flows from one part into the next: notes restart in each chapter, running heads are
the chapter's. So each part is laid out by WeasyPrint as a document of its own. This makes
the layout incremental and its repairs local:

- **Parts are laid out side by side**, on every core (:mod:`.parallel`): a part's pages
  don't depend on the number of its first page, only its margins do, so a worker lays a
  part out before the parts ahead of it are done, and prints its margins once they are
  (:mod:`.folios`). A part whose text prints page numbers too (a pointer to notes at the
  end of their lesson: "p. 37") is laid out again with its number once it is known.
- **What didn't change isn't laid out again.** A part's pages depend on its HTML (with the
  page numbers it prints for links to other parts), the stylesheets and the options, not on
  the number of its first page (printed in the margin only). So each part's page starts are
  kept in the cache folder by a hash of those, and an EPUB built after one lesson was edited
  lays out that lesson's chapter, not the book; within the chapter, only that lesson
  (:mod:`.pieces`: every lesson opens a new page). For the PDF, each part is written as a PDF
  of its own as soon as it is laid out (its pages are then let go: the memory a build takes
  is a part's, not the book's), kept in the cache by that hash and its first page's number,
  and the parts' PDFs are joined (:mod:`.joining`: one copy of each font, links, outline,
  page labels and structure tree across parts). A part laid out for the page list alone
  is not drawn: WeasyPrint makes no margin boxes or backgrounds for it (:mod:`.undrawn`).
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

import itertools
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, replace
from importlib.metadata import version
from typing import Any, BinaryIO

from ...cite.book_notes import BibliographyEntry
from ...core.cache import Cache, cache_key, file_bytes
from ...core.diagnostics import Diagnostic, Diagnostics, Severity
from ...core.gcpause import fewer_collections, let_go
from ...core.resources import stylesheet
from ...core.version import __version__
from ...parse.terms import IndexPlace
from ...render.appendices import index_appendix, sources_appendix
from ...render.builddate import BuildDates
from ...render.pagemap import PageStart, Place, numbered_starts, page_places
from ...render.rendered_book import RenderedBook
from . import page_numbers, parallel
from .folios import numbers_in_text
from .footnotes import end_groups, fail_notes, note_placement, warn_notes
from .hyphenation import hyphen_runs, unhyphenated_css
from .joining import join, write_part
from .laid import LaidDocument, LaidPart
from .layout import Layout, css_string
from .parallel import AHEAD, Workers
from .parts import PartSource, PartSpec, part_html, part_source, part_specs
from .pieces import FORCED, Piece, can_cut, changed, pieces, relaid
from .printed_memo import PrintedMemo
from .settings import PrintOptions, page_css
from .undrawn import UNDRAWN

LAYOUTS_FOR_NOTES = 4
"""At most this many layouts of a part to bring every note to the foot of its call's page."""
PASSES = 3
"""At most this many passes over the parts for the numbers of links to later parts to settle."""
BACK_BESIDE_MOST = 500_000
"""The largest back (characters of its shared rendering's HTML) that a worker lays out for
the page list alone while this process lays out the contents (see
:meth:`PartLayout._back_beside_front`): the worker then holds a copy of the book's
rendering beside this process's, no matter for the 40-lesson course's back (268,000), but
with the 160-lesson course's (1,098,000) the process tree peaked at 643-668 MB (three runs)
against 609-616 MB with the back laid out here (psutil every 20 ms)."""
UNKNOWN = "?"
"""The page printed for a link to a part never laid out before (corrected in a second pass)."""


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
        workers: Workers | None = None,
    ) -> None:
        self.rendered, self.dates, self.diagnostics = rendered, dates, diagnostics
        self.options, self.cache, self.jobs = options, cache, jobs
        self._early = workers
        """Workers started while the book was read and rendered (see :meth:`_workers`)."""
        self._digests: dict[PartSpec, tuple[str, dict[str, str], PartSource]] = {}
        """The hash of each part's HTML as last made, with the page numbers it prints and
        its documents' hashes (the source without its HTML)."""
        self._helper: Workers | None = None
        """The workers, while the body's parts are laid out: a part laid out again on its
        own goes to the first (see :meth:`_part`)."""
        self._collect_first = False
        """Whether what this process let go is to be collected before it lays out a part
        (once the workers laid the body out: see :meth:`lay_out`)."""
        self._weasyprint: Layout | None = None  # made when a part must be laid out
        self._back_next = False
        """Whether this process lays out a back next, one never laid out, the body laid out
        by workers (see :meth:`_warm_up`)."""
        css = [stylesheet(name).read_text("utf-8") for name in ("base.css", "print.css")]
        css.append(rendered.book.css_for("print"))
        self._numbers_in_text = numbers_in_text(css)
        self._cut = can_cut(css)
        """Whether an edited chapter may be laid out in pieces (see :mod:`.pieces`)."""
        self._laid: dict[tuple[str, int | None], LaidPart] = {}
        self._known_parts: dict[str, LaidPart] = {}  # by key, whatever their first page
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
        self._memo = PrintedMemo(cache, self._book_key(), rendered, dates)
        """The hash of each part's HTML as made by earlier builds."""
        self.parts = 0
        """The parts of the book."""
        self.fresh: set[tuple[str, ...]] = set()
        """The parts (by their documents) that WeasyPrint laid out in this build: the others
        came from the cache. (Not by the specs' ids: the sources appendix's spec, made anew
        for each layout, may be given a freed spec's id.)"""
        self._pieces_started: dict[
            tuple[str, int, str], Future[tuple[LaidPart, list[Diagnostic]]]
        ] = {}
        """Pieces handed to the early worker before the workers were sized (see
        :meth:`_start_piece`), by part, piece and side."""
        self.in_pieces = 0
        """Of those, the parts laid out only in the lessons an edit changed."""
        self._rested: list[int] = []
        """The workers that had no part left to lay out for the page list, in that order
        (see :meth:`_lay_out_ahead`)."""
        self._beside: dict[tuple[str, int | None], LaidPart] = {}
        """The part laid out beside the back, by its key and first page, as :attr:`_laid`:
        the front matter by a worker (see :meth:`_front_beside`), or for the page list
        alone, the front matter here and the back by a worker (see
        :meth:`_back_beside_front`)."""

    def _warm_up(self) -> None:
        """WeasyPrint started in this process while a worker is idle, the body's last parts
        laid out by the others: the back (for the page list alone, the front matter), laid
        out here next, doesn't wait for it (0.5 s of the 40-lesson book's cold build). Only
        when the back was never laid out: else it may well come from the cache, and
        WeasyPrint would take a core for nothing."""
        if self._back_next and self._weasyprint is None:
            _ = self.weasyprint

    def _never_laid_out(self, spec: PartSpec) -> bool:
        return self.cache is None or self.cache.get("last-part", self._spec_key(spec)) is None

    def ready(self) -> None:
        """WeasyPrint started and the book's stylesheets read, ahead of the first part."""
        _ = self.weasyprint

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
        self._back_next = back is not None and self._never_laid_out(back)
        if self._early is not None and self.jobs > 1:
            # The book to the worker started early now, which reads the stylesheets while
            # this process makes the parts' HTML to find those the cache doesn't know (0.15 s
            # at 40 lessons; the worker's first part began 0.1 s after it was handed out).
            self._early.give(PartLayout, self.rendered, self.dates, self.options)
        guess = self._last_numbers()
        wanted = self._wanted(body, guess, keep_pages) if self.jobs > 1 else []
        workers = self._workers(len(wanted))
        self._helper = workers  # a part laid out again on its own goes to it (see _part)
        try:
            if not keep_pages and workers is not None:
                self._lay_out_ahead(wanted, workers)  # the passes find every part laid out
            known, placed, number, run = self._passes(body, guess, keep_pages, workers)
            if workers is not None:
                self._down_to_one(workers, run, back is not None)
        except BaseException:
            if workers is not None:
                workers.close(abandon=True)  # a time limit, Ctrl-C: they must not go on
                workers = None
            raise
        finally:
            self._helper = None
        back_part, back_number = None, number
        said = len(self.diagnostics.items)
        try:
            if (
                back is not None
                and not keep_pages
                and workers is not None
                and _size(back) <= BACK_BESIDE_MOST
            ):
                back_number += self._blank_before(number)
                back_part = self._back_beside_front(
                    back, back_number, known, placed, front, guess, workers
                )
                known.update({a: str(back_number + i) for a, i in back_part.anchors.items()})
            elif back is not None:
                back_number += self._blank_before(number)
                beside = self._front_beside(front, workers, known, guess, back_number, keep_pages)
                back_part = self._back(back, back_number, known, placed, keep_pages)
                known.update({a: str(back_number + i) for a, i in back_part.anchors.items()})
                self._take_front(beside, workers)
            if run is not None:
                placed, _ = run.finish()  # the last parts written while the back was laid out
            # The body's problems, once each, as finally placed (a part laid out again in a
            # later pass, its links' pages known, said them twice), before the back's, as
            # in one process.
            self.diagnostics.items[said:said] = [p for part, _ in placed for p in part.problems]
        finally:
            if workers is not None:
                workers.close(abandon=True)
        front_part = self._part(front, 1, lambda t: known.get(t, UNKNOWN), keep_pages, True)
        self._keep_numbers(known)
        self._memo.save()
        if back_part is not None:
            placed.append((back_part, back_number))
        return self._pages(front_part, placed)

    def _passes(
        self,
        body: Sequence[PartSpec],
        guess: Mapping[str, str],
        keep_pages: bool,
        workers: Workers | None,
    ) -> tuple[dict[str, str], list[tuple[LaidPart, int]], int, _SideBySide | None]:
        """The body placed, again while a link's page changed: the page of every id, the
        parts with their first pages and the page after them; with workers writing the
        PDF, the run whose last parts may still be written (see :meth:`_down_to_one`)."""
        known: dict[str, str] = {}
        placed: list[tuple[LaidPart, int]] = []
        number, run = 1, None
        for _ in range(PASSES):
            if run is not None:
                run.finish()  # another pass: this one's parts written first
            previous, known = known, {}
            # A link's page: from this pass (an earlier part), else the last pass, else the
            # last build.
            sources = (known, previous, guess)

            def page_of(target: str, sources: tuple[Mapping[str, str], ...] = sources) -> str:
                return next((s[target] for s in sources if target in s), UNKNOWN)

            if keep_pages and workers is not None:
                run = self._place_side_by_side(workers, body, page_of, known)
                placed, number = run.placed(), run.number
            else:
                placed, number = self._place(body, page_of, known, keep_pages)
            if all(known.get(t) == n for part, _ in placed for t, n in part.links.items()):
                break
        return known, placed, number, run

    def _down_to_one(self, workers: Workers, run: _SideBySide | None, back: bool) -> None:
        """The workers stopped once the body is placed, before the back is laid out here,
        but one (if there is a back), which writes the body's last part and then lays the
        contents out meanwhile: with the appendix laid out by a worker, the others idle at
        the size their largest part made them (and a worker warm beside citeproc), the
        160-lesson book's process tree peaked at 1,001 MB instead of 690. For the page list
        alone, the one kept is the first to have rested, and it lays out the back while
        this process lays out the contents (see :meth:`_back_beside_front`). Stopped at
        once, they don't tear their interpreter down first (0.4 s of an edit's build,
        waited for)."""
        kept = run.settle(1 if back else 0) if run is not None else next(iter(self._rested), 0)
        if back:
            workers.keep(kept)
            if run is not None:
                run.moved(kept)
        else:
            workers.resize(0)
        # This process lays out the sources appendix next, the largest part of a large book
        # (the contents too, if no worker is left; for the page list alone, the contents
        # only): what the citations and the parts' HTML left behind is given back first
        # (the 160-lesson book's process tree peaked at 672 MB instead of 702, psutil
        # sampling every 20 ms).
        self._collect_first = True

    def _place(
        self,
        body: Sequence[PartSpec],
        page_of: Callable[[str], str],
        known: dict[str, str],
        keep_pages: bool,
    ) -> tuple[list[tuple[LaidPart, int]], int]:
        """The body's parts, one after the other, each with the number of its first page
        (``known`` gets the page of every id); and the number of the page after them."""
        placed: list[tuple[LaidPart, int]] = []
        number = 1
        for spec in body:
            number += self._blank_before(number)
            part = self._part(spec, number, page_of, keep_pages, say=False)
            known.update({anchor: str(number + i) for anchor, i in part.anchors.items()})
            placed.append((part, number))
            number += part.count
        return placed, number

    def _wanted(
        self, body: Sequence[PartSpec], guess: Mapping[str, str], keep_pages: bool
    ) -> list[tuple[PartSpec, dict[str, str], str]]:
        """The body's parts the cache can't give (each with the page numbers its links print,
        the last build's, and its key): not laid out before, or, for the PDF, not written
        with its first page's number (known as long as the cache knows the parts before)."""
        wanted = []
        number = 1
        for spec in body:
            key, links, _ = self._key(spec, lambda target: guess.get(target, UNKNOWN))
            kept = self.cache.get("part", key) if self.cache is not None else None
            if kept is None:
                wanted.append((spec, links, key))
                number = 0  # the next parts' numbers are unknown
                if not keep_pages:
                    self._start_piece(spec, key, links)
            elif keep_pages:
                number += number and self._blank_before(number)
                if not number or not self._cached_pdf(key, number):
                    wanted.append((spec, links, key))
                number = number and number + LaidPart.loads(kept).count
        return wanted

    def _workers(self, wanted: int) -> Workers | None:
        """Processes to lay the body's parts out side by side, when there are parts to lay
        out: the one started early, if any (warm: it lays out even one part sooner than
        this process would start WeasyPrint), and as many more as there are cores for;
        else new ones, when there are cores for it and at least two parts to lay out (else
        one process does better: a worker takes a second or two to start)."""
        workers, self._early = self._early, None
        if workers is not None and not wanted:
            workers.close(abandon=True)  # warming up for nothing
            workers = None
        elif workers is not None:
            workers.resize(min(wanted, max(self.jobs, 1)))
        elif self.jobs >= 2 and wanted >= 2:
            workers = Workers(min(wanted, self.jobs))
        if workers is not None:
            workers.give(PartLayout, self.rendered, self.dates, self.options)
        return workers

    def _lay_out_ahead(
        self, wanted: Sequence[tuple[PartSpec, dict[str, str], str]], workers: Workers
    ) -> None:
        """For the page list alone, the parts the cache doesn't know, laid out side by side
        before the passes place them (which then find them ready); their pages are let go
        (no PDF is written). A part whose links turn out to need other page numbers than the
        last build's is laid out again, in the passes."""
        whole = []
        for spec, links, key in wanted:  # an edited chapter: only the lessons edited
            part = self._in_pieces(spec, key, links)
            if part is None:
                whole.append((spec, links, key))
            else:
                self._laid[(key, None)] = part
        # Each part to the first worker idle, not dealt out in turn: the worker started
        # beside citeproc is warm a second before the others, and the last part's worker is
        # the one the back waits for. The largest first: the workers' last parts are then
        # small, and they finish close together (in the book's order, the 40-lesson course's
        # last chapter began on one worker as the other was nearly done with its own,
        # which then idled 1.5 s: timestamps).
        left = deque(sorted(whole, key=lambda item: -_size(item[0])))
        tasks: dict[Future[tuple[LaidPart, list[Diagnostic]]], tuple[str, PartSpec, int]] = {}
        sweeps: dict[Future[None], int] = {}
        used: set[int] = set()
        while left or tasks:
            idle = workers.idle() or ([] if tasks else [workers.least_busy()])
            for worker in idle[: len(left)]:
                spec, links, key = left.popleft()
                task = workers.submit(worker, parallel.lay_out, spec, links, 1)
                tasks[task] = (key, spec, worker)
                used.add(worker)
            if not left and workers.idle():
                # A worker with nothing left to lay out collects its last part's pages
                # while the others finish: the first of them to rest lays the back out
                # (one that laid nothing out may not even be warm).
                for worker in [worker for worker in workers.idle() if worker in used]:
                    sweeps[workers.submit(worker, parallel.collect)] = worker
                    self._rested.append(worker)
                self._warm_up()
            finished, _ = wait(tasks, return_when=FIRST_COMPLETED)
            for future in finished:
                key, spec, worker = tasks.pop(future)
                workers.took(worker)
                part, found = future.result()
                # Said once placed (see lay_out; it may be laid out again first).
                self._laid[(key, None)] = replace(part, problems=tuple(found))
                self.fresh.add(spec.ids)
                if self.cache is not None:
                    self.cache.put("part", key, part.dumps())
                    self._remember(spec, key)
        for sweep, worker in sweeps.items():
            sweep.result()
            workers.took(worker)

    def _place_side_by_side(
        self,
        workers: Workers,
        body: Sequence[PartSpec],
        page_of: Callable[[str], str],
        known: dict[str, str],
    ) -> _SideBySide:
        """:meth:`_place`, the parts laid out and written by ``workers`` (see
        :mod:`.parallel`): each worker is handed the next part to lay out when it is idle,
        and a part is placed as soon as the parts before it are; then the worker holding its
        pages writes them with their numbers. Parts the cache knows are not laid out. Back
        once every part is placed: the last ones may still be written (see
        :meth:`_SideBySide.finish`)."""
        run = _SideBySide(self, workers, body, page_of, known)
        while True:
            run.place()
            run.hand_out()
            if run.handed_out():
                return run
            run.wait()

    def _front_beside(
        self,
        front: PartSpec,
        workers: Workers | None,
        known: Mapping[str, str],
        guess: Mapping[str, str],
        back_number: int,
        keep_pages: bool,
    ) -> tuple[tuple[str, int | None], Future[tuple[LaidPart, list[Diagnostic]]]] | None:
        """The front matter (the contents) handed to the worker left, to lay out while this
        process lays out the back (0.4 s of the 40-lesson book's cold build): its pages are
        numbered on their own (in roman), and the pages its links print are the body's,
        known now, and the back's, which the last build gives, else the back's first page
        (the contents give the first page of each appendix). Taken when the back is placed
        if those were its pages (see :meth:`_part`), else laid out again here."""
        if workers is None:
            return None

        def page_of(target: str) -> str:
            return known.get(target) or guess.get(target) or str(back_number)

        key, links, _ = self._key(front, page_of, roman=True)
        if self._known(key) is not None:
            return None  # in the cache
        task = workers.submit(0, parallel.lay_out_alone, front, links, 1, keep_pages, True)
        return (key, 1 if keep_pages else None), task

    def _back_beside_front(
        self,
        back: PartSpec,
        number: int,
        known: Mapping[str, str],
        placed: Sequence[tuple[LaidPart, int]],
        front: PartSpec,
        guess: Mapping[str, str],
        workers: Workers,
    ) -> LaidPart:
        """For the page list alone, the other way round from :meth:`_front_beside`: the back
        handed to the worker left, the front matter laid out here meanwhile, unless the
        cache knows the back. The back's pages, the largest part's, are let go with the
        worker, never collected: collecting them here took 0.28 s of the 40-lesson course's
        cold EPUB, after the back (gc callbacks). The front is laid out with the back's
        pages the last build gives, else the back's first page, and taken (its problems
        said, after the back's, as in one process) when the book's front is placed, if
        those were its pages; else laid out again then."""
        spec = self._back_spec(back, known, placed)
        key, links, _ = self._key(spec, lambda target: known.get(target, UNKNOWN))
        if self._known(key) is None:
            task = workers.submit(0, parallel.lay_out_alone, spec, links, number, False)

            def page_of(target: str) -> str:
                return known.get(target) or guess.get(target) or str(number)

            front_key, front_links, source = self._key(front, page_of, roman=True)
            if self._known(front_key) is None:
                if self._collect_first:
                    self._collect_first = False
                    let_go()
                laid, _ = self.laid_out(front, 1, front_links, True, source, drawn=False)
                self._beside[(front_key, None)] = laid
            self._beside[(key, None)] = _taken(task, workers)
            return self._part(spec, number, lambda target: known.get(target, UNKNOWN), False)
        # The back in the cache: the front matter to the worker, warm (this process may not
        # have started WeasyPrint).
        beside = self._front_beside(front, workers, known, guess, number, False)
        part = self._part(spec, number, lambda target: known.get(target, UNKNOWN), False)
        self._take_front(beside, workers)
        return part

    def _take_front(
        self,
        beside: tuple[tuple[str, int | None], Future[tuple[LaidPart, list[Diagnostic]]]] | None,
        workers: Workers | None,
    ) -> None:
        """The front matter a worker laid out beside the back, for :meth:`_part` to take."""
        if beside is None or workers is None:
            return
        memo, task = beside
        self._beside[memo] = _taken(task, workers)

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
        blank = self._blank_pdf() if BLANK in pages.sequence else b""
        join(pages.pdfs(blank), pages.first_body, stream)
        if self.cache is not None:
            # The PDFs of the parts as placed: not those of a pass whose numbers moved.
            kept = [item.pdf_key for item in pages.sequence if item is not BLANK]
            self.cache.keep_only(self._pdf_kind, kept)

    def _blank_pdf(self) -> bytes:
        """The PDF of a blank page, kept in the cache: a build whose parts all come from
        it, or from the workers, doesn't start WeasyPrint in this process."""
        kind = f"blank-{self._book_key()[:16]}"
        variant, language = self.options.pdf_variant or "", self.rendered.book.meta.language
        key = cache_key(self._styles, variant, language)
        kept = self.cache.get_bytes(kind, key) if self.cache is not None else None
        if kept is not None:
            return kept
        blank, problems = self.written(self.weasyprint.blank_document())
        self.diagnostics.extend(problems)
        if self.cache is not None and not problems:
            self.cache.put_bytes(kind, key, blank)
            self.cache.keep_only(kind, [key])
        return blank

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
        say: bool = True,
    ) -> LaidPart:
        """A part laid out with its first page numbered ``number`` (or as this build or the
        cache knows it); its problems said unless not ``say`` (the body's: see
        :meth:`lay_out`)."""
        key, links, source = self._key(spec, page_of, roman)
        memo = (key, number if keep_pages else None)
        if memo in self._laid and self._laid[memo].fits(number):
            return self._laid[memo]
        kept = self._known(key)
        if kept is not None and not kept.fits(number):
            kept = None  # it prints its pages' numbers: laid out for another first page
        pdf = self._cached_pdf(key, number) if kept and keep_pages else None
        if (beside := self._beside.pop(memo, None)) is not None:
            part = beside  # laid out beside the back (see _beside)
            self._keep(spec, key, number, part)
        elif kept is not None and (pdf is not None or not keep_pages):
            part = replace(kept, pdf=pdf)
        elif not keep_pages and not roman and (cut := self._in_pieces(spec, key, links)):
            part = cut
        elif self._helper is not None:
            part = self._by_helper(spec, number, links, keep_pages)
            self._keep(spec, key, number, part)
        else:
            if self._collect_first:
                self._collect_first = False
                let_go()
            part, document = self.laid_out(spec, number, links, roman, source, keep_pages)
            if keep_pages:
                pdf, problems = self.written(document)
                part.pdf, part.problems = pdf, part.problems + problems
            # Its pages are written and let go: collected now, before the next part's
            # layout freezes what is alive (see coursebook.core.gcpause).
            document = None
            if keep_pages:
                let_go()
            self._keep(spec, key, number, part)
        if say:
            self.diagnostics.extend(part.problems)
        if keep_pages:
            part.pdf_key = self._pdf_key(key, number)
        self._laid[memo] = self._known_parts[key] = part
        return part

    def _key(
        self, spec: PartSpec, page_of: Callable[[str], str], roman: bool = False
    ) -> tuple[str, dict[str, str], PartSource | None]:
        """A part's key in the cache (its HTML, the stylesheets and options, its numbering),
        the page numbers its links print, by target, and its HTML if it was made for this.

        The passes ask for each part's key more than once: the HTML is made once for the
        same part printing the same numbers, and only its hash is kept (the HTML of every
        part, kept, made the 160-lesson book's process tree peak at 712 MB instead of 700)."""
        made = self._digests.get(spec)
        if made is None or any(page_of(t) != n for t, n in made[1].items()):
            made = self._memo.get(spec, page_of)  # made by an earlier build
            if made is not None:
                self._digests[spec] = made
        if made is not None:
            digest, links, source = made[0], dict(made[1]), None
        else:
            links = {}

            def printed_page(target: str) -> str:
                links[target] = page_of(target)
                return links[target]

            source = part_source(self.rendered, self.dates, spec, printed_page)
            digest = cache_key(source.html)
            self._digests[spec] = (digest, dict(links), replace(source, html=""))
            self._memo.put(spec, self._digests[spec])
        # Its documents' ids too (its HTML holds them): a hash taken from the memo (see
        # .printed_memo) can't lead a part to another's layout.
        key = cache_key(digest, self._styles, "roman" if roman else "arabic", *spec.ids)
        return key, links, source

    def _in_pieces(self, spec: PartSpec, key: str, links: dict[str, str]) -> LaidPart | None:
        """For the page list, a part whose last layout is known (an edited chapter): only
        the lessons that changed laid out again (see :mod:`.pieces`); None when it can't be
        (kept in the cache, as laid out whole would be)."""
        plan = self._plan(spec)
        if plan is None:
            return None
        old, redo, cut = plan

        def lay_out(index: int, side: str) -> LaidPart:
            started = self._pieces_started.pop((key, index, side), None)
            if started is not None and self._helper is not None:
                return _taken(started, self._helper)
            piece = self._piece(spec, cut, index, side)
            if self._helper is not None:
                return self._by_helper(piece, 1, links, keep_pages=False)
            laid, _ = self.laid_out(piece, 1, links, drawn=False)
            return laid

        part = relaid(old, self._digests[spec][2].digests, redo, lay_out, links)
        if part is not None:
            self.in_pieces += 1
            self._keep(spec, key, 1, part)
        return part

    def _plan(self, spec: PartSpec) -> tuple[LaidPart, set[int], list[Piece]] | None:
        """A part's last layout, the pieces of it that changed and all its pieces; None when
        it is to be laid out whole (never laid out, not changed, or changed throughout)."""
        if not self._cut or self.cache is None or spec.after or spec not in self._digests:
            return None
        last = self.cache.get("last-part", self._spec_key(spec))
        old = self._known(last) if last else None
        if old is None:
            return None
        source = self._digests[spec][2]
        ids = [document.id for document in spec.documents]
        redo = changed(old, ids, source.digests, source.wrapper)
        cut = pieces(old.documents)
        if not redo or len(redo) == len(cut):
            return None  # the same part, or every piece of it changed: laid out whole
        return old, redo, cut

    def _piece(self, spec: PartSpec, cut: Sequence[Piece], index: int, side: str) -> PartSpec:
        """A piece of a part, to be laid out with its first page on ``side`` ("" for the
        part's first piece, laid out as the part starts)."""
        documents = spec.documents[cut[index].first : cut[index].end]
        after = {"left": "right", "right": "left"}.get(side, "")
        return replace(spec, documents=documents, after=after)

    def _start_piece(self, spec: PartSpec, key: str, links: dict[str, str]) -> None:
        """An edited chapter's first changed lesson handed to the worker started early as
        soon as it is found, while this process makes the other parts' HTML to find which
        changed (about a second at 40 lessons); :meth:`_in_pieces` takes its pages."""
        plan = self._plan(spec) if self._early is not None else None
        if plan is None or self._early is None:
            return
        old, redo, cut = plan
        index = min(redo)  # the pieces before it unchanged: it opens on its old side
        side = "" if index == 0 else old.documents[cut[index].first].side
        self._early.give(PartLayout, self.rendered, self.dates, self.options)
        piece = self._piece(spec, cut, index, side)
        future = self._early.submit(0, parallel.lay_out_alone, piece, links, 1, False)
        self._pieces_started[(key, index, side)] = future

    def _spec_key(self, spec: PartSpec) -> str:
        """A part by what it holds, whatever their text: its last layout's key is kept by
        it (see :meth:`_in_pieces`)."""
        ids = " ".join(document.id for document in spec.documents)
        return cache_key(self._book_key(), spec.classes, ids, str(spec.note_pages), str(spec.qr))

    def _remember(self, spec: PartSpec, key: str) -> None:
        if self.cache is not None and not spec.after:
            self.cache.put("last-part", self._spec_key(spec), key)

    def _by_helper(
        self, spec: PartSpec, number: int, links: dict[str, str], keep_pages: bool
    ) -> LaidPart:
        """A body's part laid out again on its own (and written, with ``keep_pages``) by a
        worker, while this process waits: the worker has WeasyPrint started and the
        stylesheets read, this process may not."""
        assert self._helper is not None
        future = self._helper.submit(0, parallel.lay_out_alone, spec, links, number, keep_pages)
        return _taken(future, self._helper)

    def _pdf_key(self, key: str, number: int) -> str:
        # A part's PDF prints the number of its first page: kept by that number too.
        return cache_key(key, str(number), self.options.pdf_variant or "")

    def _cached_pdf(self, key: str, number: int) -> bytes | None:
        if self.cache is None:
            return None
        return self.cache.get_bytes(self._pdf_kind, self._pdf_key(key, number))

    def _keep(self, spec: PartSpec, key: str, number: int, part: LaidPart) -> None:
        """A part this build laid out, kept in the cache (its PDF too, if written)."""
        self.fresh.add(spec.ids)
        if self.cache is not None:
            self.cache.put("part", key, part.dumps())
            self._remember(spec, key)
            if part.pdf is not None:
                self.cache.put_bytes(self._pdf_kind, self._pdf_key(key, number), part.pdf)

    def _known(self, key: str) -> LaidPart | None:
        """What this build or the cache knows of a part's pages (not its PDF)."""
        if key in self._known_parts:
            return self._known_parts[key]
        kept = self.cache.get("part", key) if self.cache is not None else None
        return LaidPart.loads(kept) if kept is not None else None

    def laid_out(
        self,
        spec: PartSpec,
        number: int,
        links: Mapping[str, str],
        roman: bool = False,
        source: PartSource | None = None,
        drawn: bool = True,
    ) -> tuple[LaidPart, Any]:
        """A part laid out by WeasyPrint, its first page numbered ``number`` (what the book
        needs to know of its pages, and the pages, as WeasyPrint's document), each link to
        another part printing the page ``links`` gives. Its notes are brought to their
        calls' pages, its runs of hyphens broken (see the module's description). Unless
        ``drawn``, laid out for the page list alone: the pages can't be written (see
        :mod:`.undrawn`)."""

        def printed_page(target: str) -> str:
            return links.get(target, UNKNOWN)

        if source is None:
            source = part_source(self.rendered, self.dates, spec, printed_page)
        html = source.html
        # The front matter is numbered in roman from 1 and names the book on its title page;
        # another part is told its first page's number and the book's title (for the running
        # heads of its left-hand pages).
        first_page = (
            ""
            if roman
            else f"@page :first {{ counter-reset: page {number} }}\n"
            f"html {{ string-set: book-title {css_string(self.rendered.book.meta.title)} }}"
        )
        if spec.after:  # a piece of a part: after a page of that side (see .pieces)
            first_page += f"\nhtml {{ break-before: {spec.after} }}"
        said = len(self.diagnostics.items)  # what this layout finds is kept with the part
        endnotes: dict[str, int] = {}  # notes at the end of their lesson: their pointer group
        plain: frozenset[str] = frozenset()  # paragraphs set without hyphenation
        document = self.weasyprint.render(html, first_page, drawn)
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
            extra = f"{first_page}\n{unhyphenated_css(plain)}"
            document = self.weasyprint.render(html, extra, drawn)
        numbered = number if self._numbers_in_text(html) else None
        pages = document.pages[1:] if spec.after else document.pages  # not the page before
        anchors: dict[str, int] = {}
        for index, page in enumerate(pages):
            for anchor in page.anchors:  # an element on several pages is on its first
                anchors.setdefault(anchor, index)
        places = page_places(pages)
        problems = tuple(self.diagnostics.items[said:])
        del self.diagnostics.items[said:]  # said by the caller, when it places the part
        laid = LaidPart(
            len(pages),
            places,
            anchors,
            dict(links),
            numbered,
            problems,
            documents=_documents(spec, source, pages, anchors),
            wrapper=source.wrapper,
        )
        return laid, document

    def written(self, document: Any) -> tuple[bytes, tuple[Diagnostic, ...]]:
        """A part's pages, as a PDF of their own (see :mod:`.joining`), and what WeasyPrint
        said writing them."""
        if getattr(document, UNDRAWN, False):
            raise RuntimeError("a part laid out for the page list alone can't be written")
        said = len(self.diagnostics.items)
        with self.weasyprint.logging(), fewer_collections():
            pdf = write_part(document, self.options.pdf_variant)
        problems = tuple(self.diagnostics.items[said:])
        del self.diagnostics.items[said:]
        return pdf, problems

    def numbered_and_written(
        self, document: Any, number: int
    ) -> tuple[bytes, tuple[Diagnostic, ...]] | None:
        """A part laid out ahead of its number (see :mod:`.folios`) with its margins made
        for ``number`` and written, with what WeasyPrint said making and writing them; None
        when its margins can't be made again (a stylesheet sets the page counter)."""
        said = len(self.diagnostics.items)
        if not self.weasyprint.renumbered(document, number):
            return None
        margins = tuple(self.diagnostics.items[said:])
        del self.diagnostics.items[said:]
        pdf, problems = self.written(document)
        return pdf, margins + problems

    def _back(
        self,
        spec: PartSpec,
        number: int,
        known: Mapping[str, str],
        placed: Sequence[tuple[LaidPart, int]],
        keep_pages: bool,
    ) -> LaidPart:
        """The sources appendix and the index laid out, now that every page is known (see
        :meth:`_back_spec`)."""
        return self._part(
            self._back_spec(spec, known, placed),
            number,
            lambda t: known.get(t, UNKNOWN),
            keep_pages,
        )

    def _back_spec(
        self, spec: PartSpec, known: Mapping[str, str], placed: Sequence[tuple[LaidPart, int]]
    ) -> PartSpec:
        """The sources appendix and the index as printed: "Cited on pp. 6, 9." instead of
        the note by note list of the shared rendering, and the index's page numbers
        instead of its links by lesson."""
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
        return replace(spec, documents=documents)

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


class _SideBySide:
    """One pass of :meth:`PartLayout._place_side_by_side`: the body's parts handed to the
    workers in order, placed in order as they come back, written once placed."""

    def __init__(
        self,
        layout: PartLayout,
        workers: Workers,
        body: Sequence[PartSpec],
        page_of: Callable[[str], str],
        known: dict[str, str],
    ) -> None:
        self.layout, self.workers, self.body = layout, workers, body
        self.page_of, self.known = page_of, known
        self.keys: list[str] = []
        self.links: list[dict[str, str]] = []
        self.parts: list[LaidPart | None] = []
        """What is known of each part handed out: its pages, once laid out."""
        self.numbers: list[int] = []
        """The number of each placed part's first page."""
        self.number = 1
        """The next free page."""
        self.held: dict[int, tuple[int, int, int]] = {}
        """The parts whose pages a worker keeps: the worker, the number it gave their first
        page, their token."""
        self.waiting: deque[int] = deque()
        """Placed parts to lay out again and write, now that their first page is known."""
        self.refit: deque[tuple[int, int]] = deque()
        """Parts to lay out again before they are placed, with the number of their first
        page (now known): their pages print it (see :attr:`LaidPart.numbered`)."""
        self.tasks: dict[Future[Any], tuple[str, int, int]] = {}
        """What each task given is: its kind, its part and its worker."""
        self.finished: dict[int, LaidPart] = {}
        """The parts placed and written."""

    def done(self) -> bool:
        return len(self.finished) == len(self.body)

    def handed_out(self) -> bool:
        """Whether every part is placed, and what is left to do with them handed out (their
        PDFs written)."""
        return len(self.numbers) == len(self.body) and not (self.waiting or self.refit)

    def placed(self) -> list[tuple[LaidPart, int]]:
        """The parts as placed, once :meth:`handed_out`: their pages known, maybe not yet
        written."""
        placed = []
        for index, number in enumerate(self.numbers):
            part = self.finished.get(index) or self.parts[index]
            assert part is not None, "a part placed before it was laid out"
            placed.append((part, number))
        return placed

    def settle(self, most: int) -> int:
        """Wait until no more than ``most`` workers have tasks: the one that has, else 0."""
        while len(busy := {worker for _, _, worker in self.tasks.values()}) > most:
            self.wait()
        return min(busy, default=0)

    def moved(self, worker: int) -> None:
        """``worker``, the only one with tasks, is now the first (see :meth:`Workers.keep`)."""
        self.tasks = {task: (kind, index, 0) for task, (kind, index, _) in self.tasks.items()}

    def place(self) -> None:
        """Place every part laid out whose earlier parts are placed."""
        while len(self.numbers) < len(self.parts) and self.parts[len(self.numbers)]:
            index = len(self.numbers)
            part = self.parts[index]
            assert part is not None
            number = self.number + self.layout._blank_before(self.number)
            if not part.fits(number):
                # Laid out ahead with another number, which its text prints (and its page
                # count may follow): laid out again with this one before it is placed.
                self.parts[index] = None
                if index in self.held:
                    worker, _, token = self.held.pop(index)
                    self._submit(worker, "released", index, parallel.release, token)
                self.refit.append((index, number))
                return
            self.number = number
            self.numbers.append(self.number)
            self.known.update({anchor: str(self.number + i) for anchor, i in part.anchors.items()})
            self._write(index, part, self.number)
            self.number += part.count

    def _write(self, index: int, part: LaidPart, number: int) -> None:
        """A placed part's PDF: this build's or the cache's, else written by the worker that
        holds its pages, else laid out again with its number."""
        layout, key = self.layout, self.keys[index]
        if (key, number) in layout._laid:
            self.finished[index] = layout._laid[(key, number)]
        elif index in self.held:
            worker, laid_with, token = self.held.pop(index)
            if laid_with != number and any(p.severity is Severity.ERROR for p in part.problems):
                # Its errors name its pages by numbers they don't have: laid out again.
                self._submit(worker, "released", index, parallel.release, token)
                self.waiting.append(index)
            else:
                self._submit(worker, "written", index, parallel.write, token, number)
        elif (pdf := layout._cached_pdf(key, number)) is not None:
            self.finished[index] = replace(part, pdf=pdf)
        else:
            self.waiting.append(index)

    def hand_out(self) -> None:
        """Give each idle worker a part: one placed and waiting to be laid out again with
        its number, else the next one, if not too far ahead of those placed."""
        for worker in self.workers.idle():
            if self.refit:
                index, number = self.refit.popleft()
                token = next(_TOKENS)
                self.held[index] = (worker, number, token)
                spec, links = self.body[index], self.links[index]
                self._submit(worker, "laid", index, parallel.lay_out, spec, links, number, token)
                continue
            if self.waiting:
                index = self.waiting.popleft()
                spec, links, number = self.body[index], self.links[index], self.numbers[index]
                self._submit(
                    worker,
                    "laid and written",
                    index,
                    parallel.lay_out_alone,
                    spec,
                    links,
                    number,
                )
                continue
            while len(self.parts) < len(self.body):
                if len(self.parts) >= len(self.numbers) + AHEAD * len(self.workers):
                    return
                index = len(self.parts)
                key, links, _ = self.layout._key(self.body[index], self.page_of)
                self.keys.append(key)
                self.links.append(links)
                self.parts.append(self.layout._known(key))
                if self.parts[index] is None:
                    # The number of its first page, if known (else any: see .folios).
                    number = self.number if index == len(self.numbers) else 1
                    number += self.layout._blank_before(number)
                    token = next(_TOKENS)
                    self.held[index] = (worker, number, token)
                    spec = self.body[index]
                    self._submit(
                        worker, "laid", index, parallel.lay_out, spec, links, number, token
                    )
                    break
        left = self.refit or self.waiting or len(self.parts) < len(self.body)
        if self.tasks and self.workers.idle() and not left:
            self.layout._warm_up()

    def _submit(self, worker: int, kind: str, index: int, task: Any, *args: Any) -> None:
        self.tasks[self.workers.submit(worker, task, *args)] = (kind, index, worker)

    def wait(self) -> None:
        """Take in what the workers finished (waiting for one at least, if any works)."""
        if not self.tasks:
            assert (
                self.waiting or self.refit or len(self.numbers) < len(self.parts) or self.done()
            ), "nothing to wait for"
            return
        finished, _ = wait(self.tasks, return_when=FIRST_COMPLETED)
        for future in finished:
            kind, index, worker = self.tasks.pop(future)
            self.workers.took(worker)
            if kind == "released":
                future.result()
                continue
            if kind == "laid":
                part, problems = future.result()
                self.parts[index] = replace(part, problems=tuple(problems))
                continue
            part = self.parts[index]
            assert part is not None
            if kind == "written":
                pdf, problems = future.result()
                part = replace(part, pdf=pdf, problems=part.problems + tuple(problems))
            else:
                laid, problems = future.result()
                assert laid.count == part.count, "a part's pages changed with its number"
                part = replace(laid, problems=tuple(problems))
            self.parts[index] = self.finished[index] = part
            self.layout._keep(self.body[index], self.keys[index], self.numbers[index], part)

    def finish(self) -> tuple[list[tuple[LaidPart, int]], int]:
        """The parts as placed (their problems with them: see :meth:`PartLayout.lay_out`),
        and the next free page."""
        while not self.done():
            self.wait()
        layout, placed = self.layout, []
        for index, number in enumerate(self.numbers):
            part, memo = self.finished[index], (self.keys[index], number)
            part.pdf_key = layout._pdf_key(self.keys[index], number)
            layout._laid[memo] = layout._known_parts[self.keys[index]] = part
            placed.append((part, number))
        return placed, self.number


def _size(spec: PartSpec) -> int:
    """How much there is to lay out in a part, near enough to order parts by it."""
    return sum(len(document.html) for document in spec.documents)


def _taken(future: Future[tuple[LaidPart, list[Diagnostic]]], workers: Workers) -> LaidPart:
    """A part the first worker laid out, with the problems it found, once it is done."""
    try:
        part, problems = future.result()
    finally:
        workers.took(0)
    return replace(part, problems=tuple(problems))


def _documents(
    spec: PartSpec, source: PartSource, pages: Sequence[Any], anchors: Mapping[str, int]
) -> tuple[LaidDocument, ...]:
    """Where each of a part's documents opens, once laid out (see :mod:`.pieces`); none
    when one can't be found (then the part is only laid out whole)."""
    found = []
    for document, digest in zip(spec.documents, source.digests, strict=True):
        first = anchors.get(document.id)
        if first is None:
            return ()
        box = pages[first]._page_box  # WeasyPrint keeps each page's box tree here
        forced = _break_before(box, document.id) in FORCED
        found.append(LaidDocument(document.id, digest, first, box.page_type.side, forced))
    return tuple(found)


def _break_before(box: Any, id_: str) -> str | None:
    """The ``break-before`` of the element with id ``id_`` among ``box``'s descendants."""
    element = getattr(box, "element", None)
    if element is not None and box.element_tag and element.get("id") == id_:
        return str(box.style["break_before"])
    for child in getattr(box, "children", ()):
        found = _break_before(child, id_)
        if found is not None:
            return found
    return None


_TOKENS = itertools.count()
"""Names for the pages a worker keeps."""
