"""What WeasyPrint may load while it lays out a book: the book's checked images, files of
the allowed folders (coursebook's own stylesheets) and ``data:`` URLs, nothing else.

WeasyPrint's default fetcher follows ``file:``, ``http(s)``, ``ftp`` and redirects, and embeds
any readable file as an attachment (SECURITY-NOTES.md). The book's references were already
checked by the resolver when the lessons were parsed; this fetcher is the second lock, for
anything that reaches WeasyPrint some other way. A book's image is served as the checks
left it (:func:`coursebook.images.image_data`: read again inside the book, a cleaned SVG,
refused if the file changed since); anything else is read through the confined opener.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

from ...core.paths import FileTooLarge, RefusedPath, read_inside
from ...model import CheckedImage
from ...source.images import ImageProblem, image_data

MAX_RESOURCE_BYTES = 50 * 1024 * 1024


class RefusedResource(FatalURLFetchingError):  # type: ignore[misc]
    """A resource outside what a book may load (stops the layout)."""


class BookFetcher(weasyprint.URLFetcher):  # type: ignore[misc]
    """Serves files under ``roots`` and ``data:`` URLs; refuses and records everything else."""

    def __init__(
        self,
        roots: Sequence[Path],
        max_bytes: int = MAX_RESOURCE_BYTES,
        images: Sequence[CheckedImage] = (),
    ) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.max_bytes = max_bytes
        self.images = {image.path.resolve(): image for image in images}
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            return self._refuse(url, "only files inside the book folder are loaded")
        path = Path(url2pathname(urlsplit(url).path))
        image = self.images.get(path.resolve())
        if image is not None:
            try:
                body, media_type = image_data(image), image.media_type
            except ImageProblem as problem:
                return self._refuse(url, str(problem))
        else:
            body = self._read(url, path)
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": media_type})

    def _read(self, url: str, path: Path) -> bytes:
        try:
            return read_inside(path, self.roots, self.max_bytes)
        except RefusedPath:
            self._refuse(url, "outside the book folder")
        except FileTooLarge:
            self._refuse(url, f"larger than {self.max_bytes // (1024 * 1024)} MB")
        except OSError:
            self._refuse(url, "not found")

    def _refuse(self, url: str, why: str) -> NoReturn:
        self.refused.append(f"{url}: {why}")
        raise RefusedResource(f"refused to load {url}: {why}")
