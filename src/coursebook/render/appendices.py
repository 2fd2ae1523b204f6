"""The sources appendix and the back-of-book index, as both the shared rendering and print
make them: the same lists, each place given by the caller (links to the notes and lessons in
the shared rendering, page numbers in print, once every page is known).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from itertools import groupby

from markupsafe import Markup

from ..cite.book_notes import BibliographyEntry, BookNotes
from ..parse.terms import IndexEntry, IndexPlace, initial
from .notes import linked_urls
from .templating import template_environment


def sources_appendix(
    notes: BookNotes,
    labels: Mapping[str, str],
    cited_in: Callable[[BibliographyEntry], str],
    entries_of: Sequence[BibliographyEntry] | None = None,
    id: str = "sources",
    level: int = 1,
    name: str | None = None,
) -> str:
    """A list of sources: the appendix, or (``entries_of`` given) a chapter's own list.
    ``cited_in`` says where each source is cited (the shared rendering links to the notes;
    print gives page numbers). ``name``: what assistive technology calls the list, when its
    title doesn't tell it apart (a chapter's sources, beside the appendix's)."""
    entries = [
        {
            "anchor": entry.source.id,
            "html": Markup(linked_urls(entry.html)),
            "url": entry.source.url,
            "url_in_entry": bool(entry.source.url) and escape(entry.source.url or "") in entry.html,
            "cited_in": Markup(cited_in(entry)),
        }
        for entry in (notes.bibliography if entries_of is None else entries_of)
    ]
    classes = "sources" if entries_of is None else "sources chapter-sources"
    template = template_environment().get_template("sources.xhtml")
    return template.render(
        labels=labels, entries=entries, id=id, level=level, classes=classes, name=name
    ).strip()


def index_appendix(
    entries: Sequence[IndexEntry],
    labels: Mapping[str, str],
    locate: Callable[[Sequence[IndexPlace]], str],
) -> str:
    """The back-of-book index, entries grouped by initial. ``locate`` gives an entry's
    places: links by lesson in the shared rendering, page numbers in print."""

    def view(entry: IndexEntry) -> dict[str, object]:
        return {
            "term": entry.term,
            "locators": Markup(locate(entry.places)) if entry.places else None,
            "subentries": [view(sub) for sub in entry.subentries],
        }

    groups = [
        (letter, [view(entry) for entry in group])
        for letter, group in groupby(entries, key=lambda entry: initial(entry.term))
    ]
    template = template_environment().get_template("index.xhtml")
    return template.render(labels=labels, groups=groups).strip()


def _letter(index: int) -> str:
    """a, b, …, z, aa, ab, …: the back-links of a reference list."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
