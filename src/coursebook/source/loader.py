"""Loading a book folder: book.yaml, the lessons it names, and the sources file.

:func:`load` checks everything against the schemas and reports all problems at once; it never
writes anything and reads nothing outside the book folder. The files book.yaml names are
read by :mod:`coursebook.source.book_reader`, each lesson file by
:mod:`coursebook.source.lesson_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..core.diagnostics import BookError, Diagnostics, Location
from ..core.limits import Limits
from ..core.output import OWN_OUTPUT
from ..core.paths import BookPaths, RefusedPath, read_text
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
        salvaged = _salvaged(root, manifest, text or "", diagnostics, limits)
        if salvaged is None or check:
            raise BookError(diagnostics)
        return replace(salvaged, problems=tuple(diagnostics.items[first:]))
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


_LESSON_PATH = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w.-]+\.(?:md|markdown))(?![\w/-])")
_SOURCES = re.compile(r"^sources:[ \t]*([\w./-]+\.(?:yaml|yml|json|bib))[ \t]*(?:#.*)?$", re.M)
_LANGUAGE = re.compile(r"^language:[ \t]*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)[ \t]*$", re.M)


def _book_file(root: Path, written: str) -> bool:
    """Whether a path written in a book.yaml that can't be parsed names a file of the book:
    refused (outside the book, a name longer than file systems take) or unreadable, it
    doesn't."""
    try:
        return BookPaths.for_folder(root).resolve(written, root).is_file()
    except (RefusedPath, OSError):
        return False


def _salvaged(
    root: Path, manifest: Path, text: str, diagnostics: Diagnostics, limits: Limits
) -> Book | None:
    """When book.yaml can't be parsed (a tab, a bracket left open), the rest of the book is
    still checked, so that one run reports every problem: the lessons book.yaml names (the
    ``.md`` paths in its text that are files of the book, in order), with the sources file
    and language its lines give, if they can be read. None when no lesson is found. Whether
    a source is cited isn't said: the list of lessons may be incomplete."""
    paths = []
    for match in _LESSON_PATH.finditer(text):
        written = match.group(1)
        if written in paths or written.split("/")[0] == OWN_OUTPUT:
            continue
        if _book_file(root, written):
            paths.append(written)
    if not paths:
        return None
    language = _LANGUAGE.search(text)
    sources = _SOURCES.search(text)
    lines = ['title: "(book.yaml could not be read)"', "chapters:"]
    lines += [f"  - {json.dumps(path)}" for path in paths]
    lines.append(f"language: {language.group(1) if language else 'en'}")
    if sources:
        lines.append(f"sources: {json.dumps(sources.group(1))}")
    scratch = Diagnostics()  # the stand-in's own problems are not the book's
    node = load_yaml("\n".join(lines), manifest, scratch)
    values = schema.BOOK.validate(node, scratch) if node is not None else None
    if node is None or values is None:  # pragma: no cover - the stand-in is well-formed
        return None
    book = _BookReader(root, manifest, values, diagnostics, limits).read(node.location, {})
    return replace(book, unread=(*book.unread, Location(manifest)), stand_in=True)


def _find_manifest(root: Path, diagnostics: Diagnostics) -> Path:
    if not root.is_dir():
        diagnostics.error(Location(root), "no such book folder", "no-book")
        raise BookError(diagnostics)
    for name in MANIFEST_NAMES:
        if (root / name).is_file():
            return root / name
    diagnostics.error(Location(root / "book.yaml"), "the book folder has no book.yaml", "no-book")
    raise BookError(diagnostics)
