"""Fewer garbage collections while WeasyPrint lays a book out.

Laying out a book allocates millions of small objects that live until the PDF is written.
Python's cyclic collector runs every 700 allocations and, now and then, walks every object
alive: on a 300-page book that made the layout a fifth slower, and each later layout slower
still. While laying out, the objects alive before are frozen (never walked) and collections
are rarer; memory stays bounded (cycles are still collected, in larger batches).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_THRESHOLDS = (50_000, 50, 100)


@contextmanager
def fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


@contextmanager
def no_collections() -> Iterator[None]:
    """No cyclic collections at all while reading a file into many small objects that all
    live on (a large sources file): collecting would only walk them, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def let_go() -> None:
    """Collect what is garbage now (a part's pages, once written) and give the memory back
    to the system. Python's allocator keeps what it freed for reuse, so after a large part
    a process stays that large through the rest of the build, beside the other processes
    laying out: after the sources appendix of a 160-lesson book the main process held
    491 MB, 358 MB with the memory given back. glibc's ``malloc_trim`` gives it back; other
    C libraries have no such call and are left as they are."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import os

    if os.name != "posix":  # no malloc_trim (and ctypes.CDLL(None) is an error on Windows)
        return None
    try:
        # The symbols the interpreter is linked with, the C library's among them: not
        # ctypes.util.find_library("c"), which runs ldconfig.
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


_TRIM = _malloc_trim()
