"""The PDF backend: the shared rendering, as a printed book laid out by WeasyPrint.

Print-specific steps, each named for what it does:

* the book is cut into parts (the front matter, each chapter, each appendix, the sources
  appendix), each one HTML document: :mod:`coursebook.paging` lays them out one by one and
  joins their pages;
* notes move from the end of the lesson to the place of their call, as inline elements that
  the print stylesheet floats to the foot of the page (``float: footnote``), because
  WeasyPrint places a footnote where its element is;
* links within the book print the page they lead to, as text;
* WeasyPrint lays the parts out with a fetcher that loads only the book's own files and our
  stylesheets, and the PDF is written atomically.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from ...cite.book_notes import BibliographyEntry
from ...core.diagnostics import Diagnostics, Location
from ...core.gcpause import fewer_collections
from ...core.labels import direction
from ...core.output import OutputError
from ...core.resources import styles_dir, stylesheet
from ...core.version import __version__
from ...core.xhtml import html_of_children, parse_fragment
from ...model import Note
from ...parse.terms import IndexPlace
from ...render.builddate import BuildDates
from ...render.pagemap import mark_sources
from ...render.rendering import (
    NOTES_SLOT,
    RenderedBook,
    RenderedDocument,
    linked_urls,
    note_content,
    notes_section,
    template_environment,
)
from .settings import PrintOptions, page_css

# Phrasing content only may sit inside a footnote that sits inside a paragraph: block elements
# of a note become spans the stylesheet sets as blocks.
_BLOCKS = {
    "p",
    "div",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "figure",
    "figcaption",
    "hr",
}


@dataclass(frozen=True)
class PartSpec:
    """A part of the printed book: the documents of the shared rendering it holds."""

    classes: str
    documents: tuple[RenderedDocument, ...]
    note_pages: int = 0
    """Ruled pages after each lesson (--note-pages)."""
    qr: bool = False
    """QR codes beside the sources (--qr)."""


def notes_out_of_place(document: Any) -> tuple[frozenset[str], frozenset[str]]:
    """Notes taller than half a page, and notes not at the foot of their call's page
    (WeasyPrint defers a note that doesn't fit under its call's line to the next page, even
    with ``footnote-policy: line``, and may set one on the page before, #1564)."""
    from weasyprint.formatting_structure import boxes

    pages_of = {
        anchor: index for index, page in enumerate(document.pages) for anchor in page.anchors
    }
    misplaced, too_tall = set(), set()
    for index, page in enumerate(document.pages):
        page_box = page._page_box  # WeasyPrint keeps the box tree of each page here
        for area in page_box.children:
            if not isinstance(area, boxes.FootnoteAreaBox):
                continue
            for footnote in area.children:
                element = footnote.element
                note = element.get("data-note") if element is not None else None
                if not note:
                    continue
                if footnote.margin_height() > 0.5 * page_box.height:
                    too_tall.add(str(note))
                elif pages_of.get(element.get("data-call")) != index:
                    misplaced.add(str(note))
    return frozenset(too_tall), frozenset(misplaced)


def warn_notes(
    rendered: RenderedBook, note_ids: frozenset[str], why: str, diagnostics: Diagnostics
) -> None:
    """Say where notes went that couldn't be set at the foot of their call's page. Only a
    note too tall for any page is the author's to fix; one that didn't fit under its call's
    line is the layout's business, and its footnote says where it went."""
    notes = {n.id: n for lesson in rendered.notes.lessons.values() for n in lesson.notes}
    for note_id in sorted(note_ids, key=lambda n: (notes[n].location.line, n)):
        note = notes[note_id]
        message = (
            f"note {note.number} is too long for the foot of a page; it is printed at the "
            "end of its lesson"
            if why == "too tall"
            else f"note {note.number} is printed at the foot of the next page"
        )
        diagnostics.warning(note.location, message, "long-note")


def roman(number: int) -> str:
    """Lower-case roman numerals, as CSS's ``lower-roman`` writes them."""
    numerals = (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    )
    text = ""
    for value, letters in numerals:
        count, number = divmod(number, value)
        text += letters * count
    return text


class Layout:
    """WeasyPrint with our stylesheets, fonts and fetcher, shared by every part."""

    def __init__(
        self, rendered: RenderedBook, diagnostics: Diagnostics, options: PrintOptions
    ) -> None:
        import weasyprint  # slow to import: only when a PDF is asked for
        from weasyprint.text.fonts import FontConfiguration

        from .fetcher import BookFetcher

        self.weasyprint = weasyprint
        self.root = rendered.book.root
        self.manifest = rendered.book.manifest
        self.diagnostics = diagnostics
        # The book's checked images (those fetched for --allow-remote among them) and our
        # stylesheets: nothing else of the book is for WeasyPrint to read.
        self.fetcher = BookFetcher(
            [styles_dir()], images=[image.checked for image in rendered.images]
        )
        self.fonts = FontConfiguration()
        self.options = options
        self._blank: Any = None
        self.styles = [
            weasyprint.CSS(
                filename=str(stylesheet(name)), url_fetcher=self.fetcher, font_config=self.fonts
            )
            for name in ("base.css", "print.css")
        ] + [weasyprint.CSS(string=page_css(options), font_config=self.fonts)]

    def logging(self) -> WeasyPrintLog:
        return WeasyPrintLog(self.manifest, self.diagnostics)

    def blank_page(self) -> Any:
        """An empty page, for the left-hand page before a part that opens on the right: no
        running head, no number, the options' marks and bleed."""
        if self._blank is None:
            html = '<!DOCTYPE html><html><head><meta charset="utf-8"/></head><body></body></html>'
            nothing = (
                "{ @top-left { content: none } @top-right { content: none } "
                "@bottom-left { content: none } @bottom-right { content: none } }"
            )
            quiet = f"@page :left {nothing} @page :right {nothing}"
            self._blank = self.render(html, quiet).pages[0]
        return self._blank

    def render(self, html: str, extra_css: str = "") -> Any:
        from .fetcher import RefusedResource

        styles = list(self.styles)
        if extra_css:
            styles.append(self.weasyprint.CSS(string=extra_css, font_config=self.fonts))
        with self.logging(), fewer_collections():
            try:
                return self.weasyprint.HTML(
                    string=html, base_url=self.root.as_uri() + "/", url_fetcher=self.fetcher
                ).render(stylesheets=styles, font_config=self.fonts)
            except RefusedResource as refused:
                raise OutputError(str(refused)) from None


def add_qr_codes(tree: etree._Element, rendered: RenderedBook) -> None:
    """A QR code beside each source with a full-text address, for phones to follow."""
    import segno

    urls = {entry.source.id: entry.source.url for entry in rendered.notes.bibliography}
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


def css_string(text: str) -> str:
    """``text`` as a CSS string, quoted and escaped."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\' or ord(char) < 32 else char for char in text
    )
    return f'"{escaped}"'


def cited_on(
    entry: BibliographyEntry,
    order: Mapping[str, int],
    numbers: Mapping[str, str],
    labels: Mapping[str, str],
) -> str:
    """``Cited on pp. 6, 9.``: each page once, in order, linked to the first citation on it.
    ``order`` gives each note call's page as a position in the book, ``numbers`` as printed."""
    first_on_page = _first_on_page((use.ref_id for use in entry.uses), order)
    word = labels["page_abbr"] if len(first_on_page) == 1 else labels["pages_abbr"]
    links = ", ".join(_page_link(anchor, numbers) for anchor in first_on_page.values())
    return f"{escape(labels['cited_on'])} {escape(word)} {links}."


def _first_on_page(anchors: Iterable[str], order: Mapping[str, int]) -> dict[int, str]:
    """The first of ``anchors`` on each page they are on, by page, in page order."""
    first: dict[int, str] = {}
    for anchor in anchors:
        page = order.get(anchor)
        if page is not None:
            first.setdefault(page, anchor)
    return dict(sorted(first.items()))


def _page_link(anchor: str, numbers: Mapping[str, str]) -> str:
    return f'<a class="pageref" href="#{anchor}">{escape(numbers[anchor])}</a>'


def index_pages(
    places: Sequence[IndexPlace], order: Mapping[str, int], numbers: Mapping[str, str]
) -> str:
    """An index entry's pages, ``12, 15–17``: each page once, in order, linked to the first
    place on it, consecutive pages as a range."""
    first_on_page = _first_on_page((place.mark.id for place in places), order)
    runs: list[list[int]] = []
    for page, anchor in first_on_page.items():
        if runs and page == runs[-1][-1] + 1 and numbers[anchor].isdigit():
            runs[-1].append(page)
        else:
            runs.append([page])

    def link(page: int) -> str:
        return _page_link(first_on_page[page], numbers)

    return ", ".join(
        link(run[0]) if len(run) == 1 else f"{link(run[0])}–{link(run[-1])}" for run in runs
    )


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
    endnotes: frozenset[str] = frozenset(),
) -> str:
    """A part of the book as an HTML document of its own, notes at their calls, every link
    to another place in the book with the page ``page_of`` gives for its target."""
    images = {image.href: image.path.as_uri() for image in rendered.images}
    documents = []
    for document in spec.documents:
        html = printed(document, rendered, page_of, endnotes, images, spec.qr)
        if document.kind == "lesson" and spec.note_pages:
            html += Markup(_note_pages(spec.note_pages, rendered.labels))
        documents.append(html)
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
    endnotes: frozenset[str] = frozenset(),
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


