"""Limits on what a book may ask of the machine.

coursebook runs on the portal's server: a book must not be able to exhaust it. Each limit
has a default that fits any real course and can be raised (``--limit lessons=5000``); a book
past one gets a clear error naming the file and line, never a hang or a traceback.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

_OPEN_TAG = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?(?<!/)>")
_CLOSE_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_QUOTE_OR_LIST = re.compile(r"\s*(?:>|[-*+]\s|\d{1,9}[.)]\s)")


@dataclass(frozen=True)
class Limits:
    """The limits, with their defaults. Sizes in bytes, times in seconds."""

    lesson_bytes: int = 2_000_000
    """Size of one lesson file."""
    book_bytes: int = 50_000_000
    """Size of all the lesson files together."""
    lessons: int = 1_000
    """Lessons, introductions and appendices."""
    sources_bytes: int = 20_000_000
    """Size of the sources file."""
    depth: int = 40
    """Nesting of quotes, lists and HTML elements."""
    table_rows: int = 5_000
    """Rows of one table."""
    image_bytes: int = 25_000_000
    """Size of one image file."""
    image_pixels: int = 60_000_000
    """Width × height of one image."""
    markdown_seconds: float = 10.0
    """Time to turn one lesson's Markdown into HTML."""
    citations_seconds: float = 300.0
    """Time to format the book's citations (one pandoc run)."""
    layout_seconds: float = 900.0
    """Time to lay the printed book out."""
    memory_mb: int = 6_144
    """Memory the build may use (the command line sets it for its own process)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    def raised(self, settings: list[str]) -> Limits:
        """These limits with ``name=value`` settings applied."""
        changes: dict[str, Any] = {}
        for setting in settings:
            name, _, value = setting.partition("=")
            name = name.strip().replace("-", "_")
            if name not in self.names():
                raise ValueError(
                    f"unknown limit '{name}'; the limits are {', '.join(self.names())}"
                )
            kind = type(getattr(self, name))
            try:
                number = kind(value.strip())
            except ValueError:
                raise ValueError(f"limit {name}: expected a number, found '{value}'") from None
            if number <= 0:
                raise ValueError(f"limit {name} must be more than 0")
            changes[name] = number
        return replace(self, **changes)


class LimitExceeded(Exception):
    """A limit was passed; the message says which and how to raise it."""


class TimeLimitExceeded(LimitExceeded):
    pass


def raise_hint(name: str) -> str:
    return f"raise it with --limit {name}=…"


def nesting_depth(text: str) -> tuple[int, int]:
    """The deepest nesting of quotes, list items and HTML elements in Markdown text, and the
    line where it is reached — counted before Markdown and WeasyPrint recurse into it."""
    deepest, where, html_depth = 0, 0, 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth = _block_depth(line)
        for match in re.finditer(f"{_OPEN_TAG.pattern}|{_CLOSE_TAG.pattern}", line):
            if match.group(1) and match.group(1).lower() not in _VOID:
                html_depth += 1
                if html_depth > deepest:
                    deepest, where = html_depth, number
            elif match.group(2):
                html_depth = max(0, html_depth - 1)
        if depth > deepest:
            deepest, where = depth, number
    return deepest, where


def _block_depth(line: str) -> int:
    """Block quote markers and list markers at the start of a line, with its indentation."""
    depth, position = 0, 0
    indent = len(line) - len(line.lstrip(" "))
    while match := _QUOTE_OR_LIST.match(line, position):
        depth += 1
        position = match.end()
    return depth + indent // 4


@contextlib.contextmanager
def deadline(seconds: float, what: str, limit_name: str) -> Iterator[None]:
    """Stop ``what`` after ``seconds`` with :class:`TimeLimitExceeded`.

    Uses the process's interval timer, which only the main thread can set; elsewhere (a
    worker thread) the block runs without a time limit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(
            f"{what} timed out after {seconds:g} seconds ({raise_hint(limit_name)})"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
