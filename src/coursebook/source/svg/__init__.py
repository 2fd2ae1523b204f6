"""SVG images cleaned by an allow-list, the way a lesson's HTML is.

An SVG file is a program as much as a picture: it can script (``<script>``, ``onload``, a
``javascript:`` link), change itself at run time (``<animate>``/``<set>`` can rewrite an
``href`` into ``javascript:``), embed other documents (``<foreignObject>``, an SVG inside a
``data:`` URL) and reach outside itself (``href``, ``url(…)`` in attributes and CSS,
``<?xml-stylesheet?>``, a DOCTYPE with a system URL or entities). A deny-list misses the next
trick, so :func:`clean_svg` keeps only what static vector graphics need — elements, attributes
and ``#fragment`` references from an allow-list — and builds a new tree from it. What a book
packs is that tree serialized afresh, never the author's bytes: whatever the parser tolerated
but we did not look at cannot ride along.

Sanitizing rather than rasterizing keeps what makes an SVG worth having in a book: vector
quality in print and text a screen reader can read.

The modules, in the order :func:`clean_svg` (:mod:`.cleaning`) uses them: :mod:`.parsing`
(the bytes read without loading anything, the prolog and the root checked),
:mod:`.copying` (the allowed part copied into a new tree, by the lists of
:mod:`.allowlist`, with the CSS and URL checks of :mod:`.css`) and :mod:`.drawing` (what the
new tree draws: how much, and how large); :mod:`.outcome` holds what cleaning gives.
"""

from __future__ import annotations

from .allowlist import SVG_NS, XLINK_NS
from .cleaning import clean_svg
from .outcome import CleanSvg, SvgError

__all__ = ["SVG_NS", "XLINK_NS", "CleanSvg", "SvgError", "clean_svg"]
