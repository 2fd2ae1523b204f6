"""Writing outputs so that a failed build never destroys the last good one, and the EPUB and
the PDF found together always come from the same build.

Each output is written to a temporary file in its own folder, flushed to disk, and renamed over
the old file in one step (``os.replace`` is atomic on POSIX and Windows). If anything fails
before the rename, the temporary file is removed and the previous output is untouched.

The outputs of one build are an :class:`OutputSet`: every file is written to its temporary
file first (a full disk, an error or Ctrl-C there leaves all the old files), and only then are
they renamed, one after the other, with Ctrl-C held back for those few microseconds. A journal
written before the first rename names them all, so that if the process is killed between two
renames (SIGKILL, a power cut) the next build into that folder finishes the renames before it
does anything else: both files are replaced, or neither.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO


class OutputError(Exception):
    """An output that must not or could not be written; the message says why."""


OWN_OUTPUT = "dist"
"""The book's own output folder, inside it (``coursebook build .`` writes there): the one
folder inside a book a build may write to, and never read as part of the book."""


def check_output_folder(out_dir: Path, book_root: Path) -> None:
    """Refuse an output folder inside the book (a build must never write among its
    sources), but for the book's own ``dist`` folder itself (not a link to elsewhere)."""
    out = out_dir.resolve()
    root = book_root.resolve()
    if out == root / OWN_OUTPUT and not (root / OWN_OUTPUT).is_symlink():
        return
    if out == root or out.is_relative_to(root):
        raise OutputError(
            f"the output folder {out_dir} is inside the book folder; choose another (or the "
            f"book's own {OWN_OUTPUT}/ folder, never read as part of the book)"
        )


def write_atomically(target: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` with a temporary file, then put that file in place of ``target``."""
    temporary = _write_temporary(target, write)
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)


def _write_temporary(target: Path, write: Callable[[BinaryIO], None]) -> Path:
    """``write`` into a new temporary file beside ``target``, flushed to disk."""
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
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return Path(temporary)


class OutputSet:
    """The files one build writes into ``out_dir``: staged, then put in place together.

    Use it inside :func:`output_lock` for the same ``slug``, which also finishes or clears
    what a killed build left (:func:`recover`)."""

    def __init__(self, out_dir: Path, slug: str) -> None:
        self.out_dir = out_dir
        self.journal = out_dir / LOCK_FOLDER / f"commit-{slug}.json"
        self.staged: list[tuple[Path, Path]] = []
        self.written: list[Path] = []
        """The files put in place so far (all of them once :meth:`commit` returns)."""

    def stage(self, target: Path, write: Callable[[BinaryIO], None]) -> Path:
        """Write ``target``'s new content to a temporary file; returns that file (a later
        output may read it, as the booklet reads the PDF)."""
        temporary = _write_temporary(target, write)
        self.staged.append((temporary, target))
        return temporary

    def commit(self) -> None:
        """Put every staged file in place. Raises :class:`OutputError` naming what was and
        wasn't replaced if a rename fails (which a full disk can't cause: renames take
        no space)."""
        if not self.staged:
            return
        names = [(temporary.name, target.name) for temporary, target in self.staged]
        _write_journal(self.journal, names)
        with _signals_held():
            for temporary, target in self.staged:
                try:
                    os.replace(temporary, target)
                except OSError as error:
                    raise OutputError(self._partly(target, error)) from None
                self.written.append(target)
            self.staged = []
            _sync_folder(self.out_dir)
            with contextlib.suppress(OSError):
                self.journal.unlink()

    def discard(self) -> None:
        """Remove the staged files (the build failed: the old outputs stay)."""
        for temporary, _ in self.staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
        self.staged = []

    def _partly(self, target: Path, error: OSError) -> str:
        done = ", ".join(path.name for path in self.written) or "nothing"
        return (
            f"could not put {target.name} in place ({error.strerror}); replaced: {done}; "
            "the next build into this folder finishes the rest"
        )


@contextlib.contextmanager
def staged_outputs(out_dir: Path, slug: str) -> Iterator[OutputSet]:
    """An :class:`OutputSet` whose staged files are removed if the block fails."""
    outputs = OutputSet(out_dir, slug)
    try:
        yield outputs
    finally:
        outputs.discard()


def recover_early(out_dir: Path, slug: str, names: tuple[str, ...]) -> None:
    """:func:`recover`, taking the lock, if a killed build of ``slug`` left anything: done
    before anything else, so that even a build that then fails leaves a matching pair."""
    journal = out_dir / LOCK_FOLDER / f"commit-{slug}.json"
    stale = any(next(out_dir.glob(f".{_glob_escape(n)}.*.tmp"), None) for n in names)
    if journal.exists() or stale:
        with output_lock(out_dir, slug):
            recover(out_dir, slug, names)


def recover(out_dir: Path, slug: str, names: tuple[str, ...]) -> None:
    """Finish the renames of a build of ``slug`` killed while putting its outputs in place,
    then remove the temporary files killed builds left for the outputs ``names``. (Call
    it holding the slug's :func:`output_lock`: no other build of it is writing now.)"""
    journal = out_dir / LOCK_FOLDER / f"commit-{slug}.json"
    try:
        pairs = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pairs = []
    for pair in pairs if isinstance(pairs, list) else []:
        temporary, target = _journal_pair(out_dir, pair)
        if temporary is not None and target is not None and temporary.is_file():
            with contextlib.suppress(OSError):
                os.replace(temporary, target)
    with contextlib.suppress(OSError):
        journal.unlink()
    for name in names:
        for stale in out_dir.glob(f".{_glob_escape(name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _journal_pair(out_dir: Path, pair: Any) -> tuple[Path | None, Path | None]:
    """A (temporary, target) pair of the journal, both plain names in ``out_dir``."""
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
        return None, None
    if any("/" in p or "\\" in p or p in ("", ".", "..") for p in pair):
        return None, None
    return out_dir / pair[0], out_dir / pair[1]


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _write_journal(journal: Path, names: list[tuple[str, str]]) -> None:
    data = json.dumps([list(pair) for pair in names]).encode("utf-8")

    def write(stream: BinaryIO) -> None:
        stream.write(data)

    write_atomically(journal, write)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) held back until the block is done, in the main thread (the
    only one Python delivers signals to); elsewhere the journal is what protects."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    previous: dict[int, Any] = {
        sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in held:
            signal.raise_signal(sig)


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
