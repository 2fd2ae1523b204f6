"""coursebook: turn a course (Markdown lessons with citations) into an EPUB and a PDF.

The Python API, for a portal that builds books from its own code::

    import coursebook

    book = coursebook.load("book")            # BookError if the book has errors
    for problem in coursebook.check(book):    # every problem, as `coursebook check` finds
        print(problem)
    result = coursebook.build(book, ("epub", "pdf"), "dist", coursebook.BuildOptions())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core.version import __version__

__all__ = [
    "Book",
    "BookError",
    "BuildOptions",
    "BuildResult",
    "Diagnostic",
    "Diagnostics",
    "Limits",
    "__version__",
    "build",
    "check",
    "load",
]

if TYPE_CHECKING:
    from .core.diagnostics import BookError, Diagnostic, Diagnostics
    from .core.limits import Limits
    from .model import Book
    from .pipeline.build import BuildOptions, BuildResult, build
    from .pipeline.checking import check_book as check
    from .pipeline.loading import load_book as load

# Imported on first use, so that `coursebook --version` and `--help` don't load WeasyPrint.
_HOMES = {
    "Book": ("model", "Book"),
    "BookError": ("core.diagnostics", "BookError"),
    "BuildOptions": ("pipeline.build", "BuildOptions"),
    "BuildResult": ("pipeline.build", "BuildResult"),
    "Diagnostic": ("core.diagnostics", "Diagnostic"),
    "Diagnostics": ("core.diagnostics", "Diagnostics"),
    "Limits": ("core.limits", "Limits"),
    "build": ("pipeline.build", "build"),
    "check": ("pipeline.checking", "check_book"),
    "load": ("pipeline.loading", "load_book"),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'coursebook' has no attribute '{name}'")
    from importlib import import_module

    module, attribute = _HOMES[name]
    return getattr(import_module(f".{module}", __name__), attribute)
