"""Writing outputs so that a failed build never destroys the last good one.

Each output is written to a temporary file in its own folder, flushed to disk, and renamed over
the old file in one step (``os.replace`` is atomic on POSIX and Windows). If anything fails
before the rename, the temporary file is removed and the previous output is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO


class OutputError(Exception):
    """An output that must not or could not be written; the message says why."""


def check_output_folder(out_dir: Path, book_root: Path) -> None:
    """Refuse an output folder inside the book (a build must never write among its sources)."""
    out = out_dir.resolve()
    root = book_root.resolve()
    if out == root or out.is_relative_to(root):
        raise OutputError(f"the output folder {out_dir} is inside the book folder; choose another")


def write_atomically(target: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` with a temporary file, then put that file in place of ``target``."""
    if target.is_symlink():
        raise OutputError(f"{target} is a symbolic link; refusing to write through it")
    if target.exists() and not target.is_file():
        raise OutputError(f"{target} exists and is not a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders can't be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def output_lock(out_dir: Path, name: str) -> Iterator[None]:
    """Builds of one output (``name``, the slug) into one folder take turns: the EPUB and the
    PDF found there afterwards come from the same build. Builds of other books into the same
    folder go on side by side. (A lock file held with ``flock``; released when the build
    ends, even by a crash.)"""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; each file is still replaced whole
        yield
        return
    lock_path = out_dir / LOCK_FOLDER / f"build-{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


LOCK_FOLDER = ".coursebook-cache"  # beside the cache: one hidden folder in all
