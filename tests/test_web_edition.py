"""The web edition (``-f html``) in a real browser: headless Chromium, with the network off,
opens the one file; everything it shows comes from inside it, every link within the book
resolves, notes open where they are called and return there (and, without scripts, are plain
links there and back), and axe-core finds no accessibility violation."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coursebook.core.diagnostics import Diagnostics
from coursebook.pipeline.build import build

from .conftest import ROOT, SAMPLE_BOOK, output
from .test_reading_system import CHROMIUM_FLAGS

FEATURES = ROOT / "tests" / "books" / "features"
AXE = ROOT / "tests" / "epubjs" / "node_modules" / "axe-core" / "axe.min.js"
BOOKS = {"sample": SAMPLE_BOOK, "features": FEATURES}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The web edition of the sample book and of the features book, built as a user would."""
    out = tmp_path_factory.mktemp("web")
    return {
        name: output(build(folder, ("html",), out, diagnostics=Diagnostics()), "html")
        for name, folder in BOOKS.items()
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is needed (make test installs Debian's chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Opened:
    """A page opened offline, with every request and console message it made."""

    def __init__(self, browser: Any, path: Path, scripts: bool = True, **options: Any) -> None:
        self.context = browser.new_context(
            offline=True, java_script_enabled=scripts, viewport={"width": 420, "height": 800}
        )
        self.requests: list[str] = []
        self.console: list[str] = []
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.goto(path.as_uri())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser: Any) -> Iterator[Any]:
    pages: list[Opened] = []

    def open_page(path: Path, scripts: bool = True) -> Opened:
        pages.append(Opened(browser, path, scripts))
        return pages[-1]

    yield open_page
    for page in pages:
        page.close()


@pytest.mark.parametrize("book", BOOKS)
def test_the_file_needs_nothing_beside_it(book: str, pages: dict[str, Path], opened: Any) -> None:
    path = pages[book]
    page = opened(path)
    assert page.requests == [path.as_uri()]  # no stylesheet, script, image or font fetched
    assert page.console == []  # no policy violation, no script error
    images = page.page.evaluate(
        "[...document.images].map(i => [i.src.slice(0, 5), i.complete && i.naturalWidth > 0])"
    )
    assert images == [["data:", True]] * len(images)
    if book == "features":
        assert images  # the features book has a chart: it is shown from inside the file
    # The page's own stylesheet applies (the policy lets it, by its hash).
    assert page.page.evaluate("getComputedStyle(document.body).maxWidth") != "none"


@pytest.mark.parametrize("book", BOOKS)
def test_every_link_within_the_book_resolves(
    book: str, pages: dict[str, Path], opened: Any
) -> None:
    page = opened(pages[book])
    links = page.page.evaluate(
        """[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"""
    )
    inside = [href for href in links if href.startswith("#")]
    assert len(inside) > 20  # contents, note calls, back-links, sources and their uses
    missing = page.page.evaluate(
        "hrefs => hrefs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))",
        inside,
    )
    assert missing == []
    outside = [href for href in links if not href.startswith("#")]
    assert all(re.match(r"(https?|mailto):", href) for href in outside), outside


@pytest.mark.parametrize("book", BOOKS)
def test_notes_open_where_they_are_called_and_return(
    book: str, pages: dict[str, Path], opened: Any
) -> None:
    page = opened(pages[book]).page
    popup = page.locator("#note-popup")
    calls = page.locator('a[role="doc-noteref"]')
    assert calls.count() >= 5
    for index in (0, calls.count() - 1):
        call = calls.nth(index)
        note_id = (call.get_attribute("href") or "").removeprefix("#")
        note_text = page.evaluate(
            """id => { const n = document.getElementById(id).cloneNode(true);
                       n.querySelectorAll('.note-backlink').forEach(b => b.remove());
                       return n.textContent.replace(/\\s+/g, ' ').trim(); }""",
            note_id,
        )
        call.click()
        assert popup.is_visible()
        assert " ".join(popup.locator(".note-popup-text").inner_text().split()) == note_text
        assert popup.locator(".note-popup-title").inner_text().endswith(call.inner_text())
        assert page.evaluate("location.hash") == ""  # the page stayed where it was
        page.keyboard.press("Escape")
        assert not popup.is_visible()
        assert page.evaluate("document.activeElement.id") == call.get_attribute("id")
    # The close button and a click outside the note close it too.
    calls.first.click()
    popup.locator(".note-popup-close").click()
    assert not popup.is_visible()
    calls.first.click()
    page.mouse.click(5, 5)
    assert not popup.is_visible()


def test_without_scripts_notes_are_links_there_and_back(
    pages: dict[str, Path], opened: Any
) -> None:
    page = opened(pages["sample"], scripts=False).page
    call = page.locator('a[role="doc-noteref"]').first
    note_id = (call.get_attribute("href") or "").removeprefix("#")
    call.click()
    assert page.evaluate("location.hash") == f"#{note_id}"
    assert page.locator(f"#{note_id}").is_visible()
    assert not page.locator("#note-popup").is_visible()
    page.locator(f"#{note_id} a.note-backlink").click()
    assert page.evaluate("location.hash") == f"#{call.get_attribute('id')}"


@pytest.mark.parametrize("book", BOOKS)
def test_axe_finds_no_violations(book: str, pages: dict[str, Path], browser: Any) -> None:
    assert AXE.is_file(), "axe-core is missing: make test installs it (npm ci in tests/epubjs)"
    # axe is added to the page by the test: the page's own policy would refuse it.
    context = browser.new_context(offline=True, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(pages[book].as_uri())
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("axe.run(document)")
        violations = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['html'][:120]})"
            for v in results["violations"]
        ]
        assert violations == []
        assert len(results["passes"]) > 20  # axe did look
        # The same with a note open: the dialog is checked too.
        page.locator('a[role="doc-noteref"]').first.click()
        results = page.evaluate("axe.run(document.getElementById('note-popup'))")
        assert [v["id"] for v in results["violations"]] == []
    finally:
        context.close()
