""":func:`clean_svg`, the one way in: an SVG's bytes read, copied by the allow-list into a
new tree, checked for what it still draws, and serialized afresh."""

from __future__ import annotations

from lxml import etree

from ...core.limits import Limits
from .allowlist import _DRAWING, SVG_NS
from .copying import _Cleaner
from .drawing import _check_expansion, _length
from .outcome import CleanSvg, SvgError
from .parsing import _check_depth, _check_prolog, _not_svg, _parse

_DEFAULT_PIXELS = Limits().image_pixels
_DEFAULT_ELEMENTS = 250_000


def clean_svg(
    data: bytes,
    max_depth: int = 40,
    *,
    max_pixels: int = _DEFAULT_PIXELS,
    max_elements: int = _DEFAULT_ELEMENTS,
) -> CleanSvg:
    """The SVG in ``data`` with everything outside the allow-list removed.

    ``max_pixels`` bounds the raster images embedded in it, together; ``max_elements`` the
    elements a renderer would draw once every ``<use>`` and ``url(#…)`` is followed (a few
    nested ``<use>`` can otherwise ask for billions). Raises :class:`SvgError` for what can't
    be made safe or isn't an SVG: XML that isn't well-formed, entity declarations, a root
    other than ``<svg>``, nesting deeper than ``max_depth``, or nothing left to draw.
    """
    tree = _parse(data)
    cleaner = _Cleaner(max_pixels)
    _check_prolog(tree, data, cleaner)
    source = tree.getroot()
    if source.tag != f"{{{SVG_NS}}}svg":
        raise SvgError(_not_svg(source))
    _check_depth(source, max_depth)
    root = cleaner.copy(source, None)
    if root is None:  # the root's own attributes can't make it go, but be sure
        raise SvgError("the SVG has nothing left once its unsafe parts are removed")
    removed = tuple(cleaner.removed)
    if not any(etree.QName(element).localname in _DRAWING for element in root.iter()):
        raise SvgError(_nothing_left(removed))
    _check_expansion(root, max_elements)
    etree.cleanup_namespaces(root)
    return CleanSvg(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        removed,
        _length(root.get("width")),
        _length(root.get("height")),
    )


def _nothing_left(removed: tuple[str, ...]) -> str:
    if not removed:
        return "the SVG draws nothing"
    verb = "is" if len(removed) == 1 else "are"
    return f"the SVG has nothing left to draw once {', '.join(removed)} {verb} removed"
