"""Loading a book folder: book.yaml, the lessons it names, and the sources file.

:func:`load` checks everything against the schemas and reports all problems at once; it never
writes anything and reads nothing outside the book folder. The files book.yaml names are
read by :mod:`coursebook.source.book_reader`, each lesson file by
:mod:`coursebook.source.lesson_file`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..core.diagnostics import BookError, Diagnostics, Location
from ..core.limits import Limits
from ..core.paths import read_text
from ..core.yamlio import load_yaml
from ..model import Book
from . import schema
from .book_reader import _BookReader
from .manifest import MANIFEST_NAMES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


def load(
    folder: str | Path,
    diagnostics: Diagnostics | None = None,
    check: bool = True,
    limits: Limits | None = None,
    format_keys: Mapping[str, str] | None = None,
) -> Book:
    """Read and check a book folder.

    Problems are collected in ``diagnostics`` (warnings stay there); if any is an error, raises
    :class:`BookError` holding them all. With ``check=False`` a book with errors is still
    returned when it could be read at all, so later stages can report their problems too.
    ``format_keys`` are the keys of book.yaml the output formats own (name → what it holds,
    see :mod:`coursebook.formats.registry`): kept as written in :attr:`Book.format_settings`,
    for each format to check.
    """
    diagnostics = diagnostics if diagnostics is not None else Diagnostics()
    first = len(diagnostics)
    limits = limits or Limits()
    root = Path(folder).resolve()
    manifest = _find_manifest(root, diagnostics)
    text = read_text(manifest, (root,), diagnostics, limits.lesson_bytes, "lesson_bytes")
    node = load_yaml(text or "", manifest, diagnostics)
    if node is None:
        if not diagnostics.errors:
            diagnostics.error(Location(manifest, 1), "book.yaml is empty", "schema-missing")
        raise BookError(diagnostics)
    values = schema.BOOK.with_keys_as_written(format_keys or {}).validate(node, diagnostics)
    if values is None:
        raise BookError(diagnostics)
    owned = {key: values.pop(key) for key in format_keys or {} if key in values}
    # Even when a required key is wrong, the lessons and sources are read, so that every
    # problem of the book is reported in this one run.
    settings = {key: value.location for key, value in node.value.items()}
    book = _BookReader(root, manifest, values, diagnostics, limits).read(node.location, settings)
    book = replace(book, format_settings=owned)
    if check:
        diagnostics.check()
    return replace(book, problems=tuple(diagnostics.items[first:]))


def _find_manifest(root: Path, diagnostics: Diagnostics) -> Path:
    if not root.is_dir():
        diagnostics.error(Location(root), "no such book folder", "no-book")
        raise BookError(diagnostics)
    for name in MANIFEST_NAMES:
        if (root / name).is_file():
            return root / name
    diagnostics.error(Location(root / "book.yaml"), "the book folder has no book.yaml", "no-book")
    raise BookError(diagnostics)
