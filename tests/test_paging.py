"""The print edition is laid out part by part and joined: the joined PDF must be as correct as
one laid out in a single pass. Read back: page numbers continuous and printed right, links
and the outline across parts, one copy of each font, the language, metadata and (PDF/UA) the
structure tree."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import re
import shutil
import subprocess
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pypdf
import pytest

from coursebook.formats.pdf.parts import PartSpec
from coursebook.pipeline.build import BuildOptions, BuildResult, build

from .conftest import Stages, write_files

PARAGRAPH = (
    "The bureaucracy reacted in panic, attempting to stamp out the danger by administrative "
    "decree and, where that failed, by force; the kulaks resisted, and the bureaucracy "
    "responded with an all-out attack on the villages."
)


def lesson(title: str, extra: str = "") -> str:
    body = "\n\n".join(f"{PARAGRAPH} [@marx1867, p. {n}]." for n in range(1, 13))
    return f"# {title}\n\n{extra}\n\n{body}\n"


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """Three chapters; the first lesson links forward to the last, the last back to the first."""
    folder = tmp_path_factory.mktemp("joined")
    write_files(
        folder / "book",
        {
            "book.yaml": "title: Parts\nlanguage: en\npublished: 2026-01-01\nchapters:\n"
            "  - title: First part\n    lessons: [lessons/a.md, lessons/b.md]\n"
            "  - lessons/c.md\n  - lessons/d.md\n",
            "sources.yaml": "- id: marx1867\n  type: book\n  author: Karl Marx\n"
            "  title: Capital\n  issued: 1867\n",
            "lessons/a.md": lesson("Alpha", "Read on in [the last lesson](d.md)."),
            "lessons/b.md": lesson("Beta"),
            "lessons/c.md": lesson("Gamma"),
            "lessons/d.md": lesson("Delta", "Back to [the first lesson](a.md)."),
        },
    )
    options = BuildOptions(format_options={"pdf": {"pdf_variant": "pdf/ua-1"}})
    return build(folder / "book", ("pdf",), folder / "out", options)


@pytest.fixture(scope="module")
def pdf(joined: BuildResult) -> pypdf.PdfReader:
    return pypdf.PdfReader(joined.outputs[0].path)


def texts(pdf: pypdf.PdfReader) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in pdf.pages]


def first_page_of(pdf: pypdf.PdfReader, heading: str) -> int:
    return next(i for i, text in enumerate(texts(pdf)) if re.search(rf"\b{heading}\b", text[:80]))


def test_page_numbers_run_on_and_parts_open_on_the_right(pdf: pypdf.PdfReader) -> None:
    labels = pdf.page_labels
    first_body = labels.index("1")
    assert labels[:first_body] == ["i", "ii", "iii", "iv"][:first_body]
    assert labels[first_body:] == [str(n) for n in range(1, len(labels) - first_body + 1)]
    for heading in ("Chapter 1", "Gamma", "Delta", "Sources"):
        assert int(labels[first_page_of(pdf, heading)]) % 2 == 1, heading
    # The number printed at the foot of each body page is its label.
    for index in range(first_body, len(labels)):
        text = texts(pdf)[index].strip()
        assert text == "" or text.endswith(f" {labels[index]}"), (index, text[-40:])


def test_contents_and_links_across_parts_print_the_right_pages(pdf: pypdf.PdfReader) -> None:
    pages = texts(pdf)
    labels = pdf.page_labels
    contents = next(t for t in pages if t.startswith("Contents"))
    for heading in ("Alpha", "Beta", "Gamma", "Delta", "Sources"):
        printed = re.search(rf"{heading}(?: \d+ min)? [ .]*(\d+)", contents)
        assert printed and printed.group(1) == labels[first_page_of(pdf, heading)], heading
    # Forward (to a later part) and back, as text and as links.
    assert f"the last lesson (p. {labels[first_page_of(pdf, 'Delta')]})" in " ".join(pages)
    assert f"the first lesson (p. {labels[first_page_of(pdf, 'Alpha')]})" in " ".join(pages)
    assert "?" not in contents and "(p. ?)" not in " ".join(pages)
    destinations = pdf.named_destinations
    targets = {
        pdf.get_destination_page_number(destinations[str(link["/Dest"])])
        for page in pdf.pages
        for link in (a.get_object() for a in page.get("/Annots") or [])
        if link.get("/Subtype") == "/Link" and str(link.get("/Dest")) in destinations
    }
    assert {first_page_of(pdf, "Delta"), first_page_of(pdf, "Alpha")} <= targets
    # No link lost its destination in the join (each part names only its own places).
    named = [
        str(link["/Dest"])
        for page in pdf.pages
        for link in (a.get_object() for a in page.get("/Annots") or [])
        if "/Dest" in link
    ]
    assert named and all(name in destinations for name in named)


def test_sources_give_the_pages_of_the_citations(pdf: pypdf.PdfReader) -> None:
    pages = texts(pdf)
    labels = pdf.page_labels
    cited = re.search(r"Cited on pp\. ([\d, ]+)\.", pages[first_page_of(pdf, "Sources")])
    assert cited is not None
    with_notes = [labels[i] for i, text in enumerate(pages) if "Marx, Capital" in text]
    assert cited.group(1).split(", ") == [label for label in with_notes if label.isdigit()]


def test_outline_fonts_language_metadata_and_structure(pdf: pypdf.PdfReader) -> None:
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert titles == ["Contents", "First part", "Gamma", "Delta", "Sources"]
    root = pdf.trailer["/Root"]
    assert root["/Lang"] == "en" and pdf.metadata.title == "Parts"
    # Each face once: a part laid out apart must not bring its own copy of a font.
    fonts: dict[str, set[int]] = {}
    for page in pdf.pages:
        for reference in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = reference.get_object()
            fonts.setdefault(str(font["/BaseFont"]).split("+", 1)[-1], set()).add(reference.idnum)
    assert fonts and all(len(objects) == 1 for objects in fonts.values()), fonts
    # PDF/UA: one structure tree over every page with content.
    tree = root["/StructTreeRoot"].get_object()
    parents = tree["/ParentTree"].get_object()["/Nums"]
    assert len(parents) // 2 >= sum(1 for text in texts(pdf) if text.strip())


def test_the_same_pages_as_a_build_from_scratch(joined: BuildResult, tmp_path: Path) -> None:
    """A build that starts from what the last one kept (the page numbers of links to later
    parts) makes the PDF that a build from nothing makes."""
    options = BuildOptions(format_options={"pdf": {"pdf_variant": "pdf/ua-1"}}, force=True)
    cold = build(joined.book.root, ("pdf",), tmp_path, options).outputs[0].path.read_bytes()
    warm = build(joined.book.root, ("pdf",), tmp_path, options).outputs[0].path.read_bytes()
    assert cold == warm


def test_an_epub_alone_laid_out_on_all_cores_is_the_epub_of_a_full_build(
    joined: BuildResult, tmp_path: Path
) -> None:
    """An EPUB built alone, from nothing, lays its parts out side by side in worker
    processes (links to later parts first with unknown page numbers, then again): its page
    list is the one of a build that lays out the PDF in one process."""
    book = joined.book.root
    full = build(book, out_dir=tmp_path / "full")
    stages = Stages()
    alone = build(book, ("epub",), tmp_path / "alone", BuildOptions(jobs=2), progress=stages)
    # The first chapter laid out again for the page its link to the last lesson prints:
    # only that lesson (see coursebook.formats.pdf.pieces).
    assert stages.said["laying out pages"].endswith(
        ", 5 of 5 parts laid out (1 only in its changed lessons)"
    )
    epub = {o.format: o.path.read_bytes() for o in full.outputs}["epub"]
    assert alone.outputs[0].path.read_bytes() == epub


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_edited_lesson_lays_out_its_part_alone_and_makes_a_clean_builds_pdf(
    joined: BuildResult, tmp_path: Path, jobs: int
) -> None:
    """The parts that didn't change come from the cache as PDFs: after one lesson is edited,
    only its part is laid out (on two cores, by a worker started while the book was
    rendered), and the PDF is the one a build from nothing makes, byte for byte (fonts
    merged the same way, the same structure tree)."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    options = BuildOptions(format_options={"pdf": {"pdf_variant": "pdf/ua-1"}}, jobs=jobs)
    build(book, ("pdf",), tmp_path / "out", options)
    gamma = book / "lessons/c.md"
    gamma.write_text(gamma.read_text(encoding="utf-8").replace("panic", "fear", 1), "utf-8")
    stages = Stages()
    warm = build(book, ("pdf",), tmp_path / "out", options, progress=stages)
    assert stages.said["laying out pages"].endswith(", 1 of 5 parts laid out")
    clean = build(book, ("pdf",), tmp_path / "clean", replace(options, jobs=1))
    assert warm.outputs[0].path.read_bytes() == clean.outputs[0].path.read_bytes()
    assert not multiprocessing.active_children()  # the workers stopped
    # Only the parts' PDFs of the last build are kept.
    cache = tmp_path / "out" / ".coursebook-cache"
    assert len(list(cache.glob("part-pdf-*"))) == 5


