"""Images on the network, for the hosts the command line names (``--allow-remote HOST``).

By default a book reaches nothing on the network. A host named with ``--allow-remote`` may
serve a lesson's images over https: each is downloaded once (no redirects, a size limit, a
timeout, image types only), kept in the output's cache folder, and from then on treated like
a file of the book.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from ..core.output import write_atomically

_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
}
TIMEOUT = 20.0


class RemoteRefused(Exception):
    """An address that may not or could not be fetched; the message says why."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead anywhere (SECURITY-NOTES.md): it is an error, not followed."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class RemoteImages:
    hosts: frozenset[str]
    """Hosts that may serve images (lower case)."""
    folder: Path
    """Where downloaded images are kept."""
    max_bytes: int

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme == "https" and (parts.hostname or "").lower() in self.hosts

    def fetch(self, url: str) -> Path:
        """The downloaded image (from the cache when it was fetched before)."""
        if not self.allows(url):
            raise RemoteRefused("only https images from the hosts given to --allow-remote")
        name = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        for suffix in _TYPES.values():
            cached = self.folder / f"{name}{suffix}"
            if cached.is_file():
                return cached
        body, kind = self._download(url)
        path = self.folder / f"{name}{_TYPES[kind]}"

        def write(stream: BinaryIO) -> None:
            stream.write(body)

        write_atomically(path, write)
        return path

    def _download(self, url: str) -> tuple[bytes, str]:
        opener = urllib.request.build_opener(_NoRedirects())
        try:
            with opener.open(url, timeout=TIMEOUT) as response:
                if response.status != 200:
                    raise RemoteRefused(f"the server answered {response.status}")
                kind = response.headers.get_content_type()
                if kind not in _TYPES:
                    raise RemoteRefused(f"not an image ({kind})")
                body = response.read(self.max_bytes + 1)
        except urllib.error.HTTPError as error:
            raise RemoteRefused(f"the server answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise RemoteRefused(f"could not download it ({error})") from None
        if len(body) > self.max_bytes:
            raise RemoteRefused(f"larger than {self.max_bytes:,} bytes")
        return body, kind