def use_print_notes(tree: etree._Element, notes: Sequence[Note]) -> None:
    """Notes whose printed text differs ("Ibid.", which a pop-up note can't say) get it."""
    asides = {aside.get("id"): aside for aside in tree.iterfind(".//aside[@class='note']")}
    for note in notes:
        aside = asides.get(note.id)
        if aside is None or not note.print_html or note.print_html == note.html:
            continue
        text = linked_urls(note_content(note, note.print_html))
        for child in list(aside):
            aside.remove(child)
        aside.text = None
        replacement = parse_fragment(text)
        aside.text = replacement.text
        aside.extend(list(replacement))


def notes_to_calls(
    tree: etree._Element,
    endnotes: frozenset[str] = frozenset(),
    labels: Mapping[str, str] | None = None,
) -> None:
    """Replace each note call with the note itself, as an inline ``span.footnote``.

    A note in ``endnotes`` (one the page can't hold, see :func:`notes_out_of_place`) goes to
    the end of its lesson instead, and its footnote points there with the page number.
    """
    notes = {aside.get("id"): aside for aside in tree.iterfind(".//aside[@class='note']")}
    used: set[str] = set()
    moved: list[etree._Element] = []
    for call in list(tree.iterfind(".//a[@role='doc-noteref']")):
        note_id = (call.get("href") or "").removeprefix("#")
        aside = notes.get(note_id)
        if aside is None:
            continue
        # WeasyPrint keeps no anchor on a footnote element (it moves to the page foot), so
        # the call's id goes on an empty span in the text: links and target-counter() from
        # the sources appendix find the call's page, which is the note's page.
        anchor = etree.Element("span", {"class": "note-anchor", "id": call.get("id", "")})
        if note_id in used:  # a note called again: its number only
            replacement = etree.Element("sup", {"class": "noteref-repeat"})
            replacement.text = "".join(str(t) for t in call.itertext())
        elif note_id in endnotes:
            used.add(note_id)
            moved.append(_endnote(aside, note_id))
            replacement = _pointer(note_id, labels or {})
        else:
            used.add(note_id)
            replacement = _footnote(aside)
        replacement.set("data-note", note_id)
        replacement.set("data-call", call.get("id", ""))
        replacement.tail = call.tail
        _parent(call).replace(call, anchor)
        anchor.addnext(replacement)
    for section in list(tree.iterfind(".//section[@class='footnotes']")):
        _parent(section).remove(section)
    if moved:
        _append_endnotes(tree, moved, labels or {})


