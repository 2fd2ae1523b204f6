"""The one resolver for every reference a book makes, and the one way its files are read.

Lesson files, images, links, the cover and the sources file all go through
:meth:`BookPaths.resolve`, so there is exactly one place that decides what a book may name:
files inside the book folder (or the extra roots a reader includes), reached without leaving
it through ``..``, an absolute path, a URL scheme, percent-escapes or a symlink.

Every file of a book is then *read* through :func:`read_inside`, named or found by default
(book.yaml, sources.yaml, glossary.yaml, about.md), at build time or by the preview: it opens
the file first and then checks the file it opened (a regular file, inside the allowed folders
once every link is followed, within its size limit). A check made before opening would leave
a window in which a file could be swapped for a symbolic link pointing out of the book.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from .diagnostics import Diagnostics, Location
from .limits import raise_hint
from .output import OWN_OUTPUT


class RefusedPath(Exception):
    """A reference that must not be followed; the message says why, for the author."""


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class BookPaths:
    """The folders a book may read from."""

    root: Path
    """The book folder (resolved)."""
    extra_roots: tuple[Path, ...] = ()

    @classmethod
    def for_folder(cls, folder: Path) -> BookPaths:
        return cls(folder.resolve())

    @property
    def roots(self) -> tuple[Path, ...]:
        return (self.root, *self.extra_roots)

    def resolve(self, reference: str, base: Path) -> Path:
        """The file a reference names, relative to the folder ``base`` of the file containing it.

        Raises :class:`RefusedPath` for anything that is not a plain relative path staying inside
        the allowed folders. Does not require the file to exist (callers say "not found").
        """
        text = unquote(reference.split("#", 1)[0].split("?", 1)[0]).strip()
        if not text:
            raise RefusedPath("empty path")
        if "\0" in text:
            raise RefusedPath("a path must not contain NUL characters")
        if _WINDOWS_DRIVE.match(text) or text.startswith(("/", "\\")):
            raise RefusedPath(
                f"'{reference}' is outside the book folder (an absolute path; paths are "
                "relative to the file that names them)"
            )
        if _SCHEME.match(text):
            raise RefusedPath(
                f"'{reference}' is outside the book folder (a URL; only files inside it are read)"
            )
        if "\\" in text:
            raise RefusedPath(f"'{reference}' uses backslashes; write paths with /")
        if any(len(os.fsencode(part)) > 255 for part in text.split("/")) or len(text) > 4000:
            raise RefusedPath(f"'{reference[:80]}…' is a longer name than file systems take")
        candidate = Path(os.path.normpath(base / PurePosixPath(text)))
        self._check_inside(candidate, reference)
        # Symlinks (the file or any folder on the way) must not lead out either.
        real = candidate.resolve()
        self._check_inside(real, reference)
        return candidate

    def read(self, path: Path, max_bytes: int) -> bytes:
        """The bytes of a file of the book, checked once opened (see :func:`read_inside`)."""
        return read_inside(path, self.roots, max_bytes)

    def contains(self, path: Path) -> bool:
        """True when ``path`` (resolved) lies inside one of the allowed folders."""
        real = path.resolve()
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def _check_inside(self, path: Path, reference: str) -> None:
        if not any(path == root or path.is_relative_to(root) for root in self.roots):
            raise RefusedPath(f"'{reference}' is outside the book folder")
        for root in self.roots:
            output = root / OWN_OUTPUT
            if path == output or path.is_relative_to(output):
                raise RefusedPath(
                    f"'{reference}' is in the book's output folder ({OWN_OUTPUT}/), which is "
                    "never read as part of the book"
                )

    def relative(self, path: Path) -> PurePosixPath:
        """``path`` relative to the root that holds it, with / separators (for archive names).
        A file of an included course is under ``courses/<its folder>/``, so that two
        courses' ``images/map.png`` stay two files."""
        if path == self.root or path.is_relative_to(self.root):
            return PurePosixPath(path.relative_to(self.root).as_posix())
        for root in self.extra_roots:
            if path == root or path.is_relative_to(root):
                return PurePosixPath("courses", root.name, path.relative_to(root).as_posix())
        raise RefusedPath(f"'{path}' is outside the book folder")


class FileTooLarge(Exception):
    """A file past its size limit (the caller names the limit)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes, more than the limit of {limit:,}")
        self.size = size
        self.limit = limit


# O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever;
# O_NOCTTY: a terminal device must never become our controlling terminal. Both are no-ops
# for the regular files that pass the check.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_inside(path: Path, roots: Sequence[Path], max_bytes: int) -> bytes:
    """The bytes of the book's file ``path``, read only if the file opened is a regular file
    inside one of ``roots`` (resolved folders) and at most ``max_bytes`` long.

    Raises :class:`RefusedPath` (a link out of the book, a device, a pipe, a folder),
    :class:`FileTooLarge`, or :class:`OSError` (not found, unreadable).
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise RefusedPath(f"'{path.name}' is not a regular file (a folder, device or pipe)")
        real = _opened_path(fd, path, opened)
        if real is None or not any(real == root or real.is_relative_to(root) for root in roots):
            raise RefusedPath(
                f"'{path.name}' is a symbolic link that leads outside the book folder"
            )
        if opened.st_size > max_bytes:
            raise FileTooLarge(opened.st_size, max_bytes)
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # it grew while we read it
                raise FileTooLarge(size, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _opened_path(fd: int, path: Path, opened: os.stat_result) -> Path | None:
    """Where the open file ``fd`` really is, every link followed; None when that can't be
    told for sure."""
    proc = f"/proc/self/fd/{fd}"
    if os.path.islink(proc):  # Linux
        return Path(os.readlink(proc))
    try:
        import fcntl

        if hasattr(fcntl, "F_GETPATH"):  # macOS
            raw = fcntl.fcntl(fd, fcntl.F_GETPATH, b"\0" * 1024)
            return Path(os.fsdecode(raw.rstrip(b"\0")))
    except (ImportError, OSError):
        pass
    # Elsewhere: the file at the path's resolved place must be the very file opened.
    try:
        real = path.resolve(strict=True)
        now = os.stat(real)
    except (OSError, RuntimeError):
        return None
    return real if (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino) else None


def read_text(
    path: Path, roots: Sequence[Path], diagnostics: Diagnostics, limit: int, limit_name: str
) -> str | None:
    """A text file of the book, read through the one confined opener (see
    :func:`coursebook.paths.read_inside`); None, with the problem reported, when it can't be."""
    data = read_file(path, roots, diagnostics, limit, limit_name)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        diagnostics.error(
            Location(path, line, column),
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
            "encoding",
        )
        return None
    return text.removeprefix("\ufeff")


def read_file(
    path: Path, roots: Sequence[Path], diagnostics: Diagnostics, limit: int, limit_name: str
) -> bytes | None:
    """A file of the book as bytes; None, with the problem reported, when it can't be read."""
    try:
        return read_inside(path, roots, limit)
    except RefusedPath as refused:
        diagnostics.error(Location(path), str(refused), "path-outside")
    except FileTooLarge as large:
        diagnostics.error(
            Location(path), f"the file is {large} ({raise_hint(limit_name)})", "limit"
        )
    except OSError as error:
        diagnostics.error(Location(path), f"cannot read: {error.strerror}", "unreadable")
    return None
