"""The PDF backend: the shared rendering, as one printed book laid out by WeasyPrint.

Print-specific steps, each named for what it does:

* the parts of the book are put in one HTML document, a ``chapter`` division around each
  chapter (page-foot note numbers restart there);
* notes move from the end of the lesson to the place of their call, as inline elements that
  the print stylesheet floats to the foot of the page (``float: footnote``), because
  WeasyPrint places a footnote where its element is;
* WeasyPrint lays the book out with a fetcher that loads only the book's own files and our
  stylesheets, and the PDF is written atomically.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from . import __version__
from .builddate import BuildDates
from .cache import cache_key, file_bytes
from .diagnostics import Diagnostics, Location
from .gcpause import fewer_collections
from .labels import direction
from .model import Note
from .notes import BibliographyEntry
from .output import OutputError, write_atomically
from .pagemap import PageStart, mark_sources, page_starts
from .printing import PrintOptions, page_css
from .render import RenderedBook, RenderedDocument, sources_appendix, template_environment
from .resources import styles_dir, stylesheet
from .xhtml import html_of_children, parse_fragment

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
class _Part:
    classes: str
    documents: tuple[Markup, ...]


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out print edition."""

    document: Any
    """WeasyPrint's document, ready to write."""
    manifest: Path
    starts: tuple[PageStart, ...]
    """Where each page begins in the book's text (for the EPUB's page list)."""
    paper: str
    """The paper the pages are set on, as the page list's source names it."""
    variant: str | None = None
    """The PDF standard to write to (``pdf/a-3b``, ``pdf/ua-1``)."""
    folios: Folios | None = None

    @property
    def pages(self) -> int:
        return len(self.document.pages)


LAYOUTS_FOR_NOTES = 4
"""At most this many layouts to bring every note to the foot of its call's page."""


def lay_out(
    rendered: RenderedBook, dates: BuildDates, diagnostics: Diagnostics, options: PrintOptions
) -> PrintLayout:
    """Lay the printed book out, without writing it."""
    layout = _Layout(rendered, diagnostics, options)
    document = layout.render(print_html(rendered, dates, note_pages=options.note_pages))
    # Notes the pages can't hold at the foot of their call's page go to the end of their
    # lesson (WeasyPrint can't split a note across pages, #1833, and may set one on the page
    # before its call, #1564). Rarely needed; at most a few more layouts.
    endnotes: frozenset[str] = frozenset()
    notes = {n.id: n for lesson in rendered.notes.lessons.values() for n in lesson.notes}
    for attempt in range(LAYOUTS_FOR_NOTES):
        too_tall, deferred = notes_out_of_place(document)
        misplaced = too_tall or deferred  # the tall ones first: they push the others away
        if not misplaced:
            break
        if attempt == LAYOUTS_FOR_NOTES - 1:  # enough: say where they are
            for note_id in sorted(misplaced):
                diagnostics.warning(
                    notes[note_id].location,
                    f"note {notes[note_id].number} is printed at the foot of the next page",
                    "long-note",
                )
            break
        endnotes |= misplaced
        # Only a note too tall for any page is the author's to fix; one that didn't fit
        # under its call's line is the layout's business (the footnote says where it went).
        for note_id in sorted(too_tall, key=lambda n: (notes[n].location.line, n)):
            _warn_endnote(notes[note_id], diagnostics)
        document = None  # free the last layout before the next: memory, and GC time
        document = layout.render(
            print_html(rendered, dates, note_pages=options.note_pages, endnotes=endnotes)
        )
    folios = Folios.of(document, rendered)
    if rendered.notes.bibliography:
        document = _with_sources_by_page(document, rendered, dates, layout, folios)
    labels = [folios.label(index) for index in range(len(document.pages))]
    return PrintLayout(
        document,
        rendered.book.manifest,
        page_starts(document.pages, labels),
        options.paper_name,
        options.variant,
        folios,
    )


def write_pdf(layout: PrintLayout, target: Path, diagnostics: Diagnostics) -> None:
    """Write a laid-out book to ``target`` (atomically)."""
    with _WeasyPrintLog(layout.manifest, diagnostics), fewer_collections():
        write_atomically(
            target,
            lambda stream: layout.document.write_pdf(
                stream, pdf_variant=layout.variant, finisher=_page_labels(layout.folios)
            ),
        )


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


def _warn_endnote(note: Note, diagnostics: Diagnostics) -> None:
    diagnostics.warning(
        note.location,
        f"note {note.number} is too long for the foot of a page; it is printed at the end "
        "of its lesson",
        "long-note",
    )


