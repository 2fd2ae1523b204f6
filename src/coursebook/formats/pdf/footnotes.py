"""Notes in print: each moved from the end of its lesson to its call, as an inline element
the print stylesheet floats to the foot of the page (``float: footnote``, WeasyPrint placing a
footnote where its element is); the notes a page can't hold sent to the end of their lesson
instead; and, after a layout, where every note went: a note lost or out of place even at the
end of its lesson fails the build.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ...core.diagnostics import Diagnostics
from ...core.xhtml import parse_fragment
from ...model import Note
from ...render.notes import linked_urls, note_content
from ...render.pagemap import PRINT_ONLY
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


@dataclass(frozen=True)
class NotePlacement:
    """Where the notes of a laid-out part went, read from its boxes: each note's call and the
    note itself, by page (counted from the part's first)."""

    calls: Mapping[str, int]
    printed: Mapping[str, int]
    too_tall: frozenset[str]
    """Notes taller than half a page: they can't sit under a call's line."""
    called: frozenset[str] = frozenset()
    """Every note the part calls, laid out or not (a stylesheet may hide a note and its
    call)."""

    @property
    def lost(self) -> frozenset[str]:
        return frozenset((self.calls.keys() | self.called) - self.printed.keys())

    @property
    def misplaced(self) -> frozenset[str]:
        return frozenset(n for n, page in self.printed.items() if self.calls.get(n) != page)

    @property
    def out_of_place(self) -> frozenset[str]:
        return self.too_tall | self.lost | self.misplaced


def note_placement(document: Any, html: str = "") -> NotePlacement:
    """Every note called in a laid-out part (``html``, the part laid out, names them all),
    and where it was printed. A note is in place at
    the foot of its call's page; WeasyPrint may defer one to the next page, set one on the
    page before (#1564), or, laying out a line that orphans keep from breaking, lose one (see
    :mod:`.notes_fix`)."""
    from weasyprint.formatting_structure import boxes

    calls: dict[str, int] = {}
    printed: dict[str, int] = {}
    too_tall: set[str] = set()
    for index, page in enumerate(document.pages):
        page_box = page._page_box  # WeasyPrint keeps the box tree of each page here
        for area in page_box.children:
            if isinstance(area, boxes.MarginBox):
                continue  # not the text: made only once the part is numbered (see .folios)
            if isinstance(area, boxes.FootnoteAreaBox):
                for footnote in area.children:
                    for note in _notes_of(footnote):  # a pointer stands for its group
                        printed.setdefault(note, index)
                        if footnote.margin_height() > 0.5 * page_box.height:
                            too_tall.add(note)
            else:
                for box in _descendants(area):
                    called = _called(box)
                    if called:
                        calls.setdefault(called, index)
    named = frozenset(_CALLED.findall(html))
    return NotePlacement(calls, printed, frozenset(too_tall), named)


_CALLED = re.compile(r'\bdata-note="([^"]+)"')
"""A note's id in a part's HTML, on its footnote, pointer or call (:func:`notes_to_calls`)."""


def end_groups(placement: NotePlacement, endnotes: Mapping[str, int]) -> dict[str, int]:
    """The notes to print at the end of their lesson after this layout: those already there
    and those out of place, each with the page of its call, which groups them under one
    pointer (see :func:`notes_to_calls`).

    A pointer can itself find no room (the notes left at the foot fill the page): then the
    last note still at the foot of that page joins the group, to make room for it.
    """
    groups = {
        note: placement.calls.get(note, endnotes.get(note, -1))
        for note in endnotes.keys() | placement.out_of_place
    }
    if groups == endnotes:
        for page in {placement.calls.get(n) for n in placement.out_of_place}:
            kept = [n for n, p in placement.calls.items() if p == page and n not in groups]
            if page is not None and kept:
                groups[kept[-1]] = page
    return groups


def _notes_of(footnote: Any) -> list[str]:
    element = getattr(footnote, "element", None)
    if element is None:
        return []
    return str(element.get("data-notes") or element.get("data-note") or "").split()


def _called(box: Any) -> str | None:
    """The note a box in the text calls: a footnote's call, or the number of a note whose
    group's pointer is at another call."""
    footnote = getattr(box, "footnote", None)
    element = getattr(footnote, "element", None)
    if element is None:
        element = getattr(box, "element", None)
        if element is None or element.get("class") != "endnote-call":
            return None
    note = element.get("data-note")
    return str(note) if note else None


def _descendants(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _descendants(child)


def warn_notes(rendered: RenderedBook, note_ids: frozenset[str], diagnostics: Diagnostics) -> None:
    """Say which notes were too tall for the foot of a page (the author's to shorten): they
    are printed at the end of their lesson, with a pointer at their call."""
    notes = _notes_by_id(rendered)
    for note_id in sorted(note_ids, key=lambda n: (notes[n].location.line, n)):
        note = notes[note_id]
        message = (
            f"note {note.number} is too long for the foot of a page; it is printed at the "
            "end of its lesson"
        )
        diagnostics.warning(note.location, message, "long-note")


def fail_notes(
    rendered: RenderedBook,
    placement: NotePlacement,
    labels: Sequence[str],
    diagnostics: Diagnostics,
) -> None:
    """The notes the layout could not keep at their call's page, even sent to the end of
    their lesson: errors of the build, each with the page of its call and where it went
    (``labels``: the part's page numbers as printed)."""
    notes = _notes_by_id(rendered)
    for note_id in sorted(placement.out_of_place, key=lambda n: (notes[n].location.line, n)):
        note = notes[note_id]
        call = placement.calls.get(note_id)
        if call is None:
            message = (
                f"note {note.number} was printed nowhere, nor its call: no page shows them "
                "(does a stylesheet hide them?)"
            )
            diagnostics.error(note.location, message, "note-placement")
            continue
        where = f"p. {labels[call]}" if call < len(labels) else "its page"
        printed = placement.printed.get(note_id)
        went = (
            "it was printed nowhere"
            if printed is None
            else f"it was printed on p. {labels[printed]}"
            if printed < len(labels)
            else "it was printed on another page"
        )
        diagnostics.error(
            note.location,
            f"note {note.number}, called on {where}, could not be printed at the foot of that "
            f"page or with a pointer there; {went}",
            "note-placement",
        )


def _notes_by_id(rendered: RenderedBook) -> dict[str, Note]:
    return {n.id: n for lesson in rendered.notes.lessons.values() for n in lesson.notes}


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
    endnotes: Mapping[str, int] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Replace each note call with the note itself, as an inline ``span.footnote``.

    A note in ``endnotes`` (one the page can't hold, see :class:`NotePlacement`) goes to the
    end of its lesson instead, and a footnote points there with the page number. Such notes
    are grouped by the value ``endnotes`` gives them (the page of their call in the last
    layout): one pointer for a group, at its first call ("27–52. See the end of this lesson,
    p. 17."), the other calls of the group plain numbers. Twenty-six notes a line can't hold
    then need one line at the foot of the page, not twenty-six.
    """
    endnotes = endnotes or {}
    labels = labels or {}
    notes = {aside.get("id"): aside for aside in tree.iterfind(".//aside[@class='note']")}
    calls = list(tree.iterfind(".//a[@role='doc-noteref']"))
    groups = _groups(calls, notes, endnotes)
    used: set[str] = set()
    moved: list[etree._Element] = []
    for call in calls:
        note_id = _target(call)
        aside = notes.get(note_id)
        if aside is None:
            continue
        number = "".join(str(t) for t in call.itertext())
        # WeasyPrint keeps no anchor on a footnote element (it moves to the page foot), so
        # the call's id goes on a span around it, which keeps the footnote's call in the
        # text: links and target-counter() from the sources appendix find the call's page,
        # the note's page. (Not an empty span before it: WeasyPrint won't break a line
        # before an empty inline box, and a run of calls would be one unbreakable word.)
        anchor = etree.Element("span", {"class": "note-anchor", "id": call.get("id", "")})
        if note_id in used:  # a note called again: its number only
            replacement = etree.Element("sup", {"class": "noteref-repeat"})
            replacement.text = number
        elif note_id in endnotes:
            used.add(note_id)
            moved.append(_endnote(aside, note_id))
            group = groups[endnotes[note_id]]
            if group[0][0] == note_id:
                replacement = _pointer(group, labels)
            else:  # the group's pointer is at its first call
                replacement = etree.Element(
                    "a", {"class": "endnote-call", "href": f"#{note_id}-end"}
                )
                replacement.text = number
        else:
            used.add(note_id)
            replacement = _footnote(aside)
            replacement.set("data-marker", number)
        replacement.set("data-note", note_id)  # read back after layout (note_placement)
        replacement.set("data-number", number)
        anchor.tail = call.tail
        _parent(call).replace(call, anchor)
        anchor.append(replacement)
    for section in list(tree.iterfind(".//section[@class='footnotes']")):
        _parent(section).remove(section)
    if moved:
        _append_endnotes(tree, moved, labels)


def _target(call: etree._Element) -> str:
    return (call.get("href") or "").removeprefix("#")


def _groups(
    calls: Sequence[etree._Element],
    notes: Mapping[str | None, etree._Element],
    endnotes: Mapping[str, int],
) -> dict[int, list[tuple[str, str]]]:
    """The notes sent to the end of the lesson, by group, in the order of their first calls:
    (note id, number as called)."""
    groups: dict[int, list[tuple[str, str]]] = {}
    seen: set[str] = set()
    for call in calls:
        note_id = _target(call)
        if note_id in endnotes and note_id in notes and note_id not in seen:
            seen.add(note_id)
            number = "".join(str(t) for t in call.itertext())
            groups.setdefault(endnotes[note_id], []).append((note_id, number))
    return groups


def _pointer(group: Sequence[tuple[str, str]], labels: Mapping[str, str]) -> etree._Element:
    """The footnote that says where a group of notes went: "27–29, 31. See the end of this
    lesson, p. 12." (the page from ``target-counter``)."""
    first = group[0][0]
    footnote = etree.Element(
        "span",
        {
            "class": "footnote pointer",
            "data-notes": " ".join(note_id for note_id, _ in group),
            "data-marker": number_ranges([number for _, number in group]),
        },
    )
    link = etree.SubElement(
        footnote,
        "a",
        {
            "class": "endnote-pointer",
            "href": f"#{first}-end",
            "data-page-label": labels.get("page_abbr", "p."),
        },
    )
    link.text = labels.get("note_continued", "See the end of this lesson")
    return footnote


def number_ranges(numbers: Sequence[str]) -> str:
    """ "27–29, 31" for the notes 27, 28, 29 and 31 (numbers as printed: a run is of those
    that are whole numbers in a row)."""
    runs: list[list[str]] = []
    for number in numbers:
        last = runs[-1][-1] if runs else ""
        if last.isdigit() and number.isdigit() and int(number) == int(last) + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(
        run[0]
        if len(run) == 1
        else f"{run[0]}, {run[1]}"
        if len(run) == 2
        else f"{run[0]}–{run[-1]}"
        for run in runs
    )


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
    title = etree.SubElement(section, "p", {"class": "endnotes-title", PRINT_ONLY: ""})
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
