"""Checking the images a lesson shows before anything decodes them.

A raster image is opened by Pillow only far enough to read its size (a decompression bomb is
refused before it is expanded); an SVG, which is a program as much as a picture, must pass
the allow-list of :mod:`coursebook.svg`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .svg import SvgError, clean_svg

_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}


def check_image(path: Path, max_pixels: int) -> str | None:
    """What is wrong with the image at ``path``, or None."""
    if path.suffix.lower() == ".svg":
        return _check_svg(path, max_pixels)
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


def _check_svg(path: Path, max_pixels: int) -> str | None:
    try:
        cleaned = clean_svg(path.read_bytes(), max_pixels=max_pixels)
    except SvgError as error:
        return str(error)
    # Until the outputs pack the cleaned SVG instead of the file, whatever the cleaning
    # would remove is still in what they pack: refuse it rather than ship it.
    if cleaned.removed:
        return f"the SVG has {', '.join(cleaned.removed)} (not allowed in a book's image)"
    return None
