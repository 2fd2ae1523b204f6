"""Notes in the shared rendering: the calls in the text, and the notes as a list.

Each note call becomes a linked number (or, with an in-text style, the citation itself). Where
a document's notes would go, its text holds :data:`NOTES_SLOT`: the EPUB and the web edition
put :func:`notes_section` there; print sets each note at its call. Each note's text, with its
number linking back to the call, is the same for every format (print gives it its own words,
see :func:`note_content`), and so are the addresses a citation style prints as text, made
links (:func:`linked_urls`, the sources appendix's too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..cite.book_notes import LessonNotes
from ..core.diagnostics import Diagnostic, printable, problem_id
from ..model import Note
from ..parse.lessons import CALL
from .rendered_book import RenderedDocument
from .templating import template_environment

NOTES_SLOT = "<!--coursebook:notes-->"
"""Where a document's notes go, for the formats that list them (see the module docstring)."""


_URL = re.compile(r"(?<![\"'=>])\bhttps?://[^\s<>\"]+[^\s<>\".,;:)]")


def linked_urls(html: str) -> str:
    """Addresses a style prints as text become links (outside existing links and tags)."""
    pieces = re.split(r"(<a\b.*?</a>|<[^>]+>)", html, flags=re.DOTALL)
    return "".join(
        piece
        if piece.startswith("<")
        else _URL.sub(lambda m: f'<a class="url" href="{m.group(0)}">{m.group(0)}</a>', piece)
        for piece in pieces
    )


@dataclass(frozen=True)
class _NoteView:
    id: str
    html: Markup


def notes_section(document: RenderedDocument, labels: Mapping[str, str]) -> str:
    """A document's notes as a list after its text (the EPUB's pop-up footnotes, the web
    edition's notes): each note's number links back to its call. What goes in place of
    :data:`NOTES_SLOT` (a newline when there is none, as the template gives)."""
    views = [_NoteView(note.id, Markup(linked_urls(note_content(note)))) for note in document.notes]
    # Named for its document: one page may hold the notes of every lesson (the web edition).
    name = f"{labels['notes']} ({document.title})"
    template = template_environment().get_template("notes.xhtml")
    return template.render(labels=labels, notes=views, name=name)


# A citation call with the space before it and the punctuation after it (see replace_calls).
_CALL_IN_CONTEXT = re.compile(rf"(\s*)({CALL.pattern})([.,;:!?]*)")


def replace_calls(html: str, notes: LessonNotes, marks: Mapping[int, str] | None = None) -> str:
    """Each note-call placeholder becomes a linked note number, or, with an in-text style, the
    citation itself.

    ``marks`` (by citation index) go before a citation that has errors (see
    :func:`problem_mark`).

    As pandoc does for note styles, a citation's note number goes after the punctuation that
    follows it, and the space before it goes: ``text [@key].`` reads "text.¹". A note called a
    second time gets a call of its own with a distinct id.
    """
    counts: dict[str, int] = {}

    def call(match: re.Match[str]) -> str:
        space, placeholder, punctuation = match.group(1), match.group(2), match.group(5)
        # A citation with errors (a source unknown) shows them where it is written: the
        # book has errors, so this is for the preview only (nothing is written).
        mark = (marks or {}).get(int(match.group(3))) if match.group(3) else None
        if mark:
            space += mark
        resolved = notes.calls.get(placeholder)
        if resolved is None:
            return space + punctuation  # a citation of unknown sources: already an error
        counts[placeholder] = counts.get(placeholder, 0) + 1
        ref_id = resolved.ref_id
        if counts[placeholder] > 1:
            ref_id += f"-{counts[placeholder]}"
        if resolved.note is None:
            return (
                f'{space}<span class="citation" id="{ref_id}">{resolved.text}</span>{punctuation}'
            )
        link = (
            f'<a class="noteref" data-semantics="noteref" role="doc-noteref" id="{ref_id}" '
            f'href="#{resolved.note.id}"><sup>{resolved.note.number}</sup></a>'
        )
        if resolved.text or resolved.note.kind == "authored":
            return f"{space}{resolved.text}{link}{punctuation}"
        return f"{punctuation}{link}"

    # Calls side by side ("much.¹²") read as one number: a raised comma between them, and
    # a line may break after it (a long run of calls is not one unbreakable word).
    return _ADJACENT_CALLS.sub(_SEPARATED, _CALL_IN_CONTEXT.sub(call, html))


_ADJACENT_CALLS = re.compile(r"(</sup></a>)(?=<a class=\"noteref\")")
_SEPARATED = r'\1<sup class="note-separator">,</sup><wbr/>'
_BLOCK_START = re.compile(r"^\s*<(p|ul|ol|blockquote|div|table|pre|dl|h[1-6])[\s>]")


def note_content(note: Note, html: str | None = None) -> str:
    """The note's text (``html``, default: the shared one) with its number linking back to the
    call, as paragraphs."""
    html = note.html if html is None else html
    backlink = (
        f'<a class="note-backlink" href="#{note.call_id}" role="doc-backlink">{note.number}.</a> '
    )
    match = _BLOCK_START.match(html)
    if match is None:
        return f"<p>{backlink}{html}</p>"
    if match.group(1) == "p":
        return re.sub(r"^\s*<p([^>]*)>", lambda m: f"<p{m.group(1)}>{backlink}", html, count=1)
    return f"<p>{backlink}</p>{html}"


def problem_mark(written: str, problems: Sequence[Diagnostic]) -> str:
    """What marks a place of the text that has errors, for the preview: what was written,
    highlighted, and each problem's message; each problem's id (:func:`problem_id`) for
    the preview's list to link to. Only a book with errors has any, and such a book is
    never written."""
    anchors = "".join(f'<span id="{problem_id(p.location)}"></span>' for p in problems[1:])
    # Shown as the terminal shows them: a key or a link may hold control codes.
    messages = "; ".join(escape(printable(p.message)) for p in problems)
    return (
        f'<mark class="problem" id="{problem_id(problems[0].location)}">{anchors}'
        f'<span class="problem-text">{escape(printable(written))}</span> '
        f'<span class="problem-message" lang="en">{messages}</span></mark>'
    )
