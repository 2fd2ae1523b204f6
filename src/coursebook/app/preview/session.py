"""A preview session: the server started, the book built, and built again at each change of
its files, until Ctrl-C (or ``kill``)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

import watchfiles

from ...core.cache import CACHE_FOLDER, Cache
from ...core.diagnostics import BookError, Diagnostics, printable
from ...pipeline.build import BuildOptions
from ...pipeline.loading import load_book
from .building import Builder, report
from .server import HOST, PreviewState, listen

EXIT_OK, EXIT_USAGE = 0, 2


def serve(
    book_dir: Path,
    options: BuildOptions,
    port: int = 8000,
    open_browser: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Serve the book in ``book_dir`` on http://127.0.0.1:``port``/ (``0``: any free port),
    rebuilding it and reloading open pages whenever one of its files changes.

    Runs until Ctrl-C (``KeyboardInterrupt``) and then returns 0; returns 2 at once when the
    port cannot be had. Status lines go to ``out``, the book's problems to ``err``.
    """
    if not book_dir.is_dir():
        print(f"coursebook: {printable(str(book_dir))} is not a folder", file=err, flush=True)
        return EXIT_USAGE
    state = PreviewState()
    server = listen(port, state, err)
    if server is None:
        return EXIT_USAGE
    url = f"http://{HOST}:{server.server_address[1]}/"
    scratch = tempfile.TemporaryDirectory(prefix="coursebook-preview-")  # remote images
    with scratch, _terminate_as_interrupt():
        builder = Builder(book_dir, options, Cache(Path(scratch.name)), state)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="preview-http"
        )
        thread.daemon = True
        thread.start()
        try:
            print(f"serving the preview at {url} (Ctrl-C to stop)", file=out, flush=True)
            if open_browser:
                webbrowser.open(url)
            _rebuild_on_change(builder, book_dir, out, err)
        except KeyboardInterrupt:
            pass
        finally:
            state.close()  # event streams end, pages waiting for a first build give up
            server.shutdown()
            server.server_close()
    return EXIT_OK


def _rebuild_on_change(builder: Builder, book_dir: Path, out: TextIO, err: TextIO) -> None:
    """Build now, and again after every change to the book's files, until Ctrl-C.

    A change made after a build began and before the watcher runs would be missed (a save
    right after the first build, under load): the files as they were when the build began
    are compared with the files once the watcher runs (its first quiet second)."""
    folders = watched_folders(book_dir)
    as_built: dict[str, tuple[int, int]] | None = book_files(folders)
    report(builder.rebuild(), "built", out, err)
    while True:
        for changes in watch_book(*folders):
            if not changes and (as_built is None or book_files(folders) == as_built):
                as_built = None  # a quiet second, and nothing was missed
                continue
            as_built = None
            report(builder.rebuild(), "rebuilt", out, err)
            if watched_folders(book_dir) != folders:
                # book.yaml's include: changed: watch the folders it names now
                folders = watched_folders(book_dir)
                as_built = book_files(folders)
                break
        else:
            return


def book_files(folders: tuple[Path, ...]) -> dict[str, tuple[int, int]]:
    """Each file of the book's folders that the watcher would see change, with its size
    and time of change."""
    seen = BookFilter()
    files: dict[str, tuple[int, int]] = {}
    for folder in folders:
        for parent, subfolders, names in os.walk(folder):
            subfolders[:] = [d for d in subfolders if d not in seen.ignore_dirs]
            for name in names:
                path = os.path.join(parent, name)
                if seen(watchfiles.Change.modified, path):
                    with contextlib.suppress(OSError):
                        info = os.stat(path)
                        files[path] = (info.st_size, info.st_mtime_ns)
    return files


def watched_folders(book_dir: Path) -> tuple[Path, ...]:
    """The book's folder and the course folders it includes (as far as it can be read)."""
    try:
        return load_book(book_dir, Diagnostics(), check=False).roots
    except BookError:
        return (book_dir.resolve(),)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """``kill`` (SIGTERM) stops the preview as Ctrl-C does, so that it cleans up after itself.
    (Only the main thread may set a signal handler; elsewhere, nothing changes.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- watching ---------------------------------------------------------------------------------


class BookFilter(watchfiles.DefaultFilter):
    """Changes that can change the book: not version control, editors' swap and backup files
    (``*.swp``, ``*~``, ``.#*``, which the default filter already ignores), nor a build's cache
    when an output folder sits inside the book folder."""

    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, CACHE_FOLDER)


def watch_book(*folders: Path) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """Each batch of changes in the book's folders, once it has been quiet for 100 ms (an
    editor's save is often several writes), and an empty batch after each quiet second.
    Raises ``KeyboardInterrupt`` on Ctrl-C."""

    def watching(polling: bool | None) -> Iterator[set[tuple[watchfiles.Change, str]]]:
        return watchfiles.watch(
            *folders,
            watch_filter=BookFilter(),
            step=100,
            raise_interrupt=True,
            rust_timeout=1000,
            yield_on_timeout=True,
            force_polling=polling,
        )

    try:
        yield from watching(None)
    except OSError:  # no inotify watches left on this machine ("OS file watch limit reached")
        yield from watching(True)
