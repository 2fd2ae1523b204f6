"""Readers for study circles: lessons of several courses (include:), a glossary, an index,
an "about" page and reading times — built for real and read back from both formats."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

import coursebook
from coursebook import load
from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.parse.terms import IndexMark, IndexPlace, index_entries
from coursebook.pipeline.build import BuildOptions, BuildResult, build

from .conftest import ROOT, SHARED, epub_text, epubcheck, output, write_files

CIRCLE = ROOT / "tests" / "books" / "circle"
"""The reader and the second course; the sample course is copied next to them as
``rise-of-stalinism`` (a reader includes the course folders beside its own)."""
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def circle_folder(base: Path) -> Path:
    """The courses side by side under ``base``: the reader, the second course, the sample."""
    shutil.copytree(CIRCLE, base / "circle")
    shutil.copytree(ROOT / "book", base / "circle" / "rise-of-stalinism")
    return base / "circle" / "reader"


@pytest.fixture(scope="module")
def reader_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return circle_folder(tmp_path_factory.mktemp("courses"))


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory, reader_folder: Path) -> BuildResult:
    """The study circle's reader: lessons of the sample course and of a second course."""
    out = tmp_path_factory.mktemp("reader")
    return build(reader_folder, out_dir=out, diagnostics=Diagnostics())


