"""Parsing: each lesson's Markdown to one XHTML fragment, once, for every output format.

For each lesson::

    text with [@key] citations ─ extract_citations ─▶ text with placeholders
        ─ Python-Markdown ─▶ HTML ─ sanitize (nh3) ─▶ tree
        ─ footnotes out, headings shifted, ids namespaced, images and links resolved ─▶ XHTML

Note calls stay as placeholders in the XHTML (citations: ``\\ue000N\\ue001``, authored footnotes:
``\\ue002N\\ue003``); the notes stage numbers them per chapter and the renderer replaces them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
from lxml import etree
from lxml import html as lxml_html
from markdown.extensions.toc import slugify_unicode

from ..core.diagnostics import Diagnostics, Location
from ..core.labels import smarty_substitutions
from ..core.limits import Limits, TimeLimitExceeded, deadline, nesting_depth, raise_hint
from ..core.naming import element_prefix
from ..core.paths import BookPaths, RefusedPath
from ..core.progress import Progress, Silent
from ..model import Book, CheckedImage, Citation, Lesson
from ..source.images import MEDIA_TYPES, ImageProblem, check_image
from . import sanitize, terms
from .citation_syntax import CITE_CLOSE, CITE_OPEN, PLACEHOLDER, extract_citations
from .remote import RemoteImages, RemoteRefused

NOTE_OPEN, NOTE_CLOSE = "\ue002", "\ue003"
"""Around an authored footnote's index in the XHTML of a lesson."""
CALL = re.compile(f"{CITE_OPEN}(\\d+){CITE_CLOSE}|{NOTE_OPEN}(\\d+){NOTE_CLOSE}")
"""A note call in lesson XHTML: group 1 is a citation index, group 2 a footnote index."""
IMAGE_TYPES = MEDIA_TYPES


@dataclass(frozen=True)
class Heading:
    """A heading inside a lesson, for the contents and the outline."""

    id: str
    level: int
    text: str


@dataclass(frozen=True)
class Footnote:
    """An authored ``[^label]`` note; its XHTML may hold citation placeholders."""

    label: str
    html: str
    location: Location


@dataclass(frozen=True)
class Image:
    """An image a lesson shows, resolved inside the book folder."""

    path: Path
    href: str
    """Its path relative to the book folder, as the shared XHTML refers to it."""
    location: Location
    checked: CheckedImage
    """What the checks found; :func:`coursebook.images.image_data` gives its bytes."""
    alt: str = ""
    """Its text alternative ("" when the author gave none)."""

    @property
    def media_type(self) -> str:
        return self.checked.media_type


@dataclass(frozen=True)
class ParsedLesson:
    """A lesson's content, parsed once and shared by every output format."""

    lesson: Lesson
    prefix: str
    """Prefix of every id in the lesson; also the id of the lesson itself."""
    level: int
    """Heading level of the lesson's title (1 for a chapter that is one lesson, else 2)."""
    html: str
    """The body as an XHTML fragment, with note calls as placeholders."""
    citations: tuple[Citation, ...]
    footnotes: tuple[Footnote, ...]
    headings: tuple[Heading, ...]
    images: tuple[Image, ...]
    questions: tuple[str, ...] = ()
    """Discussion questions as inline XHTML."""
    summary: str | None = None
    """The summary as inline XHTML."""
    index_marks: tuple[terms.IndexMark, ...] = ()
    """The places the book's index points to in this lesson."""
    glossary_uses: tuple[tuple[str, str], ...] = ()
    """(term, id of the link) of each glossary term the lesson uses, at its first use."""
    words: int = 0
    """Words of the text (not the notes), for its reading time."""


def parse_book(
    book: Book,
    diagnostics: Diagnostics,
    limits: Limits | None = None,
    remote: RemoteImages | None = None,
    progress: Progress | None = None,
) -> dict[str, ParsedLesson]:
    """Every lesson, introduction and appendix of the book, parsed, by lesson id. Images on
    the network are refused unless ``remote`` allows their host."""
    parser = _MarkdownParser(book, diagnostics, limits or Limits(), remote)
    progress = progress or Silent()
    drafts = []
    for lesson, level in _documents_with_levels(book):
        drafts.append(parser.parse(lesson, level))
        progress.advance()
    targets = {draft.lesson.path: draft for draft in drafts}
    for draft in drafts:
        _resolve_links(draft, targets, diagnostics, book.left_out)
    if book.pack is None:  # a pack leaves out the lessons that use the other terms
        _warn_unused_terms(book, drafts, diagnostics)
    return {draft.lesson.id: draft.finish() for draft in drafts}


def glossary_definitions(book: Book, diagnostics: Diagnostics) -> dict[str, str]:
    """Each glossary term's definition as inline XHTML (Markdown, like a lesson's)."""
    if not book.glossary:
        return {}
    parser = _MarkdownParser(book, diagnostics, Limits(), None)
    return {term.term: parser.inline(term.definition) for term in book.glossary}


