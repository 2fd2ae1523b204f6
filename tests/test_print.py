"""The printed book: paper sizes, sides, extras, packs, booklets, printers' and archival PDFs,
all read back from the PDFs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pypdf
import pytest
from benchmarks import print_audit

from coursebook.core.diagnostics import Diagnostics
from coursebook.formats.pdf.booklet import Side, booklet_order
from coursebook.pipeline.build import BuildOptions, BuildResult, build

from .conftest import MINIMAL_MANIFEST, SAMPLE_BOOK, epub_text, epubcheck, output

FEATURES = Path(__file__).parent / "books" / "features"
POINTS = {  # width, height in points
    "a4": (595.3, 841.9),
    "letter": (612.0, 792.0),
    "a5": (419.5, 595.3),
    "6x9in": (432.0, 648.0),
}


def reader(result: BuildResult, fmt: str = "pdf") -> pypdf.PdfReader:
    return pypdf.PdfReader(output(result, fmt))


def texts(pdf: pypdf.PdfReader) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in pdf.pages]


def pdf_text(result: BuildResult) -> str:
    """The PDF's text, line by line; a no-break space (print ties a paragraph's last two
    words) read as a space."""
    pages = pypdf.PdfReader(output(result, "pdf")).pages
    return "\n".join(p.extract_text() for p in pages).replace("\u00a0", " ")


def notes_on_call_pages(result: BuildResult) -> int:
    """Checks that every note's text is on the page of its call; returns how many."""
    from coursebook.cite.notes import resolve_notes
    from coursebook.parse.lessons import parse_book
    from coursebook.pipeline.build import citation_engine
    from coursebook.source.loader import load

    pdf = reader(result)
    pages = texts(pdf)
    diagnostics = Diagnostics()
    book = load(result.book.root, diagnostics)
    notes = resolve_notes(
        book, parse_book(book, diagnostics), citation_engine(book, diagnostics), diagnostics
    )
    count = 0
    for lesson in notes.lessons.values():
        for note in lesson.notes:
            page = pdf.get_destination_page_number(pdf.named_destinations[note.call_id])
            start = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", note.html))[:25]
            assert f"{note.number}. {start}" in pages[page], (note.call_id, page)
            count += 1
    return count


