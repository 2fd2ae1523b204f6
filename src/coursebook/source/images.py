"""Every image a book shows, the cover included, checked the same way before it is used.

An image is read once through the confined opener (a regular file inside the book, within the
byte limit), and judged by its bytes, not its name: a raster must be the type its name says,
within the pixel limit (counted before anything is decoded, so a decompression bomb is
refused unexpanded) and must then decode completely (a truncated file is an error, not a grey
band in print). An SVG is a program as much as a picture: it is cleaned by an allow-list
(:mod:`coursebook.svg`), and the cleaned SVG is what the outputs get.

What was checked is what is used: a :class:`CheckedImage` records the digest of the bytes the
outputs must carry, and :func:`image_data` reads the file again (confined again) for the EPUB,
the PDF and the preview, and refuses it if it is no longer those bytes (a file swapped while
the book was being built).

Decoding a raster completely, twice (see :func:`_decoded_size`), was a third of reading a
40-lesson book after an edit (ten charts, 0.07 of 0.21 s, profiled): the size of a raster
found whole is kept (:class:`DecodedSizes`, the cache of the build's output folder, never
the book's) by a hash of its bytes, the limit and the checker (this module and Pillow), and
those same bytes are not decoded again (their type is still checked by their signature, and
their header must give that size).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageFile, ImageSequence, UnidentifiedImageError

from ..core.cache import cache_key
from ..core.limits import Limits, raise_hint
from ..core.paths import FileTooLarge, RefusedPath, read_inside
from ..model import CheckedImage

MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
_PILLOW_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
_NAMES = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "image/svg+xml": "an SVG image",
}


class ImageProblem(Exception):
    """An image that can't be used; the message says why, for the author."""


class DecodedSizes(Protocol):
    """The sizes of rasters an earlier build decoded completely, by :func:`decoded_key`."""

    def size(self, key: str) -> tuple[int, int] | None: ...

    def keep_size(self, key: str, size: tuple[int, int]) -> None: ...


def check_image(
    path: Path,
    roots: Sequence[Path],
    limits: Limits,
    allowed: Sequence[str] = tuple(MEDIA_TYPES.values()),
    decoded: DecodedSizes | None = None,
) -> CheckedImage:
    """Read and judge the image at ``path`` (a raster known to ``decoded`` by its bytes is
    not decoded again); raises :class:`ImageProblem`."""
    media_type = MEDIA_TYPES.get(path.suffix.lower())
    if media_type is None or media_type not in allowed:
        raise ImageProblem(f"use {_kinds(allowed)}")
    raw = _read(path, tuple(roots), limits)
    data, width, height, cleaned = _judged(raw, media_type, limits, decoded)
    digest = hashlib.sha256(data).hexdigest()
    return CheckedImage(path, tuple(roots), media_type, digest, limits, width, height, cleaned)


def image_data(image: CheckedImage) -> bytes:
    """The bytes of a checked image for an output: read again, confined again, and
    refused unless they are the bytes that were checked."""
    raw = _read(image.path, image.roots, image.limits)
    data = _svg_data(raw, image.limits) if image.media_type == "image/svg+xml" else raw
    if hashlib.sha256(data).hexdigest() != image.digest:
        raise ImageProblem("the file changed while the book was being built; build again")
    return data


def _read(path: Path, roots: tuple[Path, ...], limits: Limits) -> bytes:
    try:
        return read_inside(path, roots, limits.image_bytes)
    except RefusedPath as refused:
        raise ImageProblem(str(refused)) from None
    except FileTooLarge as large:
        raise ImageProblem(f"the file is {large} ({raise_hint('image_bytes')})") from None
    except OSError as error:
        raise ImageProblem(f"cannot read it: {error.strerror}") from None


