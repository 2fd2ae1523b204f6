"""Math typeset for print: each MathML formula drawn as an SVG image by ziamath.

WeasyPrint has no MathML: left as it is, a formula would print as its letters run together.
ziamath (pure Python, the STIX Two Math font it carries) lays out the MathML the parse stage
made with pandoc and draws it as SVG paths. Each formula goes into the page as an ``<img>``
of its own (its glyph definitions can't clash with another's), sized in ``em`` so that it
follows the text's size, sitting on the text's baseline, with the TeX as its text
alternative (PDF/UA's Alt, what a screen reader says).
"""

from __future__ import annotations

import base64
import copy
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Future
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from lxml import etree

from ...core.diagnostics import Diagnostics, Location
from ...core.naming import element_prefix
from ...core.xhtml import parse_fragment
from ...model import Lesson
from ...render.pagemap import SOURCE_ATTRIBUTE
from ...render.rendered_book import RenderedBook

T = TypeVar("T")


class Helper(Protocol):
    """A process to draw formulas beside this one (the layout's :class:`.parallel.Workers`,
    not imported here: it imports this module)."""

    def submit(self, worker: int, task: Callable[..., T], *args: Any) -> Future[T]: ...

    def took(self, worker: int) -> None: ...


MATHML = "http://www.w3.org/1998/Math/MathML"
_SIZE = 20.0
"""ziamath's font size, in its SVG units: the image is scaled to the text in ``em``."""


class MathProblem(Exception):
    """A formula ziamath could not draw."""


def check_math(
    rendered: RenderedBook, diagnostics: Diagnostics, helper: Helper | None = None
) -> None:
    """A ``math`` warning for each formula the print edition can't draw (it prints its TeX
    instead), at the place the lesson writes it: the MathML pandoc made is all valid, but
    ziamath does not lay out every element of it. Every formula is drawn now, once (see
    :func:`_draw_all`), for the parts to take."""
    found = list(_formulas(rendered))
    problems = _draw_all(list(dict.fromkeys(mathml for _, _, mathml in found)), helper)
    for lesson, tex, mathml in found:
        if mathml in problems:
            diagnostics.warning(
                _place(lesson, tex),
                f"math '{tex}' can't be drawn in print ({problems[mathml]}); its TeX is "
                "printed there",
                "math",
            )


def draw_math(rendered: RenderedBook, helper: Helper | None = None) -> None:
    """Every formula of the book drawn before its parts are made (see :func:`_draw_all`),
    for a layout that prints nothing (the EPUB's page list): nothing said of those that
    can't be drawn."""
    _draw_all(list(dict.fromkeys(mathml for _, _, mathml in _formulas(rendered))), helper)


def _formulas(rendered: RenderedBook) -> Iterator[tuple[Lesson, str, str]]:
    """Each formula of the book's lessons, in order: its lesson, TeX and MathML as drawn."""
    lessons = {element_prefix(lesson.id): lesson for lesson in rendered.book.documents()}
    for document in rendered.documents:
        lesson = lessons.get(document.id)
        if lesson is None or MATHML not in document.html:
            continue
        for math in parse_fragment(document.html).iter(f"{{{MATHML}}}math"):
            mathml = etree.tostring(_presentation(math), encoding="unicode", with_tail=False)
            yield lesson, math.get("alttext") or "", mathml


SHARED = 100
"""Formulas from which half are drawn by the layout worker started early: it takes a second
to import ziamath, about what 50 formulas take to draw."""


