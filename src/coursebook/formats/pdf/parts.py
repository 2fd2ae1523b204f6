"""The parts of the printed book, each an HTML document in print form.

Print-specific steps, each named for what it does:

* the book is cut into parts (the front matter, each chapter, each appendix, the sources
  appendix), each one HTML document: :mod:`.paging` lays them out one by one and
  joins their pages;
* notes move from the end of the lesson to the place of their call, as inline elements that
  the print stylesheet floats to the foot of the page (``float: footnote``), because
  WeasyPrint places a footnote where its element is;
* links within the book print the page they lead to, as text;
* WeasyPrint lays the parts out with a fetcher that loads only the book's own files and our
  stylesheets, and the PDF is written atomically.

This module cuts the book into parts and makes each one's HTML (:func:`part_specs`,
:func:`part_html`, :func:`printed`); the notes are moved by :mod:`.footnotes`, the page
numbers that the sources appendix and the index print come from :mod:`.page_numbers`, and
WeasyPrint is set up in :mod:`.layout`.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import escape

from lxml import etree
from markupsafe import Markup

from ...core.cache import cache_key
from ...core.labels import direction
from ...core.version import __version__
from ...core.xhtml import html_of_children, parse_fragment
from ...render.builddate import BuildDates
from ...render.notes import NOTES_SLOT, notes_section
from ...render.pagemap import mark_sources
from ...render.rendered_book import RenderedBook, RenderedDocument
from ...render.templating import template_environment
from .footnotes import notes_to_calls, use_print_notes
from .math import typeset_math
from .runts import tie_last_words
from .settings import PrintOptions
from .urls import break_urls


@dataclass(frozen=True)
class PartSpec:
    """A part of the printed book: the documents of the shared rendering it holds."""

    classes: str
    documents: tuple[RenderedDocument, ...]
    note_pages: int = 0
    """Ruled pages after each lesson (--note-pages)."""
    qr: bool = False
    """QR codes beside the sources (--qr)."""
    after: str = ""
    """For a piece of a part laid out again on its own (see :mod:`.pieces`): the side
    ("left", "right") of a page laid out before it and then dropped, so that its first page
    is on the side it has in the part."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Its documents' ids: which part of the book it is."""
        return tuple(document.id for document in self.documents)


def add_qr_codes(tree: etree._Element, rendered: RenderedBook) -> None:
    """A QR code beside each source with a full-text address or a DOI, for phones to
    follow."""
    import segno

    urls = {entry.source.id: entry.source.link for entry in rendered.notes.bibliography}
    for item in tree.iterfind(".//li[@class='source']"):
        url = urls.get(item.get("id", "").removeprefix("sources-"))
        if not url:
            continue
        png = io.BytesIO()
        # A PNG with one pixel a module, drawn with hard edges (image-rendering: pixelated).
        segno.make(url, error="m").save(png, kind="png", border=0, scale=1)
        image = etree.Element(
            "img",
            {
                "class": "qr",
                "alt": f"{rendered.labels['full_text']}: {url}",
                "src": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(),
            },
        )
        item.insert(0, image)


def _front_ids(rendered: RenderedBook) -> set[str]:
    """The ids of the front matter's parts: laid out together, last (see coursebook.paging)."""
    return {document.id for document in rendered.documents if document.kind in FRONT_MATTER}


FRONT_MATTER = ("titlepage", "imprint", "contents", "about")


def part_specs(
    rendered: RenderedBook, options: PrintOptions
) -> tuple[PartSpec, list[PartSpec], PartSpec | None]:
    """The front matter, the body's parts (one per chapter, one per appendix) and the back
    matter (the sources appendix; None when nothing is cited)."""
    documents = rendered.documents

    def spec(classes: str, documents: Iterable[RenderedDocument]) -> PartSpec:
        return PartSpec(classes, tuple(documents), options.note_pages, options.qr)

    front = spec("frontmatter", (d for d in documents if d.kind in FRONT_MATTER))
    chapters: dict[int, list[RenderedDocument]] = {}
    for document in documents:
        if document.kind in ("chapter", "lesson", "chapter-sources") and document.chapter:
            chapters.setdefault(document.chapter, []).append(document)
    body = []
    for position, number in enumerate(sorted(chapters)):
        group = chapters[number]
        single = "" if any(d.kind == "chapter" for d in group) else " single-lesson"
        first = " first-chapter" if position == 0 else ""  # where arabic numbering starts
        body.append(spec(f"chapter{single}{first}", group))
    body += [
        spec("chapter appendix", (d,)) for d in documents if d.kind in ("appendix", "glossary")
    ]
    # Laid out last, when every page is known: they print the pages of the places they list.
    back = [d for d in documents if d.kind in ("sources", "index")]
    return front, body, spec("backmatter", back) if back else None


