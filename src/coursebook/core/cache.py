"""Work kept between builds: a folder of files named by the hash of what they were made from.

Safe to delete at any time (the next build does the work again). Entries are written
atomically, so concurrent builds never read half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .output import OWN_OUTPUT, write_atomically

CACHE_FOLDER = ".coursebook-cache"


def cache_key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        # surrogatepass: a path whose bytes are not UTF-8 holds lone surrogates in Python.
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def user_cache_folder() -> Path:
    """The user's folder for caches, where each system keeps it (written by hand: the rule
    is these three lines, not worth a dependency)."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_output(cls, out_dir: Path, book_root: Path | None = None) -> Cache:
        """The cache of the builds into ``out_dir``: a folder in it, but for the book's own
        ``dist`` folder (``coursebook build`` inside the book), whose cache lives in the
        user's cache folder. A book comes with its files, and may come with a ``dist`` and
        a cache in it made to be believed: formatted citations that aren't its sources',
        a record saying its shipped outputs are up to date."""
        if book_root is not None:
            out = out_dir.resolve()
            if out == book_root.resolve() / OWN_OUTPUT:
                key = hashlib.sha256(str(out).encode("utf-8", "surrogatepass")).hexdigest()
                return cls(user_cache_folder() / "coursebook" / key[:24])
        return cls(out_dir / CACHE_FOLDER)

    def get(self, kind: str, key: str) -> str | None:
        data = self.get_bytes(kind, key)
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def put(self, kind: str, key: str, text: str) -> None:
        self.put_bytes(kind, key, text.encode("utf-8"))

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        try:
            return (self.folder / f"{kind}-{key}").read_bytes()
        except OSError:
            return None

    def put_bytes(self, kind: str, key: str, data: bytes) -> None:
        def write(stream: BinaryIO) -> None:
            stream.write(data)

        with contextlib.suppress(OSError):  # a cache that can't be written only costs time
            write_atomically(self.folder / f"{kind}-{key}", write)

    def holds(self, kind: str) -> bool:
        """Whether any entry of ``kind`` is kept."""
        try:
            return next(self.folder.glob(f"{kind}-*"), None) is not None
        except OSError:
            return False

    def keep_only(self, kind: str, keys: Iterable[str]) -> None:
        """Remove the entries of ``kind`` but ``keys``: what only the last build can use
        (a part's PDF, by the number of its first page) doesn't pile up build after build."""
        kept = {f"{kind}-{key}" for key in keys}
        with contextlib.suppress(OSError):
            for entry in self.folder.glob(f"{kind}-*"):
                if entry.name not in kept:
                    with contextlib.suppress(OSError):
                        entry.unlink()


def file_bytes(paths: Iterable[Path]) -> bytes:
    return b"".join(path.read_bytes() for path in paths)
