"""Math placed in a lesson's tree: each math placeholder Markdown left in the text becomes the
formula's MathML (or, when it can't be set, its TeX as written, visibly); a labelled
equation gets its id and a place for its number (:mod:`.crossrefs` numbers it)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

from lxml import etree

from ..extraction import MATH_PLACEHOLDER, MathSpan
from ..math import Formula
from .tree import replace_placeholders


def place_math(
    tree: etree._Element,
    maths: Sequence[MathSpan],
    formulas: Mapping[Formula, etree._Element | None],
) -> None:
    """Replace every math placeholder in ``tree`` with its formula."""
    if maths:
        replace_placeholders(
            tree, MATH_PLACEHOLDER, lambda index: _math_element(maths[index], formulas)
        )


def _math_element(
    span: MathSpan, formulas: Mapping[Formula, etree._Element | None]
) -> etree._Element:
    mathml = formulas.get((span.tex, span.display))
    if mathml is None:
        formula = etree.Element("code", {"class": "math-tex"})  # as written, never re-read
        formula.text = span.written
    else:
        formula = copy.deepcopy(mathml)
    if not span.label:
        return formula
    # A labelled equation: its number, given once the book is read, sits beside it.
    equation = etree.Element("span", {"class": "equation", "id": span.label})
    equation.append(formula)
    etree.SubElement(equation, "span", {"class": "equation-number"})
    return equation