def part_html(
    rendered: RenderedBook,
    dates: BuildDates,
    spec: PartSpec,
    page_of: Callable[[str], str],
    endnotes: Mapping[str, int] | None = None,
) -> str:
    """A part of the book as an HTML document of its own, notes at their calls, every link
    to another place in the book with the page ``page_of`` gives for its target."""
    documents = _printed_documents(rendered, spec, page_of, endnotes)
    return _framed(rendered, dates, spec, _before(spec) + documents)


@dataclass(frozen=True)
class PartSource:
    """A part's HTML (see :func:`part_html`), with the hash of each document's and of what
    is around them: what an edit changed (see :mod:`.pieces`)."""

    html: str
    digests: tuple[str, ...]
    wrapper: str


BEFORE = '<div class="piece-before"></div>'
"""What the page laid out before a piece of a part holds (see :mod:`.pieces`)."""


def part_source(
    rendered: RenderedBook,
    dates: BuildDates,
    spec: PartSpec,
    page_of: Callable[[str], str],
) -> PartSource:
    """:func:`part_html`, with its documents' hashes and that of the frame around them."""
    documents = _printed_documents(rendered, spec, page_of, None)
    slots = [Markup(f"<!--{index}-->") for index in range(len(documents))]
    return PartSource(
        _framed(rendered, dates, spec, _before(spec) + documents),
        tuple(cache_key(document) for document in documents),
        cache_key(_framed(rendered, dates, spec, _before(spec) + slots)),
    )


def _printed_documents(
    rendered: RenderedBook,
    spec: PartSpec,
    page_of: Callable[[str], str],
    endnotes: Mapping[str, int] | None,
) -> list[Markup]:
    images = {image.href: image.path.as_uri() for image in rendered.images}
    documents = []
    for document in spec.documents:
        html = printed(document, rendered, page_of, endnotes, images, spec.qr)
        if document.kind == "lesson" and spec.note_pages:
            html += Markup(_note_pages(spec.note_pages, rendered.labels))
        documents.append(html)
    return documents


def _before(spec: PartSpec) -> list[Markup]:
    return [Markup(BEFORE)] if spec.after else []


def _framed(
    rendered: RenderedBook, dates: BuildDates, spec: PartSpec, documents: list[Markup]
) -> str:
    meta = rendered.book.meta
    return (
        template_environment()
        .get_template("print/book.html")
        .render(
            meta=meta,
            direction=direction(meta.language),
            version=__version__,
            created=dates.created.date().isoformat(),
            modified=dates.modified.date().isoformat(),
            parts=[{"classes": spec.classes, "documents": documents}],
        )
    )


def _note_pages(count: int, labels: Mapping[str, str]) -> str:
    """Ruled pages after a lesson, for the reader's own notes (print only)."""
    page = (
        f'<div class="note-page"><p class="note-page-title">{escape(labels["notes"])}</p>'
        '<div class="ruled"></div></div>'
    )
    return page * count


def printed(
    document: RenderedDocument,
    rendered: RenderedBook,
    page_of: Callable[[str], str],
    endnotes: Mapping[str, int] | None = None,
    images: Mapping[str, str] | None = None,
    qr: bool = False,
) -> Markup:
    """A document of the book in its print form: notes as printed, moved to their calls,
    links within the book with the page they lead to ("see lesson 15 (p. 31)")."""
    labels = rendered.labels
    # The notes listed where the EPUB lists them, then numbered, then moved: the page list
    # counts elements the way the EPUB does, and a page that begins among the endnotes is
    # the EPUB's note.
    tree = parse_fragment(document.html.replace(NOTES_SLOT, notes_section(document, labels)))
    mark_sources(tree, document.id)
    use_print_notes(tree, document.notes)
    typeset_math(tree)
    break_urls(tree)
    tie_last_words(tree)
    _mark_short_tables(tree)
    notes_to_calls(tree, endnotes, labels)
    for link in tree.iter("a"):
        classes = (link.get("class") or "").split()
        href = link.get("href") or ""
        if document.kind == "contents" and href.removeprefix("#") in _front_ids(rendered):
            link.set("class", " ".join([*classes, "in-part"]))  # WeasyPrint counts its pages
        elif "xref" in classes or (document.kind == "contents" and href.startswith("#")):
            link.set("data-page-label", labels["page_abbr"])
            link.set("data-page", page_of(href.removeprefix("#")))
    for image in tree.iter("img"):  # each image by the file it was resolved to
        if images and image.get("src") in images:
            image.set("src", images[image.get("src", "")])
    if qr and document.kind == "sources":
        add_qr_codes(tree, rendered)
    return Markup(html_of_children(tree))


SHORT_TABLE = 6
"""Rows of a table that print keeps on one page (a longer one may split between rows)."""


def _mark_short_tables(tree: etree._Element) -> None:
    for table in tree.iter("table"):
        if sum(1 for _ in table.iter("tr")) <= SHORT_TABLE:
            classes = (table.get("class") or "").split()
            table.set("class", " ".join([*classes, "short"]))
