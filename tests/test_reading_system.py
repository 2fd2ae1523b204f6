"""A real reading system opens the EPUB: epub.js (from npm) in headless Chromium shows a lesson,
and a note call takes the reader to its note."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coursebook.pipeline.build import BuildResult

from .conftest import output

READER = Path(__file__).parent / "epubjs"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(sample_build: BuildResult, tmp_path: Path) -> Iterator[str]:
    """The reader page, epub.js and the sample EPUB on a loopback HTTP server."""
    if not (READER / "node_modules" / "epubjs").is_dir():
        pytest.fail("epub.js is missing: make test installs it (npm ci in tests/epubjs)")
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(READER / "reader.html", root)
    (root / "node_modules").symlink_to(READER / "node_modules")
    shutil.copy(output(sample_build, "epub"), root / "book.epub")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_epubjs_shows_a_lesson_and_follows_a_note_call(served: str) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is needed (make test installs Debian's chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 1000})
            lesson = "text/l16-the-nature-of-the-stalinist-state.xhtml"
            page.goto(f"{served}/reader.html?start={lesson}")
            page.wait_for_function(
                "window.state.ready || window.state.errors.length", timeout=30000
            )
            assert page.evaluate("window.state.errors") == []
            frame = page.frame_locator("#viewer iframe")
            assert frame.locator("h2.lesson-title").inner_text() == (
                "The nature of the Stalinist state"
            )
            call = frame.locator("a.noteref").first
            note = frame.locator(call.get_attribute("href") or "")
            assert not _visible(note.bounding_box())  # the note is further on
            call.click()
            page.wait_for_function(
                """([href]) => {
                    const doc = document.querySelector('#viewer iframe').contentDocument;
                    const r = doc.querySelector(href).getBoundingClientRect();
                    const f = document.querySelector('#viewer iframe').getBoundingClientRect();
                    const x = f.left + r.left;
                    return x >= 0 && x < 600;
                }""",
                arg=[call.get_attribute("href")],
                timeout=10000,
            )
            assert _visible(note.bounding_box())
            assert "Trotsky" in note.inner_text()
        finally:
            browser.close()


def _visible(box: dict[str, float] | None) -> bool:
    """Inside the 600 × 800 viewer the page shows."""
    return box is not None and 0 <= box["x"] < 600 and 0 <= box["y"] < 800
