"""The numbers printed on a part's pages, set after its layout.

A part's pages don't depend on the number of its first page (see :mod:`.paging`), only what
its margins print does: the folio, and whatever else a stylesheet computes from the page
counter. So a part is laid out once, in any process, before the number of its first page is
known (the earlier parts' page counts give it), and its margin boxes are made again for that
number just before its PDF is written: with WeasyPrint's own code for margin boxes, fed the
page counter shifted. WeasyPrint has no way to do this (a document's page numbers are fixed
when it is laid out), so its margin boxes' inputs are kept as it would make them, and the
margin boxes (and the page's backgrounds, which include theirs) are made only then: made at
the layout too, they took a part's pages 4-8% of its layout, for nothing when the number
was another.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

KEPT = "_coursebook_margins"
"""The attribute of a laid-out page box holding what WeasyPrint made its margin boxes from:
the layout context, the page's number within its document and its page state. On the box,
not in a table beside it: the context refers to a page box, and a table would keep both
alive."""


_RECORDING = [False]
"""Whether pages laid out now keep their margins' inputs (see :func:`recording`)."""


@contextmanager
def recording() -> Iterator[None]:
    """Pages laid out within keep what their margin boxes are made from, and have neither
    margin boxes nor backgrounds until :func:`renumber` makes them (for the number they will
    print; but see :func:`running_elements`): it must be called before they are drawn.
    Only then: it keeps the layout context (every element's style) alive as long as the
    pages, a part's worth of memory."""
    _RECORDING[0] = True
    try:
        yield
    finally:
        _RECORDING[0] = False


def keep_margin_inputs() -> None:
    """Have WeasyPrint keep, for every page it lays out within :func:`recording`, what it
    makes the page's margin boxes from, leaving them and the backgrounds to
    :func:`renumber` (set up once per process)."""
    from weasyprint import layout

    if _KEEPING[0]:
        return
    _KEEPING[0] = True
    made, backgrounds = layout.make_margin_boxes, layout.layout_backgrounds

    def make_margin_boxes(context: Any, page: Any, state: Any) -> Any:
        if _RECORDING[0]:
            setattr(page, KEPT, (context, context.current_page, state))
            if not running_elements(context):
                setattr(page, _LEFT, True)
                return []
        return made(context, page, state)

    def layout_backgrounds(page: Any, get_image_from_uri: Any) -> Any:
        if getattr(page, _LEFT, False):
            return None
        return backgrounds(page, get_image_from_uri)

    layout.make_margin_boxes = make_margin_boxes
    layout.layout_backgrounds = layout_backgrounds


_KEEPING = [False]
"""Whether WeasyPrint's margin boxes are wrapped (:func:`keep_margin_inputs`)."""
_LEFT = "_coursebook_margins_left"
"""The attribute of a page box whose margins and backgrounds are left to :func:`renumber`."""


def running_elements(context: Any) -> bool:
    """Whether a document being laid out has running elements (``position: running()``):
    printed in the margins only, their ids are anchors there, so its margin boxes are made
    with its pages, as WeasyPrint makes them (and made again by :func:`renumber`). By name,
    by page, WeasyPrint's store of them: a name is there, with no element, once a rule asks
    for it (its own stylesheet's ``@note-area`` does, ``element(note)``)."""
    stored = context.running_elements.values()
    return any(any(on_page) for by_page in stored for on_page in by_page.values())


def first_number(document: Any) -> int | None:
    """The page counter on the document's first page, or None if it can't be renumbered
    (a page laid out outside :func:`recording`, or a page counter that doesn't count
    up one by one, as a stylesheet resetting it would make)."""
    values = []
    for page in document.pages:
        kept = getattr(page._page_box, KEPT, None)
        if kept is None:
            return None
        values.append(_page_counter(kept[2]))
    if not values or values != list(range(values[0], values[0] + len(values))):
        return None
    return values[0]


def renumber(document: Any, first: int) -> bool:
    """Make the margin boxes and backgrounds of a document laid out within
    :func:`recording` as if its first page were numbered ``first`` (once, before it is
    drawn); False (and nothing changed) when it can't be (see :func:`first_number`)."""
    from weasyprint.anchors import gather_anchors
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.background import layout_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    start = first_number(document)
    if start is None:
        return False
    shift = first - start
    for page in document.pages:
        box = page._page_box
        context, number, state = getattr(box, KEPT)
        state = copy.deepcopy(state)
        counter = state[1]["page"]
        counter[-1] += shift
        context.current_page = number
        kept = [child for child in box.children if not isinstance(child, boxes.MarginBox)]
        margins = list(make_margin_boxes(context, box, state))
        box.children = (*kept, *margins)
        layout_backgrounds(box, context.get_image_from_uri)
        if getattr(box, _LEFT, False):  # the first margins made: their links and anchors,
            for margin in margins:  # gathered as WeasyPrint gathers the page's
                gather_anchors(margin, page.anchors, page.links, page.bookmarks, page.forms)
            setattr(box, _LEFT, False)
        setattr(box, KEPT, (context, number, state))
    return True


def _page_counter(state: Any) -> int:
    values = state[1].get("page") or [0]
    return int(values[-1])


# --- page numbers in the text ----------------------------------------------------------------

_PAGE_COUNTERS = ("page", "pages")


def numbers_in_text(stylesheets: Iterable[str]) -> Callable[[str], bool]:
    """Whether a part's HTML prints page numbers in its text, not only in its margins: an
    element a rule of ``stylesheets`` (outside ``@page``) gives ``target-counter()`` or the
    page counter (print.css: a pointer to notes at the end of their lesson, "p. 12"). Such
    a part's pages depend on its first page's number (the width of the numbers), and it is
    laid out with that number.

    Told by the classes of those rules' selectors (a part holding any of them prints
    numbers); a rule whose selector names no class makes every part count. Erring that
    way only lays a part out again."""
    import tinycss2  # type: ignore[import-untyped]

    classes: set[str] = set()
    anywhere = False

    def visit(rules: Iterable[Any]) -> None:
        nonlocal anywhere
        for rule in rules:
            if rule.type == "at-rule" and rule.lower_at_keyword != "page" and rule.content:
                visit(tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True))
            elif rule.type == "qualified-rule" and _counts_pages(rule.content):
                for selector in _split(rule.prelude):
                    named = _classes(selector)
                    anywhere = anywhere or not named
                    classes.update(named)

    for text in stylesheets:
        visit(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))
    if anywhere:
        return lambda html: True
    if not classes:
        return lambda html: False
    names = "|".join(re.escape(name) for name in sorted(classes))
    pattern = re.compile(rf"""class=["'](?:[^"']*\s)?(?:{names})(?:[\s"'])""")
    return lambda html: pattern.search(html) is not None


def _counts_pages(tokens: Iterable[Any]) -> bool:
    for token in tokens:
        if token.type == "function":
            name = token.lower_name
            arguments = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
            if name in ("target-counter", "target-counters"):
                return True
            if name in ("counter", "counters") and arguments:
                first = arguments[0]
                if first.type == "ident" and first.lower_value in _PAGE_COUNTERS:
                    return True
            if _counts_pages(token.arguments):
                return True
        elif token.type in ("() block", "[] block", "{} block") and _counts_pages(token.content):
            return True
    return False


def _split(prelude: Sequence[Any]) -> list[list[Any]]:
    selectors: list[list[Any]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return selectors


def _classes(selector: Sequence[Any]) -> set[str]:
    named = set()
    for before, token in itertools.pairwise(selector):
        if before.type == "literal" and before.value == "." and token.type == "ident":
            named.add(token.value)
    return named