def _edited_epub(book: Path, out: Path, jobs: int, edit: Callable[[], None]) -> tuple[bytes, str]:
    """The EPUB built after ``edit``, with what its layout said; then a clean build's."""
    stages = Stages()
    edit()
    warm = build(book, ("epub",), out, BuildOptions(jobs=jobs), progress=stages)
    return warm.outputs[0].path.read_bytes(), stages.said["laying out pages"]


def _clean_epub(book: Path, out: Path) -> bytes:
    return build(book, ("epub",), out, BuildOptions(jobs=1)).outputs[0].path.read_bytes()


def _append(path: Path, text: str) -> Callable[[], None]:
    return lambda: path.write_text(path.read_text("utf-8") + text, "utf-8")


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_edited_lesson_is_laid_out_alone_for_the_epubs_page_list(
    joined: BuildResult, tmp_path: Path, jobs: int
) -> None:
    """A lesson edited in a chapter of two: for the EPUB's page list only that lesson is
    laid out again (after a page of the other side, dropped, so that it opens on the side
    it has in the chapter), the other's pages kept from the last layout; the EPUB is a
    clean build's, byte for byte. When the edit changes the lesson's page count by an odd
    number, the lesson after it changes sides and is laid out again too."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    build(book, ("epub",), tmp_path / "out", BuildOptions(jobs=jobs))
    beta = book / "lessons/b.md"
    epub, said = _edited_epub(book, tmp_path / "out", jobs, _append(beta, "\nOne more line.\n"))
    assert said.endswith(", 1 of 5 parts laid out (1 only in its changed lessons)")
    assert epub == _clean_epub(book, tmp_path / "clean1")
    before = _first_page(_built(tmp_path / "clean1"), "b.xhtml")
    # A page and a bit more in the first lesson: the second opens on the other side.
    alpha = book / "lessons/a.md"
    epub, said = _edited_epub(book, tmp_path / "out", jobs, _append(alpha, f"\n{PARAGRAPH * 16}\n"))
    # The contents and the sources print the pages that moved: laid out again whole.
    assert said.endswith(", 3 of 5 parts laid out (1 only in its changed lessons)")
    assert epub == _clean_epub(book, tmp_path / "clean2")
    assert (_first_page(_built(tmp_path / "clean2"), "b.xhtml") - before) % 2 == 1
    assert not multiprocessing.active_children()


def test_a_stylesheet_counting_across_lessons_lays_the_chapter_out_whole(
    joined: BuildResult, tmp_path: Path
) -> None:
    """A book stylesheet that numbers the lessons with a counter: a lesson laid out alone
    would restart it, so an edited lesson's chapter is laid out whole, and the EPUB is a
    clean build's."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    manifest = book / "book.yaml"
    manifest.write_text(manifest.read_text("utf-8") + "css:\n  print: count.css\n", "utf-8")
    rule = (
        ".lesson { counter-increment: lesson }\n.lesson-title::before { content: counter(lesson) }"
    )
    (book / "count.css").write_text(rule + "\n", "utf-8")
    build(book, ("epub",), tmp_path / "out", BuildOptions(jobs=1))
    beta = book / "lessons/b.md"
    epub, said = _edited_epub(book, tmp_path / "out", 1, _append(beta, "\nOne more line.\n"))
    assert said.endswith(", 1 of 5 parts laid out")
    assert epub == _clean_epub(book, tmp_path / "clean")


