"""What WeasyPrint may load while it lays out a book: files inside the allowed folders and
``data:`` URLs, nothing else.

WeasyPrint's default fetcher follows ``file:``, ``http(s)``, ``ftp`` and redirects, and embeds
any readable file as an attachment (SECURITY-NOTES.md). The book's references were already
checked by the resolver when the lessons were parsed; this fetcher is the second lock, for
anything that reaches WeasyPrint some other way.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

MAX_RESOURCE_BYTES = 50 * 1024 * 1024


class RefusedResource(FatalURLFetchingError):  # type: ignore[misc]
    """A resource outside what a book may load (stops the layout)."""


class BookFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
    """Serves files under ``roots`` and ``data:`` URLs; refuses and records everything else."""

    def __init__(self, roots: Sequence[Path], max_bytes: int = MAX_RESOURCE_BYTES) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.max_bytes = max_bytes
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            return self._refuse(url, "only files inside the book folder are loaded")
        path = Path(url2pathname(urlsplit(url).path)).resolve()
        if not any(path == root or path.is_relative_to(root) for root in self.roots):
            return self._refuse(url, "outside the book folder")
        if not path.is_file():
            return self._refuse(url, "not found")
        with path.open("rb") as stream:
            body = stream.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            return self._refuse(url, f"larger than {self.max_bytes // (1024 * 1024)} MB")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": media_type})

    def _refuse(self, url: str, why: str) -> URLFetcherResponse:
        self.refused.append(f"{url}: {why}")
        raise RefusedResource(f"refused to load {url}: {why}")
