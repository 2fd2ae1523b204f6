"""Reading a page: a lesson page, plain text or HTML, as a heading, furniture and blocks.

This module owns reading the file (its size, whether it is text, which kind of page it is);
a plain text page is read in :mod:`.text_pages`, an HTML page in :mod:`.html_pages`.
"""

from __future__ import annotations

from pathlib import Path

from ...core.diagnostics import Diagnostics, Location
from .html_pages import _read_html
from .model import Page
from .text_pages import _read_text

PAGE_BYTES = 5_000_000
"""The largest page read (a saved lesson page is a few hundred KB at most)."""


def read_page(path: Path, diagnostics: Diagnostics) -> Page | None:
    """A text or HTML page as blocks; None (after saying why) when it can't be one."""
    raw = _read_bytes(path, diagnostics)
    if raw is None:
        return None
    if b"\x00" in raw[:8192] or _mostly_control(raw[:8192]):
        diagnostics.error(
            Location(path, 1), "not a text or HTML page (it holds binary data)", "import-not-text"
        )
        return None
    if _looks_like_html(path, raw):
        page = _read_html(path, raw, diagnostics)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as problem:
            diagnostics.error(Location(path, 1), f"not UTF-8 text ({problem.reason})", "encoding")
            return None
        page = _read_text(path, text)
    if page is not None and not page.blocks:
        diagnostics.error(Location(path, 1), "the page has no lesson text", "import-empty")
        return None
    return page


def _read_bytes(path: Path, diagnostics: Diagnostics) -> bytes | None:
    try:
        if not path.is_file():
            what = "is a folder, not a page" if path.is_dir() else "not found"
            diagnostics.error(Location(path), f"page {what}", "not-found")
            return None
        with open(path, "rb") as stream:
            raw = stream.read(PAGE_BYTES + 1)  # never more than the cap, whatever the file
    except OSError as problem:
        diagnostics.error(Location(path), f"cannot read: {problem.strerror}", "unreadable")
        return None
    if len(raw) > PAGE_BYTES:
        diagnostics.error(
            Location(path),
            f"the page is larger than {PAGE_BYTES:,} bytes; a lesson page is far smaller",
            "import-too-large",
        )
        return None
    if not raw.strip():
        diagnostics.error(Location(path, 1), "the page is empty", "import-empty")
        return None
    return raw


def _mostly_control(head: bytes) -> bool:
    """Binary files that happen to have no NUL byte (some images, archives)."""
    control = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\x0c")
    return control > len(head) // 20


def _looks_like_html(path: Path, raw: bytes) -> bool:
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return True
    head = raw[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or (
        head.startswith(b"<") and b"<body" in raw[:65536].lower()
    )