def test_which_stylesheets_let_a_chapter_be_laid_out_in_pieces() -> None:
    """Pieces only when no stylesheet counts across lessons (the notes' counter and lists'
    aside) or selects pages by their place in a group other than the first."""
    from coursebook.core.resources import stylesheet
    from coursebook.formats.pdf.pieces import can_cut

    ours = [stylesheet(name).read_text("utf-8") for name in ("base.css", "print.css")]
    assert can_cut(ours)
    assert can_cut([*ours, "ol { counter-reset: list-item 3 } @page :nth(1) { margin: 1in }"])
    assert not can_cut([*ours, "h2 { counter-increment: section }"])
    assert not can_cut(["@media print { .x { counter-set: figure 4 } }"])
    assert not can_cut(["@page :nth(2 of chapter) { margin-top: 3cm }"])
    assert not can_cut(["@page :nth(2n+1) { margin-top: 3cm }"])


def _first_page(result: BuildResult, document: str) -> int:
    return int(next(n for href, n in _page_list(result) if href.startswith(f"text/{document}#")))


def _built(out: Path) -> BuildResult:
    """A build's EPUB, as :func:`_page_list` reads it."""
    (epub,) = out.glob("*.epub")
    return cast(BuildResult, SimpleNamespace(outputs=[SimpleNamespace(path=epub)]))


