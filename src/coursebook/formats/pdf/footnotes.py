"""Notes in print: each moved from the end of its lesson to its call, as an inline element
the print stylesheet floats to the foot of the page (``float: footnote``, WeasyPrint placing a
footnote where its element is); the notes a page can't hold sent to the end of their lesson
instead; and, after a layout, the notes found out of place, and the warnings that say where
they went.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree

from ...core.diagnostics import Diagnostics
from ...core.xhtml import parse_fragment
from ...model import Note
from ...render.notes import linked_urls, note_content
from ...render.rendered_book import RenderedBook

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
    _flowing(footnote)
    if footnote.text:
        footnote.text = footnote.text.lstrip()
    return footnote


_LINE_END = re.compile(r"[ \t]*\n\s*")


def _flowing(footnote: etree._Element) -> None:
    """A note set as one flowing paragraph: the line ends of the Markdown it was written in
    (a note over several indented lines) become spaces. WeasyPrint keeps them as breaks
    inside a footnote, where a page's text flows. Code keeps its lines."""
    for element in footnote.iter():
        if element.text and not _verbatim(element):
            element.text = _LINE_END.sub(" ", element.text)
        parent = element.getparent()
        if element is not footnote and element.tail and not _verbatim(parent):
            element.tail = _LINE_END.sub(" ", element.tail)


def _verbatim(element: etree._Element | None) -> bool:
    """Code, or inside code (a note's ``<pre>`` is a ``span.fn-pre`` by now)."""
    while element is not None:
        if element.tag in ("pre", "code") or "fn-pre" in (element.get("class") or ""):
            return True
        element = element.getparent()
    return False


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
