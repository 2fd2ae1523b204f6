"""Builds that have nothing to do: the same sources and options give the same outputs.

A build's *fingerprint* hashes everything its outputs depend on: every file of the book
folder (its bytes, not its dates: a checkout or a ``touch`` changes nothing), the options,
``SOURCE_DATE_EPOCH``, and coursebook itself (its version and its own files, so a changed
stylesheet or template in a source checkout counts). After a build, the fingerprint and the
outputs' sizes and times are recorded in the cache folder; the next build with the same
fingerprint, whose outputs are still there as written, writes nothing and says so.
Images from ``--allow-remote`` hosts can change without the book changing, so such builds
always run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from ..core.cache import Cache
from ..core.diagnostics import Diagnostic
from ..core.output import OWN_OUTPUT, write_atomically
from ..core.resources import styles_dir
from ..core.version import __version__

_PACKAGE = Path(__file__).resolve().parent.parent  # all of coursebook/
_SKIPPED_FOLDERS = {".git", ".hg", ".svn", "__pycache__", ".coursebook-cache"}


@dataclass(frozen=True)
class Recorded:
    """What the last build with this fingerprint wrote."""

    outputs: tuple[tuple[str, str, int | None], ...]
    """(format, file name, pages) of each output."""
    notes: int
    sources: int
    problems: tuple[Diagnostic, ...]
    """Its warnings, shown again: skipping a build doesn't make them go away."""
    lessons: int = 0


def fingerprint(roots: Sequence[Path], formats: Sequence[str], options: Any) -> str:
    """What the outputs are made of: the files of the book's folders (its own, then those
    it includes), the options, and coursebook itself."""
    digest = hashlib.sha256()
    for part in (__version__, _own_files(), os.environ.get("SOURCE_DATE_EPOCH", "")):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(repr((sorted(formats), _options_text(options))).encode("utf-8"))
    for index, book_root in enumerate(roots):
        root = book_root.resolve()
        digest.update(f"\0root {index}\0".encode())
        for path in _book_files(book_root):
            digest.update(str(path.relative_to(book_root)).encode("utf-8", "surrogatepass") + b"\0")
            digest.update(_file_hash(path) if _readable_inside(path, root) else b"\0elsewhere")
    return digest.hexdigest()


def _readable_inside(path: Path, root: Path) -> bool:
    """Only regular files inside the book are read: a symbolic link to /dev/zero or out of
    the folder is the build's to refuse (with a message), never the fingerprint's to read."""
    try:
        target = path.resolve(strict=True)
        return target.is_relative_to(root) and stat.S_ISREG(target.stat().st_mode)
    except (OSError, RuntimeError):
        return False


def recorded(cache: Cache, slug: str, key: str, out_dir: Path) -> Recorded | None:
    """The record of the last build of ``slug`` if it had fingerprint ``key`` and its
    outputs are unchanged since; None when the build must run."""
    try:
        data = json.loads((cache.folder / f"built-{slug}.json").read_text(encoding="utf-8"))
        if data["fingerprint"] != key:
            return None
        for name, (size, mtime) in data["files"].items():
            stat = (out_dir / name).stat()
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
                return None
        return Recorded(
            tuple((fmt, name, pages) for fmt, name, pages in data["outputs"]),
            int(data["notes"]),
            int(data["sources"]),
            tuple(Diagnostic.from_data(p) for p in data["problems"]),
            int(data["lessons"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(
    cache: Cache,
    slug: str,
    key: str,
    outputs: Iterable[tuple[str, Path, int | None]],
    counts: tuple[int, int, int],
    problems: Iterable[Diagnostic],
) -> None:
    """Record a build: its fingerprint, outputs, (lessons, notes, sources) counts and
    warnings."""
    outputs = list(outputs)
    data = {
        "fingerprint": key,
        "outputs": [(fmt, path.name, pages) for fmt, path, pages in outputs],
        "files": {
            path.name: (path.stat().st_size, path.stat().st_mtime_ns) for _, path, _ in outputs
        },
        "lessons": counts[0],
        "notes": counts[1],
        "sources": counts[2],
        "problems": [p.as_data() for p in problems],
    }
    _write_record(cache.folder / f"built-{slug}.json", data)


def _write_record(path: Path, data: Any) -> None:
    def write(stream: BinaryIO) -> None:
        stream.write(json.dumps(data).encode("utf-8"))

    with contextlib.suppress(OSError):  # a record that can't be written only costs time
        write_atomically(path, write)


def _book_files(root: Path) -> list[Path]:
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED_FOLDERS)
        if Path(folder) == root and OWN_OUTPUT in subfolders:
            subfolders.remove(OWN_OUTPUT)  # the book's own outputs: not the book
        files += [Path(folder) / name for name in sorted(names)]
    return files


def _file_hash(path: Path) -> bytes:
    """The file's sha256; a file that is not (or is no longer) a regular file hashes as such.
    Opened without blocking and checked once open: a named pipe swapped in since the walk
    would otherwise wait for a writer forever."""
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return b"\0unreadable"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b"\0not a file"
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    except OSError:
        digest.update(b"\0unreadable")
    finally:
        os.close(fd)
    return digest.digest()


@cache
def _own_files() -> str:
    """coursebook's code, templates and stylesheets, for a checkout where they change
    without the version changing."""
    digest = hashlib.sha256()
    for base in (_PACKAGE, styles_dir()):
        for path in _book_files(base):
            if path.suffix in (".py", ".css", ".html", ".xhtml", ".xml", ".yaml", ".md"):
                digest.update(
                    str(path.relative_to(base)).encode("utf-8", "surrogatepass") + _file_hash(path)
                )
    return digest.hexdigest()


def _options_text(options: Any) -> str:
    limits = sorted(vars(options.limits).items())
    overrides = sorted(
        (name, sorted((k, repr(v)) for k, v in given.items()))
        for name, given in options.format_options.items()
    )
    return repr((overrides, options.lessons, limits))


# --- the book's name and folders, known before it is read --------------------------------


def remember_book(
    cache: Cache, folder: Path, lessons: str | None, slug: str, roots: Sequence[Path]
) -> None:
    """What reading the book in ``folder`` (cut to the pack ``lessons``) gave: the name of
    its outputs and its folders, for the next build to find its record without reading the
    book (:func:`known_book`)."""
    data = {"slug": slug, "roots": [str(root.resolve()) for root in roots]}
    _write_record(_book_record(cache, folder, lessons), data)


def known_book(cache: Cache, folder: Path, lessons: str | None) -> tuple[str, list[Path]] | None:
    """The slug and folders :func:`remember_book` kept for ``folder``. They can be trusted
    as long as the fingerprint of those folders is the one recorded with the outputs: the
    book's files are the same, so reading them would give the same name and folders."""
    try:
        data = json.loads(_book_record(cache, folder, lessons).read_text(encoding="utf-8"))
        return str(data["slug"]), [Path(root) for root in data["roots"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _book_record(cache: Cache, folder: Path, lessons: str | None) -> Path:
    where = f"{folder.resolve()}\0{lessons or ''}".encode("utf-8", "surrogatepass")
    return cache.folder / f"book-{hashlib.sha256(where).hexdigest()[:32]}.json"
