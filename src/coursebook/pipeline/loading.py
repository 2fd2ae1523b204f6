"""The book a command works on: read from its folder, cut down to a pack, its formats'
settings checked. Build, check and preview all start here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics
from ..core.limits import Limits
from ..core.progress import Progress, Silent
from ..formats import registry
from ..formats.base import SettingsError
from ..model import Book
from .packs import select_lessons


def load_book(
    folder: str | Path,
    diagnostics: Diagnostics | None = None,
    check: bool = True,
    limits: Limits | None = None,
) -> Book:
    """Read and check a book folder (see :func:`coursebook.source.loader.load`), the output
    formats' own keys of book.yaml kept for them. This is ``coursebook.load``."""
    # The reader (YAML, images, BibTeX, CSL-JSON) is imported once a book is read: a build
    # with nothing to do finds so without reading the book.
    from ..source.loader import load

    return load(folder, diagnostics, check, limits, registry.settings_keys())


def the_book(
    book: Book | str | Path,
    lessons: str | None,
    limits: Limits,
    diagnostics: Diagnostics,
    progress: Progress | None = None,
) -> Book:
    """The book to work on: loaded from its folder (going on past errors, so that every
    problem is reported), or its problems taken when it is loaded already; cut down to the
    pack ``lessons`` names (a selection naming no lesson raises :class:`SelectionError`)."""
    progress = progress or Silent()
    if isinstance(book, Book):
        diagnostics.extend(p for p in book.problems if p not in diagnostics.items)
    else:
        progress.stage("reading the book")
        book = load_book(book, diagnostics, check=False, limits=limits)
        progress.finish()
    return select_lessons(book, lessons) if lessons else book


def format_settings(
    book: Book, overrides: Mapping[str, Mapping[str, Any]], diagnostics: Diagnostics
) -> dict[str, Any]:
    """Every format's settings, by its name: book.yaml's, checked by the format that owns
    them (each problem at its line, whichever formats are built: the book is wrong either
    way), then the caller's ``overrides`` (a wrong one raises :class:`SettingsError`)."""
    unknown = sorted(set(overrides) - set(registry.names()))
    if unknown:
        raise SettingsError(f"no output format '{unknown[0]}' to set options of")
    return {
        f.name: f.settings(
            book.format_settings.get(f.settings_key) if f.settings_key else None,
            overrides.get(f.name, {}),
            diagnostics,
        )
        for f in registry.FORMATS
    }
