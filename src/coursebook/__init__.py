"""coursebook: turn a course (Markdown lessons with citations) into an EPUB and a PDF."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