def _warn_unused_terms(book: Book, drafts: list[_Draft], diagnostics: Diagnostics) -> None:
    used = {term for draft in drafts for term, _ in draft.glossary_uses}
    for term in book.glossary:
        if term.term not in used:
            diagnostics.warning(
                term.location,
                f"glossary term '{term.term}' is not used in any lesson",
                "glossary-unused",
            )
    indexed = {mark.term for draft in drafts for mark in draft.index_marks}
    for listed in book.index_terms:
        if listed.term not in indexed:
            diagnostics.warning(
                listed.location,
                f"index term '{listed.term}' is not used in any lesson",
                "index-unused",
            )


def _documents_with_levels(book: Book) -> Iterator[tuple[Lesson, int]]:
    if book.about is not None:
        yield book.about, 1
    for chapter in book.chapters:
        if chapter.intro:
            yield chapter.intro, 1
        for lesson in chapter.lessons:
            yield lesson, 1 if chapter.is_single_lesson else 2
    for appendix in book.appendices:
        yield appendix, 1


# --- Markdown ----------------------------------------------------------------------------------


class _MarkdownParser:
    def __init__(
        self, book: Book, diagnostics: Diagnostics, limits: Limits, remote: RemoteImages | None
    ) -> None:
        self.book = book
        self.remote = remote
        self.diagnostics = diagnostics
        self.limits = limits
        self.paths = BookPaths(book.root, book.roots[1:])
        self.md = self._new_markdown()

    def _new_markdown(self) -> markdown.Markdown:
        # One Markdown instance, reset between lessons (or footnotes leak into the next one).
        md = markdown.Markdown(
            extensions=[
                terms.IndexMarks(),
                "footnotes",
                "tables",
                "attr_list",
                "def_list",
                "fenced_code",
                "smarty",
                "toc",
            ],
            extension_configs={
                "footnotes": {"UNIQUE_IDS": False, "BACKLINK_TEXT": "", "SEPARATOR": "-"},
                "smarty": {"substitutions": smarty_substitutions(self.book.meta.language)},
                "toc": {"slugify": slugify_unicode, "marker": ""},
                "tables": {"use_align_attribute": True},
            },
            output_format="xhtml",
        )
        # "\@" writes a literal "@" where it would otherwise start a citation (as in pandoc).
        md.ESCAPED_CHARS.append("@")
        return md

    def markdown(self, text: str) -> str:
        """Markdown of a short text of ours (a question, a summary) as clean HTML."""
        self.md.reset()
        return sanitize.clean(self.md.convert(text))

    def convert(self, lesson: Lesson, text: str) -> tuple[str, list[sanitize.Removal]]:
        """A lesson's Markdown as clean HTML and what the allow-list removed from it, within
        the limits: nesting is measured before Markdown recurses into it, and conversion has
        a time limit (pathological inputs make its regular expressions crawl)."""
        depth, line = nesting_depth(text)
        if depth > self.limits.depth:
            self.diagnostics.error(
                Location(lesson.path, lesson.body_line + line - 1),
                f"nesting too deep: {depth} levels of quotes, lists or HTML elements (the "
                f"limit is {self.limits.depth}; {raise_hint('depth')})",
                "limit",
            )
            return "", []
        try:
            with deadline(
                self.limits.markdown_seconds, f"reading {lesson.path.name}", "markdown_seconds"
            ):
                self.md.reset()
                raw = self.md.convert(text)
        except (TimeLimitExceeded, RecursionError) as problem:
            self.md = self._new_markdown()  # whatever state it was left in
            message = (
                str(problem)
                if isinstance(problem, TimeLimitExceeded)
                else ("nesting too deep for Markdown to read")
            )
            self.diagnostics.error(lesson.location, message, "limit")
            return "", []
        return sanitize.clean(raw), sanitize.removals(raw)

    def inline(self, text: str) -> str:
        """Markdown of one line (a question, a summary) as inline XHTML."""
        html = self.markdown(text)
        tree = _fragment(html)
        first = tree[0] if len(tree) and tree[0].tag == "p" else tree
        return _inner_xhtml(first)

    def parse(self, lesson: Lesson, level: int) -> _Draft:
        text, citations = extract_citations(
            lesson.body, lesson.path, lesson.body_line, self.book.sources, self.diagnostics
        )
        html, removed = self.convert(lesson, text)
        tree = _fragment(html)
        draft = _Draft(lesson, element_prefix(lesson.id), level, tree, citations, self.diagnostics)
        draft.report_removals(removed)
        _restore_literal_citations(tree, citations)
        draft.take_footnotes()
        draft.shift_headings()
        draft.namespace_ids()
        draft.align_to_class()
        draft.check_tables(self.limits.table_rows)
        draft.resolve_images(self.paths, self.limits, self.remote)
        draft.collect_links(self.paths)
        draft.mark_terms(self.book)  # after the links are collected: its links aren't the author's
        draft.questions = tuple(self.inline(q) for q in lesson.questions)
        draft.summary = self.inline(lesson.summary) if lesson.summary else None
        return draft


