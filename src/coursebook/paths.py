"""The one resolver for every reference a book makes.

Lesson files, images, links, the cover and the sources file all go through
:meth:`BookPaths.resolve`, so there is exactly one place that decides what a book may read:
files inside the book folder (or the extra roots a reader includes), reached without leaving
it through ``..``, an absolute path, a URL scheme, percent-escapes or a symlink.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote


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
        candidate = Path(os.path.normpath(base / PurePosixPath(text)))
        self._check_inside(candidate, reference)
        # Symlinks (the file or any folder on the way) must not lead out either.
        real = candidate.resolve()
        self._check_inside(real, reference)
        return candidate

    def contains(self, path: Path) -> bool:
        """True when ``path`` (resolved) lies inside one of the allowed folders."""
        real = path.resolve()
        return any(real == root or real.is_relative_to(root) for root in self.roots)

    def _check_inside(self, path: Path, reference: str) -> None:
        if not any(path == root or path.is_relative_to(root) for root in self.roots):
            raise RefusedPath(f"'{reference}' is outside the book folder")

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