def _page_labels(folios: Folios | None) -> Callable[[Any, Any], None]:
    """A PDF viewer shows the numbers printed on the pages (roman, then arabic from 1), not
    the page's position: the PDF's /PageLabels say how they run."""

    def finish(document: Any, pdf: Any) -> None:
        import pydyf

        if folios is None:
            return
        ranges = [0, pydyf.Dictionary({"S": "/r"})] if folios.first_body else []
        ranges += [folios.first_body, pydyf.Dictionary({"S": "/D"})]
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": pydyf.Array(ranges)})

    return finish


def layout_key(rendered: RenderedBook, dates: BuildDates, options: PrintOptions) -> str:
    """What the page layout depends on: the print HTML, the stylesheets, the options, the
    versions."""
    import weasyprint

    styles = file_bytes(stylesheet(name) for name in ("base.css", "print.css"))
    return cache_key(
        print_html(rendered, dates), styles, page_css(options), weasyprint.__version__, __version__
    )


@dataclass(frozen=True)
class Folios:
    """The numbers printed on the pages, as print.css numbers them: the front matter in
    roman, the body in arabic from its first page."""

    first_body: int
    """Index of the body's first page."""

    @classmethod
    def of(cls, document: Any, rendered: RenderedBook) -> Folios:
        first = next(d.id for d in rendered.documents if d.kind in ("chapter", "lesson"))
        for index, page in enumerate(document.pages):
            if first in page.anchors:
                return cls(index)
        return cls(0)  # pragma: no cover - every book has a first lesson

    def number(self, index: int) -> int:
        return index - self.first_body + 1 if index >= self.first_body else index + 1

    def label(self, index: int) -> str:
        number = self.number(index)
        return str(number) if index >= self.first_body else roman(number)


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


class _Layout:
    """WeasyPrint with our stylesheets, fonts and fetcher, shared by every pass."""

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
        # The book's files, our stylesheets, and the images fetched for --allow-remote.
        remote = {
            image.path.parent for image in rendered.images if image.href.startswith("remote/")
        }
        self.fetcher = BookFetcher([self.root, styles_dir(), *remote])
        self.fonts = FontConfiguration()
        self.options = options
        self.styles = [
            weasyprint.CSS(
                filename=str(stylesheet(name)), url_fetcher=self.fetcher, font_config=self.fonts
            )
            for name in ("base.css", "print.css")
        ] + [weasyprint.CSS(string=page_css(options), font_config=self.fonts)]

    def logging(self) -> _WeasyPrintLog:
        return _WeasyPrintLog(self.manifest, self.diagnostics)

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


def _with_sources_by_page(
    document: Any, rendered: RenderedBook, dates: BuildDates, layout: _Layout, folios: Folios
) -> Any:
    """The sources appendix again, now that the pages of the notes are known.

    The first layout's appendix can only say, note by note, on which page each is
    (``target-counter``); the one a reader wants lists each page once: "Cited on pp. 6, 9."
    Only the appendix is laid out again (it is the book's last part, so nothing before it
    moves), and its pages replace the first ones, which WeasyPrint's ``Document.copy`` joins
    with links, outline and fonts intact.
    """
    pages = {anchor: index for index, page in enumerate(document.pages) for anchor in page.anchors}
    start = pages["sources"]

    def cited_on(entry: BibliographyEntry) -> str:
        return _cited_on(entry, pages, rendered.labels, folios)

    appendix = sources_appendix(rendered.notes, rendered.labels, cited_on)
    tree = parse_fragment(appendix)
    mark_sources(tree, "sources")
    if layout.options.qr:
        add_qr_codes(tree, rendered)
    html = print_html(
        rendered,
        dates,
        parts=[_Part("backmatter", (Markup(html_of_children(tree)),))],
        running_strings=True,
    )
    back = layout.render(
        html, extra_css=f"@page :first {{ counter-reset: page {folios.number(start)} }}"
    )
    return document.copy(document.pages[:start] + back.pages)


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


