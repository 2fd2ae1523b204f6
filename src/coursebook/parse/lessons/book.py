"""The book's lessons parsed (:func:`parse_book`): each lesson, introduction and appendix in
turn, then the links between them resolved and the glossary and index terms no lesson uses
pointed out; and the glossary's definitions, parsed as a lesson's Markdown is."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from lxml import etree

from ...core.diagnostics import (
    Diagnostics,
    Location,
    closest,
    did_you_mean,
    printable,
    problem_id,
)
from ...core.labels import labels_for
from ...core.limits import Limits
from ...core.naming import lesson_element_id
from ...core.progress import Progress, Silent
from ...model import Book, Lesson
from ..math import set_math
from ..remote import RemoteImages
from .crossrefs import resolve_crossrefs
from .draft import _Draft, _PendingLink
from .markdown_parser import _MarkdownParser
from .memo import ConvertedMemo
from .parsed import ParsedLesson


def parse_book(
    book: Book,
    diagnostics: Diagnostics,
    limits: Limits | None = None,
    remote: RemoteImages | None = None,
    progress: Progress | None = None,
    memo: ConvertedMemo | None = None,
) -> dict[str, ParsedLesson]:
    """Every lesson, introduction and appendix of the book, parsed, by lesson id. Images on
    the network are refused unless ``remote`` allows their host; Markdown converted by an
    earlier build is taken from ``memo``."""
    parser = _MarkdownParser(book, diagnostics, limits or Limits(), remote, memo)
    progress = progress or Silent()
    documents = [(lesson, level, parser.extract(lesson)) for lesson, level in _documents(book)]
    # Every formula of the book set in one run of pandoc (starting it is most of the cost).
    formulas = set_math((m for *_, text in documents for m in text.maths), diagnostics)
    drafts = []
    for lesson, level, extracted in documents:
        drafts.append(parser.parse(lesson, level, extracted, formulas))
        progress.advance()
    targets = {draft.lesson.path: draft for draft in drafts}
    for draft in drafts:
        _resolve_links(draft, targets, diagnostics, book.left_out)
    resolve_crossrefs(drafts, labels_for(book.meta.language), diagnostics)
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


def _documents(book: Book) -> Iterator[tuple[Lesson, int]]:
    if book.about is not None:
        yield book.about, 1
    for chapter in book.chapters:
        if chapter.intro:
            yield chapter.intro, 1
        for lesson in chapter.lessons:
            yield lesson, 1 if chapter.is_single_lesson else 2
    for appendix in book.appendices:
        yield appendix, 1


def _resolve_links(
    draft: _Draft,
    targets: dict[Path, _Draft],
    diagnostics: Diagnostics,
    left_out: frozenset[Path] = frozenset(),
) -> None:
    """Links to lessons and their headings become links to the namespaced ids; links to
    lessons a pack leaves out become plain text."""
    for link in draft.links:
        if link.page:
            _resolve_web_page(link, targets, diagnostics)
            continue
        target = draft if link.target is None else targets.get(link.target)
        if target is None and link.target in left_out:
            link.element.attrib.pop("href")
            continue
        if target is None:
            href = link.element.get("href")
            exists = link.target is not None and link.target.exists()
            message = (
                f"link to '{href}', which is not a lesson of this book"
                if exists
                else f"link to '{href}': no such file" + _closest_lesson(href, draft, targets)
            )
            diagnostics.error(link.location, message, "bad-link")
            _mark_problem(link.element, link.location, message)
            continue
        if link.fragment and link.fragment not in target.ids:
            diagnostics.warning(
                link.location,
                f"link to '#{link.fragment}', which is not a heading or anchor in "
                f"{target.lesson.path.name}; its text is kept without the link"
                + did_you_mean(link.fragment, target.ids, ANCHOR_LIKENESS),
                "bad-anchor",
            )
            link.element.attrib.pop("href")
            continue
        _point(link, target)


ANCHOR_LIKENESS = 0.8
"""How alike a heading's id must be to a broken anchor to be suggested: ids are short words
from titles, and at difflib's usual 0.6 "#nowhere" would suggest "#here"."""


def _mark_problem(element: etree._Element, location: Location, message: str) -> None:
    """A link in error, marked where it is with its message, for the preview (a book with
    errors is never written): as :func:`coursebook.render.notes.problem_mark` marks a
    citation."""
    element.attrib.clear()
    element.tag = "span"
    element.set("class", "problem-text")
    mark = etree.Element("mark", {"class": "problem", "id": problem_id(location)})
    mark.tail, element.tail = element.tail, None
    element.addprevious(mark)
    mark.append(element)
    element.tail = " "
    note = etree.SubElement(mark, "span", {"class": "problem-message", "lang": "en"})
    note.text = printable(message)  # as the terminal shows it: a link may hold control codes


def _closest_lesson(href: str | None, draft: _Draft, targets: Mapping[Path, _Draft]) -> str:
    """`` (did you mean '01-liberty.md'?)`` for a link to a file that isn't there, among the
    lessons, written as the link would write them (from the linking lesson's folder)."""
    written = (href or "").partition("#")[0]
    here = draft.lesson.path.parent
    names = {Path(os.path.relpath(path, here)).as_posix() for path in targets}
    # Compared without ".md", which every name shares: "two.md" doesn't mean "one.md".
    stems = {name.removesuffix(".md"): name for name in names}
    stem = closest(written.removesuffix(".md"), stems)
    return f" (did you mean '{stems[stem]}'?)" if stem is not None else ""


_NUMBERED = re.compile(r"^\d+[-_. ]*")


def _resolve_web_page(
    link: _PendingLink, targets: dict[Path, _Draft], diagnostics: Diagnostics
) -> None:
    """A link to a web edition's page (``/small-n.html``, ``./090-small-n.html``) leads to
    the lesson of that name, its number prefix aside (``090-small-n.md``), when there is one;
    else its text stays, without the link, and the author is told."""
    name = link.page.casefold()
    lesson = next(
        (d for d in targets.values() if d.lesson.path.stem.casefold() == name), None
    ) or next(
        (d for d in targets.values() if _NUMBERED.sub("", d.lesson.path.stem).casefold() == name),
        None,
    )
    href = link.element.get("href")
    if lesson is None:
        diagnostics.warning(
            link.location,
            f"link to '{href}', a web page no lesson of this book is named after; its text is "
            "kept without the link",
            "pandoc-compat",
        )
        link.element.attrib.pop("href")
        return
    if link.fragment and link.fragment not in lesson.ids:
        diagnostics.warning(
            link.location,
            f"link to '{href}': '#{link.fragment}' is not a heading or anchor in "
            f"{lesson.lesson.path.name}; the link leads to the lesson"
            + did_you_mean(link.fragment, lesson.ids, ANCHOR_LIKENESS),
            "bad-anchor",
        )
        link.fragment = ""
    _point(link, lesson)


def _point(link: _PendingLink, target: _Draft) -> None:
    """The link leads to the namespaced id of ``target`` (or of its heading)."""
    anchor = lesson_element_id(target.prefix, link.fragment) if link.fragment else target.prefix
    link.element.set("href", f"#{anchor}")
    classes = (link.element.get("class") or "").split()
    link.element.set("class", " ".join([*classes, "xref"]))  # print gives its page