@pytest.mark.parametrize("paper", ["a4", "letter", "a5", "6x9in"])
def test_sample_book_on_each_paper(paper: str, tmp_path: Path) -> None:
    result = build(
        SAMPLE_BOOK,
        out_dir=tmp_path,
        options=BuildOptions(format_options={"pdf": {"paper": paper}}),
    )
    pdf = reader(result)
    width, height = (float(v) for v in pdf.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == tuple(round(v) for v in POINTS[paper])
    assert notes_on_call_pages(result) == 13
    labels = pdf.page_labels
    assert labels[0] == "i" and "1" in labels
    # The front matter fits every paper: the title page, the imprint on one page (at its
    # foot), the contents on the third.
    pages = texts(pdf)
    assert "Imprint" in pages[1] and pages[2].startswith("Contents"), pages[:3]
    # The print audit (benchmarks/print_audit.py), read back from the PDF and the EPUB:
    # every note at its call's page, every page-list marker at its page's top, every page
    # reference and outline entry right, nothing leaked, fonts embedded; the measure a
    # book's.
    audit = print_audit.audit(output(result, "epub"), output(result, "pdf"), paper)
    assert audit.zero_counts() == dict.fromkeys(audit.zero_counts(), 0), audit.details
    assert audit.notes["ok"] == 13 and audit.markers["checked"] >= 10
    assert audit.page_refs["checked"] >= 10
    assert 60 <= audit.median_chars <= 75


def test_weasyprint_loses_a_note_unless_fixed() -> None:
    """WeasyPrint 70 sets a line that orphans keep from breaking without its notes, and
    sends the notes before it to the next page (see coursebook.formats.pdf.notes_fix): shown
    on plain WeasyPrint in a process of its own, then fixed here. When WeasyPrint fixes it,
    the first half fails: then the fix can go."""
    script = (
        "import sys, weasyprint\n"
        "from coursebook.formats.pdf.footnotes import note_placement\n"
        f"p = note_placement(weasyprint.HTML(string={ORPHANED_NOTE!r}).render())\n"
        "print(sorted(p.lost), sorted(p.misplaced))\n"
    )
    plain = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert plain.stdout.strip() == "['two'] ['one']"
    import weasyprint

    from coursebook.formats.pdf.footnotes import note_placement
    from coursebook.formats.pdf.notes_fix import keep_notes_with_calls

    assert keep_notes_with_calls()
    placement = note_placement(weasyprint.HTML(string=ORPHANED_NOTE).render())
    assert not placement.out_of_place
    # Both lines went to the next page with their notes (orphans: 2).
    assert dict(placement.calls) == dict(placement.printed) == {"one": 1, "two": 1}


ORPHANED_NOTE = """<style>@page { margin: 0; size: 100px; @footnote { margin-top: 0 } }
html { font-size: 10px; line-height: 1 } body { margin: 0 } p { margin: 0; orphans: 2; widows: 2 }
span { float: footnote } ::footnote-call { vertical-align: baseline }</style>
<p>a<br>b<br>c<br>d<br>e<br>f<br>g<br>h</p>
<p>x<span data-note="one">1</span><br>y<span data-note="two">2</span><br>z<br>w</p>"""


def test_a_note_that_cannot_be_placed_fails_the_build(make_book) -> None:
    """The check after layout: a note printed nowhere, or away from its call even at the end
    of its lesson, is an error naming the note, its call's page and where it went."""
    from coursebook.formats.pdf.footnotes import NotePlacement, fail_notes
    from coursebook.pipeline.build import prepare
    from coursebook.pipeline.loading import load_book

    folder = make_book(
        {"lessons/one.md": "# One\n\nText[^a] and more[^b].\n\n[^a]: A.\n[^b]: B.\n"}
    )
    diagnostics = Diagnostics()
    book = load_book(folder, diagnostics)
    from coursebook.core.cache import Cache

    rendered = prepare(book, diagnostics, BuildOptions(), Cache(folder / ".cache"))
    ids = [n.id for lesson in rendered.notes.lessons.values() for n in lesson.notes]
    placement = NotePlacement({ids[0]: 0, ids[1]: 1}, {ids[1]: 2}, frozenset())
    fail_notes(rendered, placement, ["5", "6", "7"], diagnostics)
    messages = [(d.location.line, d.message, d.code) for d in diagnostics.errors]
    assert messages == [
        (
            5,
            "note 1, called on p. 5, could not be printed at the foot of that page or with "
            "a pointer there; it was printed nowhere",
            "note-placement",
        ),
        (
            6,
            "note 2, called on p. 6, could not be printed at the foot of that page or with "
            "a pointer there; it was printed on p. 7",
            "note-placement",
        ),
    ]


def test_margins_are_mirrored_and_blank_pages_are_bare(tmp_path: Path) -> None:
    pdf = reader(build(SAMPLE_BOOK, ("pdf",), tmp_path))
    lefts = {}
    for index, page in enumerate(pdf.pages):
        xs: list[float] = []
        page.extract_text(
            visitor_text=lambda text, cm, tm, font, size, xs=xs: (
                xs.append(tm[4] * cm[0] + cm[4]) if text.strip() else None
            )
        )
        if not xs:
            # A blank page (a verso before a chapter): no running head, no number.
            assert page.extract_text().strip() == ""
            continue
        lefts[index] = min(xs)
    body = [i for i in lefts if pdf.page_labels[i].isdigit()]
    even = {round(lefts[i]) for i in body if i % 2 == 0}  # right-hand pages
    odd = {round(lefts[i]) for i in body if i % 2 == 1}  # left-hand pages
    # On A4 the outer margin (56 mm, for the reader's notes) is wider than the inner one
    # (28 mm): right-hand pages' text starts 28 mm further left than left-hand pages'.
    assert min(odd) - min(even) == pytest.approx(28 / 25.4 * 72, abs=2)


def test_single_sided(tmp_path: Path) -> None:
    double = reader(build(SAMPLE_BOOK, ("pdf",), tmp_path / "two"))
    single = reader(
        build(
            SAMPLE_BOOK,
            ("pdf",),
            tmp_path / "one",
            options=BuildOptions(format_options={"pdf": {"double_sided": False}}),
        )
    )
    assert any(not text.strip() for text in texts(double))  # versos left blank
    assert all(text.strip() for text in texts(single))  # none in a single-sided book
    assert len(single.pages) < len(double.pages)


def test_cross_references_addresses_and_table_headers(tmp_path: Path, make_book) -> None:
    rows = "\n".join(f"| {i} | row {i} |" for i in range(90))
    folder = make_book(
        {
            "book.yaml": "title: Refs\nlanguage: en\nchapters: [a.md, b.md]\n",
            "a.md": "# A\n\n## Here\n\nSee [lesson B](b.md#there) and "
            "[the archive](https://www.marxists.org/).\n",
            "b.md": f"# B\n\n## There\n\n| Number | Row |\n|---|---|\n{rows}\n",
        }
    )
    pages = texts(reader(build(folder, ("pdf",), tmp_path / "out")))
    text = " ".join(pages)
    b_page = next(i for i, p in enumerate(pages) if "There" in p and "Row" in p)
    folio = reader(build(folder, ("pdf",), tmp_path / "out2")).page_labels[b_page]
    assert f"See lesson B (p. {folio})" in text
    assert "the archive <https://www.marxists.org/>" in text
    # The table runs over pages; its header row is repeated on each.
    table_pages = [p for p in pages if "row 1" in p or "row 89" in p or "row 60" in p]
    assert len(table_pages) >= 2
    assert all("Number Row" in p for p in table_pages)


def test_qr_codes_beside_sources_with_addresses(tmp_path: Path) -> None:
    plain = reader(build(SAMPLE_BOOK, ("pdf",), tmp_path / "plain"))
    coded = reader(
        build(
            SAMPLE_BOOK,
            ("pdf",),
            tmp_path / "qr",
            options=BuildOptions(format_options={"pdf": {"qr": True}}),
        )
    )
    assert not list(plain.pages[-1].images)
    # Five of the sample's six sources have a full-text address.
    assert len(list(coded.pages[-1].images)) == 5


def test_a_qr_code_for_a_source_with_only_a_doi(make_book, tmp_path: Path) -> None:
    """A source with a DOI and no URL gets a code for its doi.org address (read back from
    the PDF's image, module by module); one with neither gets none."""
    import segno

    sources = (
        "- id: paper\n  type: article-journal\n  author: Jane Doe\n  title: A paper\n"
        "  container-title: A journal\n  issued: 2001\n  DOI: 'doi:10.1000/XYZ#1'\n"
        "- id: book\n  type: book\n  author: John Roe\n  title: A book\n  issued: 1999\n"
    )
    folder = make_book(
        {"sources.yaml": sources, "lessons/one.md": "# One\n\nText [@paper]. More [@book].\n"}
    )
    options = BuildOptions(format_options={"pdf": {"qr": True}})
    pdf = reader(build(folder, ("pdf",), tmp_path / "out", options=options))
    (image,) = pdf.pages[-1].images
    dark = [[pixel < 128 for pixel in row] for row in _rows(image.image.convert("L"))]
    expected = segno.make("https://doi.org/10.1000/XYZ%231", error="m").matrix
    assert dark == [[bool(module) for module in row] for row in expected]


def _rows(image: Any) -> list[list[int]]:
    width, height = image.size
    return [[image.getpixel((x, y)) for x in range(width)] for y in range(height)]


def test_note_pages(tmp_path: Path) -> None:
    plain = reader(build(SAMPLE_BOOK, ("pdf",), tmp_path / "plain"))
    noted = reader(
        build(
            SAMPLE_BOOK,
            ("pdf",),
            tmp_path / "notes",
            options=BuildOptions(format_options={"pdf": {"note_pages": 2}}),
        )
    )
    pages = texts(noted)
    # A note page holds its title, the running head and the page number, nothing else.
    note_pages = [i for i, text in enumerate(pages) if text.startswith("Notes ") and len(text) < 60]
    assert len(note_pages) == 4  # two after each of the two lessons
    assert len(noted.pages) >= len(plain.pages) + 4


def test_a_long_note_goes_to_the_end_of_its_lesson(make_book, tmp_path: Path) -> None:
    long = " ".join(["A note that goes on about value, price and the working day."] * 70)
    body = "\n\n".join(f"Paragraph {i} [@marx1867, p. {i}]." for i in range(6))
    folder = make_book(
        {
            "lessons/one.md": f"# One\n\n{body}\n\nAn aside[^long] in the text.\n\n"
            f"Then more [@marx1867, p. 99].\n\n[^long]: {long}\n",
        }
    )
    diagnostics = Diagnostics()
    result = build(folder, out_dir=tmp_path / "out", diagnostics=diagnostics)
    (warning,) = [d for d in diagnostics.warnings if d.code == "long-note"]
    # Read back from the PDF: moved with its pointer, every other note at its call's page.
    audit = print_audit.audit(output(result, "epub"), output(result, "pdf"), "a4")
    assert audit.zero_counts() == dict.fromkeys(audit.zero_counts(), 0), audit.details
    assert audit.notes["moved"] == 1 and audit.notes["ok"] >= 7
    assert warning.location.line == 19  # where the note is written
    pages = texts(reader(result))
    text = " ".join(pages)
    pointer = re.search(r"7\. See the end of this lesson, p\. (\d+)\.", text)
    assert pointer is not None
    end = reader(result).page_labels.index(pointer.group(1))
    assert "Notes 7. A note that goes on" in pages[end]
    # The notes after it are at the foot of their own pages again.
    assert "8. Marx, Capital" in text


def test_a_pack_of_lessons(tmp_path: Path) -> None:
    result = build(SAMPLE_BOOK, out_dir=tmp_path, options=BuildOptions(lessons="15"))
    assert output(result, "pdf").name == "the-rise-of-stalinism-lesson-15.pdf"
    pdf = reader(result)
    pages = texts(pdf)
    contents = next(p for p in pages if p.startswith("Contents"))
    assert "The zigzags of the bureaucracy" in contents
    assert "The nature of the Stalinist state" not in contents
    sources = pages[-1]
    assert sources.startswith("Sources")
    # Only the sources lesson 15 cites (four of the six).
    assert sources.count("Cited on") == 4 and "Hadden" not in sources
    assert result.sources == 4  # and the summary says so (not the book's six)
    # Numbered from 1, and the lesson's notes from 1.
    assert pdf.page_labels[[i for i, p in enumerate(pages) if "Lesson 15" in p][-1]] in {"1", "2"}
    assert "1. Leon Trotsky" in " ".join(pages)
    assert epubcheck(output(result, "epub")) == []


def test_lesson_selections(tmp_path: Path) -> None:
    from coursebook.pipeline.packs import SelectionError, select_lessons
    from coursebook.source.loader import load

    book = load(SAMPLE_BOOK)
    assert [x.number for x in select_lessons(book, "15-16").lessons] == ["15", "16"]
    assert [
        x.number for x in select_lessons(book, "16-the-nature-of-the-stalinist-state").lessons
    ] == ["16"]
    assert [x.number for x in select_lessons(book, "chapter-1").lessons] == ["15", "16"]
    with pytest.raises(SelectionError, match="'17' names no lesson"):
        select_lessons(book, "17")


def test_booklet_order() -> None:
    assert booklet_order(8) == [Side(7, 0), Side(1, 6), Side(5, 2), Side(3, 4)]
    # Padded with blank pages to a multiple of four.
    assert booklet_order(5) == [Side(None, 0), Side(1, None), Side(None, 2), Side(3, 4)]
    # Two gatherings of one sheet each.
    assert booklet_order(8, signature=1) == [Side(3, 0), Side(1, 2), Side(7, 4), Side(5, 6)]


def crop_text(pdf: Path, page: int, x: float, width: float, height: float) -> str:
    result = subprocess.run(
        [
            "pdftotext",
            "-f",
            str(page),
            "-l",
            str(page),
            "-x",
            str(int(x)),
            "-y",
            "0",
            "-W",
            str(int(width)),
            "-H",
            str(int(height)),
            str(pdf),
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return re.sub(r"\s+", " ", result.stdout).strip()


def test_booklet_reads_back(tmp_path: Path) -> None:
    result = build(
        SAMPLE_BOOK,
        ("pdf",),
        tmp_path,
        options=BuildOptions(format_options={"pdf": {"paper": "a5", "booklet": True}}),
    )
    pdf, booklet = output(result, "pdf"), output(result, "booklet")
    pages = len(pypdf.PdfReader(pdf).pages)
    sheets = pypdf.PdfReader(booklet)
    width, height = (float(v) for v in sheets.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, the A5 pages centred
    padded = -(-pages // 4) * 4
    assert len(sheets.pages) == padded // 2
    source = texts(pypdf.PdfReader(pdf))
    for number, side in enumerate(booklet_order(pages), start=1):
        for index, x in ((side.left, 0), (side.right, width / 2)):  # each half of the sheet
            seen = crop_text(booklet, number, x, width / 2, height)
            if index is None:
                assert seen == ""
            else:
                # List numbers ("1.") are text in one extraction and not in the other.
                words = [w for w in source[index].split() if not re.fullmatch(r"\d+\.", w)]
                shown = " ".join(w for w in seen.split() if not re.fullmatch(r"\d+\.", w))
                assert " ".join(words[:3]) in shown, (number, index, seen[:80])


def test_printers_pdf_has_bleed_and_trim_box(tmp_path: Path) -> None:
    pdf = reader(
        build(
            SAMPLE_BOOK,
            ("pdf",),
            tmp_path,
            options=BuildOptions(format_options={"pdf": {"bleed": "3mm", "marks": True}}),
        )
    )
    page = pdf.pages[5]
    trim = [float(v) for v in page.trimbox]
    media = [float(v) for v in page.mediabox]
    assert trim[2] - trim[0] == pytest.approx(595.3, abs=0.5)  # A4 trimmed
    assert media[2] - media[0] > trim[2] - trim[0] + 2 * 8  # bleed and room for the marks


@pytest.mark.parametrize("variant", ["pdf/a-3b", "pdf/ua-1"])
def test_archival_and_accessible_variants(variant: str, tmp_path: Path) -> None:
    result = build(
        SAMPLE_BOOK,
        ("pdf",),
        tmp_path,
        options=BuildOptions(format_options={"pdf": {"pdf_variant": variant}}),
    )
    pdf = reader(result)
    root = pdf.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert root["/Lang"] == "en"
    assert "The rise of Stalinism" in xmp
    if variant == "pdf/a-3b":
        assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
        assert "/OutputIntents" in root
    else:
        assert 'pdfuaid:part="1"' in xmp
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
        assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert [t for _, t in _outline(pdf)][:2] == ["Contents", "Soviet Bonapartism"]
    fonts = subprocess.run(
        ["pdffonts", str(output(result, "pdf"))], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # "emb" column


def _outline(pdf: pypdf.PdfReader) -> list[tuple[int, str]]:
    return [(0, item.title) for item in pdf.outline if not isinstance(item, list)]


def test_a_four_lesson_pack_as_a_booklet(make_book, tmp_path: Path) -> None:
    """A study circle's month: four lessons of a six-lesson course, printed as a booklet."""
    lessons = {
        f"lessons/{n:02}.md": f"---\ntitle: Lesson number {n}\nnumber: {n}\n---\n\n"
        + "\n\n".join(
            f"Text of lesson {n}, paragraph {p} [@marx1867, p. {n * 10 + p}]." for p in range(12)
        )
        for n in range(1, 7)
    }
    folder = make_book(
        {
            "book.yaml": "title: Six lessons\nlanguage: en\nchapters:\n"
            + "".join(f"  - lessons/{n:02}.md\n" for n in range(1, 7)),
            **lessons,
        }
    )
    result = build(
        folder,
        out_dir=tmp_path / "out",
        options=BuildOptions(
            lessons="2-5", format_options={"pdf": {"paper": "a5", "booklet": True}}
        ),
    )
    assert output(result, "pdf").name == "six-lessons-lessons-2-5.pdf"
    pdf = reader(result)
    pages = texts(pdf)
    contents = next(p for p in pages if p.startswith("Contents"))
    assert [n for n in range(1, 7) if f"Lesson number {n} " in contents] == [2, 3, 4, 5]
    first = next(i for i, p in enumerate(pages) if p.startswith("Lesson 2 Lesson number 2"))
    assert pdf.page_labels[first] == "1"
    # Each lesson's notes are numbered from 1 (each lesson is a chapter).
    for n in (2, 5):
        page = next(p for p in pages if p.startswith(f"Lesson {n} Lesson number {n}"))
        assert "1. Karl Marx, Capital" in page
    sheets = pypdf.PdfReader(output(result, "booklet"))
    assert len(sheets.pages) == -(-len(pdf.pages) // 4) * 2
    assert epubcheck(output(result, "epub")) == []


def test_a_note_written_over_several_lines_is_set_as_one_paragraph(
    make_book, tmp_path: Path
) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Notes\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nText.[^a]\n\n[^a]: A short note written\n    over three\n"
            "    indented lines.\n",
        }
    )
    result = build(folder, ("pdf",), tmp_path / "out", diagnostics=Diagnostics())
    text = pdf_text(result)
    # One line of the footnote area, not the three of the Markdown.
    assert re.search(r"^1\. A short note written over three indented lines\. *$", text, re.M)


def test_adjacent_note_calls_are_separated_in_every_format(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Calls\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nMuch indeed [@marx1867].[^a] More.[^b]\n\n[^a]: A.\n\n[^b]: B.\n",
        }
    )
    result = build(folder, ("pdf", "epub"), tmp_path / "out", diagnostics=Diagnostics())
    text = pdf_text(result)
    assert "Much indeed.1,2 More.3" in text
    epub = epub_text(output(result, "epub"), "EPUB/text/one.xhtml")
    # A line may break after the comma (a long run of calls is not one word).
    assert '</sup></a><sup class="note-separator">,</sup><wbr/><a class="noteref"' in epub
    assert epub.count("note-separator") == 1  # "More.³" stands alone


def test_addresses_break_after_a_slash_or_before_a_dot_never_after_the_scheme(
    make_book, tmp_path: Path
) -> None:
    address = "https://www.marxists.org/archive/trotsky/1936/revbet/chapter-nine/index.htm"
    lines = [f"{'Word ' * (n + 3)}<{address}?part={n}> and more text after it." for n in range(14)]
    folder = make_book(
        {
            "book.yaml": "title: Addresses\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\n" + "\n\n".join(lines) + "\n",
        }
    )
    result = build(folder, ("pdf",), tmp_path / "out", diagnostics=Diagnostics())
    text = pdf_text(result)
    ends = [line.rstrip() for line in text.split("\n") if "marxists" in line or "https" in line]
    broken = [line for line in ends if not line.endswith("it.")]
    assert len(broken) >= 8  # the addresses do wrap, at many places along them
    for line in broken:
        assert not line.endswith(("https://", "https:", "//", "-")), line
        assert line.endswith("/") or re.search(r"\w$", line), line


@pytest.mark.parametrize(
    "address",
    [
        "https://www.marxists.org/archive/trotsky/1936/revbet/chapter-nine/index.htm",
        "https://www.example.org/archive/1936/0207.htm?part=3&x=1#frag",
        "http://a.example.com/x/y2/%C3%A9t%C3%A9/~user/file_name.tar.gz",
        "https://doi.org/10.1000/XYZ-123.4(5)",
        "ftp://ftp.example.net/pub/" + "averyveryverylongsegmentwithoutanybreak" * 2 + "/end",
    ],
)
def test_an_address_breaks_only_at_its_marks_for_the_line_breaker_itself(address: str) -> None:
    """The pieces of an address left as plain text (not held by a span) have no break
    opportunity inside them for Pango, WeasyPrint's line breaker: asked of Pango itself."""
    from lxml import etree
    from weasyprint.text.line_break import get_log_attrs

    from coursebook.formats.pdf.urls import ZERO_WIDTH_SPACE, break_urls

    root = etree.fromstring(
        f'<p><a href="{address.replace("&", "&amp;")}">{address.replace("&", "&amp;")}</a></p>'
    )
    break_urls(root)
    link = root[0]
    assert "".join(link.itertext()).replace(ZERO_WIDTH_SPACE, "") == address  # nothing lost
    held = {span.text for span in link if span.get("class") == "url-piece"}
    assert any(piece.startswith(address[:12]) for piece in held)  # the scheme and host held
    runs = [link.text or ""] + [span.tail or "" for span in link]
    for run in runs:
        attrs = get_log_attrs(run, "en")
        breaks = [i for i in range(1, len(run)) if attrs[i].is_line_break]
        long_pieces = [p for p in run.split(ZERO_WIDTH_SPACE) if len(p) > 30]
        if long_pieces:  # breaks where it must, past the held length
            continue
        assert all(run[i - 1] == ZERO_WIDTH_SPACE for i in breaks), (run, breaks)


def test_short_tables_are_never_split_across_pages(make_book, tmp_path: Path) -> None:
    filler = "A line of text to move the next table down the page. " * 6
    parts = []
    for n in range(14):
        rows = "\n".join(f"| T{n}R{r} | {r} |" for r in range(1, 6))
        parts.append(f"{filler * (n % 4 + 1)}\n\n| Table | Row |\n|---|---|\n{rows}\n")
    folder = make_book(
        {
            "book.yaml": "title: Tables\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\n" + "\n\n".join(parts),
        }
    )
    result = build(folder, ("pdf",), tmp_path / "out", diagnostics=Diagnostics())
    pages = [p.extract_text() for p in pypdf.PdfReader(output(result, "pdf")).pages]
    for n in range(14):
        holding = {i for i, text in enumerate(pages) for r in range(1, 6) if f"T{n}R{r}" in text}
        assert len(holding) == 1, (n, sorted(holding))


def test_every_page_of_the_sources_appendix_has_its_running_head(make_book, tmp_path: Path) -> None:
    sources = "".join(
        f"- id: s{n}\n  type: book\n  title: A Book About Subject Number {n} in Detail\n"
        f"  author: [{{family: Author{n}, given: Ann}}]\n  issued: {{date-parts: [[{1900 + n}]]}}\n"
        f"  publisher: A Publisher\n  URL: https://example.org/books/{n}\n"
        for n in range(70)
    )
    cites = " ".join(f"Point {n} [@s{n}]." for n in range(70))
    folder = make_book(
        {
            "book.yaml": "title: Heads\nlanguage: en\nchapters: [one.md]\n",
            "sources.yaml": sources,
            "one.md": f"# The only lesson\n\n{cites}\n",
        }
    )
    result = build(folder, ("pdf",), tmp_path / "out", diagnostics=Diagnostics())
    pages = [p.extract_text() for p in pypdf.PdfReader(output(result, "pdf")).pages]
    first = next(i for i, text in enumerate(pages) if "Author0, Ann" in text)
    following = [text for text in pages[first + 1 :] if "Cited on" in text]
    assert len(following) >= 2
    # Left pages carry the book's title, right pages the part's: "Sources", not the lesson's.
    assert all("The only lesson" not in text for text in following)
    assert sum("Sources" in text for text in following) >= 1


def test_last_words_are_tied_and_never_hyphenated() -> None:
    from lxml import etree

    from coursebook.core.xhtml import OPS, parse_fragment
    from coursebook.formats.pdf.runts import tie_last_words

    def tied(html: str) -> str:
        tree = parse_fragment(html)
        tie_last_words(tree)
        return etree.tostring(tree[0], encoding="unicode").replace(f' xmlns:epub="{OPS}"', "")

    assert tied("<p>at a terrible\n  cost.</p>") == "<p>at a terrible\u00a0cost.</p>"
    assert tied("<p>one two \t\n three.  </p>") == "<p>one two\u00a0three.  </p>"
    assert tied("<p> solo.</p>") == "<p> solo.</p>"  # no word before it in the paragraph
    # A note call and what follows it are not the last word; a long last word is kept
    # whole but not tied; code is left alone.
    assert tied('<p>a word here<a role="doc-noteref" href="#n">3</a>.</p>') == (
        '<p>a word\u00a0here<a role="doc-noteref" href="#n">3</a>.</p>'
    )
    assert tied("<p>See <em>this</em> internationally.</p>") == (
        "<p>See <em>this</em> internationally.</p>"
    )
    assert tied("<pre><code>a b</code></pre>") == "<pre><code>a b</code></pre>"


def test_a_paragraph_never_ends_on_one_short_word() -> None:
    """A paragraph laid out by WeasyPrint with the print stylesheet's rule: found by adding
    words until the last line holds one short word, then the same paragraph tied."""
    import weasyprint
    from lxml import etree

    from coursebook.core.xhtml import parse_fragment
    from coursebook.formats.pdf.runts import tie_last_words

    style = "<style>p { width: 60mm; font-size: 10pt; text-align: justify; hyphens: auto }"
    style += "</style>"

    def last_line(paragraph: str) -> str:
        document = weasyprint.HTML(string=style + paragraph).render()
        lines = [
            box for box in _boxes(document.pages[0]._page_box) if type(box).__name__ == "LineBox"
        ]
        return " ".join(_text(lines[-1]).split())

    words = [
        "the",
        "bureaucracy",
        "went",
        "through",
        "a",
        "series",
        "of",
        "bewildering",
        "zigzags",
        "in",
        "the",
    ]
    text = ""
    for count in range(12, 200):
        text = " ".join((words * 20)[:count]) + " end."
        if last_line(f"<p>{text}</p>") == "end.":
            break
    else:
        pytest.fail("no paragraph ending on one word found")
    tree = parse_fragment(f"<p>{text}</p>")
    tie_last_words(tree)
    assert len(last_line(etree.tostring(tree[0], encoding="unicode")).split()) == 2


def _boxes(box):  # type: ignore[no-untyped-def]
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def _text(box) -> str:  # type: ignore[no-untyped-def]
    return getattr(box, "text", "") + "".join(_text(c) for c in getattr(box, "children", ()))


@pytest.mark.parametrize("paper", ["a5", "letter"])
def test_features_book_passes_the_print_audit(paper: str, tmp_path: Path) -> None:
    """Every construct a lesson can hold (tables, figures, math, callouts, glossary, notes in
    notes' places), held to the audit's zero counts."""
    result = build(
        FEATURES, out_dir=tmp_path, options=BuildOptions(format_options={"pdf": {"paper": paper}})
    )
    audit = print_audit.audit(output(result, "epub"), output(result, "pdf"), paper)
    assert audit.zero_counts() == dict.fromkeys(audit.zero_counts(), 0), audit.details
    assert audit.notes["ok"] >= 10 and audit.markers["checked"] >= 8


def test_page_list_markers_in_a_long_table_and_the_sources(tmp_path: Path, make_book) -> None:
    """A table over several pages: the EPUB's marker for each page it goes on to is at the
    row that starts that page (print repeats the header first); the sources appendix's
    markers at its entries, though print's "Cited on" lines differ from the EPUB's."""
    rows = "\n".join(f"| {i} | The row numbered {i} of the long table |" for i in range(120))
    body = "\n\n".join(f"Paragraph {i} of the lesson [@marx1867, p. {i}]." for i in range(40))
    folder = make_book(
        {"lessons/one.md": f"# One\n\n{body}\n\n| Number | Row |\n|---|---|\n{rows}\n\nAfter.\n"}
    )
    result = build(folder, out_dir=tmp_path / "out")
    audit = print_audit.audit(output(result, "epub"), output(result, "pdf"), "a4")
    assert audit.zero_counts() == dict.fromkeys(audit.zero_counts(), 0), audit.details
    epub = print_audit.read_epub(output(result, "epub"))
    in_table = [a for _, _, a in epub.markers if re.match(r"\d+therownumbered\d+", a)]
    assert len(in_table) >= 2  # the pages the table goes on to begin at a row
    assert audit.markers["checked"] >= len(epub.markers) - 2  # the contents' text differs


def test_no_three_hyphenated_lines_in_a_row() -> None:
    """A paragraph laid out with three or more lines running on a hyphen is found in the
    boxes, and set again without hyphenation (the print stylesheet's rule for it)."""
    import weasyprint

    from coursebook.formats.pdf.hyphenation import hyphen_runs, unhyphenated_css

    words = "bureaucratisation industrialisation collectivisation internationalism "
    html = f'<p lang="en" data-src="one:1">{words * 6}</p><p lang="en" data-src="one:2">Short.</p>'
    # As coursebook lays a part out: its stylesheets given to WeasyPrint, this rule last.
    style = "p { width: 42mm; font-size: 10pt; text-align: justify; hyphens: auto }"

    def laid_out(*rules: str) -> object:
        sheets = [weasyprint.CSS(string=rule) for rule in (style, *rules)]
        return weasyprint.HTML(string=html).render(stylesheets=sheets)

    assert hyphen_runs(laid_out()) == {"one:1"}
    assert hyphen_runs(laid_out(unhyphenated_css({"one:1"}))) == frozenset()


def test_notes_a_page_cant_hold_share_one_pointer(make_book, tmp_path: Path) -> None:
    """Fifteen long notes called in one line: as many as the page holds are at its foot, the
    rest at the end of the lesson under one pointer ("11–15. See the end of this lesson,
    p. 3."), not a pointer line each, which the page couldn't hold either."""
    remark = "a remark on the passage that goes on for a while, as remarks do, " * 3
    calls = "".join(f" [@marx1867, p. {i}, {remark}]" for i in range(1, 16))
    text = "A paragraph of text that runs on for a while to fill the page. " * 6
    folder = make_book({"lessons/one.md": f"# One\n\n{text}\n\n{text}\n\nAs was said{calls}.\n"})
    options = BuildOptions(format_options={"pdf": {"paper": "6x9in"}})
    result = build(folder, out_dir=tmp_path / "out", options=options, diagnostics=Diagnostics())
    audit = print_audit.audit(output(result, "epub"), output(result, "pdf"), "6x9in")
    assert audit.zero_counts() == dict.fromkeys(audit.zero_counts(), 0), audit.details
    assert audit.notes["moved"] >= 3 and audit.notes["ok"] >= 3
    assert audit.notes["moved"] + audit.notes["ok"] == 15
    printed = pdf_text(result)
    (first,) = re.findall(r"(\d+)–15\. See the end of this lesson, p\. \d+\.", printed)
    assert int(first) == 16 - audit.notes["moved"]
    assert f"{first}. Marx, Capital" in printed  # at the end, in full


def test_notes_no_page_shows_fail_the_build(make_book, tmp_path: Path) -> None:
    """A book stylesheet that hides the notes in print: neither notes nor pointers can be
    printed. The build says which notes, where, and writes nothing (it doesn't ship a book
    with notes printed nowhere); the last good output stays."""
    from coursebook.core.diagnostics import BookError

    text = "A paragraph of text that runs on for a while to fill the page. " * 6
    lesson = f"# One\n\n{text} [@marx1867, p. 1]\n\n{text} [@marx1867, p. 2]\n"
    manifest = MINIMAL_MANIFEST + "css:\n  print: hide.css\n"
    folder = make_book({"lessons/one.md": lesson, "book.yaml": manifest, "hide.css": ""})
    out = tmp_path / "out"
    build(folder, out_dir=out, diagnostics=Diagnostics())
    before = {path.name: path.read_bytes() for path in out.glob("*.*") if path.is_file()}
    (folder / "hide.css").write_text(".footnote { display: none }\n")
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        build(folder, out_dir=out, diagnostics=diagnostics)
    lost = [d for d in diagnostics.errors if d.code == "note-placement"]
    assert [d.location.line for d in lost] == [3, 5]
    assert "note 1 was printed nowhere, nor its call" in lost[0].message
    assert {path.name: path.read_bytes() for path in out.glob("*.*") if path.is_file()} == before


def test_paper_names_in_any_case(make_book, tmp_path: Path) -> None:
    """ "A5", "6 × 9 in", "Half Letter": a paper however it is written, in book.yaml and on
    the command line; a misspelt one refused with the closest name."""
    from coursebook.formats.pdf.settings import PrintOptionError, PrintOptions

    from .conftest import MINIMAL_MANIFEST

    assert PrintOptions(paper="A5").paper == "a5"
    assert PrintOptions(paper="6 × 9 in").paper == "6x9in"
    assert PrintOptions(paper="Half Letter").paper == "half-letter"
    with pytest.raises(PrintOptionError, match=r"unknown paper 'leter' \(did you mean 'letter'"):
        PrintOptions(paper="leter")
    folder = make_book(
        {"book.yaml": MINIMAL_MANIFEST + "print:\n  paper: A5\n", "lessons/one.md": "# One\n"}
    )
    pdf = reader(build(folder, ("pdf",), tmp_path / "yaml"))
    assert tuple(round(float(v)) for v in pdf.pages[0].mediabox.upper_right) == (420, 595)
    command = [sys.executable, "-m", "coursebook", "build", str(folder)]
    done = subprocess.run(
        [*command, "-o", str(tmp_path / "cli"), "-f", "pdf", "--paper", "Letter"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pdf = pypdf.PdfReader(next((tmp_path / "cli").glob("*.pdf")))
    assert tuple(round(float(v)) for v in pdf.pages[0].mediabox.upper_right) == (612, 792)