def _cited_on(
    entry: BibliographyEntry, pages: dict[str, int], labels: Mapping[str, str], folios: Folios
) -> str:
    """``Cited on pp. 6, 9.``: each page once, linked to the first citation on it."""
    first_on_page: dict[int, str] = {}
    for use in entry.uses:
        page = pages.get(use.ref_id)
        if page is not None:
            first_on_page.setdefault(page, use.ref_id)
    pages_cited = sorted(first_on_page)
    word = labels["page_abbr"] if len(pages_cited) == 1 else labels["pages_abbr"]
    links = ", ".join(
        f'<a class="pageref" href="#{first_on_page[page]}">{folios.label(page)}</a>'
        for page in pages_cited
    )
    return f"{escape(labels['cited_on'])} {escape(word)} {links}."


def print_html(
    rendered: RenderedBook,
    dates: BuildDates,
    parts: list[_Part] | None = None,
    running_strings: bool = False,
    note_pages: int = 0,
    endnotes: frozenset[str] = frozenset(),
) -> str:
    """The whole book (or the ``parts`` given) as one HTML document, notes at their calls."""
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
            parts=parts if parts is not None else list(_parts(rendered, note_pages, endnotes)),
            running_strings=running_strings,
        )
    )


def _parts(
    rendered: RenderedBook, note_pages: int = 0, endnotes: frozenset[str] = frozenset()
) -> Iterator[_Part]:
    """Front matter, one part per chapter, one per appendix, and the back matter."""
    documents = rendered.documents

    images = {image.href: image.path.as_uri() for image in rendered.images}

    def _printed(document: RenderedDocument) -> Markup:
        html = printed(document, rendered.print_notes, rendered.labels, endnotes, images)
        if document.kind == "lesson" and note_pages:
            html += Markup(_note_pages(note_pages, rendered.labels))
        return html

    front = [d for d in documents if d.kind in ("titlepage", "imprint", "contents")]
    yield _Part("frontmatter", tuple(_printed(d) for d in front))
    chapters: dict[int, list[RenderedDocument]] = {}
    for document in documents:
        if document.kind in ("chapter", "lesson", "chapter-sources") and document.chapter:
            chapters.setdefault(document.chapter, []).append(document)
    for position, number in enumerate(sorted(chapters)):
        group = chapters[number]
        single = "" if any(d.kind == "chapter" for d in group) else " single-lesson"
        first = " first-chapter" if position == 0 else ""  # where arabic numbering starts
        yield _Part(f"chapter{single}{first}", tuple(_printed(d) for d in group))
    for document in documents:
        if document.kind == "appendix":
            yield _Part("chapter appendix", (_printed(document),))
    back = [d for d in documents if d.kind == "sources"]
    if back:
        yield _Part("backmatter", tuple(_printed(d) for d in back))


def _note_pages(count: int, labels: Mapping[str, str]) -> str:
    """Ruled pages after a lesson, for the reader's own notes (print only)."""
    page = (
        f'<div class="note-page"><p class="note-page-title">{escape(labels["notes"])}</p>'
        '<div class="ruled"></div></div>'
    )
    return page * count


def printed(
    document: RenderedDocument,
    print_notes: Mapping[str, str],
    labels: Mapping[str, str],
    endnotes: frozenset[str] = frozenset(),
    images: Mapping[str, str] | None = None,
) -> Markup:
    """A part of the book in its print form: notes as printed, moved to their calls, links
    within the book ready to show their page ("see lesson 15 (p. 31)")."""
    tree = parse_fragment(document.html)
    mark_sources(tree, document.id)  # before anything moves: the EPUB counts the same way
    use_print_notes(tree, print_notes)
    notes_to_calls(tree, endnotes, labels)
    for link in tree.iterfind(".//a[@class]"):
        if "xref" in (link.get("class") or "").split():
            link.set("data-page-label", labels["page_abbr"])
    for image in tree.iter("img"):  # each image by the file it was resolved to
        if images and image.get("src") in images:
            image.set("src", images[image.get("src", "")])
    return Markup(html_of_children(tree))


def use_print_notes(tree: etree._Element, print_notes: Mapping[str, str]) -> None:
    """Notes whose printed text differs ("Ibid.", which a pop-up note can't say) get it."""
    for aside in tree.iterfind(".//aside[@class='note']"):
        text = print_notes.get(aside.get("id", ""))
        if text is None:
            continue
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
    for call in list(tree.iterfind(".//a[@class='noteref']")):
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


class _WeasyPrintLog(logging.Handler):
    """Turns what WeasyPrint logs while laying out the book into warnings of the build."""

    def __init__(self, manifest: Path, diagnostics: Diagnostics) -> None:
        super().__init__(level=logging.WARNING)
        self.manifest = manifest
        self.diagnostics = diagnostics
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> _WeasyPrintLog:
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
