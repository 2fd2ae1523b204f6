"""Checking the images a lesson shows before anything decodes them.

A raster image is opened by Pillow only far enough to read its size (a decompression bomb is
refused before it is expanded); an SVG, which is a program as much as a picture, must not
script, embed foreign content or reach for anything outside itself.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from lxml import etree
from PIL import Image, UnidentifiedImageError

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
_XLINK = "{http://www.w3.org/1999/xlink}href"
_SVG_EXTERNAL = re.compile(r"@import|url\(\s*['\"]?(?!#|data:)", re.IGNORECASE)


def check_image(path: Path, max_pixels: int) -> str | None:
    """What is wrong with the image at ``path``, or None."""
    if path.suffix.lower() == ".svg":
        return _check_svg(path)
    try:
        with warnings.catch_warnings():
            # We check the size ourselves, against our own limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                kind, (width, height) = image.format, image.size
    except Image.DecompressionBombError:
        return f"far more pixels than the limit of {max_pixels:,} (a decompression bomb?)"
    except (UnidentifiedImageError, OSError):
        return "not an image this book can show"
    if kind != _FORMATS.get(path.suffix.lower()):
        return f"the file is {kind or 'something else'}, not what its name says"
    if width * height > max_pixels:
        return (
            f"{width} × {height} pixels, more than the limit of {max_pixels:,} "
            "(raise it with --limit image_pixels=…)"
        )
    return None


def _check_svg(path: Path) -> str | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as error:
        return f"not a well-formed SVG ({error.msg})"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in ("script", "foreignObject", "iframe", "embed", "object"):
            return f"the SVG has <{name}> (scripts and embedded content are not allowed)"
        for attribute, raw in element.attrib.items():
            value = str(raw)
            local = etree.QName(attribute).localname
            if local.lower().startswith("on"):
                return f"the SVG has an event handler ({local})"
            if local == "href" and not value.startswith(("#", "data:image/")):
                return f"the SVG refers to something outside itself ('{value}')"
            if local == "style" and _SVG_EXTERNAL.search(value):
                return "the SVG's styles load something from outside it"
        if name == "style" and _SVG_EXTERNAL.search(element.text or ""):
            return "the SVG's styles load something from outside it"
    return None
