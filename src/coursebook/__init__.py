"""coursebook: turn a course (Markdown lessons with citations) into an EPUB and a PDF.

The Python API, for a portal that builds books from its own code::

    import coursebook
    from coursebook.build import BuildOptions, build

    book = coursebook.load("book")            # BookError if the book has errors
    for problem in book.check():              # every problem, as `coursebook check` finds
        print(problem)
    result = build(book, ("epub", "pdf"), "dist", BuildOptions())

(``build`` is not ``coursebook.build``: that name is the module it lives in.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Book",
    "BookError",
    "BuildOptions",
    "BuildResult",
    "Diagnostic",
    "Diagnostics",
    "Limits",
    "__version__",
    "load",
]

if TYPE_CHECKING:
    from .core.diagnostics import BookError, Diagnostic, Diagnostics
    from .core.limits import Limits
    from .model import Book
    from .pipeline.build import BuildOptions, BuildResult
    from .source.loader import load

# Imported on first use, so that `coursebook --version` and `--help` don't load WeasyPrint.
_HOMES = {
    "Book": "model",
    "BookError": "core.diagnostics",
    "BuildOptions": "pipeline.build",
    "BuildResult": "pipeline.build",
    "Diagnostic": "core.diagnostics",
    "Diagnostics": "core.diagnostics",
    "Limits": "core.limits",
    "load": "source.loader",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'coursebook' has no attribute '{name}'")
    from importlib import import_module

    return getattr(import_module(f".{_HOMES[name]}", __name__), name)
