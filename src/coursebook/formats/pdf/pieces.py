"""A chapter laid out again in pieces: only the lessons an edit changed.

Within a chapter every lesson opens a new page (print.css: ``.chapter .lesson``), so what
lands on a lesson's pages depends on the lesson alone and on the side of the page it opens
on (the margins of left and right pages differ), not on the lessons before or after it:
nothing flows across the break, notes go at the foot of their call's page or to the end of
their own lesson. So when a lesson is edited, its chapter's last layout (kept in the cache
with, for each of its documents, a hash of its HTML, the page and side it opens on and
whether it forces a page break) says which pages stay; the changed lessons are laid out
again on their own, each after a page of the other side that is then dropped, and put in
the place of their old pages. When a lesson's page count changes by an odd number, the
lessons after it change sides and are laid out again too.

What can make a piece's pages differ from the chapter's, and then the whole chapter is laid
out as before: a document that doesn't open a new page (the chapter's sources run on after
its last lesson: they stay with it); a stylesheet counting something across lessons
(``counter-increment``, other than the notes' counter, whose numbers print doesn't show)
or selecting pages by their place in a page group other than the first (``:nth(2 of
chapter)``: the piece's group starts at its dropped page); a part whose text prints page
numbers (see :attr:`.LaidPart.numbered`); and a layout that said something (a note moved
to the end of its lesson, named by its page), so that what is said is a whole layout's.

Used for the EPUB's page list, which needs where each page begins, not the pages: the PDF
lays an edited chapter out whole, its pages written as they are made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .laid import LaidDocument, LaidPart

FORCED = ("page", "left", "right", "recto", "verso")
"""The values of ``break-before`` that open a new page."""

COUNTED = frozenset({"footnote", "list-item"})
"""Counters a stylesheet may set without stopping pieces: the notes' (print shows the
EPUB's numbers, not WeasyPrint's counter) and a list's own."""


def can_cut(stylesheets: Iterable[str]) -> bool:
    """Whether parts laid out with ``stylesheets`` may be laid out in pieces: no counter
    set outside ``@page`` but :data:`COUNTED`'s, no page selected by its place in a page
    group or the document but the first (``:nth(1 of chapter)``, ``:nth(1)``)."""
    import tinycss2  # type: ignore[import-untyped]

    def fine(rules: Iterable[Any]) -> bool:
        for rule in rules:
            if rule.type == "at-rule" and rule.lower_at_keyword == "page":
                if not _first_pages_only(rule.prelude):
                    return False
                continue
            if rule.type == "at-rule" and rule.content:
                if not fine(tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True)):
                    return False
            elif rule.type == "qualified-rule" and _sets_counters(rule.content):
                return False
        return True

    return all(
        fine(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))
        for text in stylesheets
    )


def _first_pages_only(prelude: Iterable[Any]) -> bool:
    for token in prelude:
        if token.type == "function" and token.lower_name == "nth":
            arguments = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
            if not arguments or arguments[0].type != "number" or arguments[0].value != 1:
                return False
            if len(arguments) > 1 and not (
                len(arguments) == 3
                and arguments[1].type == "ident"
                and arguments[1].lower_value == "of"
            ):
                return False
    return True


def _sets_counters(content: Iterable[Any]) -> bool:
    import tinycss2

    for declaration in tinycss2.parse_blocks_contents(content, skip_whitespace=True):
        if declaration.type != "declaration" or declaration.lower_name not in (
            "counter-increment",
            "counter-reset",
            "counter-set",
        ):
            continue
        names = {t.lower_value for t in declaration.value if t.type == "ident"}
        if names - COUNTED - {"none"}:
            return True
    return False


@dataclass(frozen=True)
class Piece:
    """Documents of a part laid out together: the first opens a new page, the next piece's
    first too."""

    first: int
    """The index of its first document in the part."""
    end: int
    """The index after its last document."""


