"""Booklets: the PDF's pages imposed two-up for saddle-stitch printing.

The pages go side by side on sheets twice as wide (A5 pages on A4 landscape sheets, Letter
pages on Tabloid, half-letter on Letter), in the order that, printed on both sides, folded
and stapled in the middle, reads in order. The book is padded with blank pages to a multiple
of four; ``signature`` splits a thick pack into gatherings of that many sheets, each folded on
its own and laid one after the other.

pypdf does the placing (no imposition tool is a maintained Python library); the order is
computed here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pypdf import PageObject, PdfReader, PdfWriter, Transformation


@dataclass(frozen=True)
class Side:
    """One side of a sheet: the page numbers (0-based) on its left and right, None blank."""

    left: int | None
    right: int | None


def booklet_order(pages: int, signature: int | None = None) -> list[Side]:
    """The sides of the sheets, front then back of each sheet in turn.

    With ``pages`` padded to a multiple of 4 (``m``), sheet ``k`` of a gathering carries pages
    ``m-1-2k`` and ``2k`` on its front, ``2k+1`` and ``m-2-2k`` on its back. Pages past the
    end of the book are blank.
    """
    per_gathering = 4 * signature if signature else _padded(pages)
    sides: list[Side] = []
    for start in range(0, max(pages, 1), per_gathering):
        size = min(per_gathering, _padded(pages - start))
        for sheet in range(size // 4):
            front = (start + size - 1 - 2 * sheet, start + 2 * sheet)
            back = (start + 2 * sheet + 1, start + size - 2 - 2 * sheet)
            for left, right in (front, back):
                sides.append(Side(_page(left, pages), _page(right, pages)))
    return sides


def _padded(pages: int) -> int:
    return max(4, -(-pages // 4) * 4)


def _page(index: int, pages: int) -> int | None:
    return index if index < pages else None


def impose(
    pdf: bytes,
    stream: BinaryIO,
    signature: int | None = None,
    sheet_size: tuple[float, float] | None = None,
) -> int:
    """Write the booklet of ``pdf`` to ``stream``, on sheets of ``sheet_size`` (points,
    landscape; default: twice the page's width) with the pages centred; returns the number
    of sheet sides."""
    reader = PdfReader(io.BytesIO(pdf))
    pages = list(reader.pages)
    width = float(pages[0].mediabox.width)
    height = float(pages[0].mediabox.height)
    sheet_width, sheet_height = sheet_size or (2 * width, height)
    x = (sheet_width - 2 * width) / 2  # A5 is 148 mm, half of A4's 297 less a millimetre
    y = (sheet_height - height) / 2
    writer = PdfWriter()
    for side in booklet_order(len(pages), signature):
        sheet = writer.add_blank_page(width=sheet_width, height=sheet_height)
        _place(sheet, pages, side.left, x, y)
        _place(sheet, pages, side.right, x + width, y)
        sheet.compress_content_streams()  # merging leaves them uncompressed
    writer.add_metadata({k: v for k, v in (reader.metadata or {}).items() if isinstance(v, str)})
    # Each side gets copies of the fonts of its pages: keep one of each.
    writer.compress_identical_objects()
    writer.write(stream)
    return len(writer.pages)


def _place(
    sheet: PageObject, pages: Sequence[PageObject], index: int | None, x: float, y: float
) -> None:
    if index is None:
        return
    page = pages[index]
    offset = Transformation().translate(
        tx=x - float(page.mediabox.left), ty=y - float(page.mediabox.bottom)
    )
    sheet.merge_transformed_page(page, offset)


def booklet_path(target: Path) -> Path:
    """``book.pdf`` → ``book-booklet.pdf``."""
    return target.with_name(f"{target.stem}-booklet{target.suffix}")
