"""What cleaning an SVG gives: a :class:`CleanSvg`, or an :class:`SvgError` that tells the
author why the file can't be used at all."""

from __future__ import annotations

from dataclasses import dataclass


class SvgError(ValueError):
    """The file is not an SVG we can use at all; the message says why, for the author."""


@dataclass(frozen=True)
class CleanSvg:
    """An SVG after :func:`clean_svg`."""

    data: bytes
    """The cleaned SVG: UTF-8 XML with a declaration, the same bytes for the same input."""
    removed: tuple[str, ...] = ()
    """What was taken out that an author should hear about, each distinct thing once, in the
    order found: ``"<script>"``, ``"the attribute onload"``, ``"an external reference '…'"``,
    ``"the DOCTYPE"``… Editors' metadata (Inkscape, Sodipodi, RDF) goes without a mention."""
    width: float | None = None
    """The root's width in CSS pixels, when it gives an absolute one."""
    height: float | None = None
    """The root's height in CSS pixels, when it gives an absolute one."""
