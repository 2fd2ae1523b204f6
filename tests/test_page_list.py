"""The EPUB carries the print edition's page numbers, at the places where the PDF's pages
begin."""

from __future__ import annotations

import re
import zipfile

import pypdf
import pytest
from lxml import etree

from coursebook.pipeline.build import BuildResult, build

from .conftest import SHARED, output

SEED = SHARED / "seeds" / "003_21a4d1d653a7876d.txt"
X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def long_lesson(math: bool = False) -> str:
    """Lesson 15's paragraphs, two by two, so that pages begin in mid-paragraph, with notes
    (and, ``math``, a formula after every tenth word: print draws it, the EPUB has MathML)."""
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    paragraphs = [p for p in paragraphs if len(p) > 80]
    if math:
        paragraphs = [_with_math(p) for p in paragraphs]
    joined = [" ".join(paragraphs[i : i + 2]) for i in range(0, len(paragraphs), 2)]
    text = "\n\n".join(f"{p} [@marx1867, p. {i + 1}]." for i, p in enumerate(joined * 2))
    return f"# A long lesson\n\n{text}\n"


def _with_math(paragraph: str) -> str:
    words = paragraph.split(" ")
    return " ".join(w + (" $x_{i}^{2}$" if i % 10 == 9 else "") for i, w in enumerate(words))


@pytest.fixture(scope="module", params=["text", "math"])
def long_book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BuildResult:
    from .conftest import MINIMAL_SOURCES, write_files

    folder = tmp_path_factory.mktemp(f"long-{request.param}")
    write_files(
        folder / "book",
        {
            "book.yaml": "title: A long course\nlanguage: en\npublished: 2026-01-01\n"
            "chapters: [lessons/long.md]\n",
            "sources.yaml": MINIMAL_SOURCES,
            "lessons/long.md": long_lesson(math=request.param == "math"),
        },
    )
    return build(folder / "book", out_dir=folder / "out")


def pdf_pages(result: BuildResult) -> list[str]:
    reader = pypdf.PdfReader(output(result, "pdf"))
    return [_words(page.extract_text()) for page in reader.pages]


def _words(text: str) -> str:
    text = re.sub(r"[\u2010-]\s*\n\s*", "", text)  # words hyphenated at a line end
    return re.sub(r"\s+", " ", text)


def epub_markers(result: BuildResult, part: str) -> dict[str, str]:
    """The text that follows each page marker in one EPUB document, by page label."""
    following: dict[str, str] = {}
    with zipfile.ZipFile(output(result, "epub")) as archive:
        for name in archive.namelist():
            if not name.endswith(f"/{part}.xhtml"):
                continue
            tree = etree.fromstring(archive.read(name))
            body = tree.find(f"{X}body")
            text = _text_with_markers(body)
            for match in re.finditer(r"⟦(\w+)⟧([^⟦]*)", text):
                following[match.group(1)] = match.group(2)
    return following


def _text_with_markers(element: etree._Element) -> str:
    parts = []
    for node in element.iter():
        if node.get(EPUB_TYPE) == "pagebreak":
            parts.append(f"⟦{node.get('aria-label')}⟧")
        elif node.get(EPUB_TYPE) == "noteref" or node.tag == f"{X}aside":
            parts.append(node.tail or "")
            continue
        elif node.text and not _inside_skipped(node):
            if etree.QName(node).localname in ("p", "h1", "h2", "h3", "li", "header"):
                parts.append(" ")
            parts.append(node.text)
        if node.tail and node is not element and not _inside_skipped(node.getparent()):
            parts.append(node.tail)
    return re.sub(r"\s+", " ", "".join(parts))


def _inside_skipped(node: etree._Element | None) -> bool:
    """In a note call, a note, or a formula (print draws it: no text there)."""
    while node is not None:
        if node.get(EPUB_TYPE) == "noteref" or node.tag == f"{X}aside":
            return True
        if etree.QName(node).localname == "math":
            return True
        node = node.getparent()
    return False


def test_page_list_has_every_page_in_order(long_book: BuildResult) -> None:
    reader = pypdf.PdfReader(output(long_book, "pdf"))
    with zipfile.ZipFile(output(long_book, "epub")) as archive:
        nav = etree.fromstring(archive.read("EPUB/nav.xhtml"))
        opf = archive.read("EPUB/content.opf").decode()
    page_list = nav.find(f".//{X}nav[@{EPUB_TYPE}='page-list']")
    labels = [a.text for a in page_list.iter(f"{X}a")]
    # The page numbers as printed: roman in the front matter, arabic from the first lesson.
    assert labels == reader.page_labels
    assert labels[:2] == ["i", "ii"] and "1" in labels
    assert len(labels) >= 6
    assert '<meta property="pageBreakSource">A long course, print edition (A4)</meta>' in opf
    assert "printPageNumbers" in opf and "pageNavigation" in opf


def test_each_marker_is_where_its_page_begins(long_book: BuildResult) -> None:
    pages = pdf_pages(long_book)
    labels = pypdf.PdfReader(output(long_book, "pdf")).page_labels
    following = epub_markers(long_book, "long")
    checked = 0
    for number, page in enumerate(pages, start=1):
        if labels[number - 1] not in following:
            continue  # a page of the front or back matter
        words = following[labels[number - 1]].split()
        if len(words) < 6:
            continue  # a page that begins a short part: nothing to compare
        # The page may begin inside a hyphenated word: compare from the next word on.
        probe = " ".join(words[1:6])
        assert probe in page, (number, probe, page[:300])
        previous = pages[number - 2] if number > 1 else ""
        assert probe not in previous, (number, probe)
        checked += 1
    assert checked >= 5


def test_pages_begin_inside_paragraphs_too(long_book: BuildResult) -> None:
    """The test book's long paragraphs make pages begin mid-paragraph: the markers must be
    inside the text, not only before paragraphs."""
    with zipfile.ZipFile(output(long_book, "epub")) as archive:
        tree = etree.fromstring(archive.read("EPUB/text/long.xhtml"))
    inside = [
        marker
        for marker in tree.iter(f"{X}span")
        if marker.get(EPUB_TYPE) == "pagebreak" and (marker.getparent().text or "").strip()
    ]
    assert len(inside) >= 3


def test_both_editions_count_the_same_characters_to_a_page_start() -> None:
    """What print adds (a hyphen, the zero-width space marking where an address breaks) is
    counted by neither edition, so a page that begins after an author's own zero-width space
    begins at the same word in the EPUB."""
    from coursebook.render.pagemap import _text_position, visible_length

    text = "See https://example.org/\u200barchive and the word\u200b\u00ad after it"
    paragraph = etree.fromstring(f"<p>{text}</p>")
    start = text.index("after")
    node, position = _text_position(paragraph, visible_length(text[:start]))
    assert node == (paragraph, "text") and text[position:].startswith("after")