def _pointer(note_id: str, labels: Mapping[str, str]) -> etree._Element:
    """The footnote of a note sent to the end of its lesson: "See the end of this lesson,
    p. 12." (the page from ``target-counter``)."""
    footnote = etree.Element("span", {"class": "footnote"})
    link = etree.SubElement(
        footnote,
        "a",
        {
            "class": "endnote-pointer",
            "href": f"#{note_id}-end",
            "data-page-label": labels.get("page_abbr", "p."),
        },
    )
    link.text = labels.get("note_continued", "See the end of this lesson")
    return footnote


def _endnote(aside: etree._Element, note_id: str) -> etree._Element:
    note = etree.Element("div", {"class": "endnote", "id": f"{note_id}-end"})
    for backlink in aside.iterfind(".//a[@class='note-backlink']"):
        number = etree.Element("span", {"class": "endnote-number"})
        number.text = "".join(str(t) for t in backlink.itertext())
        number.tail = backlink.tail
        _parent(backlink).replace(backlink, number)
    note.text = aside.text
    note.extend(list(aside))
    return note


def _append_endnotes(
    tree: etree._Element, notes: list[etree._Element], labels: Mapping[str, str]
) -> None:
    section = etree.Element("section", {"class": "endnotes"})
    title = etree.SubElement(section, "p", {"class": "endnotes-title"})
    title.text = labels.get("notes", "Notes")
    section.extend(notes)
    lesson = tree.find("./section")
    (lesson if lesson is not None else tree).append(section)


def _footnote(aside: etree._Element) -> etree._Element:
    footnote: etree._Element = etree.Element("span", {"class": "footnote"})
    for backlink in aside.iterfind(".//a[@class='note-backlink']"):
        _drop(backlink)
    blocks = list(aside)
    if blocks and blocks[0].tag == "p":
        first = blocks.pop(0)
        footnote.text = first.text
        footnote.extend(list(first))
    for block in blocks:
        footnote.append(block)
    for element in footnote.iter():
        if element is not footnote and element.tag in _BLOCKS:
            element.set("class", f"fn-{element.tag} {element.get('class', '')}".strip())
            element.tag = "span"
    if footnote.text:
        footnote.text = footnote.text.lstrip()
    return footnote


def _parent(element: etree._Element) -> etree._Element:
    parent = element.getparent()
    if parent is None:  # pragma: no cover - every element handled here sits in a fragment
        raise ValueError("element without a parent")
    return parent


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = _parent(element)
    tail = (element.tail or "").lstrip()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


class WeasyPrintLog(logging.Handler):
    """Turns what WeasyPrint logs while laying out the book into warnings of the build."""

    def __init__(self, manifest: Path, diagnostics: Diagnostics) -> None:
        super().__init__(level=logging.WARNING)
        self.manifest = manifest
        self.diagnostics = diagnostics
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> WeasyPrintLog:
        self.logger.addHandler(self)
        self._propagate = self.logger.propagate
        self.logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self._propagate

    def emit(self, record: logging.LogRecord) -> None:
        self.diagnostics.warning(
            Location(self.manifest), f"PDF layout: {record.getMessage()}", "pdf-layout"
        )
