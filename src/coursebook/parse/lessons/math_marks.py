"""Math placed in a lesson's tree: each math placeholder Markdown left in the text becomes the
formula's MathML (or, when it can't be set, its TeX as written, visibly), and a numbered
equation gets its id and number."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

from lxml import etree

from ..extraction import MATH_PLACEHOLDER, MathSpan
from ..math import Formula

_VERBATIM = frozenset({"code", "pre", "kbd", "samp"})


def place_math(
    tree: etree._Element,
    maths: Sequence[MathSpan],
    formulas: Mapping[Formula, etree._Element | None],
) -> None:
    """Replace every math placeholder in ``tree``; in an attribute (an image's alt text) or
    in code, the math is put back as written."""
    if not maths:
        return
    for element in list(tree.iter()):
        for name, value in element.attrib.items():
            if MATH_PLACEHOLDER.search(str(value)):
                element.set(name, _as_written(str(value), maths))
        if not isinstance(element.tag, str) or element.tag in _VERBATIM:
            _restore_verbatim(element, maths)
        elif element.text and MATH_PLACEHOLDER.search(element.text):
            text, element.text = element.text, None
            _insert(element, 0, text, maths, formulas)
        if element.tail and MATH_PLACEHOLDER.search(element.tail):
            parent = element.getparent()
            if parent is not None:
                tail, element.tail = element.tail, None
                _insert(parent, parent.index(element) + 1, tail, maths, formulas)


def _insert(
    parent: etree._Element,
    index: int,
    text: str,
    maths: Sequence[MathSpan],
    formulas: Mapping[Formula, etree._Element | None],
) -> None:
    """Put ``text`` at child ``index`` of ``parent``: its plain pieces as text, its math
    placeholders as elements."""
    pieces = MATH_PLACEHOLDER.split(text)
    _append_text(parent, index, pieces[0])
    for number, after in zip(pieces[1::2], pieces[2::2], strict=True):
        element = _math_element(maths[int(number)], formulas)
        parent.insert(index, element)
        element.tail = after or None
        index += 1


def _append_text(parent: etree._Element, index: int, text: str) -> None:
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _math_element(
    span: MathSpan, formulas: Mapping[Formula, etree._Element | None]
) -> etree._Element:
    mathml = formulas.get((span.tex, span.display))
    if mathml is None:
        kept = etree.Element("code", {"class": "math-tex"})  # as written, never re-read
        kept.text = span.written
        return kept
    return copy.deepcopy(mathml)


def _restore_verbatim(element: etree._Element, maths: Sequence[MathSpan]) -> None:
    """Code holds the math as written (its own tail is the text around it: placed apart)."""
    for node in element.iter():
        if node.text:
            node.text = _as_written(node.text, maths)
        if node is not element and node.tail:
            node.tail = _as_written(node.tail, maths)


def _as_written(text: str, maths: Sequence[MathSpan]) -> str:
    return MATH_PLACEHOLDER.sub(lambda m: maths[int(m.group(1))].written, text)
