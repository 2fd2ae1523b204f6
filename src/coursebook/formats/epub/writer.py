"""The EPUB 3 backend: the shared rendering, split into files and packed with ebooklib.

EPUB-specific steps, each named for what it does:

* every part of the book becomes its own XHTML file; links between parts are rewritten from
  ``#id`` to ``file.xhtml#id``, and images point into the package;
* the cover (given or generated), the navigation document (contents and landmarks) and the
  NCX for EPUB 2 reading systems are added;
* ebooklib writes the package, which is then re-packed with fixed times and sorted entries
  (``mimetype`` first, stored) so the same sources always give the same bytes.

ebooklib's own ``EpubHtml`` re-parses documents and drops ``<head>`` content, body attributes
and attribute case (ebooklib #76, #221, #294, #313), so our documents, already complete XHTML,
are added as plain items.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

import jinja2
from ebooklib import epub
from lxml import etree
from markupsafe import Markup

from ...core.cache import Cache
from ...core.labels import direction
from ...core.output import OutputError
from ...core.resources import stylesheet
from ...core.version import __version__
from ...model import CheckedImage
from ...render.accessibility import accessibility
from ...render.builddate import BuildDates
from ...render.notes import NOTES_SLOT, notes_section
from ...render.pagemap import PageList, PageStart, insert_page_breaks, page_id
from ...render.rendered_book import RenderedBook, RenderedDocument, TocEntry
from ...source.images import ImageProblem, image_data
from .cover import kept_cover

XHTML = "http://www.w3.org/1999/xhtml"
OPF = "http://www.idpf.org/2007/opf"
OPS = "http://www.idpf.org/2007/ops"
STYLESHEET = "css/book.css"
_MATTER = {
    "cover": "cover",
    "titlepage": "frontmatter",
    "imprint": "frontmatter",
    "contents": "frontmatter",
    "chapter": "bodymatter",
    "lesson": "bodymatter",
    "appendix": "backmatter",
    "sources": "backmatter",
    "chapter-sources": "bodymatter",
    "about": "frontmatter",
    "glossary": "backmatter",
    "index": "backmatter",
}


def write_epub(
    rendered: RenderedBook,
    stream: BinaryIO,
    dates: BuildDates,
    pages: PageList | None = None,
    cache: Cache | None = None,
) -> None:
    """Write the book as an EPUB 3 file into ``stream``; with ``pages``, it carries the page
    numbers of that print edition. A cover drawn for a book without one is kept in
    ``cache``."""
    package = _Package(rendered, dates, pages, cache)
    raw = package.build()
    language, text_direction = rendered.book.meta.language, direction(rendered.book.meta.language)

    def finish(name: str, data: bytes) -> bytes:
        return finish_package(data, language, text_direction) if name.endswith(".opf") else data

    repack(raw, stream, dates.zip_time, finish)


@dataclass(frozen=True)
class _Landmark:
    type: str
    href: str
    title: str


class _Package:
    def __init__(
        self,
        rendered: RenderedBook,
        dates: BuildDates,
        pages: PageList | None,
        cache: Cache | None = None,
    ) -> None:
        self.rendered = rendered
        self.cache = cache
        self.pages = pages
        self.starts: dict[str, list[PageStart]] = {}
        for start in pages.starts if pages else ():
            self.starts.setdefault(start.part, []).append(start)
        self.placed: list[tuple[PageStart, str]] = []
        self.book = rendered.book
        self.meta = rendered.book.meta
        self.dates = dates
        self.env = _templates()
        self.direction = direction(self.meta.language)
        self.documents = [self._cover_document(), *rendered.documents]
        self.file_of = {
            element_id: _file_name(document)
            for document in self.documents
            for element_id in _ids(document.html)
        }

    def build(self) -> bytes:
        book = epub.EpubBook()
        self._metadata(book)
        book.add_item(
            epub.EpubItem(
                uid="css",
                file_name=STYLESHEET,
                media_type="text/css",
                content=_stylesheet_bytes(self.rendered.book.css_for("epub")),
            )
        )
        self._images(book)
        spine: list[epub.EpubItem] = []
        for document in self.documents:
            content = self._xhtml(document)
            item = _XhtmlItem(
                uid=f"doc-{document.id}", file_name=_file_name(document), content=content
            )
            if MATHML.encode() in content:  # the package says which documents hold MathML
                item.properties = ["mathml"]
            book.add_item(item)
            spine.append(item)
        nav = _XhtmlItem(uid="nav", file_name="nav.xhtml", content=self._nav())
        nav.properties = ["nav"]
        book.add_item(nav)
        book.add_item(epub.EpubNcx())
        book.toc = list(self._ncx_entries(self.rendered.toc))
        book.spine = spine
        if self.direction == "rtl":
            book.set_direction("rtl")
        out = io.BytesIO()
        epub.write_epub(
            out,
            book,
            {
                "epub3_pages": False,  # no page-list from stray epub:type ids (ebooklib #339)
                "epub3_landmark": False,  # our own nav has the landmarks
                "epub2_guide": False,
                "mtime": self.dates.modified,
                "raise_exceptions": True,
                # Stored, not compressed: repack() compresses the zip it is re-written as,
                # and compressing this one too was a quarter of writing an edit's EPUB.
                "compresslevel": 0,
            },
        )
        return out.getvalue()

    # --- package metadata -------------------------------------------------------------------

    def _metadata(self, book: epub.EpubBook) -> None:
        meta = self.meta
        book.set_identifier(meta.identifier)
        book.set_language(meta.language)
        book.title = meta.title
        book.add_metadata("DC", "title", meta.title, {"id": "title"})
        book.add_metadata(None, "meta", "main", {"refines": "#title", "property": "title-type"})
        if meta.subtitle:
            book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
            book.add_metadata(
                None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"}
            )
        # Distinct uids, or two creators collide (ebooklib #356).
        for index, author in enumerate(meta.authors):
            book.add_author(author, uid=f"creator{index + 1}")
        if meta.publisher:
            book.add_metadata("DC", "publisher", meta.publisher)
        if meta.published:
            book.add_metadata("DC", "date", meta.published.isoformat())
        if meta.description:
            book.add_metadata("DC", "description", meta.description)
        if meta.license:
            book.add_metadata("DC", "rights", meta.license)
        for subject in meta.subjects:
            book.add_metadata("DC", "subject", subject)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
        self._accessibility(book)

    def _accessibility(self, book: epub.EpubBook) -> None:
        facts = accessibility(self.rendered, self.pages.paper if self.pages else None)
        if self.pages:
            edition = f"{self.meta.title}, print edition ({self.pages.paper})"
            book.add_metadata(None, "meta", edition, {"property": "pageBreakSource"})
        for mode in facts.access_modes:
            book.add_metadata(None, "meta", mode, {"property": "schema:accessMode"})
        for modes in facts.sufficient:
            book.add_metadata(None, "meta", modes, {"property": "schema:accessModeSufficient"})
        for feature in facts.features:
            book.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
        for hazard in facts.hazards:
            book.add_metadata(None, "meta", hazard, {"property": "schema:accessibilityHazard"})
        book.add_metadata(None, "meta", facts.summary, {"property": "schema:accessibilitySummary"})
        if facts.conforms_to:
            book.add_metadata(None, "meta", facts.conforms_to, {"property": "dcterms:conformsTo"})

    def _images(self, book: epub.EpubBook) -> None:
        if self.book.cover is not None:
            cover_bytes = _image_data(self.book.cover, "the cover")
            suffix = _cover_suffix(self.book.cover)
        else:
            labels = dict(self.rendered.labels)
            cover_bytes = kept_cover(self.meta, labels, self.cache, str(self.book.root))
            suffix = ".png"
        cover = epub.EpubCover(uid="cover-image", file_name=f"images/cover{suffix}")
        cover.content = cover_bytes
        cover.media_type = "image/png" if suffix == ".png" else "image/jpeg"
        book.add_item(cover)
        for index, image in enumerate(self.rendered.images):
            book.add_item(
                epub.EpubItem(
                    uid=f"img{index + 1}",
                    file_name=f"media/{image.href}",
                    media_type=image.media_type,
                    content=_image_data(image.checked, f"image '{image.href}'"),
                )
            )

    # --- documents --------------------------------------------------------------------------

    def _cover_document(self) -> RenderedDocument:
        suffix = ".png" if self.book.cover is None else _cover_suffix(self.book.cover)
        alt = self.meta.title + (f": {self.meta.subtitle}" if self.meta.subtitle else "")
        html = self.env.get_template("cover.xhtml").render(
            labels=self.rendered.labels, image=f"../images/cover{suffix}", alt=alt
        )
        return RenderedDocument("cover", "cover", self.rendered.labels["cover"], html)

    def _xhtml(self, document: RenderedDocument) -> bytes:
        text = self.env.get_template("document.xhtml").render(
            language=self.meta.language,
            direction=self.direction,
            title=document.title,
            stylesheet=f"../{STYLESHEET}",
            matter=_MATTER[document.kind],
            content=_safe(epub_flavour(document, self.rendered.labels)),
        )
        tree = etree.fromstring(text.encode("utf-8"), _parser())
        self._mark_print_pages(tree, document)
        self._link_across_files(tree, _file_name(document))
        _point_images_into_package(tree)
        return _serialize(tree)

    def _mark_print_pages(self, tree: etree._Element, document: RenderedDocument) -> None:
        """``pagebreak`` markers where the pages of the print edition begin."""
        starts = self.starts.get(document.id)
        if not starts:
            return
        body = tree.find(f"{{{XHTML}}}body")
        assert body is not None
        for start in insert_page_breaks(body, starts, XHTML):
            self.placed.append((start, _file_name(document)))

    def _link_across_files(self, tree: etree._Element, own_file: str) -> None:
        """``#id`` links to another file become ``file.xhtml#id``."""
        for anchor in tree.iter(f"{{{XHTML}}}a"):
            href = anchor.get("href", "")
            if href.startswith("#"):
                target = self.file_of.get(href[1:])
                if target is not None and target != own_file:
                    anchor.set("href", f"{Path(target).name}{href}")

    def _href(self, element_id: str) -> str:
        """A link from the nav document (at the package root) to an element."""
        file = self.file_of[element_id]
        return file if self._is_top(element_id) else f"{file}#{element_id}"

    def _is_top(self, element_id: str) -> bool:
        return any(d.id == element_id for d in self.documents)

    def _nav(self) -> bytes:
        labels = self.rendered.labels
        landmarks = list(self._landmarks())
        html = self.env.get_template("nav.xhtml").render(
            labels=labels,
            toc=list(self._nav_entries(self.rendered.toc)),
            landmarks=landmarks,
            landmarks_title=labels.get("landmarks", "Landmarks"),
            pages=[
                {"label": start.label, "href": f"{file}#{page_id(start.label)}"}
                for start, file in self.placed
            ],
            pages_title=labels.get("pages", "Pages"),
        )
        text = self.env.get_template("document.xhtml").render(
            language=self.meta.language,
            direction=self.direction,
            title=labels["contents"],
            stylesheet=STYLESHEET,
            matter="frontmatter",
            content=_safe(html),
        )
        return _serialize(etree.fromstring(text.encode("utf-8"), _parser()))

    def _nav_entries(self, entries: Sequence[TocEntry]) -> Iterator[dict[str, object]]:
        for entry in entries:
            yield {
                "title": entry.title,
                "label": entry.label,
                "href": self._href(entry.target),
                "children": list(self._nav_entries(entry.children)),
            }

    def _landmarks(self) -> Iterator[_Landmark]:
        labels = self.rendered.labels
        yield _Landmark("cover", "text/cover.xhtml", labels["cover"])
        yield _Landmark("toc", "text/contents.xhtml", labels["contents"])
        first_body = next(d for d in self.documents if _MATTER[d.kind] == "bodymatter")
        yield _Landmark("bodymatter", _file_name(first_body), first_body.title)
        for kind, landmark in (("glossary", "glossary"), ("sources", "bibliography")):
            document = self.rendered.document(kind)
            if document is not None:
                yield _Landmark(landmark, _file_name(document), document.title)
        index = self.rendered.document("index")
        if index is not None:
            yield _Landmark("index", _file_name(index), index.title)
        back = next((d for d in self.documents if _MATTER[d.kind] == "backmatter"), None)
        if back is not None:
            yield _Landmark("backmatter", _file_name(back), back.title)

    def _ncx_entries(self, entries: Sequence[TocEntry]) -> Iterator[object]:
        for index, entry in enumerate(entries):
            title = f"{entry.label}: {entry.title}" if entry.label else entry.title
            link = epub.Link(self._href(entry.target), title, f"ncx-{entry.target}-{index}")
            if entry.children:
                section = epub.Section(title, self._href(entry.target))
                yield (section, list(self._ncx_entries(entry.children)))
            else:
                yield link