def _fragment(html: str) -> etree._Element:
    fragment: etree._Element = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    return fragment


def _inner_xhtml(element: etree._Element) -> str:
    """The content of an element (text and children) as XHTML."""
    parts = [_escape(element.text or "")]
    parts += [etree.tostring(child, encoding="unicode", method="xml") for child in element]
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _restore_literal_citations(tree: etree._Element, citations: tuple[Citation, ...]) -> None:
    """Citations found inside code or attribute values were never citations: put back the text
    the author wrote."""

    def restore(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: citations[int(m.group(1))].raw, text)

    for element in tree.iter():
        if element.tag in ("code", "pre", "kbd", "samp"):
            for node in element.iter():
                node.text = restore(node.text) if node.text else node.text
                if node is not element and node.tail:
                    node.tail = restore(node.tail)
        for name, value in element.attrib.items():
            if CITE_OPEN in str(value):
                element.set(name, restore(str(value)))


# --- one lesson's tree -------------------------------------------------------------------------


@dataclass
class _PendingLink:
    element: etree._Element
    target: Path | None
    """The document file linked to; None for a link within the same lesson."""
    fragment: str
    location: Location


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

    def _location_at(self, index: int) -> Location:
        body = self.lesson.body
        line = body.count("\n", 0, index)
        column = index - (body.rfind("\n", 0, index) + 1) + 1
        return Location(self.lesson.path, self.lesson.body_line + line, column)

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
        return Footnote(label, html.strip(), self.location_of(f"[^{label}]:"))

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
                element.set("id", f"{self.prefix}-{value}")
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

    def align_to_class(self) -> None:
        """Table cells' ``align`` (obsolete in HTML5) becomes a class the stylesheets set."""
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

    def resolve_images(self, paths: BookPaths, limits: Limits, remote: RemoteImages | None) -> None:
        for img in list(self.tree.iter("img")):
            src = img.get("src", "")
            location = self.location_of_reference("img", src)
            path = self._image_path(src, paths, location, remote)
            checked = self._checked(path, src, paths, remote, location, limits) if path else None
            if path is None or checked is None:
                _remove_keep_tail(img)
                continue
            on_network = remote is not None and path.parent == remote.folder
            href = f"remote/{path.name}" if on_network else paths.relative(path).as_posix()
            img.set("src", href)
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
    ) -> CheckedImage | None:
        """The image checked (type by its bytes, size, pixels, complete; an SVG cleaned),
        or None when it can't be used (the error said at the line that names it)."""
        on_network = remote is not None and path.parent == remote.folder
        roots = (remote.folder.resolve(),) if remote is not None and on_network else paths.roots
        try:
            checked = check_image(path, roots, limits)
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


_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def _resolve_links(
    draft: _Draft,
    targets: dict[Path, _Draft],
    diagnostics: Diagnostics,
    left_out: frozenset[Path] = frozenset(),
) -> None:
    """Links to lessons and their headings become links to the namespaced ids; links to
    lessons a pack leaves out become plain text."""
    for link in draft.links:
        target = draft if link.target is None else targets.get(link.target)
        if target is None and link.target in left_out:
            link.element.attrib.pop("href")
            continue
        if target is None:
            href = link.element.get("href")
            exists = link.target is not None and link.target.exists()
            diagnostics.error(
                link.location,
                f"link to '{href}', which is not a lesson of this book"
                if exists
                else f"link to '{href}': no such file",
                "bad-link",
            )
            link.element.attrib.pop("href")
            continue
        if link.fragment and link.fragment not in target.ids:
            diagnostics.error(
                link.location,
                f"link to '#{link.fragment}', which is not a heading or anchor in "
                f"{target.lesson.path.name}",
                "bad-anchor",
            )
            link.element.attrib.pop("href")
            continue
        anchor = f"{target.prefix}-{link.fragment}" if link.fragment else target.prefix
        link.element.set("href", f"#{anchor}")
        classes = (link.element.get("class") or "").split()
        link.element.set("class", " ".join([*classes, "xref"]))  # print gives its page


def _remove_keep_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    _append_text_before(element, element.tail or "")
    parent.remove(element)


def _replace_with_text(element: etree._Element, text: str) -> None:
    _append_text_before(element, text + (element.tail or ""))
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)


def _append_text_before(element: etree._Element, text: str) -> None:
    """Add ``text`` to whatever text precedes ``element`` (its previous sibling's tail, or the
    parent's text)."""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent = element.getparent()
        if parent is not None:
            parent.text = (parent.text or "") + text
