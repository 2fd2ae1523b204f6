"""One lesson's tree between Markdown and its finished :class:`ParsedLesson` (:class:`_Draft`):
footnotes taken out, headings shifted under the lesson's title, ids namespaced, tables and
images checked, links collected for the book to resolve, index and glossary terms marked;
and where in the lesson's Markdown each thing is, for the messages about it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from ...core.diagnostics import Diagnostics, Location
from ...core.limits import Limits, raise_hint
from ...core.naming import lesson_element_id, package_path
from ...core.paths import BookPaths, RefusedPath
from ...model import Book, CheckedImage, Citation, Lesson
from ...source.images import MEDIA_TYPES, DecodedSizes, ImageProblem, check_image
from .. import sanitize, terms
from ..extraction import REF_PLACEHOLDER, CrossRef
from ..remote import RemoteImages, RemoteRefused
from .parsed import CALL, NOTE_CLOSE, NOTE_OPEN, Footnote, Heading, Image, ParsedLesson
from .tree import _escape, _remove_keep_tail, _replace_with_text

IMAGE_TYPES = MEDIA_TYPES


@dataclass
class _PendingLink:
    element: etree._Element
    target: Path | None
    """The document file linked to; None for a link within the same lesson."""
    fragment: str
    location: Location
    page: str = ""
    """For a link to a web edition's page (``/small-n.html``): its name, which the book
    resolves to the lesson of that name."""


@dataclass
class _Draft:
    """A lesson between Markdown and its finished :class:`ParsedLesson`."""

    lesson: Lesson
    prefix: str
    level: int
    tree: etree._Element
    citations: tuple[Citation, ...]
    diagnostics: Diagnostics
    footnotes: list[Footnote] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    links: list[_PendingLink] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    reference_cursor: dict[tuple[str, str], int] = field(default_factory=dict)
    index_marks: list[terms.IndexMark] = field(default_factory=list)
    glossary_uses: list[tuple[str, str]] = field(default_factory=list)
    questions: tuple[str, ...] = ()
    summary: str | None = None
    crossrefs: tuple[CrossRef, ...] = ()
    """``@fig:name`` and the like, for :mod:`.crossrefs` to resolve."""
    inline_notes: dict[str, Location] = field(default_factory=dict)
    """The footnote label of each inline note ``^[…]``, with where it is written."""

    def location_of(self, needle: str) -> Location:
        """Where ``needle`` first occurs in the lesson's Markdown (for messages about HTML,
        which keeps no line numbers); the start of the body when it can't be found."""
        body = self.lesson.body
        index = body.find(needle) if needle else -1
        if index < 0:
            return Location(self.lesson.path, self.lesson.body_line)
        return self._location_at(index)

    def location_of_reference(self, kind: str, target: str) -> Location:
        """Where an image (``kind`` "img") or a link ("a") to ``target`` is written. The HTML
        keeps no line numbers, and the same address may appear as an image and as a link, or
        several times: the Markdown or HTML syntax of the kind is looked for first, and each
        use of an address is found after the one before it."""
        escaped = re.escape(target)
        attribute = "src" if kind == "img" else "href"
        markdown = r"!\[[^\]]*\]" if kind == "img" else r"(?<!!)\[[^\]]*\]"
        patterns = (
            rf"{markdown}\(\s*<?(?P<t>{escaped})",
            rf"<{kind}\b[^>]*\b{attribute}\s*=\s*[\"']?(?P<t>{escaped})",
            rf"(?P<t>{escaped})",  # a reference-style definition, or an autolink
        )
        body = self.lesson.body
        start = self.reference_cursor.get((kind, target), 0)
        for pattern in patterns:
            match = re.compile(pattern).search(body, start)
            if match:
                self.reference_cursor[(kind, target)] = match.end()
                return self._location_at(match.start("t"))
        return self.location_of(target)

    def location_at(self, index: int) -> Location:
        """Where offset ``index`` of the lesson's Markdown is."""
        return self._location_at(index)

    def _location_at(self, index: int) -> Location:
        body = self.lesson.body
        line = body.count("\n", 0, index)
        column = index - (body.rfind("\n", 0, index) + 1) + 1
        return Location(self.lesson.path, self.lesson.body_line + line, column)

    def dress_figures(self) -> None:
        """A figure holds its image itself (not in a paragraph) and carries the image's id
        (``{#fig:name}``); the image's text alternative is the caption's text, which the
        caption then hides from screen readers so that it isn't read twice (as pandoc
        does, unless it holds a link or a note call)."""
        for figure in self.tree.iter("figure"):
            holder = figure.find("./p[@class='figure-image']")
            image = holder.find("img") if holder is not None else None
            caption = figure.find("figcaption")
            if holder is None or image is None or caption is None:
                continue
            figure.replace(holder, image)
            image.tail = None
            if ident := image.get("id"):
                del image.attrib["id"]
                figure.set("id", ident)
            written = "".join(str(t) for t in caption.itertext())
            plain = " ".join(CALL.sub("", written).split())
            image.set("alt", re.sub(r" (?=[.,;:!?])", "", plain))  # where a call was
            calls = CALL.search(written) or REF_PLACEHOLDER.search(written)
            if not calls and caption.find(".//a") is None:
                caption.set("aria-hidden", "true")  # links and note calls must stay reachable

    def take_footnotes(self) -> None:
        """Move Python-Markdown's endnotes out of the text; their calls become placeholders."""
        container = self.tree.find("./div[@class='footnote']")
        bodies: dict[str, etree._Element] = {}
        if container is not None:
            for item in container.iter("li"):
                label = (item.get("id") or "").removeprefix("fn-")
                for backref in item.findall(".//a[@class='footnote-backref']"):
                    _remove_keep_tail(backref)
                bodies[label] = item
            _remove_keep_tail(container)
        index_of: dict[str, int] = {}
        for sup in list(self.tree.iter("sup")):
            link = sup.find("./a[@class='footnote-ref']")
            if link is None:
                continue
            label = (link.get("href") or "").removeprefix("#fn-")
            if label not in index_of and label in bodies:
                index_of[label] = len(self.footnotes)
                self.footnotes.append(self._footnote(label, bodies[label]))
            _replace_with_text(sup, f"{NOTE_OPEN}{index_of[label]}{NOTE_CLOSE}")
        for label in bodies.keys() - index_of.keys():
            self.diagnostics.warning(
                self.location_of(f"[^{label}]:"),
                f"footnote [^{label}] is never referred to",
                "unused-footnote",
            )

    def _footnote(self, label: str, item: etree._Element) -> Footnote:
        # Trailing no-break space Python-Markdown puts before its back-link.
        for p in item.iter("p"):
            if len(p) == 0 and p.text:
                p.text = p.text.rstrip("\xa0")
            elif len(p) and p[-1].tail:
                p[-1].tail = p[-1].tail.rstrip("\xa0")
        html = "".join(etree.tostring(c, encoding="unicode", method="xml") for c in item)
        location = self.inline_notes.get(label) or self.location_of(f"[^{label}]:")
        return Footnote(label, html.strip(), location)

    def shift_headings(self) -> None:
        """Headings nest under the lesson title without gaps: ``##`` is one level below it."""
        previous = self.level
        for element in self.tree.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            written = int(element.tag[1]) - 2 + self.level + 1
            level = min(max(written, self.level + 1), previous + 1, 6)
            element.tag = f"h{level}"
            previous = level

    def namespace_ids(self) -> None:
        """Every id gets the lesson's prefix, so ids never collide across lessons. Within a
        lesson, an id written twice (``{#same}``) is an error: links to it would be ambiguous
        and the EPUB invalid. (Ids made from headings are already made unique by Markdown.)"""
        for element in self.tree.iter():
            if isinstance(element.tag, str) and (value := element.get("id")):
                if value in self.ids:
                    self.diagnostics.error(
                        self._second_use_of_id(value),
                        f"the id '{value}' is used twice in this lesson",
                        "duplicate-id",
                    )
                    del element.attrib["id"]
                    continue
                element.set("id", lesson_element_id(self.prefix, value))
                self.ids.add(value)

    def mark_terms(self, book: Book) -> None:
        """Index marks (written, and of the terms book.yaml lists) and glossary links; the
        page on how to use the reader is not indexed."""
        if self.lesson.kind != "about":
            self.index_marks = terms.written_marks(self.tree, self.prefix)
            self.index_marks += terms.mark_listed_terms(self.tree, book.index_terms, self.prefix)
        self.glossary_uses = terms.mark_glossary_terms(self.tree, book.glossary, self.prefix)

    def _second_use_of_id(self, value: str) -> Location:
        pattern = re.compile(rf"#{re.escape(value)}\b|\bid\s*=\s*[\"']?{re.escape(value)}\b")
        uses = list(pattern.finditer(self.lesson.body))
        if len(uses) < 2:
            return self.location_of(value)
        return self._location_at(uses[1].start())

    def keep_classes_apart(self) -> None:
        """The classes the book's notes are found by (``footnote``, an aside's ``note``) are
        the book's: an author's ``<aside class="note">`` keeps its meaning as ``aside-note``."""
        for element in self.tree.iter():
            classes = (element.get("class") or "").split() if isinstance(element.tag, str) else []
            reserved = _RESERVED_CLASSES | ({"note"} if element.tag == "aside" else set())
            if any(name in reserved for name in classes):
                renamed = [f"aside-{c}" if c in reserved else c for c in classes]
                element.set("class", " ".join(renamed))

    def align_to_class(self) -> None:
        """Table cells' ``align`` (obsolete in HTML5) becomes a class the stylesheets set; a
        list's ``start`` is said in CSS too (print reads no ``start``)."""
        for ol in self.tree.iter("ol"):
            if (start := ol.get("start", "")).lstrip("-").isdigit() and int(start) != 1:
                ol.set("style", f"counter-reset: list-item {int(start) - 1}")
        for cell in self.tree.iter("td", "th"):
            if align := cell.get("align"):
                del cell.attrib["align"]
                cell.set("class", f"align-{align}")

    def report_removals(self, removed: list[sanitize.Removal]) -> None:
        for removal in removed:
            location = self.location_of(removal.needle)
            if removal.confinement:
                self.diagnostics.error(location, removal.what, "path-outside")
            else:
                self.diagnostics.warning(location, removal.what, "sanitized")

    def check_tables(self, max_rows: int) -> None:
        """A table without header cells can't be read aloud sensibly (WCAG 1.3.1); a table
        of more rows than the limit would take the layout hours."""
        for table in self.tree.iter("table"):
            rows = sum(1 for _ in table.iter("tr"))
            if rows > max_rows:
                first_cell = next(table.iter("td", "th"), None)
                text = (
                    "".join(str(t) for t in first_cell.itertext()) if first_cell is not None else ""
                )
                self.diagnostics.error(
                    self.location_of(text.strip() or "|"),
                    f"a table of {rows:,} rows, more than the limit of {max_rows:,} "
                    f"({raise_hint('table_rows')})",
                    "limit",
                )
                _remove_keep_tail(table)
                continue
            for header in list(table.iter("th")):
                if not len(header) and not (header.text or "").strip():
                    header.tag = "td"  # an empty header names no column: a cell, as read aloud
                else:
                    _name_math_only_header(header)
            if next(table.iter("th"), None) is None:
                first_cell = next(table.iter("td"), None)
                text = (
                    "".join(str(t) for t in first_cell.itertext()).strip()
                    if first_cell is not None
                    else ""
                )
                self.diagnostics.warning(
                    self.location_of(text or "<table"),
                    "a table without header cells (<th>): readers that speak it can't say "
                    "what the columns are",
                    "table-headers",
                )

    def resolve_images(
        self,
        paths: BookPaths,
        limits: Limits,
        remote: RemoteImages | None,
        decoded: DecodedSizes | None = None,
    ) -> None:
        for img in list(self.tree.iter("img")):
            src = img.get("src", "")
            location = self.location_of_reference("img", src)
            path = self._image_path(src, paths, location, remote)
            checked = (
                self._checked(path, src, paths, remote, location, limits, decoded) if path else None
            )
            if path is None or checked is None:
                _remove_keep_tail(img)
                continue
            on_network = remote is not None and path.parent == remote.folder
            # Named in the outputs by a name every EPUB reader takes (naming.package_path).
            href = (
                f"remote/{path.name}"
                if on_network
                else package_path(paths.relative(path).as_posix())
            )
            img.set("src", href)
            _sizes_as_style(img, location, self.diagnostics)
            alt = (img.get("alt") or "").strip()
            if not alt:
                img.set("alt", "")
                self.diagnostics.warning(
                    location,
                    f"image '{src}' has no alt text (describe it for readers who can't see it)",
                    "missing-alt",
                )
            self.images.append(Image(path, href, location, checked, alt))

    def _checked(
        self,
        path: Path,
        src: str,
        paths: BookPaths,
        remote: RemoteImages | None,
        location: Location,
        limits: Limits,
        decoded: DecodedSizes | None = None,
    ) -> CheckedImage | None:
        """The image checked (type by its bytes, size, pixels, complete; an SVG cleaned),
        or None when it can't be used (the error said at the line that names it)."""
        on_network = remote is not None and path.parent == remote.folder
        roots = (remote.folder.resolve(),) if remote is not None and on_network else paths.roots
        try:
            checked = check_image(path, roots, limits, decoded=decoded)
        except ImageProblem as problem:
            self.diagnostics.error(location, f"image '{src}': {problem}", "image")
            return None
        if checked.cleaned:
            self.diagnostics.warning(
                location,
                f"image '{src}': removed from the SVG: {', '.join(checked.cleaned)}",
                "svg-cleaned",
            )
        return checked

    def _image_path(
        self, src: str, paths: BookPaths, location: Location, remote: RemoteImages | None
    ) -> Path | None:
        if urlsplit(src).scheme in ("http", "https"):
            if remote is not None and remote.allows(src):
                try:
                    return remote.fetch(src)
                except RemoteRefused as refused:
                    self.diagnostics.error(location, f"image '{src}': {refused}", "remote-image")
                    return None
            self.diagnostics.error(
                location,
                f"image '{src}' is on the network; save it in the book folder (or allow its "
                "host with --allow-remote HOST, for https)",
                "remote-image",
            )
            return None
        try:
            path = paths.resolve(src, self.lesson.path.parent)
        except RefusedPath as refused:
            self.diagnostics.error(location, f"image {refused}", "path-outside")
            return None
        if not path.is_file():
            if path.exists():
                self.diagnostics.error(
                    location,
                    f"image '{src}' is not a regular file (a folder, device or pipe)",
                    "image",
                )
            else:
                self.diagnostics.error(location, f"image '{src}' not found", "not-found")
            return None
        if path.suffix.lower() not in IMAGE_TYPES:
            self.diagnostics.error(
                location, f"image '{src}': use PNG, JPEG, GIF, SVG or WebP", "image-type"
            )
            return None
        return path

    def collect_links(self, paths: BookPaths) -> None:
        for anchor in self.tree.iter("a"):
            href = anchor.get("href")
            if href is None:
                continue
            location = self.location_of_reference("a", href)
            scheme = urlsplit(href).scheme.lower()
            if scheme in sanitize.LINK_SCHEMES:
                continue  # a link out of the book
            if scheme:
                del anchor.attrib["href"]  # reported with what the allow-list removed
                continue
            path_part, _, fragment = href.partition("#")
            if not path_part:
                self.links.append(_PendingLink(anchor, None, unquote(fragment), location))
                continue
            if _WEB_PAGE.search(path_part) and not _a_file(paths, path_part, self.lesson.path):
                page = PurePosixPath(unquote(path_part)).stem
                self.links.append(_PendingLink(anchor, None, unquote(fragment), location, page))
                continue
            try:
                target = paths.resolve(path_part, self.lesson.path.parent)
            except RefusedPath as refused:
                self.diagnostics.error(location, f"link {refused}", "path-outside")
                anchor.attrib.pop("href")
                continue
            self.links.append(_PendingLink(anchor, target, unquote(fragment), location))

    def finish(self) -> ParsedLesson:
        html = "".join(
            [_escape(self.tree.text or "")]
            + [etree.tostring(child, encoding="unicode", method="xml") for child in self.tree]
        )
        return ParsedLesson(
            lesson=self.lesson,
            prefix=self.prefix,
            level=self.level,
            html=html.strip(),
            citations=self.citations,
            footnotes=tuple(self.footnotes),
            headings=tuple(self._headings()),
            images=tuple(self.images),
            questions=self.questions,
            summary=self.summary,
            index_marks=tuple(self.index_marks),
            glossary_uses=tuple(self.glossary_uses),
            words=len(_WORD.findall(CALL.sub(" ", "".join(str(t) for t in self.tree.itertext())))),
        )

    def _headings(self) -> Iterator[Heading]:
        for element in self.tree.iter("h1", "h2", "h3", "h4", "h5", "h6"):
            text = CALL.sub("", "".join(str(t) for t in element.itertext())).strip()
            yield Heading(element.get("id", ""), int(element.tag[1]), text)


