"""The EPUB, read back: package metadata, spine, navigation, notes, validity, reproducibility."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from lxml import etree

from coursebook.pipeline.build import BuildResult, build

from .conftest import SAMPLE_BOOK, epub_text, epubcheck, output

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def xml(path: Path, name: str) -> etree._Element:
    return etree.fromstring(epub_text(path, name).encode())


def documents(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as archive:
        return {
            name.removeprefix("EPUB/"): etree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".xhtml")
        }


def test_opf_metadata(sample_build: BuildResult) -> None:
    opf = xml(output(sample_build, "epub"), "EPUB/content.opf")
    meta = opf.find("opf:metadata", NS)
    assert meta.findtext("dc:title", namespaces=NS) == "The rise of Stalinism"
    assert meta.findtext("dc:language", namespaces=NS) == "en"
    assert meta.findtext("dc:publisher", namespaces=NS) == "Marxist Education Portal"
    assert meta.findtext("dc:date", namespaces=NS) == "2026-02-10"
    assert meta.findtext("dc:identifier", namespaces=NS).startswith("urn:uuid:")
    modified = meta.find("opf:meta[@property='dcterms:modified']", NS)
    assert modified.text == "2026-02-12T00:00:00Z"  # the book's own update date
    assert "Stalinism" in [s.text for s in meta.findall("dc:subject", NS)]


def test_spine_follows_the_reading_order(sample_build: BuildResult) -> None:
    opf = xml(output(sample_build, "epub"), "EPUB/content.opf")
    manifest = {i.get("id"): i.get("href") for i in opf.iterfind("opf:manifest/opf:item", NS)}
    spine = [manifest[i.get("idref")] for i in opf.iterfind("opf:spine/opf:itemref", NS)]
    assert spine == [
        "text/cover.xhtml",
        "text/titlepage.xhtml",
        "text/imprint.xhtml",
        "text/contents.xhtml",
        "text/chapter-1.xhtml",
        "text/l15-the-zigzags-of-the-bureaucracy.xhtml",
        "text/l16-the-nature-of-the-stalinist-state.xhtml",
        "text/sources.xhtml",
    ]
    assert opf.find("opf:spine", NS).get("toc") == "ncx"
    cover = opf.find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert cover.get("href") == "images/cover.png"


def test_cover_is_a_generated_png_at_store_size(sample_build: BuildResult) -> None:
    from io import BytesIO

    from PIL import Image

    with zipfile.ZipFile(output(sample_build, "epub")) as archive:
        image = Image.open(BytesIO(archive.read("EPUB/images/cover.png")))
    assert image.size == (1600, 2560)


def test_a_drawn_cover_is_kept_and_drawn_again_when_its_title_changes(
    make_book, tmp_path: Path
) -> None:
    """A cover drawn for a book without one is kept in the cache: the next build's is the
    same PNG, and a new title draws a new one (the cover the book's metadata gives, as
    drawn without a cache)."""
    from coursebook.formats.epub.cover import cover_png

    manifest_text = "title: First\nlanguage: en\nchapters: [one.md]\n"
    folder = make_book({"book.yaml": manifest_text, "one.md": "# One\n\nText.\n"})
    out = tmp_path / "out"

    def cover(result: BuildResult) -> bytes:
        with zipfile.ZipFile(output(result, "epub")) as archive:
            return archive.read("EPUB/images/cover.png")

    first = build(folder, ("epub",), out)
    assert cover(first) == cover_png(first.book.meta, {})
    assert len(list((out / ".coursebook-cache").glob("cover-*"))) == 1
    manifest = folder / "book.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace("First", "Second"), "utf-8")
    second = build(folder, ("epub",), out)
    assert cover(second) == cover_png(second.book.meta, {}) != cover(first)
    assert len(list((out / ".coursebook-cache").glob("cover-*"))) == 1  # the last one


def test_nav_nests_lessons_under_chapters_and_has_landmarks(sample_build: BuildResult) -> None:
    nav = xml(output(sample_build, "epub"), "EPUB/nav.xhtml")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    top = toc.findall("x:ol/x:li", NS)
    assert [li.findtext("x:a", namespaces=NS) for li in top] == ["Soviet Bonapartism", "Sources"]
    lessons = top[0].findall("x:ol/x:li/x:a", NS)
    assert [a.text for a in lessons] == [
        "Lesson 15: The zigzags of the bureaucracy",
        "Lesson 16: The nature of the Stalinist state",
    ]
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    kinds = [a.get(EPUB_TYPE) for a in landmarks.iterfind(".//x:a", NS)]
    assert kinds == ["cover", "toc", "bodymatter", "bibliography", "backmatter"]


def test_every_link_resolves(sample_build: BuildResult) -> None:
    """Every href inside the package points at an existing file and id."""
    docs = documents(output(sample_build, "epub"))
    ids = {name: {e.get("id") for e in tree.iter() if e.get("id")} for name, tree in docs.items()}
    checked = 0
    for name, tree in docs.items():
        folder = Path(name).parent
        for a in tree.iter(f"{{{NS['x']}}}a"):
            href = a.get("href", "")
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            file, _, fragment = href.partition("#")
            target = str((folder / file).as_posix()) if file else name
            target = str(Path(target)).replace("text/../", "")
            assert target in docs, f"{name}: {href}"
            if fragment:
                assert fragment in ids[target], f"{name}: {href}"
            checked += 1
    assert checked > 40


def test_notes_are_footnote_asides_linked_both_ways(sample_build: BuildResult) -> None:
    lesson = documents(output(sample_build, "epub"))[
        "text/l16-the-nature-of-the-stalinist-state.xhtml"
    ]
    refs = [a for a in lesson.iter(f"{{{NS['x']}}}a") if a.get(EPUB_TYPE) == "noteref"]
    asides = {a.get("id"): a for a in lesson.iter(f"{{{NS['x']}}}aside")}
    assert len(refs) == 8 and len(asides) == 8
    for ref in refs:
        aside = asides[ref.get("href")[1:]]
        assert aside.get(EPUB_TYPE) == "footnote" and aside.get("role") == "doc-footnote"
        assert ref.get("role") == "doc-noteref"
        back = aside.find(".//x:a[@role='doc-backlink']", NS)
        assert back.get("href") == f"#{ref.get('id')}"
        assert ref.findtext("x:sup", namespaces=NS) == back.text.rstrip(".")
    # Note numbers go on across the chapter's lessons: lesson 15 has 1-5.
    assert refs[0].findtext("x:sup", namespaces=NS) == "6"


def test_every_document_declares_its_language(sample_build: BuildResult) -> None:
    for name, tree in documents(output(sample_build, "epub")).items():
        assert tree.get("lang") == "en", name
        assert tree.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name


def test_sources_appendix_links_back_to_each_citing_note(sample_build: BuildResult) -> None:
    sources = documents(output(sample_build, "epub"))["text/sources.xhtml"]
    entry = sources.find(".//x:li[@id='sources-trotsky1936revbet']", NS)
    cited = entry.find("x:p[@class='cited-in']", NS)
    assert "".join(cited.itertext()) == "Cited in Lesson 15: note 4; Lesson 16: notes 10, 11."
    hrefs = [a.get("href") for a in cited.iterfind("x:a", NS)]
    assert hrefs == [
        "l15-the-zigzags-of-the-bureaucracy.xhtml#l15-the-zigzags-of-the-bureaucracy--ref-4",
        "l16-the-nature-of-the-stalinist-state.xhtml#l16-the-nature-of-the-stalinist-state--ref-10",
        "l16-the-nature-of-the-stalinist-state.xhtml#l16-the-nature-of-the-stalinist-state--ref-11",
    ]
    link = entry.find("x:p[@class='source-url url-in-entry']/x:a", NS)
    assert link.get("href") == "https://www.marxists.org/archive/trotsky/1936/revbet/"


def test_zip_layout_is_reproducible(sample_build: BuildResult, tmp_path: Path) -> None:
    first = output(sample_build, "epub")
    second = output(build(SAMPLE_BOOK, ("epub",), tmp_path), "epub")
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    assert {i.date_time for i in infos} == {(2026, 2, 12, 0, 0, 0)}


def test_epubcheck_finds_nothing_in_the_sample_book(sample_build: BuildResult) -> None:
    messages = epubcheck(output(sample_build, "epub"))
    assert messages == [], [(m["ID"], m["message"]) for m in messages]


FEATURES = Path(__file__).parent / "books" / "features"


def test_features_book_is_valid_and_complete(tmp_path: Path) -> None:
    path = output(build(FEATURES, ("epub",), tmp_path), "epub")
    assert epubcheck(path) == []
    opf = xml(path, "EPUB/content.opf")
    items = {i.get("href"): i.get("media-type") for i in opf.iterfind(".//opf:item", NS)}
    assert items["media/images/chart.png"] == "image/png"
    meta = opf.find("opf:metadata", NS)
    assert [c.text for c in meta.findall("dc:creator", NS)] == ["Ana Lima", "Ben Okafor"]
    assert meta.findtext("dc:rights", namespaces=NS) == "CC BY-SA 4.0"
    titles = {t.get("id"): t.text for t in meta.findall("dc:title", NS)}
    assert titles == {
        "title": "Features: a test course",
        "subtitle": "Everything a lesson can hold",
    }
    docs = documents(path)
    first = docs["text/l01-first.xhtml"]
    links = {a.text: a.get("href") for a in first.iter(f"{{{NS['x']}}}a") if a.text}
    assert links["the second lesson"] == "l02-second.xhtml#l02-second-on-the-state"
    assert links["section above"] == "#l01-first-commodities"
    img = first.find(".//x:img", NS)
    assert img.get("src") == "../media/images/chart.png"
    assert img.get("alt") == "A bar chart of output in 1928 and 1932"
    second = docs["text/l02-second.xhtml"]
    code = "".join(second.find(".//x:pre/x:code", NS).itertext())
    assert '"[@marx1867] stays code"' in code
    # The appendix and the single-lesson chapter are their own documents.
    assert docs["text/glossary.xhtml"].find(".//x:section", NS).get(EPUB_TYPE) == "appendix"
    alone = docs["text/l03-alone.xhtml"].find(".//x:h1", NS)
    assert "".join(alone.itertext()) == "A lesson that is a chapter"


def test_a_given_cover_is_used(make_book, tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    folder = make_book(
        {
            "book.yaml": "title: Covered\nlanguage: en\ncover: art/cover.jpg\nchapters: [one.md]\n",
            "one.md": "# One\n",
        }
    )
    (folder / "art").mkdir()
    image = BytesIO()
    Image.new("RGB", (400, 600), (10, 20, 30)).save(image, format="JPEG")
    (folder / "art" / "cover.jpg").write_bytes(image.getvalue())
    path = output(build(folder, ("epub",), tmp_path / "out"), "epub")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("EPUB/images/cover.jpg") == image.getvalue()
    opf = xml(path, "EPUB/content.opf")
    cover = opf.find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert (cover.get("href"), cover.get("media-type")) == ("images/cover.jpg", "image/jpeg")
    page = documents(path)["text/cover.xhtml"].find(".//x:img", NS)
    assert page.get("src") == "../images/cover.jpg" and page.get("alt") == "Covered"
    assert epubcheck(path) == []


def test_per_chapter_source_lists(tmp_path: Path) -> None:
    """The features book asks for per-chapter lists (`sources: per-chapter`)."""
    path = output(build(FEATURES, ("epub",), tmp_path), "epub")
    docs = documents(path)
    first = docs["text/chapter-1-sources.xhtml"]
    ids = [li.get("id") for li in first.iterfind(".//x:li", NS)]
    assert ids == [
        "chapter-1-sources-lenin1917",
        "chapter-1-sources-luxemburg1900",
        "chapter-1-sources-marx1867",
    ]
    second = docs["text/chapter-2-sources.xhtml"]
    assert [li.get("id") for li in second.iterfind(".//x:li", NS)] == [
        "chapter-2-sources-lenin1917"
    ]
    cited = "".join(second.find(".//x:p[@class='cited-in']", NS).itertext())
    assert cited == "Cited in A lesson that is a chapter: note 1."
    # The appendix still lists every source.
    assert len(docs["text/sources.xhtml"].findall(".//x:li", NS)) == 3
    nav = xml(path, "EPUB/nav.xhtml")
    chapter = nav.find(".//x:nav[@epub:type='toc']/x:ol/x:li", NS)
    assert [a.text for a in chapter.iterfind("x:ol/x:li/x:a", NS)][-1] == "Sources"
