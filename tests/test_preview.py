"""``coursebook preview`` as an author uses it: the real command in a subprocess, the page in
headless Chromium (Debian's, driven by Playwright), files edited while it is open."""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from benchmarks.hostile_cases import png
from playwright.sync_api import expect

import coursebook

from .conftest import SAMPLE_BOOK
from .test_reading_system import CHROMIUM_FLAGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

    from coursebook.app.preview.server import PreviewServer, PreviewState

LESSON = """\
---
title: Commodities
number: 1
---

The wealth of societies appears as an immense collection of commodities [@marx1867, 125].

A second paragraph stays as it is.
"""

SOURCE = Path(coursebook.__file__).resolve().parent.parent
"""Where the tests import coursebook from. The preview runs that same code: a relative
PYTHONPATH (``PYTHONPATH=src`` in a worktree) means another folder to a process started in the
book's parent, and could find another checkout's coursebook."""

URL_LINE = re.compile(r"^serving the preview at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C to stop\)$")


@dataclass
class Preview:
    """A running ``coursebook preview``, its output going to files the test can read at any
    time (pipes nobody reads could fill up and stall it)."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8")

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8")


def start_preview(
    book: Path, logs: Path, port: int = 0, options: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "coursebook", "preview", str(book), "--port", str(port)]
    path = os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
    with (logs / "out.txt").open("wb") as out, (logs / "err.txt").open("wb") as err:
        return subprocess.Popen(
            [*command, *options],
            cwd=book.parent,  # so the problems name book/lessons/…
            env={**os.environ, "PYTHONPATH": path},
            stdout=out,
            stderr=err,
        )


def first_line(process: subprocess.Popen[bytes], logs: Path, timeout: float = 20) -> str:
    """The first line the command prints, once it is there."""
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        text = (logs / "out.txt").read_text(encoding="utf-8")
        if "\n" in text:
            return text.split("\n", 1)[0]
        if process.poll() is not None:
            break
        time.sleep(0.05)
    errors = (logs / "err.txt").read_text(encoding="utf-8")
    pytest.fail(f"the preview did not start (exit {process.poll()}): {errors}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as an author stops it (so it removes its scratch folder); killed if that fails."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(timeout=10)


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Callable[..., Preview]]:
    """Starts ``coursebook preview BOOK --port 0 [OPTION…]``; every one started is killed at
    the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(book: Path, *options: str) -> Preview:
        logs = tmp_path / f"logs-{len(started)}"
        process = start_preview(book, logs, options=options)
        started.append(process)
        match = URL_LINE.match(first_line(process, logs))
        assert match, (logs / "out.txt").read_text(encoding="utf-8")
        url, port = match.group(1), int(match.group(2))
        return Preview(process, url, port, logs / "out.txt", logs / "err.txt")

    yield run
    for process in started:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=15_000)  # a rebuild and a reload take well under a second

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is needed (make test installs Debian's chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
    expect.set_options(timeout=5_000)  # Playwright's default, for other modules


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The page's Content-Security-Policy stays in force: the live reload must work under it.
    # (So the test waits with expect(), which needs no eval() in the page.)
    context = browser.new_context(viewport={"width": 900, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """The sample book, copied: the tests edit it."""
    return Path(shutil.copytree(SAMPLE_BOOK, tmp_path / "book"))


def in_view(page: Page, selector: str) -> bool:
    """Whether the top of what ``selector`` finds is inside the window."""
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and 0 <= box["y"] < height


def test_the_page_shows_the_book_with_notes_and_sources_linked(
    preview: Callable[[Path], Preview], sample_copy: Path, page: Page
) -> None:
    served = preview(sample_copy)
    page.goto(served.url)
    titles = page.locator("h2.lesson-title").all_inner_texts()
    assert titles == ["The zigzags of the bureaucracy", "The nature of the Stalinist state"]
    assert "policies of the Soviet bureaucracy" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title() == "The rise of Stalinism (preview)"
    assert page.locator("#problems").count() == 0
    # The shared rendering, made into HTML5 for the screen: unique ids, no EPUB vocabulary.
    assert page.evaluate(
        "(() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.length === new Set(ids).size; })()"
    )
    assert page.locator("[epub\\:type]").count() == 0
    # Styled for the screen: a reading column, the printed addresses hidden.
    assert page.evaluate("parseFloat(getComputedStyle(document.body).maxWidth)") < 900
    assert page.locator(".url-address").first.is_hidden()

    # The web edition's page: a note call opens its note where it is called...
    call = page.locator("#l16-the-nature-of-the-stalinist-state a.noteref").first
    note = call.get_attribute("href") or ""
    call.click()
    popup = page.locator("#note-popup")
    expect(popup).to_be_visible()
    assert "Trotsky" in popup.inner_text()
    assert "Trotsky" in page.locator(note).inner_text()  # (listed after the lesson too)
    # ...and closing it returns to the call.
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    expect(call).to_be_focused()

    # The sources appendix links back to each citing note.
    backrefs = page.locator("#sources a.backref")
    assert backrefs.count() >= 10
    back = backrefs.nth(3)
    target = back.get_attribute("href") or ""
    back.click()
    expect(page).to_have_url(served.url + target)
    assert in_view(page, target)


def test_an_edited_lesson_reloads_the_open_page_in_place(
    preview: Callable[[Path], Preview], sample_copy: Path, page: Page
) -> None:
    served = preview(sample_copy)
    page.goto(served.url)
    heading = page.locator("#l16-the-nature-of-the-stalinist-state--title")
    heading.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 300); window.beforeTheEdit = true")
    place = top_of(heading)

    lesson = sample_copy / "lessons/16-the-nature-of-the-stalinist-state.md"
    text = lesson.read_text(encoding="utf-8")
    old = "a parasitic caste, not a capitalist class"  # near the end, below the reader
    assert old in text
    text = text.replace(old, "a parasitic caste, edited in the preview")
    lesson.write_text(text, encoding="utf-8")
    expect(page.locator("main")).to_contain_text("a parasitic caste, edited in the preview")
    assert page.evaluate("window.beforeTheEdit") is None  # a real reload, not a patch
    page.wait_for_load_state("load")
    assert abs(top_of(heading) - place) < 40  # the reader is where they were
    assert "rebuilt in" in served.output()

    # The problems box appears above the book: the reader still stays at the same text.
    lesson.write_text(text.replace("[@trotsky1936revbet, chap. 9]", "[@nosuchkey]"), "utf-8")
    expect(page.locator("#problems")).to_contain_text("nosuchkey")
    page.wait_for_load_state("load")
    assert abs(top_of(heading) - place) < 40


def top_of(element: Locator) -> float:
    box = element.bounding_box()
    assert box is not None
    return box["y"]


def test_a_broken_book_shows_its_problems_and_the_preview_goes_on(
    preview: Callable[[Path], Preview], make_book: Callable[..., Path], page: Page
) -> None:
    book = make_book({"lessons/one.md": LESSON})
    served = preview(book)
    page.goto(served.url)
    assert "immense collection of commodities" in page.locator("main").inner_text()
    lesson = book / "lessons/one.md"

    # An unknown source: an error at its line, the lesson still shown under it.
    lesson.write_text(LESSON.replace("[@marx1867, 125]", "[@nosuchkey]"), encoding="utf-8")
    problems = page.locator("#problems")
    expect(problems).to_contain_text(
        re.compile(r"book/lessons/one\.md:6:\d+: error: unknown source 'nosuchkey'")
    )
    expect(page.locator("#warnings")).to_contain_text("marx1867")  # nothing cites it now
    assert "immense collection of commodities" in page.locator("main").inner_text()
    assert served.process.poll() is None
    assert "book/lessons/one.md:6:" in served.errors()
    assert "1 error, 1 warning; the page shows them" in served.output()

    # A book.yaml that can't be read: the problem, and the last book that could be built.
    manifest = book / "book.yaml"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good + "chapters: [unclosed\n", encoding="utf-8")
    expect(problems).to_contain_text("book/book.yaml:")
    assert "last version of the book" in problems.inner_text()
    assert "immense collection of commodities" in page.locator("main").inner_text()
    assert served.process.poll() is None

    # Fixed: the page is the book again.
    manifest.write_text(good, encoding="utf-8")
    lesson.write_text(LESSON, encoding="utf-8")
    expect(problems).to_have_count(0)
    assert "immense collection of commodities" in page.locator("main").inner_text()
    assert served.process.poll() is None


def test_an_erroneous_citation_or_link_is_marked_where_it_is(
    preview: Callable[[Path], Preview], make_book: Callable[..., Path], page: Page
) -> None:
    """The citation of an unknown source and a link to no file stay in the text, marked
    with their messages; each problem in the list links to its place, and one with no mark
    (in a lesson) to its lesson."""
    text = LESSON.replace("[@marx1867, 125]", "[@nosuchkey, 125]") + (
        "\nSee [the next lesson](02-next) and [@marx1867].\n\nA note call[^gone] left.\n"
    )
    book = make_book({"lessons/one.md": text})
    served = preview(book)
    page.goto(served.url)
    marks = page.locator("main mark.problem")
    expect(marks).to_have_count(2)
    expect(marks.nth(0)).to_contain_text("[@nosuchkey, 125]")
    expect(marks.nth(0)).to_contain_text("unknown source 'nosuchkey'")
    expect(marks.nth(1)).to_contain_text("the next lesson")
    expect(marks.nth(1)).to_contain_text("link to '02-next': no such file")
    # The list: each error a link to its mark; following one brings the mark into view.
    items = page.locator("#problems li a")
    expect(items).to_have_count(2)
    for index in range(2):
        target = items.nth(index).get_attribute("href") or ""
        assert page.locator(f"main mark.problem{target}").count() == 1
    items.nth(1).click()
    expect(page.locator("main mark.problem:target")).to_contain_text("the next lesson")
    # A warning with no mark of its own (the undefined note call) leads to its lesson.
    warning = page.locator("#warnings li a", has_text="gone")
    lesson_id = (warning.get_attribute("href") or "").removeprefix("#")
    assert page.locator(f"main [id='{lesson_id}']").count() == 1


def get(port: int, path: str, host: str | None = None) -> tuple[int, str, bytes]:
    """``path`` sent exactly as written (http.client doesn't normalize ``..``)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Host": host} if host else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


# A whole 1 × 1 PNG (the hand-written one this replaced had a stray byte after its IDAT chunk,
# which the image check now refuses, as WeasyPrint fails on it).
PNG = png(1, 1)


def test_only_the_page_its_assets_and_the_images_it_shows_are_served(
    preview: Callable[[Path], Preview], make_book: Callable[..., Path]
) -> None:
    book = make_book(
        {
            "lessons/one.md": LESSON + "\n![A dot](../images/dot.png)\n",
            "secret.txt": "not for the web",
        }
    )
    (book / "images").mkdir()
    (book / "images/dot.png").write_bytes(PNG)
    (book / "images/unused.png").write_bytes(PNG)
    served = preview(book)

    status, media_type, body = get(served.port, "/")
    assert (status, media_type) == (200, "text/html; charset=utf-8")
    assert b'src="images/dot.png"' in body
    assert get(served.port, "/images/dot.png") == (200, "image/png", PNG)
    assert b"<style>" in body  # the page carries its stylesheets: nothing else is served
    for path in (
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/images/%2e%2e/book.yaml",
        "//etc/passwd",
        "/book.yaml",
        "/sources.yaml",
        "/lessons/one.md",
        "/secret.txt",
        "/images/unused.png",  # in the folder, but no lesson shows it
        "/_preview/../book.yaml",
        "/_preview/print.css",
    ):
        status, _, body = get(served.port, path)
        assert status == 404, path
        assert b"wealth" not in body and b"not for the web" not in body
    # Only requests addressed to this machine (a page elsewhere can't rebind its name to us).
    assert get(served.port, "/", host="attacker.example")[0] == 403


def test_ctrl_c_stops_it_at_once_and_a_taken_port_is_refused(
    preview: Callable[[Path], Preview], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = make_book({"lessons/one.md": LESSON})
    served = preview(book)

    # A second preview on the same port says so and stops.
    logs = tmp_path / "second"
    second = start_preview(book, logs, port=served.port)
    assert second.wait(timeout=20) == 2
    assert (logs / "err.txt").read_text(encoding="utf-8") == (
        f"coursebook: port {served.port} is in use (try --port 0 for any free one)\n"
    )

    # An open event stream doesn't hold up the shutdown.
    events = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    events.request("GET", "/events?version=old")
    response = events.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    lines = [response.readline() for _ in range(4)]  # retry:, blank, event:, data:
    assert b"event: reload\n" in lines
    listening = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    listening.request("GET", "/events?version=" + _version(served.port))
    assert listening.getresponse().status == 200

    started = time.monotonic()
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=10) == 0
    assert time.monotonic() - started < 3
    events.close()
    listening.close()


def _version(port: int) -> str:
    page = get(port, "/")[2].decode()
    match = re.search(r'name="coursebook-preview-version" content="([^"]+)"', page)
    assert match
    return match.group(1)


def test_the_watcher_ignores_caches_version_control_and_editor_files(tmp_path: Path) -> None:
    from watchfiles import Change

    from coursebook.app.preview.session import BookFilter

    changed = BookFilter()
    book = tmp_path / "book"
    assert changed(Change.modified, str(book / "lessons/one.md"))
    assert changed(Change.added, str(book / "images/dot.png"))
    for ignored in (
        "dist/.coursebook-cache/pages-0123",
        ".git/index",
        "lessons/.one.md.swp",
        "lessons/one.md~",
        "lessons/.#one.md",
    ):
        assert not changed(Change.modified, str(book / ignored)), ignored


def test_a_bug_in_a_rebuild_is_one_escaped_line_not_a_crash(
    make_book: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from coursebook.app.preview import building as preview
    from coursebook.core.cache import Cache
    from coursebook.pipeline.build import BuildOptions

    def broken(*args: object) -> None:
        raise ZeroDivisionError("<b>no</b>\nsecond line")

    monkeypatch.setattr(preview, "prepare", broken)
    book = make_book({"lessons/one.md": LESSON})
    outcome = preview.render_preview(book, BuildOptions(), Cache(tmp_path / "cache"))
    assert outcome.rendered is None
    assert outcome.failure is not None
    assert outcome.failure.startswith("internal error: ZeroDivisionError: <b>no</b> second line")
    assert preview.status_line(outcome, "rebuilt") == (
        "the book could not be built; the page shows why"
    )
    page = preview.preview_page(outcome, None, "v1").html
    assert "<li>internal error: ZeroDivisionError: &lt;b&gt;no&lt;/b&gt; second line" in page


# --- holding up: bounded connections, idle ones closed, images read at each request ---------

IMAGE_LESSON = LESSON + "\n![A dot](../images/dot.png)\n"


def book_with_image(make_book: Callable[..., Path]) -> tuple[Path, Path]:
    """A book whose lesson shows ``images/dot.png``, and that image."""
    book = make_book({"lessons/one.md": IMAGE_LESSON})
    image = book / "images/dot.png"
    image.parent.mkdir()
    image.write_bytes(PNG)
    return book, image


def proc_status(pid: int, name: str) -> int:
    """A number of the process's /proc status (``Threads``, ``VmHWM`` in kB)."""
    text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    match = re.search(rf"^{name}:\s+(\d+)", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes ``sock`` within ``timeout`` seconds (reading and dropping
    whatever it answers first)."""
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


def eventually(condition: Callable[[], bool], timeout: float = 20) -> None:
    """Waits until ``condition()`` holds; fails after ``timeout`` seconds."""
    stop = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < stop, "never happened"
        time.sleep(0.05)


def test_idle_connections_are_bounded_closed_and_never_lock_the_author_out(
    preview: Callable[..., Preview], make_book: Callable[..., Path]
) -> None:
    from coursebook.app.preview.server import MAX_CONNECTIONS, REQUEST_SECONDS

    served = preview(make_book({"lessons/one.md": LESSON}))
    assert get(served.port, "/")[0] == 200
    idle: list[socket.socket] = []
    try:
        for number in range(300):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
            if number % 2:
                sock.sendall(b"GET / HT")  # half a request line, never finished
            idle.append(sock)
        # The author's page still comes: an idle connection makes room for it.
        status, _, body = get(served.port, "/")
        assert status == 200
        assert b"immense collection of commodities" in body
        # A thread per connection served, never more connections than the limit at once.
        assert proc_status(served.process.pid, "Threads") <= MAX_CONNECTIONS + 8
        # Every idle connection is closed by the server (the last ones after the timeout).
        for sock in idle:
            assert closed_by_server(sock, REQUEST_SECONDS + 15)
        assert get(served.port, "/")[0] == 200
    finally:
        for sock in idle:
            sock.close()


@dataclass
class Local:
    """The preview's server in a thread of the test, with no watcher: nothing is rebuilt
    unless the test says so."""

    port: int
    server: PreviewServer
    state: PreviewState


@pytest.fixture
def local_server() -> Iterator[Callable[..., Local]]:
    from coursebook.app.preview.server import PreviewServer, PreviewState

    started: list[tuple[PreviewState, PreviewServer]] = []

    def run(state: PreviewState | None = None, **limits: Any) -> Local:
        state = state or PreviewState()
        server = PreviewServer(0, state, io.StringIO(), **limits)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        started.append((state, server))
        return Local(server.server_address[1], server, state)

    yield run
    for state, server in started:
        state.close()
        server.shutdown()
        server.server_close()


def build_once(
    book: Path, state: PreviewState, cache: Path, image_bytes: int = 1000, *allow_remote: str
) -> None:
    from coursebook.app.preview.building import Builder
    from coursebook.core.cache import Cache
    from coursebook.core.limits import Limits
    from coursebook.pipeline.build import BuildOptions

    options = BuildOptions(limits=Limits(image_bytes=image_bytes), allow_remote=allow_remote)
    outcome = Builder(book, options, Cache(cache), state).rebuild()
    assert outcome.rendered is not None and not outcome.diagnostics.errors


def test_an_image_changed_since_the_build_is_checked_again_at_each_request(
    local_server: Callable[..., Local], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book, image = book_with_image(make_book)
    canary = tmp_path / "canary.png"  # outside the book
    canary.write_bytes(secrets.token_bytes(500))
    served = local_server()
    build_once(book, served.state, tmp_path / "cache", image_bytes=1000)
    assert get(served.port, "/images/dot.png") == (200, "image/png", PNG)

    # Swapped for a link out of the book: refused at once, every time, with no rebuild.
    image.unlink()
    image.symlink_to(canary)
    for _ in range(60):
        assert get(served.port, "/images/dot.png") == (404, "text/plain", b"not found\n")

    # Grown past image_bytes since the build: not read.
    image.unlink()
    image.write_bytes(PNG + bytes(2000))
    assert get(served.port, "/images/dot.png")[0] == 404

    # Gone, then back as it was: read again at each request.
    image.unlink()
    assert get(served.port, "/images/dot.png")[0] == 404
    image.write_bytes(PNG)
    assert get(served.port, "/images/dot.png") == (200, "image/png", PNG)


def test_an_svg_is_served_as_it_was_cleaned_and_never_another(
    local_server: Callable[..., Local], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    """The SVG the page shows is the cleaned one; a file swapped since the build for an
    SVG with a script is refused (other bytes than were checked); image answers forbid
    scripts whatever they hold."""
    book = make_book({"lessons/one.md": LESSON + "\n![A drawing](../images/a.svg)\n"})
    svg = book / "images/a.svg"
    svg.parent.mkdir()
    drawing = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/>'
    )
    svg.write_text(drawing + "<script>alert(1)</script></svg>")
    served = local_server()
    build_once(book, served.state, tmp_path / "cache", 10_000)
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.request("GET", "/images/a.svg")
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 200 and b"<rect" in body and b"script" not in body
    assert "sandbox" in (response.getheader("Content-Security-Policy") or "")

    svg.write_text(drawing + '<script>alert(2)</script><circle r="3"/></svg>')
    assert get(served.port, "/images/a.svg") == (404, "text/plain", b"not found\n")


def test_an_image_downloaded_for_allow_remote_is_served_from_the_cache(
    local_server: Callable[..., Local], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    url = "https://images.example.org/dot.png"
    book = make_book({"lessons/one.md": LESSON + f"\n![A dot]({url})\n"})
    # As a download would have left it (so no network is needed).
    name = hashlib.sha256(url.encode()).hexdigest()[:32] + ".png"
    (tmp_path / "cache/remote").mkdir(parents=True)
    (tmp_path / "cache/remote" / name).write_bytes(PNG)
    served = local_server()
    build_once(book, served.state, tmp_path / "cache", 1000, "images.example.org")
    assert f'src="remote/{name}"'.encode() in get(served.port, "/")[2]
    assert get(served.port, f"/remote/{name}") == (200, "image/png", PNG)


def test_an_image_swapped_for_dev_zero_is_refused_without_reading_it(
    preview: Callable[..., Preview], make_book: Callable[..., Path]
) -> None:
    book, image = book_with_image(make_book)
    # A memory limit, so that a preview that did read /dev/zero fails fast, not the machine.
    served = preview(book, "--limit", "memory_mb=1500")
    assert get(served.port, "/")[0] == 200  # once the first build is in
    assert get(served.port, "/images/dot.png")[0] == 200
    peak = proc_status(served.process.pid, "VmHWM")

    image.unlink()
    image.symlink_to("/dev/zero")
    assert get(served.port, "/images/dot.png") == (404, "text/plain", b"not found\n")
    assert get(served.port, "/")[0] == 200
    assert proc_status(served.process.pid, "VmHWM") < peak + 100_000  # kB
    assert served.process.poll() is None


def test_an_image_past_the_size_limit_is_not_served(
    preview: Callable[..., Preview], make_book: Callable[..., Path]
) -> None:
    book, image = book_with_image(make_book)
    lesson = book / "lessons/one.md"
    lesson.write_text(IMAGE_LESSON + "\n![A big dot](../images/big.png)\n", encoding="utf-8")
    (book / "images/big.png").write_bytes(PNG + bytes(5000))
    served = preview(book, "--limit", "image_bytes=1000")
    assert get(served.port, "/")[0] == 200  # once the first build is in
    assert get(served.port, "/images/dot.png") == (200, "image/png", PNG)

    # Past the limit at the build: an error, and not served.
    eventually(lambda: "images/big.png': the file is 5,0" in served.errors())
    assert "more than the limit of 1,000" in served.errors()
    assert get(served.port, "/images/big.png")[0] == 404

    # Grown past the limit since the build, before any rebuild: not read either.
    image.write_bytes(PNG + bytes(5000))
    for _ in range(5):
        assert get(served.port, "/images/dot.png")[0] == 404


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    """What ``sock`` receives up to and including ``marker`` (failing if it closes first)."""
    sock.settimeout(10)
    received = b""
    while marker not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    return received


def open_event_stream(port: int, version: str) -> socket.socket:
    """An event stream, once the server has taken it in (its ``retry:`` line has come)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"GET /events?version={version} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    )
    read_until(sock, b"retry: 1000\n\n")
    return sock


def test_event_streams_have_a_cap_of_their_own_the_oldest_making_way(
    local_server: Callable[..., Local], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    from coursebook.app.preview.server import PreviewState

    book = make_book({"lessons/one.md": LESSON})
    served = local_server(PreviewState(max_streams=2), max_connections=5)
    build_once(book, served.state, tmp_path / "cache")
    version = _version(served.port)
    streams = [open_event_stream(served.port, version) for _ in range(3)]
    try:
        assert closed_by_server(streams[0], 10)  # its page reconnects (and drops the next)
        assert get(served.port, "/")[0] == 200
        # The two newest are still there: the next build reloads their pages.
        build_once(book, served.state, tmp_path / "cache")
        for sock in streams[1:]:
            read_until(sock, b"event: reload\n")
    finally:
        for sock in streams:
            sock.close()


def all_at_work(server: PreviewServer) -> bool:
    """Whether every place is taken by a connection whose request is in."""
    if server.places.acquire(blocking=False):  # a place is free: give it back, not yet
        server.places.release()
        return False
    return len(server.arrivals) == 0


def test_a_full_server_answers_503_at_once(
    local_server: Callable[..., Local], make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = make_book({"lessons/one.md": LESSON})
    served = local_server(max_connections=3)
    port = served.port
    # Before the first build, requests for the page wait for it, each holding a connection.
    waiting = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
    try:
        for sock in waiting:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        eventually(lambda: all_at_work(served.server))  # all three requests are in
        # None of them idle, so none to close: the next connection is turned away.
        status, _, body = get(port, "/")
        assert (status, body) == (503, b"too many connections; try again\n")
        # The build comes, and the three waiting get the page.
        build_once(book, served.state, tmp_path / "cache")
        for sock in waiting:
            assert read_until(sock, b"\r\n").startswith(b"HTTP/1.0 200 ")
    finally:
        for sock in waiting:
            sock.close()


def test_the_docs_state_the_preview_limits() -> None:
    from coursebook.app.preview.server import MAX_CONNECTIONS, MAX_EVENT_STREAMS, REQUEST_SECONDS

    from .conftest import ROOT

    docs = ROOT / "docs"
    for page, title in (
        ("command-line.md", "## Seeing it as you write"),
        ("security.md", "# Books from strangers"),
    ):
        text = (docs / page).read_text(encoding="utf-8")
        section = " ".join(text.split(title, 1)[1].split("\n## ", 1)[0].split())
        assert f"at most {MAX_CONNECTIONS} connections" in section, title
        assert f"at most {MAX_EVENT_STREAMS} of them live-reload streams" in section, title
        assert f"{REQUEST_SECONDS:g} seconds to send its request" in section, title
        assert "regular file inside the book" in section, title
        assert "`image_bytes`" in section, title