def pieces(documents: Sequence[LaidDocument]) -> list[Piece]:
    """The part's documents grouped: a piece starts at the first and at each that forces a
    page break."""
    starts = [i for i, document in enumerate(documents) if i == 0 or document.forced]
    return [
        Piece(start, end) for start, end in zip(starts, [*starts[1:], len(documents)], strict=True)
    ]


def changed(
    old: LaidPart, ids: Sequence[str], digests: Sequence[str], wrapper: str
) -> set[int] | None:
    """The pieces of ``old`` (by index) whose documents' HTML is not ``digests``' now;
    None when the part can't be laid out in pieces (other documents, another frame, its
    text printing page numbers, its layout having said something)."""
    documents = old.documents
    if (
        not documents
        or old.numbered is not None
        or old.problems
        or old.wrapper != wrapper
        or [d.id for d in documents] != list(ids)
    ):
        return None
    return {
        index
        for index, piece in enumerate(pieces(documents))
        if any(documents[i].digest != digests[i] for i in range(piece.first, piece.end))
    }


LayOut = Callable[[int, str], LaidPart]
"""Lays out a piece (by index) on its own, its first page on the side given ("left",
"right"; "" for the part's first piece, laid out as the part starts)."""


def relaid(
    old: LaidPart,
    new_digests: Sequence[str],
    changed_pieces: Iterable[int],
    lay_out: LayOut,
    links: dict[str, str],
) -> LaidPart | None:
    """The part, its changed pieces laid out again and the others' pages kept (those after a
    piece whose page count changed by an odd number laid out again, on their new side);
    None when a piece's layout can't stand for its pages in the chapter's."""
    documents = old.documents
    cut = pieces(documents)
    redo = set(changed_pieces)
    count = 0
    places: list[Any] = []
    anchors: dict[str, int] = {}
    laid: list[LaidDocument] = []
    for index, piece in enumerate(cut):
        start = documents[piece.first].first
        end = documents[cut[index + 1].first].first if index + 1 < len(cut) else old.count
        side = documents[piece.first].side
        now = _side(side, count - start)
        if index in redo or now != side:
            part = lay_out(index, "" if index == 0 else now)
            if not _stands_for(part, piece, now, index == 0):
                return None
            places += part.places
            anchors.update({a: count + page for a, page in part.anchors.items()})
            shifted = [_moved(d, count) for d in part.documents]
            count += part.count
        else:
            places += old.places[start:end]
            pages = range(start, end)
            anchors.update({a: count + p - start for a, p in old.anchors.items() if p in pages})
            shifted = [_moved(d, count - start) for d in documents[piece.first : piece.end]]
            count += end - start
        laid += shifted
    laid = [
        LaidDocument(d.id, digest, d.first, d.side, d.forced)
        for d, digest in zip(laid, new_digests, strict=True)
    ]
    return LaidPart(
        count,
        tuple(places),
        anchors,
        dict(links),
        None,
        (),
        documents=tuple(laid),
        wrapper=old.wrapper,
    )


def _side(side: str, shift: int) -> str:
    """The side of a page moved by ``shift`` pages."""
    if shift % 2 == 0:
        return side
    return "left" if side == "right" else "right"


def _moved(document: LaidDocument, shift: int) -> LaidDocument:
    return LaidDocument(
        document.id, document.digest, document.first + shift, document.side, document.forced
    )


def _stands_for(part: LaidPart, piece: Piece, side: str, first: bool) -> bool:
    """Whether a piece laid out alone is as it is in the part: nothing said, no page number
    in its text, its documents those of the piece, the first opening its first page on the
    side it has in the part (and forcing that page, unless it opens the part), the others
    forcing no page (else they would be pieces of their own)."""
    documents = part.documents
    return (
        not part.problems
        and part.numbered is None
        and len(documents) == piece.end - piece.first
        and bool(documents)
        and documents[0].first == 0
        and documents[0].side == side
        and (first or documents[0].forced)
        and not any(d.forced for d in documents[1:])
    )
