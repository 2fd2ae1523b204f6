"""The PDF, read back with pypdf: pages, outline, notes at the foot of their page, fonts,
metadata."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdf
import pytest

from coursebook.cite.notes import resolve_notes
from coursebook.core.diagnostics import Diagnostics
from coursebook.parse.lessons import parse_book
from coursebook.pipeline.build import BuildResult, build, citation_engine
from coursebook.source.loader import load

from .conftest import SAMPLE_BOOK, output

FEATURES = Path(__file__).parent / "books" / "features"


@pytest.fixture(scope="module")
def reader(sample_build: BuildResult) -> pypdf.PdfReader:
    return pypdf.PdfReader(output(sample_build, "pdf"))


def outline(reader: pypdf.PdfReader, items=None, depth: int = 0) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every outline entry, in order."""
    entries = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            entries += outline(reader, item, depth + 1)
        else:
            entries.append((depth, item.title, reader.get_destination_page_number(item)))
    return entries


def page_texts(reader: pypdf.PdfReader) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def test_page_count_and_pages_are_a4(reader: pypdf.PdfReader, sample_build: BuildResult) -> None:
    pdf = next(o for o in sample_build.outputs if o.format == "pdf")
    assert len(reader.pages) == pdf.pages >= 8
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)


def test_outline_matches_the_contents(reader: pypdf.PdfReader) -> None:
    entries = outline(reader)
    assert [(d, t) for d, t, _ in entries] == [
        (0, "Contents"),
        (0, "Soviet Bonapartism"),
        (1, "The zigzags of the bureaucracy"),
        (1, "The nature of the Stalinist state"),
        (2, "a) Proletarian Bonapartism"),
        (2, "b) A ‘Degenerated workers’ state’"),
        (0, "Sources"),
    ]
    pages = [p for _, _, p in entries]
    assert pages == sorted(pages)
    texts = page_texts(reader)
    for _, title, page in entries:
        assert title.split(") ")[-1] in texts[page], title


def test_contents_page_numbers_are_the_pages_of_the_lessons(reader: pypdf.PdfReader) -> None:
    texts = page_texts(reader)
    contents = next(t for t in texts if t.startswith("Contents"))
    for _, title, page in outline(reader)[1:]:
        # (a lesson's reading time, "6 min", comes before the leader)
        printed = re.search(re.escape(title) + r"(?: \d+ min)?[ .]*?(\d+)", contents)
        assert printed is not None, title
        # The printed number is that page's number (the body is numbered from 1).
        assert printed.group(1) == reader.page_labels[page]
    assert reader.page_labels[:2] == ["i", "ii"]


def test_each_note_is_at_the_foot_of_the_page_of_its_call(reader: pypdf.PdfReader) -> None:
    diagnostics = Diagnostics()
    book = load(SAMPLE_BOOK, diagnostics)
    parsed = parse_book(book, diagnostics)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    texts = page_texts(reader)
    destinations = reader.named_destinations
    checked = 0
    for lesson_notes in notes.lessons.values():
        for note in lesson_notes.notes:
            call_page = reader.get_destination_page_number(destinations[note.call_id])
            expected = f"{note.number}. {plain(note.html)[:40]}"
            pages = [i for i, text in enumerate(texts) if expected in text]
            assert pages == [call_page], (note.call_id, expected, pages, call_page)
            checked += 1
    assert checked == 13


def test_fonts_are_embedded(reader: pypdf.PdfReader) -> None:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    assert any(name.startswith("Charis") for name in names), names


def test_document_metadata(reader: pypdf.PdfReader) -> None:
    meta = reader.metadata
    assert meta.title == "The rise of Stalinism"
    assert meta.subject.startswith("From the late 1920s")
    assert "Stalinism" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20260210")
    assert meta["/ModDate"].startswith("D:20260212")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_running_heads_and_page_numbers(reader: pypdf.PdfReader) -> None:
    texts = page_texts(reader)
    lesson_pages = [i for i, t in enumerate(texts) if "Leninism" in t or "kulaks" in t]
    for index in lesson_pages:
        text = texts[index]
        folio = reader.page_labels[index]
        assert re.search(rf"(^|\s){folio}(\s|$)", text), (index, text[-80:])
        if index % 2 == 1:  # left-hand pages carry the book's title
            assert "The rise of Stalinism" in text


def test_sources_appendix_gives_the_page_of_each_citing_note(reader: pypdf.PdfReader) -> None:
    texts = page_texts(reader)
    sources = texts[-1]
    assert sources.startswith("Sources")
    # Each source lists the pages of the notes citing it, each page once.
    revbet = sources.split("Revolution Betrayed")[1]
    match = re.search(r"Cited on pp\. (\d+), (\d+)\.", revbet)
    assert match is not None
    first, second = (reader.page_labels.index(n) for n in match.groups())
    assert re.search(r"\b4\. Leon Trotsky, The Revolution Betrayed", texts[first])
    assert re.search(r"\b10\. Trotsky, (The )?Revolution Betrayed", texts[second])
    assert re.search(r"\b11\. Trotsky, (The )?Revolution Betrayed", texts[second])
    # The address in full (wherever a line breaks it).
    assert "https://www.marxists.org/archive/trotsky/1936/revbet/" in sources.replace(" ", "")


def test_features_book_pdf(tmp_path: Path) -> None:
    result = build(FEATURES, ("pdf",), tmp_path)
    reader = pypdf.PdfReader(output(result, "pdf"))
    entries = outline(reader)
    titles = [t for _, t, _ in entries]
    # Chapters (and the appendix) open on right-hand pages: odd folios, even indexes.
    for depth, title, page in entries:
        if depth == 0 and title != "Contents":
            assert page % 2 == 0, (title, page + 1)
    assert titles[:5] == [
        "Contents",
        "Beginnings",
        "The first lesson",
        "Commodities",
        "Definitions",
    ]
    assert "A lesson that is a chapter" in titles and "Glossary" in titles
    texts = page_texts(reader)
    # Notes restart with each chapter: the single-lesson chapter's first note is 1 again.
    alone = next(i for i, t in enumerate(texts) if "It has no front matter" in t)
    assert "1. V. I. Lenin" in texts[alone]
    # The image is in the PDF (WeasyPrint shares one resource dictionary among pages).
    images = {img.name for page in reader.pages for img in page.images}
    assert len(images) == 1


def test_ibid_only_in_print_and_only_when_the_style_asks(make_book, tmp_path: Path) -> None:
    lesson = "# One\n\nA [@marx1867, p. 3]. B [@marx1867, p. 4]. C [@marx1867, p. 4].\n"
    for style, expect_ibid in (
        ("chicago-notes-bibliography-subsequent-ibid", True),
        ("chicago-notes-bibliography", False),
    ):
        folder = make_book(
            {
                "book.yaml": f"title: Repeated citations\nlanguage: en-US\n"
                f"citation_style: {style}\nchapters: [one.md]\n",
                "one.md": lesson,
            },
            name=style,
        )
        result = build(folder, out_dir=tmp_path / "out" / style)
        epub_text = "".join(
            zipfile.ZipFile(output(result, "epub")).read(name).decode()
            for name in zipfile.ZipFile(output(result, "epub")).namelist()
            if name.endswith(".xhtml")
        )
        assert "Ibid" not in epub_text  # a pop-up note has no "previous note"
        printed = " ".join(page_texts(pypdf.PdfReader(output(result, "pdf"))))
        assert ("2. Ibid., 4." in printed) is expect_ibid, printed
        assert "1. Karl Marx, Capital" in printed