def test_a_pdf_laid_out_on_all_cores_is_the_pdf_of_one_process(
    joined: BuildResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two processes, parts are laid out side by side before the numbers of their
    first pages are known, and their folios printed once they are (see
    coursebook.formats.pdf.folios), and the contents beside the sources appendix, which is
    laid out here as soon as the body is placed, while the body's last part is written: the
    PDF is the one process's, byte for byte."""
    from coursebook.formats.pdf import paging

    here = laid_out_here(monkeypatch)
    steps: list[str] = []
    back, finish = paging.PartLayout._back, paging._SideBySide.finish

    def spied_back(self: paging.PartLayout, *args: object) -> object:
        steps.append("back")
        return back(self, *args)  # type: ignore[arg-type]

    def spied_finish(self: paging._SideBySide) -> object:
        steps.append(f"body written ({len(self.finished)} of {len(self.body)} already)")
        return finish(self)

    monkeypatch.setattr(paging.PartLayout, "_back", spied_back)
    monkeypatch.setattr(paging._SideBySide, "finish", spied_finish)
    options = BuildOptions(format_options={"pdf": {"pdf_variant": "pdf/ua-1"}}, jobs=2)
    stages = Stages()
    side_by_side = build(joined.book.root, ("pdf",), tmp_path, options, progress=stages)
    assert stages.said["laying out pages"].endswith(", 5 of 5 parts laid out")
    assert side_by_side.outputs[0].path.read_bytes() == joined.outputs[0].path.read_bytes()
    assert here == ["sources"]  # the contents by the worker left, beside it
    assert steps[-2] == "back" and steps[-1].startswith("body written"), steps


def laid_out_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts this process lays out (by their first document's kind), from now on."""
    from coursebook.formats.pdf.paging import PartLayout

    here: list[str] = []
    laid_out = PartLayout.laid_out

    def spied(self: PartLayout, spec: PartSpec, *args: object, **kwargs: object) -> object:
        here.append(spec.documents[0].kind)
        return laid_out(self, spec, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PartLayout, "laid_out", spied)
    return here


def errors_on_one_and_two_cores(tmp_path: Path, fmt: str) -> list[list[str]]:
    """The errors a build of ``tmp_path / "book"`` fails with, on one core and on two."""
    from coursebook.core.diagnostics import BookError, Diagnostics

    found = []
    for jobs in (1, 2):
        diagnostics = Diagnostics()
        with pytest.raises(BookError):
            build(
                tmp_path / "book",
                (fmt,),
                tmp_path / f"out{jobs}",
                BuildOptions(jobs=jobs),
                diagnostics=diagnostics,
            )
        found.append([str(d) for d in diagnostics.errors])
    return found


def two_chapters(folder: Path, indexed: bool) -> None:
    """A book of two chapters citing one source, with an index of one term if ``indexed``."""
    yaml = "index: [Capital]\n" if indexed else ""
    write_files(
        folder,
        {
            "book.yaml": f"title: Parts\nlanguage: en\npublished: 2026-01-01\n{yaml}"
            "chapters: [lessons/a.md, lessons/b.md]\n",
            "sources.yaml": "- id: marx1867\n  type: book\n  author: Karl Marx\n"
            "  title: Capital\n  issued: 1867\n",
            "lessons/a.md": lesson("Alpha", "Capital, read."),
            "lessons/b.md": lesson("Beta", "Capital, again."),
        },
    )


@pytest.mark.parametrize("indexed", [False, True])
def test_contents_laid_out_beside_the_back_print_its_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexed: bool
) -> None:
    """The contents, laid out by a worker while this process lays out the back, print the
    page of each appendix: the sources' first page is the back's, known then; the index's,
    after the sources, is known only once they are laid out, so the contents are laid out
    again here (on a first build). The PDF is the one process's, byte for byte."""
    two_chapters(tmp_path / "book", indexed)
    alone = build(tmp_path / "book", ("pdf",), tmp_path / "alone", BuildOptions(jobs=1))
    here = laid_out_here(monkeypatch)
    both = build(tmp_path / "book", ("pdf",), tmp_path / "both", BuildOptions(jobs=2))
    assert both.outputs[0].path.read_bytes() == alone.outputs[0].path.read_bytes()
    assert here == (["sources", "titlepage"] if indexed else ["sources"])  # the front: again
    if indexed:
        reader = pypdf.PdfReader(both.outputs[0].path)
        contents = next(text for text in texts(reader) if "Contents" in text)
        index = re.search(r"Index[ .]+(\d+)", contents)
        assert index is not None, contents
        assert reader.page_labels[first_page_of(reader, "Index")] == index.group(1)


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("indexed", [False, True])
def test_an_epubs_back_is_laid_out_by_a_worker_while_the_contents_are_laid_out_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexed: bool, large: bool
) -> None:
    """For the EPUB's page list alone, the other way round from the PDF: the back goes to
    the worker left, and this process lays out the contents meanwhile (again once the
    back's pages are known, when they print the index's); a back larger than
    ``BACK_BESIDE_MOST`` is laid out here, as for the PDF (memory). The EPUB is the one
    process's, byte for byte."""
    from coursebook.formats.pdf import paging

    if large:
        monkeypatch.setattr(paging, "BACK_BESIDE_MOST", 0)
    two_chapters(tmp_path / "book", indexed)
    alone = build(tmp_path / "book", ("epub",), tmp_path / "alone", BuildOptions(jobs=1))
    here = laid_out_here(monkeypatch)
    both = build(tmp_path / "book", ("epub",), tmp_path / "both", BuildOptions(jobs=2))
    assert both.outputs[0].path.read_bytes() == alone.outputs[0].path.read_bytes()
    if large:
        assert here == (["sources", "titlepage"] if indexed else ["sources"])
    else:
        assert here == (["titlepage", "titlepage"] if indexed else ["titlepage"])
    assert not multiprocessing.active_children()


