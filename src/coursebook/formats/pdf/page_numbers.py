"""The page numbers print gives as text: the front matter's roman numerals, and the pages
the sources appendix and the index list ("Cited on pp. 6, 9.", "12, 15–17"), once every page
of the book is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from ...cite.book_notes import BibliographyEntry
from ...parse.terms import IndexPlace


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