MATHML = "http://www.w3.org/1998/Math/MathML"


class _XhtmlItem(epub.EpubItem):  # type: ignore[misc]
    """A complete XHTML document, written as given (see the module docstring)."""

    def __init__(self, uid: str, file_name: str, content: bytes) -> None:
        super().__init__(
            uid=uid, file_name=file_name, media_type="application/xhtml+xml", content=content
        )
        self.properties: list[str] = []

    def is_chapter(self) -> bool:
        return True


def _file_name(document: RenderedDocument) -> str:
    return f"text/{document.id}.xhtml"


def _ids(html: str) -> Iterator[str]:
    tree = etree.fromstring(
        f'<div xmlns="{XHTML}" xmlns:epub="{OPS}">{html}</div>'.encode(), _parser()
    )
    for element in tree.iter():
        if isinstance(element.tag, str) and (value := element.get("id")):
            yield value


def _cover_suffix(cover: CheckedImage) -> str:
    return ".jpg" if cover.media_type == "image/jpeg" else ".png"


def _image_data(image: CheckedImage, what: str) -> bytes:
    """A checked image's bytes; a file changed since it was checked stops the write."""
    try:
        return image_data(image)
    except ImageProblem as problem:
        raise OutputError(f"{what}: {problem}") from None


def _point_images_into_package(tree: etree._Element) -> None:
    for img in tree.iter(f"{{{XHTML}}}img"):
        src = img.get("src", "")
        if not src.startswith("../"):
            img.set("src", f"../media/{src}")