def test_the_front_matters_problems_are_said_once_after_the_backs(tmp_path: Path) -> None:
    """For the EPUB's page list, the contents laid out here beside the back with a guess of
    the index's page, then again with the page it has: the problems of the front matter (a
    note hidden in the reader's guide) are said once, after the back's, as one process
    says them."""

    write_files(
        tmp_path / "book",
        {
            "book.yaml": "title: Parts\nlanguage: en\npublished: 2026-01-01\n"
            "index: [Capital]\nchapters: [lessons/a.md, lessons/b.md]\ncss:\n  print: hide.css\n",
            "sources.yaml": "- id: marx1867\n  type: book\n  author: Karl Marx\n"
            "  title: Capital\n  issued: 1867\n",
            "hide.css": ".footnote { display: none }\n",
            "about.md": "# How to read this\n\nCapital, first [@marx1867, p. 2].\n",
            "lessons/a.md": "# Alpha\n\nCapital, read.\n",
            "lessons/b.md": "# Beta\n\nCapital, again.\n",
        },
    )
    found = errors_on_one_and_two_cores(tmp_path, "epub")
    assert len(found[0]) == 1 and "about.md" in found[0][0]
    assert found[1] == found[0]
    assert not multiprocessing.active_children()


def test_parts_moved_by_an_edit_are_laid_out_again_side_by_side(
    joined: BuildResult, tmp_path: Path
) -> None:
    """An edit that lengthens the first chapter moves every later part: those parts are laid
    out again (their folios change) on two processes, and the PDF is a clean build's."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    options = BuildOptions(jobs=2)
    build(book, ("pdf",), tmp_path / "out", options)
    alpha = book / "lessons/a.md"
    alpha.write_text(alpha.read_text(encoding="utf-8") + f"\n{PARAGRAPH * 40}\n", "utf-8")
    stages = Stages()
    warm = build(book, ("pdf",), tmp_path / "out", options, progress=stages)
    assert stages.said["laying out pages"].endswith(", 5 of 5 parts laid out")
    clean = build(book, ("pdf",), tmp_path / "clean", BuildOptions(jobs=1))
    assert warm.outputs[0].path.read_bytes() == clean.outputs[0].path.read_bytes()


def test_a_stylesheet_setting_the_page_counter_is_kept_side_by_side(
    joined: BuildResult, tmp_path: Path
) -> None:
    """A book stylesheet that sets the page counter on its own pages: a part's folios can't
    be printed again with another first page, so a worker lays the part out again with its
    number; the PDF is still the one process's."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    manifest = book / "book.yaml"
    manifest.write_text(manifest.read_text("utf-8") + "css:\n  print: count.css\n", "utf-8")
    (book / "count.css").write_text("@page :nth(2) { counter-increment: page 10 }\n", "utf-8")
    one = build(book, ("pdf",), tmp_path / "one", BuildOptions(jobs=1))
    two = build(book, ("pdf",), tmp_path / "two", BuildOptions(jobs=2))
    assert two.outputs[0].path.read_bytes() == one.outputs[0].path.read_bytes()
    printed = texts(pypdf.PdfReader(one.outputs[0].path))
    assert any(re.search(r"\b1[3-9]\s*$", text) for text in printed)  # the counter jumped