_LENGTH = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*(%|px|em|rem|cm|mm|in|pt)?\s*\Z")


def _sizes_as_style(img: etree._Element, location: Location, diagnostics: Diagnostics) -> None:
    """``{width=50%}`` (pandoc's way) as HTML takes it: a number of pixels stays an
    attribute, any other length becomes the image's style; what is no length is dropped,
    with a word."""
    styles = []
    for name in ("width", "height"):
        value = img.get(name)
        if value is None:
            continue
        length = _LENGTH.match(value)
        if length and length.group(2) in (None, "px"):
            img.set(name, str(round(float(length.group(1)))))
            continue
        del img.attrib[name]
        if length:
            styles.append(f"{name}: {length.group(1)}{length.group(2)}")
        else:
            diagnostics.warning(
                location, f"the image's {name} '{value}' is no length; it is ignored", "sanitized"
            )
    if styles:
        img.set("style", "; ".join(styles))


def _a_file(paths: BookPaths, reference: str, lesson: Path) -> bool:
    """Whether ``reference`` names a file inside the book."""
    try:
        return paths.resolve(reference, lesson.parent).is_file()
    except RefusedPath:
        return False


def _name_math_only_header(header: etree._Element) -> None:
    """A header cell holding only math gets its formula's TeX as the formula's name:
    accessibility checkers (axe-core) count no MathML as a cell's text, and a header must
    name its column. (Not for other math: a name would replace the MathML a screen reader
    can speak.)"""
    formulas = list(header.iter(f"{{{_MATHML}}}math"))
    if not formulas or _text_outside_math(header).strip():
        return
    for formula in formulas:
        if alttext := formula.get("alttext"):
            formula.set("aria-label", alttext)


_MATHML = "http://www.w3.org/1998/Math/MathML"


def _text_outside_math(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag != f"{{{_MATHML}}}math":
            parts.append(_text_outside_math(child))
        parts.append(child.tail or "")
    return "".join(parts)


_RESERVED_CLASSES = frozenset({"footnote", "footnotes", "noteref"})
_WEB_PAGE = re.compile(r"\.html?\Z", re.IGNORECASE)
"""A link to a page of a web edition of the book (pandoc-made sites link chapters so)."""
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