def _draw_all(formulas: list[str], helper: Helper | None) -> dict[str, str]:
    """Every formula drawn, half of them by ``helper``'s first worker when there are many
    (the 534 formulas of the rlhf book took 13 s in one process); what went wrong with
    each that can't be drawn. Those of other books (a process building several, a preview
    server) are forgotten: the process keeps one book's."""
    for kept in (_DRAWN, _FAILED):
        for mathml in kept.keys() - set(formulas):
            del kept[mathml]
    away = formulas[len(formulas) // 2 :] if helper is not None and len(formulas) >= SHARED else []
    task = helper.submit(0, draw, away) if helper is not None and away else None
    drawings, problems = draw(formulas[: len(formulas) - len(away)])
    if task is not None and helper is not None:
        try:
            drawings, theirs = task.result()
        except BrokenExecutor:  # the worker is gone: drawn here, as with one process
            drawings, theirs = draw(away)
        finally:
            helper.took(0)
        remember(drawings)
        problems.update(theirs)
        _FAILED.update(theirs)
    return problems


def draw(formulas: list[str]) -> tuple[dict[str, Drawing], dict[str, str]]:
    """``formulas`` drawn (and kept, see :func:`drawn`): the drawings, and what went wrong
    with each that can't be drawn."""
    drawings, problems = {}, {}
    for mathml in formulas:
        try:
            drawings[mathml] = _drawing(mathml)
        except MathProblem as problem:
            problems[mathml] = str(problem)
    return drawings, problems


def typeset_math(tree: etree._Element) -> None:
    """Replace every MathML ``<math>`` in ``tree`` with its drawing."""
    for math in list(tree.iter(f"{{{MATHML}}}math")):
        parent = math.getparent()
        if parent is None:
            continue
        image = _image(math)
        image.tail = math.tail
        parent.replace(math, image)


def _image(math: etree._Element) -> etree._Element:
    display = math.get("display") == "block"
    alt = math.get("alttext") or "".join(str(text) for text in math.itertext())
    try:
        mathml = etree.tostring(_presentation(math), encoding="unicode", with_tail=False)
        svg, width, height, depth = _drawing(mathml)
    except MathProblem:
        fallback = etree.Element("code", {"class": "math-tex"})  # reported at parse
        fallback.text = alt
        return fallback
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    # A formula above the baseline (a superscript alone) reaches below it by a negative depth.
    style = f"width: {width:.3f}em; height: {height:.3f}em; vertical-align: {-depth:.3f}em"
    return etree.Element(
        "img",
        {
            "class": "math display" if display else "math",
            "src": f"data:image/svg+xml;base64,{data}",
            "alt": alt,
            "style": style,
        },
    )


def _presentation(math: etree._Element) -> etree._Element:
    """The formula without its ``<semantics>`` wrapper and TeX annotation, which ziamath
    would draw as text, nor the names print gives its elements (``data-src``, see
    :func:`coursebook.render.pagemap.mark_sources`): the formula :func:`check_math` drew is
    then the one drawn for the page, not drawn again (a second each few dozen formulas)."""
    copied = copy.deepcopy(math)
    for element in copied.iter():
        if SOURCE_ATTRIBUTE in element.attrib:
            del element.attrib[SOURCE_ATTRIBUTE]
    for semantics in list(copied.iter(f"{{{MATHML}}}semantics")):
        parent = semantics.getparent()
        if parent is None or not len(semantics):
            continue
        parent.replace(semantics, semantics[0])
    return copied


Drawing = tuple[str, float, float, float]
"""A formula's SVG, its width and height and how far it reaches below the baseline, in
``em``."""

_DRAWN: dict[str, Drawing] = {}
"""The formulas this process drew, by their MathML: each book's drawn once (by
:func:`check_math`), then given to the layout workers (see :func:`drawn`)."""


def drawn() -> dict[str, Drawing]:
    """The formulas this process drew, for a layout worker to :func:`remember` (drawn again
    there, the 804 formulas of a 15-chapter book took the workers 9 s more)."""
    return dict(_DRAWN)


def remember(drawings: dict[str, Drawing]) -> None:
    _DRAWN.update(drawings)


_FAILED: dict[str, str] = {}
"""The formulas this process could not draw, with what went wrong: not tried again."""


def _drawing(mathml: str) -> Drawing:
    """The drawing of a formula (see :data:`Drawing`)."""
    if (known := _DRAWN.get(mathml)) is not None:
        return known
    if mathml in _FAILED:
        raise MathProblem(_FAILED[mathml])
    try:
        _DRAWN[mathml] = drawing = _drawn(mathml)
    except MathProblem as problem:
        _FAILED[mathml] = str(problem)
        raise
    return drawing


def _drawn(mathml: str) -> Drawing:
    with warnings.catch_warnings():  # ziamath 0.13 finds its font by a deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath  # a second's import, only for books with math

    with _ziamath_warnings() as said:
        try:
            drawn = ziamath.zmath.Math(mathml, size=_SIZE)
            svg = drawn.svg()
        except Exception as error:  # ziamath raises what its layout code raises
            raise MathProblem(str(error)) from None
    if said:
        raise MathProblem(said[0])
    x, y, width, height = (float(v) for v in _view_box(svg))
    del x
    return svg, width / _SIZE, height / _SIZE, (height + y) / _SIZE


def _place(lesson: Lesson, tex: str) -> Location:
    """Where the lesson writes the formula (its first words, spaces aside), or the lesson."""
    words = tex.split()
    pattern = r"\s+".join(re.escape(word) for word in words[:4])
    found = re.search(pattern, lesson.body) if words else None
    if found is None:
        return lesson.location
    line = lesson.body.count("\n", 0, found.start())
    column = found.start() - (lesson.body.rfind("\n", 0, found.start()) + 1) + 1
    return Location(lesson.path, lesson.body_line + line, column)


def _view_box(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode("utf-8"))
    return (root.get("viewBox") or "0 0 0 0").split()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _ziamath_warnings() -> Iterator[list[str]]:
    """ziamath logs what it can't draw on the root logger; collected here instead of
    printed to the author's terminal."""
    root = logging.getLogger()
    handler = _Collect()
    root.addHandler(handler)
    try:
        yield handler.messages
    finally:
        root.removeHandler(handler)