@pytest.mark.parametrize("fmt", ["pdf", "epub"])
def test_a_pointer_to_the_end_of_its_lesson_prints_its_page_side_by_side(
    joined: BuildResult, tmp_path: Path, fmt: str
) -> None:
    """A note too long for the foot of its page, in the last chapter: its pointer prints the
    page the note is on at the end of the lesson (WeasyPrint's target-counter, in the text,
    not the margin). A worker lays that chapter out before the number of its first page is
    known: it is laid out again with its number, and the pages are one process's (the
    EPUB's page list too, laid out again for its pointer's width)."""
    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    delta = book / "lessons/d.md"
    long = "A remark on the passage that goes on for a while, as remarks do. " * 70
    delta.write_text(delta.read_text("utf-8") + f"\nAn aside.[^long]\n\n[^long]: {long}\n")
    one = build(book, (fmt,), tmp_path / "one", BuildOptions(jobs=1))
    two = build(book, (fmt,), tmp_path / "two", BuildOptions(jobs=2))
    if fmt == "epub":
        assert _page_list(one) and _page_list(two) == _page_list(one)
        return
    assert two.outputs[0].path.read_bytes() == one.outputs[0].path.read_bytes()
    reader = pypdf.PdfReader(two.outputs[0].path)
    printed = texts(reader)
    (pointer,) = [m for t in printed for m in re.findall(r"end of this lesson, p\. (\d+)", t)]
    at = reader.page_labels.index(pointer)
    assert "as remarks do" in printed[at] and printed[at].count("Notes") >= 1


def _page_list(result: BuildResult) -> list[str]:
    """The EPUB's page list: each page's number and where it begins."""
    with zipfile.ZipFile(result.outputs[0].path) as epub:
        nav = epub.read("EPUB/nav.xhtml").decode("utf-8")
    (pages,) = re.findall(r'<nav[^>]*epub:type="page-list".*?</nav>', nav, re.S)
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', pages)


HIDDEN_NOTES = ".footnote { display: none }\n"
TALL_NOTES = ".footnote { font-size: 160pt; line-height: 1 }\n"


@pytest.mark.parametrize(
    ("fmt", "css"), [("pdf", HIDDEN_NOTES), ("epub", HIDDEN_NOTES), ("epub", TALL_NOTES)]
)
def test_errors_found_side_by_side_are_those_of_one_process(
    tmp_path: Path, fmt: str, css: str
) -> None:
    """Notes a stylesheet hides, or makes too tall for any page, in three chapters laid out
    by two workers (for the EPUB's page list, the largest first, each as if from page 1);
    the first links forward to the last and the last back to the first, so parts are laid
    out again once those pages are known (a second pass, in one process too): the build
    fails with the errors one process finds, once each, in the same order, naming the pages
    one process names (a part whose notes go to the end of their lesson prints their
    pointer's page: it is laid out again with its number)."""

    text = "A paragraph of text that runs on for a while to fill the page. " * 6
    files = {
        "book.yaml": "title: Hidden\nlanguage: en\npublished: 2026-01-01\n"
        "chapters: [lessons/a.md, lessons/b.md, lessons/c.md]\ncss:\n  print: hide.css\n",
        "sources.yaml": "- id: marx1867\n  type: book\n  author: Karl Marx\n"
        "  title: Capital\n  issued: 1867\n",
        "hide.css": css,
    }
    links = {"a": "Read on in [the last lesson](c.md).", "c": "Back to [the first](a.md)."}
    for size, name in enumerate("abc", start=1):
        link = links.get(name, "")
        files[f"lessons/{name}.md"] = f"# {name}\n\n{link}\n\n{text * size} [@marx1867, p. 1]\n"
    write_files(tmp_path / "book", files)
    found = errors_on_one_and_two_cores(tmp_path, fmt)
    assert len(found[0]) == 3 and found[1] == found[0]
    if css == TALL_NOTES:
        pages = [int(p) for error in found[0] for p in re.findall(r"called on p\. (\d+)", error)]
        assert len(pages) == 3 and pages == sorted(pages) and pages[0] < pages[1] < pages[2]
    assert not multiprocessing.active_children()  # the workers stopped


def test_workers_started_for_nothing_are_stopped(joined: BuildResult, tmp_path: Path) -> None:
    """Workers start laying out while the book is rendered: a book with an error, and an
    EPUB whose parts all come from the cache, stop them without waiting for them."""
    from coursebook.core.diagnostics import BookError

    book = tmp_path / "book"
    shutil.copytree(joined.book.root, book)
    options = BuildOptions(jobs=2)
    build(book, ("pdf",), tmp_path / "out", options)
    stages = Stages()
    build(book, ("epub",), tmp_path / "out", options, progress=stages)
    assert stages.said["laying out pages"].endswith(", 0 of 5 parts laid out")
    assert not multiprocessing.active_children()
    beta = book / "lessons/b.md"
    beta.write_text(beta.read_text(encoding="utf-8") + "\n[@nobody1900]\n", "utf-8")
    with pytest.raises(BookError, match="nobody1900"):
        build(book, ("pdf",), tmp_path / "out", options)
    assert not multiprocessing.active_children()