def _judged(
    raw: bytes, media_type: str, limits: Limits, decoded: DecodedSizes | None = None
) -> tuple[bytes, int, int, tuple[str, ...]]:
    """The bytes the outputs carry, the size, and what cleaning removed."""
    found = sniff(raw)
    if found != media_type:
        what = _NAMES.get(found or "", "not an image at all")
        raise ImageProblem(f"its name says {_NAMES[media_type]}, but the file is {what}")
    if media_type == "image/svg+xml":
        from .svg import SvgError, clean_svg

        try:
            svg = clean_svg(raw, max_depth=limits.depth, max_pixels=limits.image_pixels)
        except SvgError as error:
            raise ImageProblem(str(error)) from None
        return svg.data, round(svg.width or 0), round(svg.height or 0), svg.removed
    key = decoded_key(raw, media_type, limits.image_pixels)
    known = decoded.size(key) if decoded is not None else None
    if known is not None and min(known) > 0 and _header_size(raw, media_type) == known:
        _check_pixels(*known, limits.image_pixels)
        return raw, *known, ()
    width, height = _decoded_size(raw, media_type, limits.image_pixels)
    if decoded is not None:
        decoded.keep_size(key, (width, height))
    return raw, width, height, ()


def decoded_key(raw: bytes, media_type: str, max_pixels: int) -> str:
    """What a raster's complete decoding depends on: its bytes, its type, the pixel limit
    and the checker."""
    return cache_key(_checker(), media_type, str(max_pixels), raw)


@cache
def _checker() -> str:
    """This module's code and Pillow's version: a size kept by another checker is not
    believed."""
    import PIL

    return cache_key(Path(__file__).read_bytes(), PIL.__version__)


def _header_size(raw: bytes, media_type: str) -> tuple[int, int] | None:
    """The size the image's header gives, nothing decoded (a size kept for other bytes is
    not believed); None when Pillow can't read it (the image is then decoded, and judged)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[_PILLOW_FORMATS[media_type]]) as image:
                return (int(image.size[0]), int(image.size[1]))
    except Exception:  # whatever it is, the full decoding says it
        return None


def _svg_data(raw: bytes, limits: Limits) -> bytes:
    from .svg import SvgError, clean_svg

    try:
        return clean_svg(raw, max_depth=limits.depth, max_pixels=limits.image_pixels).data
    except SvgError as error:
        raise ImageProblem(str(error)) from None


def sniff(data: bytes) -> str | None:
    """The image type the bytes are, by their signature (None: no image type we take)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<svg" in data[:65536].lower():
        return "image/svg+xml"
    return None


def _decoded_size(raw: bytes, media_type: str, max_pixels: int) -> tuple[int, int]:
    """Width and height, once every frame has decoded within the pixel limit, both as a
    strict reader reads it and as WeasyPrint will: Pillow takes another path through a
    damaged file when told to load truncated images (WeasyPrint's setting), and a PNG whose
    trailing chunk is cut short decodes strictly but fails there (found by the fuzz tests)."""
    with _truncated_images(allowed=False):
        size = _decode(raw, media_type, max_pixels)
    with _truncated_images(allowed=True):
        _decode(raw, media_type, max_pixels)
    return size


@contextlib.contextmanager
def _truncated_images(allowed: bool) -> Iterator[None]:
    """Pillow's LOAD_TRUNCATED_IMAGES set while we decode: WeasyPrint turns it on for the
    whole process when it is imported, and a truncated file would then pass as whole."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = allowed
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _decode(raw: bytes, media_type: str, max_pixels: int) -> tuple[int, int]:
    try:
        with warnings.catch_warnings():
            # We check the size ourselves, against our own limit, before decoding.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[_PILLOW_FORMATS[media_type]]) as image:
                width, height = image.size
                _check_pixels(width, height, max_pixels)
                budget = max_pixels
                for frame in ImageSequence.Iterator(image):
                    budget -= width * height
                    if budget < 0:
                        raise ImageProblem(
                            f"its frames hold more than the limit of {max_pixels:,} pixels "
                            f"({raise_hint('image_pixels')})"
                        )
                    frame.load()
    except Image.DecompressionBombError:
        raise ImageProblem(
            f"far more pixels than the limit of {max_pixels:,} (a decompression bomb?)"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageProblem(f"the image is damaged or truncated ({_reason(error)})") from None
    return width, height


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageProblem(
            f"{width} × {height} pixels, more than the limit of {max_pixels:,} "
            f"({raise_hint('image_pixels')})"
        )


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:120]


def _kinds(allowed: Sequence[str]) -> str:
    names = sorted({_PILLOW_FORMATS.get(kind, "SVG").replace("WEBP", "WebP") for kind in allowed})
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
