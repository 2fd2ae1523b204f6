"""The output formats coursebook can write, in the order a build writes them.

The pipeline builds what this list names and the command line offers it for ``-f``; adding a
format is one line here (see :mod:`.base`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .base import OutputFormat, PageSource, SettingsError
from .epub import EPUB
from .html import HTML
from .pdf import PDF

FORMATS: tuple[OutputFormat, ...] = (PDF, EPUB, HTML)
PAGE_SOURCE: PageSource = PDF
"""The format that lays out the print edition, where every page number comes from."""


def names() -> tuple[str, ...]:
    return tuple(f.name for f in FORMATS)


def defaults() -> tuple[str, ...]:
    """What a build writes when no format is named."""
    return tuple(f.name for f in FORMATS if f.default)


def chosen(requested: Iterable[str]) -> tuple[OutputFormat, ...]:
    """The formats named, in the order they are written: the one laying out the print
    edition before those that need its page starts (they then take them from it)."""
    wanted = set(requested)
    unknown = sorted(wanted - set(names()))
    if unknown:
        raise SettingsError(f"no output format '{unknown[0]}'; choose from {', '.join(names())}")
    picked = [f for f in FORMATS if f.name in wanted]
    return tuple(sorted(picked, key=lambda f: f.needs_page_starts))


def settings_keys() -> Mapping[str, str]:
    """The keys of book.yaml the formats own, with what each holds."""
    return {f.settings_key: f"{f.name} settings" for f in FORMATS if f.settings_key}


def file_names(slug: str) -> tuple[str, ...]:
    """Every file a build of ``slug`` may write."""
    return tuple(name for f in FORMATS for name in f.file_names(slug))