def test_every_page_looks_as_its_part_alone_draws_it(joined: BuildResult, tmp_path: Path) -> None:
    """Fonts merged across parts keep every glyph of every part: each page of the joined PDF,
    rasterized (poppler's pdftoppm), is pixel for pixel the page of its part's own PDF."""
    book = joined.outputs[0].path
    parts = sorted((book.parent / ".coursebook-cache").glob("part-pdf-*"))
    assert len(parts) == 5
    joined_pages = [_pixels(book, i, tmp_path) for i in range(len(pypdf.PdfReader(book).pages))]
    compared = 0
    for part in parts:
        for index in range(len(pypdf.PdfReader(part).pages)):
            drawn = _pixels(part, index, tmp_path)
            assert drawn in joined_pages, (part.name, index)
            compared += 1
    assert compared >= len(joined_pages) - 2  # every page but the blank ones between parts


def _pixels(pdf: Path, index: int, folder: Path) -> bytes:
    out = folder / "page"
    page = str(index + 1)
    command = ["pdftoppm", "-r", "40", "-gray", "-f", page, "-l", page, "-singlefile"]
    subprocess.run([*command, str(pdf), str(out)], check=True)
    return out.with_suffix(".pgm").read_bytes()


def test_an_image_replaced_under_its_name_is_in_the_next_pdf(make_book, tmp_path: Path) -> None:
    """A part's cached PDF holds its images: one replaced (same name, other pixels) makes
    the part be laid out again, and the PDF is a clean build's."""
    from benchmarks.hostile_cases import png

    book = make_book({"lessons/one.md": "# One\n\nA red block.\n\n![A block](../images/a.png)\n"})
    (book / "images").mkdir()
    (book / "images/a.png").write_bytes(png(8, 6))
    build(book, ("pdf",), tmp_path / "out")
    (book / "images/a.png").write_bytes(png(8, 6, idat=zlib.compress((b"\0" + bytes(24)) * 6)))
    warm = build(book, ("pdf",), tmp_path / "out").outputs[0].path.read_bytes()
    clean = build(book, ("pdf",), tmp_path / "clean").outputs[0].path.read_bytes()
    assert warm == clean


FOLIO_CSS = """@page { size: a6; margin: 2cm;
  @bottom-center { content: "p. " counter(page) " of " string(title) }
  @top-right { content: counter(page, lower-roman); background: yellow } }
@page :first { counter-reset: page %d }
h1 { string-set: title content() } .note { float: footnote } p { background: #eee }"""
RUNNING_HEAD_CSS = """@page { @top-left { content: element(head) } }
.head { position: running(head) }"""
FOLIO_HTML = '<div class="head"><a href="#h3" id="in-head">To chapter 3</a></div>' + "".join(
    f'<h1 id="h{n}">Chapter {n}</h1><p>{PARAGRAPH * 4}<span class=note>Note {n}</span></p>'
    for n in range(5)
)