@cache
def _templates() -> jinja2.Environment:
    """The EPUB's own templates (the package's documents around the shared rendering), one
    environment for the process: each template compiled once."""
    # autoescape=True, not select_autoescape(): that one skips .xhtml (LIBRARY-NOTES).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("coursebook.formats.epub", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def epub_flavour(document: RenderedDocument, labels: Mapping[str, str]) -> str:
    """A document of the shared rendering as the EPUB has it: its notes listed where they
    go (pop-up footnotes, each linking back to its call), and its structural semantics as
    ``epub:type`` (the rendering writes them ``data-semantics``, the one word in a valid
    HTML attribute, which no author's markup can carry: the sanitizer keeps no such
    attribute)."""
    html = document.html.replace(NOTES_SLOT, notes_section(document, labels))
    return html.replace(' data-semantics="', ' epub:type="')


def _parser() -> etree.XMLParser:
    # Never resolve entities or fetch anything (SECURITY-NOTES: XML).
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False
    )


def _serialize(tree: etree._Element) -> bytes:
    body: bytes = etree.tostring(tree, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + body + b"\n"


def _safe(html: str) -> Markup:
    return Markup(html)


def _stylesheet_bytes(own: str) -> bytes:
    """Our styles, then the book's own (cleaned when the book was loaded)."""
    ours = stylesheet("base.css").read_bytes() + b"\n" + stylesheet("epub.css").read_bytes()
    return ours + (b"\n" + own.encode("utf-8") if own else b"")


def repack(
    raw: bytes,
    stream: BinaryIO,
    date_time: tuple[int, int, int, int, int, int],
    finish: Callable[[str, bytes], bytes] = lambda name, data: data,
) -> None:
    """Re-write a zip with fixed times, sorted entries and ``mimetype`` first and stored;
    ``finish`` may change an entry on the way."""
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(stream, "w") as target:
        names = sorted(name for name in source.namelist() if name != "mimetype")
        for name in ["mimetype", *names]:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever the building system
            target.writestr(info, finish(name, source.read(name)), compresslevel=9)


def finish_package(opf: bytes, language: str, text_direction: str) -> bytes:
    """What ebooklib's package document lacks: the package's own language (and direction,
    for right-to-left books), which accessibility checkers require, and our generator name
    instead of ebooklib's."""
    tree = etree.fromstring(opf, _parser())
    tree.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    if text_direction == "rtl":
        tree.set("dir", "rtl")
    for meta in tree.iter(f"{{{OPF}}}meta"):
        if meta.get("name") == "generator":
            meta.set("content", f"coursebook {__version__}")
    body: bytes = etree.tostring(tree, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