def documents(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as archive:
        return {
            Path(name).stem: etree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.startswith("EPUB/text/")
        }


def text_of(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def pdf_pages(result: BuildResult) -> list[tuple[str, str]]:
    """(printed page label, text) of every page."""
    reader = PdfReader(output(result, "pdf"))
    # Print ties a paragraph's last two words with a no-break space: compared as a space.
    return [
        (reader.page_labels[i], page.extract_text().replace("\u00a0", " "))
        for i, page in enumerate(reader.pages)
    ]


# --- a reader of two courses -------------------------------------------------------------


@pytest.mark.skipif(
    not (SHARED / "tools" / "ace-check").exists(),
    reason="DAISY Ace's wrapper (../shared/tools) is not here",
)
def test_the_reader_builds_valid_and_accessible(reader: BuildResult) -> None:
    assert not reader.diagnostics.warnings, [str(d) for d in reader.diagnostics]
    messages = epubcheck(output(reader, "epub"))
    assert [m for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")] == []
    ace = subprocess.run(
        [str(SHARED / "tools" / "ace-check"), str(output(reader, "epub"))],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ace.returncode == 0, ace.stdout + ace.stderr


def test_lessons_of_both_courses_are_in_the_order_book_yaml_gives(reader: BuildResult) -> None:
    nav = etree.fromstring(epub_text(output(reader, "epub"), "EPUB/nav.xhtml").encode())
    toc = [text_of(a) for a in nav.iterfind(".//x:nav[@id='toc']//x:a", XHTML)]
    assert toc[:6] == [
        "How to use this reader",
        "The revolution",
        "Lesson 3: The October Revolution",
        "Its degeneration",
        "Lesson 15: The zigzags of the bureaucracy",
        "Lesson 16: The nature of the Stalinist state",
    ]
    assert toc[-3:] == ["Glossary", "Sources", "Index"]
    # Lessons of an included course get ids of their own: two courses may share file names.
    names = documents(output(reader, "epub"))
    assert "revolution-1917-03-the-october-revolution" in names
    assert "rise-of-stalinism-15-the-zigzags-of-the-bureaucracy" in names


def test_a_source_both_courses_have_is_listed_once(reader: BuildResult) -> None:
    sources = documents(output(reader, "epub"))["sources"]
    entries = [text_of(li) for li in sources.iterfind(".//x:li[@class='source']", XHTML)]
    betrayed = [entry for entry in entries if "Revolution Betrayed" in entry]
    assert len(betrayed) == 1
    # cited by lessons of both courses: Lesson 3 (first course) and Lesson 16 (the sample)
    assert "Lesson 3" in betrayed[0] and "Lesson 16" in betrayed[0]
    assert any("History of the Russian Revolution" in entry for entry in entries)


def test_the_imprint_credits_each_course(reader: BuildResult) -> None:
    imprint = documents(output(reader, "epub"))["imprint"]
    credits = [
        text_of(li) for li in imprint.iterfind(".//x:ul[@class='imprint-courses']/x:li", XHTML)
    ]
    assert credits == [
        "The Russian Revolution of 1917 (course 4), Portal Editors; Marxist Education Portal; "
        "published October 1, 2025, updated November 15, 2025; licence CC BY-SA 4.0.",
        "The rise of Stalinism (course 10); Marxist Education Portal; "
        "published February 10, 2026, updated February 12, 2026.",
    ]
    pages = pdf_pages(reader)
    assert any("This reader includes lessons from" in text for _, text in pages[:4])


def test_same_id_with_other_data_is_an_error_naming_both_files(
    make_book: Callable[..., Path],
) -> None:
    other = make_book(
        {
            "book.yaml": "title: Other\nlanguage: en\nchapters: [lessons/two.md]\n",
            "lessons/two.md": "# Two\n\nText [@marx1867].\n",
            "sources.yaml": "- id: marx1867\n  type: book\n  title: Capital, volume 2\n",
        },
        name="other",
    )
    book = make_book(
        {
            "book.yaml": "title: R\nlanguage: en\ninclude: [../other]\n"
            "chapters: [lessons/one.md, ../other/lessons/two.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867].\n",
        }
    )
    with pytest.raises(BookError) as raised:
        load(book)
    errors = [str(d) for d in raised.value.diagnostics.errors]
    assert len(errors) == 1
    assert re.search(
        r"other/sources\.yaml:1:\d+: error: source 'marx1867' is also in .*book/sources\.yaml:1",
        errors[0],
    )
    assert errors[0].endswith("[source-conflict]")
    assert other.is_dir()


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("../missing", "is not a course folder (no book.yaml)"),
        ("/etc", "must be a folder relative to book.yaml"),
        (".", "is not a course folder next to this book's"),
        ("..", "is not a course folder next to this book's"),
        ("lessons", "is not a course folder next to this book's"),
        ("../../..", "is not a course folder next to this book's"),
        ("../other/deeper", "is not a course folder next to this book's"),
    ],
)
def test_what_may_not_be_included(
    make_book: Callable[..., Path], include: str, message: str
) -> None:
    book = make_book(
        {
            "book.yaml": f"title: R\nlanguage: en\ninclude: ['{include}']\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867].\n",
        }
    )
    with pytest.raises(BookError) as raised:
        load(book)
    (error,) = raised.value.diagnostics.errors
    assert message in error.message and error.code == "include"
    assert error.location.line == 3


def test_a_lesson_outside_the_included_folders_is_still_refused(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    make_book(
        {"book.yaml": "title: O\nlanguage: en\nchapters: [one.md]\n", "one.md": "# O\n"},
        name="other",
    )
    write_files(tmp_path, {"elsewhere/secret.md": "# Secret\n"})
    book = make_book(
        {
            "book.yaml": "title: R\nlanguage: en\ninclude: [../other]\n"
            "chapters: [lessons/one.md, ../elsewhere/secret.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867].\n",
        }
    )
    with pytest.raises(BookError) as raised:
        load(book)
    codes = [d.code for d in raised.value.diagnostics.errors]
    assert codes == ["path-outside"]


def test_an_included_course_none_of_whose_lessons_is_used_is_warned(
    make_book: Callable[..., Path],
) -> None:
    make_book(
        {"book.yaml": "title: Other\nlanguage: en\nchapters: [one.md]\n", "one.md": "# O\n"},
        name="other",
    )
    book = make_book(
        {
            "book.yaml": "title: R\nlanguage: en\ninclude: [../other]\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867].\n",
        }
    )
    loaded = load(book)
    assert [(d.code, d.location.line) for d in loaded.problems] == [("include-unused", 3)]


def test_a_change_in_an_included_course_rebuilds_the_reader(tmp_path: Path) -> None:
    circle = circle_folder(tmp_path).parent
    out = tmp_path / "out"
    first = build(circle / "reader", ("epub",), out, BuildOptions(jobs=1))
    assert not first.up_to_date
    assert build(circle / "reader", ("epub",), out, BuildOptions(jobs=1)).up_to_date
    lesson = circle / "revolution-1917" / "lessons" / "03-the-october-revolution.md"
    lesson.write_text(lesson.read_text() + "\nOne more sentence.\n")
    again = build(circle / "reader", ("epub",), out, BuildOptions(jobs=1))
    assert not again.up_to_date


# --- glossary ----------------------------------------------------------------------------


def test_the_first_use_of_a_term_in_each_lesson_links_to_the_glossary(reader: BuildResult) -> None:
    docs = documents(output(reader, "epub"))
    lesson = docs["rise-of-stalinism-15-the-zigzags-of-the-bureaucracy"]
    links = lesson.findall(".//x:a[@class='glossary-term']", XHTML)
    assert [(a.get("href"), text_of(a)) for a in links] == [
        ("glossary.xhtml#glossary-bonapartism", "Bonapartism"),
        ("glossary.xhtml#glossary-kulak", "kulaks"),
    ]
    # never inside a quotation or a heading
    for link in links:
        assert not [
            a
            for a in link.iterancestors()
            if etree.QName(a).localname in ("blockquote", "h1", "h2", "h3")
        ]
    # each lesson links once per term, at its first use
    for name in (
        "rise-of-stalinism-16-the-nature-of-the-stalinist-state",
        "questions-for-the-circle",
    ):
        hrefs = [
            a.get("href") for a in docs[name].iterfind(".//x:a[@class='glossary-term']", XHTML)
        ]
        assert len(hrefs) == len(set(hrefs)) >= 1


def test_the_glossary_lists_every_term_in_order_with_its_uses(reader: BuildResult) -> None:
    glossary = documents(output(reader, "epub"))["glossary"]
    section = glossary.find(".//x:section[@id='glossary']", XHTML)
    assert section is not None and section.get("{http://www.idpf.org/2007/ops}type") == "glossary"
    terms = [text_of(dt) for dt in section.iterfind(".//x:dt", XHTML)]
    assert terms == ["Bonapartism", "Kulak", "Thermidor"]
    first = text_of(section.find(".//x:dd", XHTML))
    assert first.startswith("Rule by a strong man above the classes")
    assert section.find(".//x:dd/x:em", XHTML) is not None  # the definition's Markdown
    assert "Used in Lesson 15, Lesson 16, Questions for the circle." in first


def test_print_marks_glossary_terms_and_gives_their_pages(reader: BuildResult) -> None:
    pages = pdf_pages(reader)
    body = "\n".join(text for _, text in pages)
    assert "Bonapartism°" in body.replace("\n", " ")
    glossary = next(text for _, text in pages if text.lstrip().startswith("Glossary"))
    lesson_15 = next(
        label for label, text in pages if "Lesson 15" in text and "Reading time" in text
    )
    assert f"Lesson 15 (p. {lesson_15})" in " ".join(glossary.split())


def test_unused_and_repeated_glossary_terms(make_book: Callable[..., Path]) -> None:
    book = make_book(
        {
            "lessons/one.md": "# One\n\nThe bureaucracy rules [@marx1867].\n",
            "glossary.yaml": (
                "- term: Bureaucracy\n  definition: The officials.\n"
                "- term: Thermidor\n  definition: A reaction.\n"
                "- term: bureaucracy\n  definition: Again.\n"
            ),
        }
    )
    with pytest.raises(BookError) as raised:
        build(book, ("epub",), book.parent / "out")
    problems = [(d.code, d.location.line) for d in raised.value.diagnostics]
    assert ("glossary", 5) in problems
    assert ("glossary-unused", 3) in problems


# --- index -------------------------------------------------------------------------------


def test_the_index_gives_pages_in_print(reader: BuildResult) -> None:
    pages = pdf_pages(reader)
    index = " ".join(next(text for _, text in pages if text.lstrip().startswith("Index")).split())
    # "Kulaks" is listed in book.yaml: every paragraph using it is indexed, on its pages
    glossary = next(label for label, text in pages if text.lstrip().startswith("Glossary"))
    body = [
        (label, text) for label, text in pages if label.isdigit() and int(label) < int(glossary)
    ]
    used_on = [label for label, text in body if "kulak" in text.lower()]
    match = re.search(r"Kulaks, ([\d, –]+)", index)
    assert match is not None, index
    printed = re.split(r"[,–]", match.group(1).replace(" ", ""))
    assert printed[0] == used_on[0] and printed[-1] == used_on[-1]
    # a sub-entry marked in a lesson: [degeneration]{.index term="Workers' state!degeneration"}
    lesson_3 = next(
        label
        for label, text in pages
        if "The October Revolution" in text and "Reading time" in text
    )
    assert re.search(rf"Workers’ state degeneration, {lesson_3}\b", index), index


def test_the_index_links_by_lesson_in_the_epub(reader: BuildResult) -> None:
    docs = documents(output(reader, "epub"))
    index = docs["index"]
    section = index.find(".//x:section[@id='index']", XHTML)
    assert section is not None and section.get("{http://www.idpf.org/2007/ops}type") == "index"
    letters = [text_of(h) for h in section.iterfind(".//x:h2", XHTML)]
    assert letters == ["B", "K", "W"]
    for link in section.iterfind(".//x:a[@class='index-locator']", XHTML):
        file, anchor = link.get("href", "").split("#")
        target = docs[Path(file).stem]
        assert target.find(f".//*[@id='{anchor}']") is not None, link.get("href")
    entries = [
        text_of(li) for li in section.iterfind(".//x:ul[@class='index-entries']/x:li", XHTML)
    ]
    assert entries[0].startswith("Bonapartism, Lesson 15: a, b")
    assert entries[0].endswith("; Questions for the circle")


def test_index_entries_sort_and_group() -> None:
    def place(term: str) -> IndexPlace:
        return IndexPlace(IndexMark(term, "x"), "doc", "Lesson 1")

    entries = index_entries(
        place(t) for t in ["Zinoviev", "État", "bureaucracy!privileges", "Bureaucracy", "Ebert"]
    )
    assert [e.term for e in entries] == ["bureaucracy", "Ebert", "État", "Zinoviev"]
    assert [s.term for s in entries[0].subentries] == ["privileges"]
    assert len(entries[0].places) == 1  # "Bureaucracy" itself; the sub-entry's place is its own


def test_an_index_term_never_used_is_warned(make_book: Callable[..., Path]) -> None:
    book = make_book(
        {
            "book.yaml": "title: A\nlanguage: en\nindex: [Kulaks, Capital]\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n\n*Capital* is cited [@marx1867].\n",
        }
    )
    loaded = load(book)
    diagnostics = coursebook.check(loaded, layout=False)
    assert [(d.code, d.location.line) for d in diagnostics] == [("index-unused", 3)]


# --- about and reading times -------------------------------------------------------------


def test_the_about_page_opens_the_reader(reader: BuildResult) -> None:
    about = documents(output(reader, "epub"))["about"]
    section = about.find(".//x:section", XHTML)
    assert section is not None and section.get("{http://www.idpf.org/2007/ops}type") == "preface"
    assert "Read one chapter before each meeting." in text_of(section)
    contents = next(
        text for label, text in pdf_pages(reader) if text.lstrip().startswith("Contents")
    )
    assert re.search(r"How to use this reader[ .]*iii", contents), contents


def test_reading_times_follow_the_lessons_length_and_the_reading_speed(
    make_book: Callable[..., Path],
) -> None:
    words = " ".join(["word"] * 1000)
    files = {"lessons/one.md": f"# One\n\n{words} [@marx1867].\n"}
    slow = make_book({**files, "book.yaml": MANIFEST + "reading_speed: 100\n"}, name="slow")
    fast = make_book({**files, "book.yaml": MANIFEST}, name="fast")
    for book, minutes in ((slow, 10), (fast, 5)):
        result = build(book, ("epub",), book.parent / f"out-{book.name}")
        lesson = epub_text(output(result, "epub"), "EPUB/text/one.xhtml")
        assert f"Reading time: about {minutes} min" in lesson
        contents = epub_text(output(result, "epub"), "EPUB/text/contents.xhtml")
        assert f'<span class="toc-time">{minutes} min</span>' in contents


MANIFEST = "title: A small course\nlanguage: en\nchapters:\n  - lessons/one.md\n"


# --- sources are text, never markup ------------------------------------------------------


def test_ampersands_and_tags_in_sources_are_text(make_book: Callable[..., Path]) -> None:
    book = make_book(
        {
            "lessons/one.md": "# One\n\nText [see & compare @a, p. 3]. More [@b].\n",
            "sources.yaml": (
                "- id: a\n  type: book\n  title: History & Theory\n  publisher: Simon & Schuster\n"
                "  issued: 1932\n"
                '- id: b\n  type: book\n  title: "<script>alert(1)</script> and <i>Capital</i>"\n'
                "  issued: 1867\n"
            ),
        }
    )
    result = build(book, ("epub", "pdf"), book.parent / "out")
    lesson = epub_text(output(result, "epub"), "EPUB/text/one.xhtml")
    assert "See &amp; compare" in lesson and "Simon &amp; Schuster" in lesson
    assert "<script" not in lesson.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lesson.lower()  # title-cased as text
    assert "<i>Capital</i>" in lesson  # CSL-JSON's rich text stays markup
    messages = epubcheck(output(result, "epub"))
    assert [m for m in messages if m["severity"] in ("FATAL", "ERROR")] == []
    text = " ".join(PdfReader(output(result, "pdf")).pages[-1].extract_text().split())
    assert "Simon & Schuster" in text


def test_images_of_two_courses_with_the_same_name_stay_two(
    make_book: Callable[..., Path],
) -> None:
    from PIL import Image

    other = make_book(
        {
            "book.yaml": "title: Other\nlanguage: en\nchapters: [lessons/two.md]\n",
            "lessons/two.md": "# Two\n\n![A red square](../images/map.png)\n",
        },
        name="other",
    )
    book = make_book(
        {
            "book.yaml": "title: R\nlanguage: en\ninclude: [../other]\n"
            "chapters: [lessons/one.md, ../other/lessons/two.md]\n",
            "lessons/one.md": "# One\n\n![A blue square](../images/map.png) [@marx1867]\n",
        }
    )
    for folder, colour in ((book, "blue"), (other, "red")):
        (folder / "images").mkdir()
        Image.new("RGB", (8, 8), colour).save(folder / "images" / "map.png")
    result = build(book, ("epub",), book.parent / "out")
    with zipfile.ZipFile(output(result, "epub")) as archive:
        names = archive.namelist()
        assert "EPUB/media/images/map.png" in names
        assert "EPUB/media/courses/other/images/map.png" in names
        two = archive.read("EPUB/text/other-two.xhtml").decode()
    assert 'src="../media/courses/other/images/map.png"' in two


def test_the_preview_watches_the_included_courses_too(reader_folder: Path) -> None:
    from coursebook.app.preview.session import watched_folders

    assert watched_folders(reader_folder) == (
        reader_folder.resolve(),
        (reader_folder.parent / "revolution-1917").resolve(),
        (reader_folder.parent / "rise-of-stalinism").resolve(),
    )