@pytest.mark.parametrize("running", [False, True])
def test_folios_printed_again_are_those_of_a_layout_with_that_number(running: bool) -> None:
    """A document laid out from page 1, its margins made from page 37: the PDF of a layout
    from page 37, byte for byte (running heads, counter styles, backgrounds, links); laid
    out from 37, its margins made for 37, the same. Until they are made, the pages have no
    margins (made once, for the number they print), unless running elements print there
    (a running head with a link and an id): then they are made with the pages, their ids
    anchors there as in a layout of one process, and made again for the number."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    from coursebook.formats.pdf.folios import (
        first_number,
        keep_margin_inputs,
        recording,
        renumber,
    )

    keep_margin_inputs()
    css = FOLIO_CSS + (RUNNING_HEAD_CSS if running else "")

    def laid_out(first: int, recorded: bool = True) -> weasyprint.Document:
        stylesheet = weasyprint.CSS(string=css % first)
        with recording() if recorded else contextlib.nullcontext():
            return weasyprint.HTML(string=FOLIO_HTML).render(stylesheets=[stylesheet])

    def margins(document: weasyprint.Document) -> int:
        return sum(
            isinstance(box, boxes.MarginBox)
            for page in document.pages
            for box in page._page_box.children
        )

    def links(pdf: bytes) -> int:
        pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
        return sum(1 for page in pages for a in page.get("/Annots") or () if a.get_object())

    def anchors(document: weasyprint.Document) -> list[set[str]]:
        return [set(page.anchors) for page in document.pages]

    unrecorded = laid_out(37, recorded=False)
    assert first_number(unrecorded) is None and margins(unrecorded) > 0
    direct = unrecorded.write_pdf()
    assert links(direct) >= len(unrecorded.pages) if running else links(direct) == 1
    assert ("in-head" in unrecorded.pages[1].anchors) is running  # in every page's margin
    moved = laid_out(1)
    assert len(moved.pages) > 3 and first_number(moved) == 1
    assert margins(moved) == (margins(unrecorded) if running else 0)
    assert anchors(moved) == anchors(unrecorded)
    assert renumber(moved, 37) and first_number(moved) == 37
    assert margins(moved) == margins(unrecorded) and anchors(moved) == anchors(unrecorded)
    assert moved.write_pdf() == direct and links(moved.write_pdf()) == links(direct)
    assert renumber(moved, 37) and moved.write_pdf() == direct  # again: nothing twice
    same = laid_out(37)
    assert renumber(same, 37) and same.write_pdf() == direct
    other = laid_out(1)
    assert renumber(other, 1) and other.write_pdf() != direct


def test_parts_printing_page_numbers_in_their_text_are_told_by_the_stylesheets() -> None:
    """Which parts print page numbers in their text (laid out again when laid out ahead
    with another first page): those holding a class that a rule outside @page gives a
    target-counter() or the page counter; any part, when such a rule names no class."""
    from coursebook.core.resources import stylesheet
    from coursebook.formats.pdf.folios import numbers_in_text

    ours = numbers_in_text([stylesheet("print.css").read_text("utf-8")])
    assert ours('<a class="endnote-pointer" href="#n1">')
    assert ours('<p>See <a class="x backref" href="#c">1</a>.</p>')
    assert not ours('<p class="backrefs">Cited on p. 3.</p>')  # another class
    assert not ours("<p>Only folios, in the margins.</p>")
    margins = "@page :left { @bottom-left { content: counter(page) } }"
    assert not numbers_in_text([margins, ".n::after { content: counter(footnote) }"])(
        '<a class="n">'
    )
    nested = "@media print { a[href]::after { content: target-counter(attr(href url), page) } }"
    assert numbers_in_text([nested])("<p>Any part at all.</p>")
    assert numbers_in_text([".p, .q span::before { content: counters(pages, '.') }"])(
        "<span class='q'>"
    )


UNDRAWN_CSS = """@page { size: 12cm 12cm; @top-center { content: string(title) }
  @bottom-center { content: counter(page); background: yellow } }
h1 { string-set: title content() } .note { float: footnote } p { background: #eee }"""
RUNNING_CSS = ".head { position: running(head) } @page { @top-left { content: element(head) } }"


@pytest.mark.parametrize("running", [False, True])
def test_pages_laid_out_for_the_page_list_alone_begin_where_drawn_ones_do(running: bool) -> None:
    """Laid out for the page list alone, pages get no margin boxes and no backgrounds (they
    are never drawn), unless running elements print in the margins (their ids are anchors
    there): page starts, anchors and notes' pages are those of the drawn layout."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    from coursebook.formats.pdf.folios import keep_margin_inputs
    from coursebook.formats.pdf.footnotes import note_placement
    from coursebook.formats.pdf.undrawn import skip_drawing_when_undrawn, undrawn
    from coursebook.render.pagemap import page_places

    keep_margin_inputs()
    skip_drawing_when_undrawn()
    head = '<div class="head" id="running-head">The head</div>' if running else ""
    html = head + "".join(
        f'<h1 id="h{n}">Chapter {n}</h1><p data-src="a.md:{n}">{PARAGRAPH * 3}'
        f'<span class="note" data-note="n{n}">Note {n}</span></p>'
        for n in range(6)
    )
    css = [weasyprint.CSS(string=UNDRAWN_CSS + (RUNNING_CSS if running else ""))]
    drawn = weasyprint.HTML(string=html).render(stylesheets=css)
    with undrawn():
        bare = weasyprint.HTML(string=html).render(stylesheets=css)

    def margins(document: weasyprint.Document) -> int:
        return sum(
            isinstance(box, boxes.MarginBox)
            for page in document.pages
            for box in page._page_box.children
        )

    def painted(document: weasyprint.Document) -> int:
        return sum(
            getattr(box, "background", None) is not None
            for page in document.pages
            for box in page._page_box.descendants()
        )

    assert len(bare.pages) == len(drawn.pages) > 3
    assert margins(drawn) > 0 and painted(drawn) > 0 and painted(bare) == 0
    assert margins(bare) == (margins(drawn) if running else 0)
    assert page_places(bare.pages) == page_places(drawn.pages)
    assert [p.anchors.keys() for p in bare.pages] == [p.anchors.keys() for p in drawn.pages]
    assert ("running-head" in drawn.pages[0].anchors) is running
    assert note_placement(bare, html) == note_placement(drawn, html)
    # Out of undrawn(), pages are drawn again.
    again = weasyprint.HTML(string=html).render(stylesheets=css)
    assert margins(again) == margins(drawn)
