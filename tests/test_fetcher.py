"""What WeasyPrint may load: the book's own files and data: URLs, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebook.formats.pdf.fetcher import BookFetcher, RefusedResource


@pytest.fixture
def fetcher(tmp_path: Path) -> BookFetcher:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\nbytes")
    (tmp_path / "secret.txt").write_text("secret")
    return BookFetcher([tmp_path / "book"], max_bytes=100)


def test_files_inside_the_book_are_served(fetcher: BookFetcher, tmp_path: Path) -> None:
    response = fetcher.fetch((tmp_path / "book" / "pic.png").as_uri())
    assert response.read() == b"\x89PNG\r\n\x1a\nbytes"
    assert response.content_type == "image/png"


def test_data_urls_are_served(fetcher: BookFetcher) -> None:
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "file:///etc/passwd",
    ],
)
def test_everything_else_is_refused(fetcher: BookFetcher, url: str) -> None:
    with pytest.raises(RefusedResource):
        fetcher.fetch(url)
    assert fetcher.refused


def test_files_outside_and_symlinks_out_are_refused(fetcher: BookFetcher, tmp_path: Path) -> None:
    with pytest.raises(RefusedResource):
        fetcher.fetch((tmp_path / "book" / ".." / "secret.txt").as_uri())
    (tmp_path / "book" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(RefusedResource):
        fetcher.fetch((tmp_path / "book" / "link.txt").as_uri())


def test_size_limit(fetcher: BookFetcher, tmp_path: Path) -> None:
    (tmp_path / "book" / "big.png").write_bytes(b"x" * 101)
    with pytest.raises(RefusedResource, match="larger than"):
        fetcher.fetch((tmp_path / "book" / "big.png").as_uri())
