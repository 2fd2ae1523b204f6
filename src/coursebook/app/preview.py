"""``coursebook preview``: the book as one HTML page on 127.0.0.1, rebuilt as its files change.

The design, and why:

- **The shared rendering, not a third one.** Each build loads the book and runs
  :func:`coursebook.build.prepare`, the stages both formats share, and puts every
  :class:`~coursebook.render.RenderedDocument` one after another in one HTML5 page. The
  fragments already carry unique ids, links between lessons are ``#id`` fragments, note calls
  link to the notes at the end of each lesson and back, and the sources appendix links to each
  citing note, so in one page every link works as it is. Each document's notes are listed
  after its text, as in the EPUB.
- **Rebuilds run in the main thread**, waiting on :func:`watchfiles.watch` between them; the
  HTTP server runs in a daemon thread. The book's time limits (``markdown_seconds``) use the
  process's interval timer, which only the main thread can set, so a hostile lesson is stopped
  in the preview as in a build; and Ctrl-C (a ``KeyboardInterrupt`` in the main thread, which
  watchfiles passes on while it waits) ends the loop, after which the server is shut down.
- **A bad book never stops the server.** Problems are collected as in a build and shown at the
  top of the page and on stderr; when the book cannot be rendered at all, the page keeps the
  last version that could be, under the problems. Anything else that goes wrong in a rebuild
  is a bug, reported in one line (``internal error: …``), and the preview goes on.
- **Live reload by Server-Sent Events.** Every build gets a new version (an id of this server
  plus a counter); the page names its version, and ``/events`` tells it to reload as soon as
  the version is another one (also after the server was restarted). The page's script keeps
  the reading place across the reload and reconnects when the event stream fails.
- **Nothing is served from the URL.** The book may be hostile (see the security notes): the
  server answers only ``/`` (the page), its own stylesheets and script, ``/events``, and the
  images the rendering uses (looked up by their ``href``; the URL never becomes a path on disk).
  It listens on 127.0.0.1 only, answers only requests addressed to that host or ``localhost``
  (so a web page cannot reach it through DNS rebinding), and the page forbids scripts other
  than its own by a Content-Security-Policy.
- **Images are read at each request, through the confined opener.** The build found each
  image inside the book, but by the time a page asks for it the file may have been swapped
  for a symbolic link out of the book, a device such as ``/dev/zero``, or a larger file. So
  every request reads it again with :func:`coursebook.paths.read_inside`: only a regular file
  inside the book's folders (or the folder of images downloaded for ``--allow-remote``), and
  nothing past ``image_bytes``; anything else is a 404 that says no more than "not found".
- **Bounded, because anyone on the machine can connect.** Any program, or a web page open
  in the author's browser, can open connections to 127.0.0.1, and a thread per connection
  without a bound ran out of threads and locked the author out. So at most
  ``MAX_CONNECTIONS`` connections are served at once, one thread each. When all are taken,
  the connection that has waited longest without sending its request is closed to make room,
  so idle connections never keep the author's page out; when none is idle, the new one gets
  a short 503 from the thread that accepts connections, without a thread of its own. A
  connection has ``REQUEST_SECONDS`` in all to send its request line and headers, or it is
  closed; it carries one request (HTTP/1.0, no keep-alive), and an answer that cannot be
  written for ``ANSWER_SECONDS`` is given up. Event streams live as long as their page, so
  they have a smaller cap of their own, ``MAX_EVENT_STREAMS``: a new one ends the oldest
  (whose page reconnects), so they can never take every connection, and a page left open
  somewhere never keeps a new tab from reloading.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import TextIO
from urllib.parse import parse_qs, unquote, urlsplit

import jinja2
import watchfiles
from markupsafe import Markup

from ..core.cache import CACHE_FOLDER, Cache
from ..core.diagnostics import BookError, Diagnostics, Severity, printable
from ..core.labels import direction
from ..core.resources import stylesheet
from ..core.xhtml import html_of_children, parse_fragment
from ..parse.lessons import Image
from ..pipeline.build import BuildOptions, prepare
from ..pipeline.loading import format_settings, load_book, the_book
from ..pipeline.packs import SelectionError
from ..render.rendering import NOTES_SLOT, RenderedBook, RenderedDocument, notes_section
from ..source.images import ImageProblem, image_data

HOST = "127.0.0.1"
EXIT_OK, EXIT_USAGE = 0, 2
KEEP_ALIVE_SECONDS = 10.0
"""How often an idle event stream gets a comment: it keeps proxies and the browser from
dropping the connection, and lets the server notice a page that has gone away."""
FIRST_BUILD_SECONDS = 120.0
"""How long a request for the page waits for the first build before answering 503."""
ASSET_PREFIX = "/_preview/"
"""Where the preview's own files are served. Images are found by their ``href``, which always
ends with an image suffix, so no image can take one of these names."""
MAX_CONNECTIONS = 48
"""Connections served at once, each by a thread: an author's few tabs need an event stream
each and, while a page loads, a handful of connections for its images."""
MAX_EVENT_STREAMS = 16
"""Event streams open at once (a new one ends the oldest); fewer than ``MAX_CONNECTIONS``, so
that long-lived streams never take every connection."""
REQUEST_SECONDS = 5.0
"""How long a connection may take to send its request line and headers (a browser sends them
at once); then it is closed."""
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
"""The Content-Security-Policy of an image answer: an SVG opened on its own (its address
typed in the browser) is a document of the preview's origin, and may run nothing.
(Its scripts were removed when it was cleaned; this is the second lock.)"""
ANSWER_SECONDS = 30.0
"""How long writing one answer may wait for a client that doesn't read it."""


def serve(
    book_dir: Path,
    options: BuildOptions,
    port: int = 8000,
    open_browser: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Serve the book in ``book_dir`` on http://127.0.0.1:``port``/ (``0``: any free port),
    rebuilding it and reloading open pages whenever one of its files changes.

    Runs until Ctrl-C (``KeyboardInterrupt``) and then returns 0; returns 2 at once when the
    port cannot be had. Status lines go to ``out``, the book's problems to ``err``.
    """
    if not book_dir.is_dir():
        print(f"coursebook: {printable(str(book_dir))} is not a folder", file=err, flush=True)
        return EXIT_USAGE
    state = PreviewState()
    server = _listen(port, state, err)
    if server is None:
        return EXIT_USAGE
    url = f"http://{HOST}:{server.server_address[1]}/"
    scratch = tempfile.TemporaryDirectory(prefix="coursebook-preview-")  # remote images
    with scratch, _terminate_as_interrupt():
        builder = Builder(book_dir, options, Cache(Path(scratch.name)), state)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="preview-http"
        )
        thread.daemon = True
        thread.start()
        try:
            print(f"serving the preview at {url} (Ctrl-C to stop)", file=out, flush=True)
            if open_browser:
                webbrowser.open(url)
            _rebuild_on_change(builder, book_dir, out, err)
        except KeyboardInterrupt:
            pass
        finally:
            state.close()  # event streams end, pages waiting for a first build give up
            server.shutdown()
            server.server_close()
    return EXIT_OK


def _rebuild_on_change(builder: Builder, book_dir: Path, out: TextIO, err: TextIO) -> None:
    """Build now, and again after every change to the book's files, until Ctrl-C."""
    _report(builder.rebuild(), "built", out, err)
    while True:
        folders = watched_folders(book_dir)
        for _changes in watch_book(*folders):
            _report(builder.rebuild(), "rebuilt", out, err)
            if watched_folders(book_dir) != folders:
                break  # book.yaml's include: changed: watch the folders it names now
        else:
            return


def watched_folders(book_dir: Path) -> tuple[Path, ...]:
    """The book's folder and the course folders it includes (as far as it can be read)."""
    try:
        return load_book(book_dir, Diagnostics(), check=False).roots
    except BookError:
        return (book_dir.resolve(),)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """``kill`` (SIGTERM) stops the preview as Ctrl-C does, so that it cleans up after itself.
    (Only the main thread may set a signal handler; elsewhere, nothing changes.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- building ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one build of the preview came to."""

    rendered: RenderedBook | None
    """The book as rendered; None when it could not be rendered at all."""
    diagnostics: Diagnostics
    failure: str | None = None
    """What stopped the build, when that is not among the book's diagnostics."""
    seconds: float = 0.0


def render_preview(book_dir: Path, options: BuildOptions, cache: Cache) -> Outcome:
    """Load and render the book as a build would, going on past errors so that every problem is
    reported; never raises (except ``KeyboardInterrupt``)."""
    start = time.perf_counter()
    diagnostics = Diagnostics()
    rendered: RenderedBook | None = None
    failure: str | None = None
    try:
        book = the_book(book_dir, options.lessons, options.limits, diagnostics)
        format_settings(book, options.format_options, diagnostics)  # said as a build says them
        rendered = prepare(book, diagnostics, options, cache)
    except BookError as error:  # its problems are in the diagnostics already
        if error.diagnostics is not diagnostics:
            diagnostics.extend(error.diagnostics)
        if not diagnostics.errors:
            failure = str(error)
    except SelectionError as problem:  # book.yaml may have changed under --lessons
        failure = str(problem)
    except MemoryError:
        failure = (
            f"out of memory (the limit is {options.limits.memory_mb:,} MB; "
            "raise it with --limit memory_mb=…)"
        )
    except Exception as bug:  # the preview must outlive a bug in coursebook
        failure = internal_error(bug)
    return Outcome(rendered, diagnostics, failure, time.perf_counter() - start)


def internal_error(bug: BaseException) -> str:
    """A bug in one line, with the place it was raised (enough to find it, no traceback)."""
    frames = traceback.extract_tb(bug.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(bug).split())[:300]
    return f"internal error: {type(bug).__name__}: {message}{where}"


class Builder:
    """Rebuilds the book and publishes the page; keeps the last rendering that worked, to show
    under the problems when the book cannot be rendered."""

    def __init__(
        self, book_dir: Path, options: BuildOptions, cache: Cache, state: PreviewState
    ) -> None:
        self.book_dir, self.options, self.cache, self.state = book_dir, options, cache, state
        self.last_good: RenderedBook | None = None

    def rebuild(self) -> Outcome:
        outcome = render_preview(self.book_dir, self.options, self.cache)
        if outcome.rendered is not None:
            self.last_good = outcome.rendered
        shown = self.last_good
        version = self.state.next_version()
        try:
            page = page_html(outcome, shown, version)
        except Exception as bug:  # a fragment lxml can't read would be a renderer bug
            outcome = Outcome(None, outcome.diagnostics, internal_error(bug), outcome.seconds)
            shown = None
            page = page_html(outcome, None, version)
        images = {image.href: image for image in shown.images} if shown else {}
        self.state.publish(Snapshot(version, page.encode("utf-8"), images))
        return outcome


def _report(outcome: Outcome, verb: str, out: TextIO, err: TextIO) -> None:
    """The problems on ``err``, one per line as the build command prints them, then one status
    line on ``out``. All printable: a diagnostic's ``str`` is, and a failure may quote the
    book."""
    for diagnostic in outcome.diagnostics.by_place():
        print(diagnostic, file=err)
    if outcome.failure:
        print(f"coursebook: {printable(outcome.failure)}", file=err)
    err.flush()
    print(status_line(outcome, verb), file=out, flush=True)


def status_line(outcome: Outcome, verb: str) -> str:
    """``rebuilt in 0.21 s``, ``built in 0.3 s, 2 warnings`` or ``3 errors; the page shows
    them``."""
    errors, warnings = len(outcome.diagnostics.errors), len(outcome.diagnostics.warnings)
    also = f", {_plural(warnings, 'warning')}" if warnings else ""
    if errors:
        return f"{_plural(errors, 'error')}{also}; the page shows them"
    if outcome.failure:
        return "the book could not be built; the page shows why"
    return f"{verb} in {outcome.seconds:.2f} s{also}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- the page ---------------------------------------------------------------------------------

_PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """\
<!DOCTYPE html>
<html lang="{{ language }}"{% if direction == "rtl" %} dir="rtl"{% endif %}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="coursebook-preview-version" content="{{ version }}">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ assets }}base.css">
<link rel="stylesheet" href="{{ assets }}preview.css">
<script src="{{ assets }}preview.js" defer></script>
</head>
<body>
{%- if errors or failure %}
<section id="problems" class="problems" role="alert" lang="en" dir="ltr"
 aria-labelledby="problems-title">
<h2 id="problems-title">{{ errors_title }}</h2>
<ul>
{%- for problem in errors %}
<li>{{ problem }}</li>
{%- endfor %}
{%- if failure %}
<li>{{ failure }}</li>
{%- endif %}
</ul>
{%- if stale %}
<p>Below is the last version of the book that could be built.</p>
{%- endif %}
</section>
{%- endif %}
{%- if warnings %}
<section id="warnings" class="problems" lang="en" dir="ltr" aria-labelledby="warnings-title">
<h2 id="warnings-title">{{ warnings_title }}</h2>
<ul>
{%- for problem in warnings %}
<li>{{ problem }}</li>
{%- endfor %}
</ul>
</section>
{%- endif %}
<main>
{%- for part in parts %}
{{ part }}
{%- endfor %}
</main>
</body>
</html>
"""
)


def page_html(outcome: Outcome, shown: RenderedBook | None, version: str) -> str:
    """The preview page: the problems of this build, then the book as last rendered."""
    problems = outcome.diagnostics.by_place()  # as the terminal lists them
    errors = [d for d in problems if d.severity is Severity.ERROR]
    warnings = [d for d in problems if d.severity is Severity.WARNING]
    meta = shown.book.meta if shown else None
    count = len(errors) + (1 if outcome.failure else 0)
    return _PAGE.render(
        language=meta.language if meta else "en",
        direction=direction(meta.language) if meta else "ltr",
        version=version,
        title=f"{meta.title} (preview)" if meta else "coursebook preview",
        assets=ASSET_PREFIX,
        errors=[str(d) for d in errors],
        failure=printable(outcome.failure) if outcome.failure else None,  # as on the terminal
        errors_title=_plural(count, "error"),
        stale=shown is not None and outcome.rendered is None,
        warnings=[str(d) for d in warnings],
        warnings_title=_plural(len(warnings), "warning"),
        parts=[Markup(screen_html(d, shown.labels)) for d in shown.documents] if shown else [],
    )


def screen_html(document: RenderedDocument, labels: Mapping[str, str]) -> str:
    """One rendered document as HTML5, its notes listed after its text.

    Parsed as XML (an HTML parser would read ``<a id="x"/>`` as an unclosed link) and written
    as HTML, as the PDF backend does for WeasyPrint.
    """
    html = document.html.replace(NOTES_SLOT, notes_section(document, labels))
    return html_of_children(parse_fragment(html))


# --- what the server shares with the builder --------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One build's page and the images it may show, swapped in whole."""

    version: str
    page: bytes
    images: Mapping[str, Image] = field(default_factory=dict)
    """The rendering's images by ``href`` (their path relative to the book folder, as the
    page refers to them): the only files the server ever reads from the book, each from the
    folders and within the limits it was checked under."""


class EventStream:
    """One open ``/events`` stream; ``ended`` once newer ones have taken its place."""

    ended = False


class PreviewState:
    """The current snapshot, shared by the builder (one writer) and the request threads, and
    the open event streams (which wait on the same condition for a new snapshot)."""

    def __init__(self, max_streams: int = MAX_EVENT_STREAMS) -> None:
        self._changed = threading.Condition()
        self._snapshot: Snapshot | None = None
        self._closing = False
        self._boot = secrets.token_hex(4)  # a restarted server's pages reload too
        self._count = 0
        self._streams: list[EventStream] = []  # oldest first
        self._max_streams = max_streams

    def next_version(self) -> str:
        self._count += 1
        return f"{self._boot}-{self._count}"

    def publish(self, snapshot: Snapshot) -> None:
        with self._changed:
            self._snapshot = snapshot
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()

    def current(self, timeout: float) -> Snapshot | None:
        """The latest snapshot, waiting up to ``timeout`` seconds for the first one."""
        with self._changed:
            self._changed.wait_for(lambda: self._snapshot is not None or self._closing, timeout)
            return self._snapshot

    def open_stream(self) -> EventStream:
        """A new event stream, ending the oldest when there are too many: the newest is the
        likeliest to be a page the author is looking at, and an ended page reconnects."""
        stream = EventStream()
        with self._changed:
            self._streams.append(stream)
            while len(self._streams) > self._max_streams:
                self._streams.pop(0).ended = True
            self._changed.notify_all()
        return stream

    def close_stream(self, stream: EventStream) -> None:
        with self._changed:
            if stream in self._streams:
                self._streams.remove(stream)

    def wait_for_change(self, stream: EventStream, seen: str, timeout: float) -> str | None:
        """The current version once it is not ``seen`` (or after ``timeout`` seconds, whatever
        it is); None when the server is closing or ``stream`` has been ended."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._closing or stream.ended or self._version() != seen, timeout
            )
            return None if self._closing or stream.ended else self._version()

    def _version(self) -> str:
        return self._snapshot.version if self._snapshot else ""


# --- watching ---------------------------------------------------------------------------------


class BookFilter(watchfiles.DefaultFilter):
    """Changes that can change the book: not version control, editors' swap and backup files
    (``*.swp``, ``*~``, ``.#*``, which the default filter already ignores), nor a build's cache
    when an output folder sits inside the book folder."""

    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, CACHE_FOLDER)


def watch_book(*folders: Path) -> Iterator[set[tuple[watchfiles.Change, str]]]:
    """Each batch of changes in the book's folders, once it has been quiet for 100 ms (an
    editor's save is often several writes). Raises ``KeyboardInterrupt`` on Ctrl-C."""
    try:
        yield from watchfiles.watch(
            *folders, watch_filter=BookFilter(), step=100, raise_interrupt=True
        )
    except OSError:  # no inotify watches left on this machine ("OS file watch limit reached")
        yield from watchfiles.watch(
            *folders, watch_filter=BookFilter(), step=100, raise_interrupt=True, force_polling=True
        )


# --- the HTTP server --------------------------------------------------------------------------


class Arrivals:
    """Connections accepted that have not yet sent their whole request: the only ones that
    cost a thread while doing nothing, so the ones closed when they are too slow or when a
    new connection needs their place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[socket.socket, float] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._since)

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._since[connection] = time.monotonic()

    def remove(self, connection: socket.socket) -> None:
        """The request is in (or the connection done): it is no longer idle."""
        with self._lock:
            self._since.pop(connection, None)

    def close_older_than(self, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            for connection in [c for c, since in self._since.items() if now - since > seconds]:
                self._hang_up(connection)

    def close_oldest(self) -> bool:
        """Close the connection that has waited longest for its request; False if none has."""
        with self._lock:
            if not self._since:
                return False
            self._hang_up(min(self._since, key=self._since.__getitem__))
            return True

    def _hang_up(self, connection: socket.socket) -> None:
        """Wakes the thread reading it (its read ends), which then closes it and frees its
        place. Under the lock: the thread cannot have closed the socket yet."""
        del self._since[connection]
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)


BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 32\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"too many connections; try again\n"
)
"""The answer when every connection is at work, written whole by the accepting thread."""


class PreviewServer(ThreadingHTTPServer):
    """Loopback only; each connection in its own daemon thread (so that open event streams
    never hold up the shutdown), at most ``max_connections`` of them at once."""

    daemon_threads = True
    request_queue_size = 128
    """The listening backlog: a burst of connections waits to be accepted, not refused."""

    def __init__(
        self,
        port: int,
        state: PreviewState,
        err: TextIO,
        max_connections: int = MAX_CONNECTIONS,
        request_seconds: float = REQUEST_SECONDS,
    ) -> None:
        super().__init__((HOST, port), PreviewHandler)
        self.state, self.err = state, err
        real = self.server_address[1]
        self.hosts = frozenset({f"{HOST}:{real}", f"localhost:{real}"})
        self.places = threading.BoundedSemaphore(max_connections)
        self.arrivals = Arrivals()
        self.request_seconds = request_seconds

    def process_request(  # type: ignore[override]  # a TCP server's requests are sockets
        self, request: socket.socket, client_address: object
    ) -> None:
        """Runs in the accepting thread: a thread for the connection if it can have a
        place, else a 503 at once."""
        if not self._take_place():
            self._turn_away(request)
            return
        self.arrivals.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: nothing else will give the place back
            self.arrivals.remove(request)
            self.places.release()
            raise

    def _take_place(self) -> bool:
        if self.places.acquire(blocking=False):
            return True
        # All taken: a connection still waiting for its request makes room. Its thread ends
        # as soon as its read does, well within the second waited here.
        return self.arrivals.close_oldest() and self.places.acquire(timeout=1.0)

    def _turn_away(self, request: socket.socket) -> None:
        """A fresh socket's send buffer always takes the short answer, so this never blocks
        the accepting thread."""
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.send(BUSY)
            # What the client sent already, read: closing with it unread would reset the
            # connection, and the client could lose the answer.
            request.recv(65536)
        self.shutdown_request(request)

    def process_request_thread(  # type: ignore[override]
        self, request: socket.socket, client_address: object
    ) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.places.release()

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        self.arrivals.remove(request)  # before it is closed: no one may shut it down after
        super().shutdown_request(request)

    def service_actions(self) -> None:
        """Between two connections (and every poll interval): slow requests are closed."""
        self.arrivals.close_older_than(self.request_seconds)

    def handle_error(self, request: object, client_address: object) -> None:
        """A page closed mid-answer, or one that stopped reading, is normal; anything else is
        a bug, said in one line."""
        problem = sys.exc_info()[1]
        if problem is None or isinstance(problem, ConnectionError | TimeoutError):
            return
        bug = printable(internal_error(problem))  # its message may quote a request or a book
        print(f"coursebook: {bug} (serving a request)", file=self.err)


def _listen(port: int, state: PreviewState, err: TextIO) -> PreviewServer | None:
    try:
        return PreviewServer(port, state, err)
    except OSError as problem:
        if problem.errno == errno.EADDRINUSE:
            message = f"port {port} is in use (try --port 0 for any free one)"
        else:
            message = f"cannot listen on {HOST} port {port}: {problem.strerror or problem}"
        print(f"coursebook: {message}", file=err, flush=True)
        return None


PAGE_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page runs only the preview's own script, whatever the book holds (its HTML is
sanitized already; this is a second line)."""


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "coursebook-preview"
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive to hold

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_seconds)  # each read of the request

    def parse_request(self) -> bool:
        """Reads the headers; then the connection is at work, no longer idle, and has longer
        to take its answer."""
        parsed = super().parse_request()
        self.server.arrivals.remove(self.connection)
        self.connection.settimeout(ANSWER_SECONDS)
        return parsed

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal is for the book's problems."""

    def _answer(self, send_body: bool) -> None:
        if self.headers.get("Host", "").lower() not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"unknown host\n", send_body)
            return
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            self._page(send_body)
        elif url.path == "/events":
            self._events(parse_qs(url.query).get("version", [""])[0])
        elif url.path == "/favicon.ico":  # browsers ask; an empty answer keeps them quiet
            self._send(HTTPStatus.NO_CONTENT, "image/x-icon", b"", send_body)
        elif url.path.startswith(ASSET_PREFIX):
            self._asset(url.path.removeprefix(ASSET_PREFIX), send_body)
        else:
            self._image(unquote(url.path.removeprefix("/")), send_body)

    def _page(self, send_body: bool) -> None:
        snapshot = self.server.state.current(FIRST_BUILD_SECONDS)
        if snapshot is None:
            body = b"the book is still being built; reload in a moment\n"
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/plain", body, send_body)
            return
        self._send(
            HTTPStatus.OK,
            "text/html; charset=utf-8",
            snapshot.page,
            send_body,
            {"Content-Security-Policy": PAGE_POLICY},
        )

    def _asset(self, name: str, send_body: bool) -> None:
        if name == "preview.js":
            self._send(HTTPStatus.OK, "text/javascript", SCRIPT.encode(), send_body)
        elif name in ("base.css", "preview.css"):
            # Read at each request, so an edited stylesheet shows at the next reload.
            body = stylesheet(name).read_bytes()
            self._send(HTTPStatus.OK, "text/css; charset=utf-8", body, send_body)
        else:
            self._not_found(send_body)

    def _image(self, href: str, send_body: bool) -> None:
        snapshot = self.server.state.current(0)
        image = snapshot.images.get(href) if snapshot else None
        if snapshot is None or image is None:
            self._not_found(send_body)
            return
        try:
            # Read now and checked once open, not trusted from the build: a file swapped
            # since for a link out of the book, a device, a larger file or other bytes than
            # the build checked is refused at once; an SVG is served as it was cleaned.
            body = image_data(image.checked)
        except ImageProblem:  # the next build says what is wrong
            self._not_found(send_body)
            return
        policy = {"Content-Security-Policy": IMAGE_POLICY}
        self._send(HTTPStatus.OK, image.media_type, body, send_body, policy)

    def _events(self, seen: str) -> None:
        """A Server-Sent Events stream: ``reload`` once the page's version is not the latest,
        a comment every few seconds until then."""
        stream = self.server.state.open_stream()
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self._write(b"retry: 1000\n\n")  # how soon the browser reconnects after a drop
            while True:
                version = self.server.state.wait_for_change(stream, seen, KEEP_ALIVE_SECONDS)
                if version is None:  # closing, or ended for a newer stream
                    return
                if version != seen:
                    self._write(f"event: reload\ndata: {version}\n\n".encode())
                    return
                self._write(b": keep-alive\n\n")
        except (ConnectionError, TimeoutError):  # the page was closed, reloaded or stuck
            return
        finally:
            self.server.state.close_stream(stream)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _not_found(self, send_body: bool) -> None:
        self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n", send_body)

    def _send(
        self,
        status: HTTPStatus,
        media_type: str,
        body: bytes,
        send_body: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # every reload shows the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)


SCRIPT = """\
// coursebook preview: reload when the book is rebuilt, keeping the reading place.
(function () {
  "use strict";
  var KEY = "coursebook-preview-place";
  var version = document.querySelector('meta[name="coursebook-preview-version"]').content;

  // The reading place: the last element with an id that starts above the window's top, and
  // how far above. Text added or taken away before it (the problems box, an edited
  // paragraph) doesn't move the reader, as restoring scrollY alone would.
  function place() {
    var found = null;
    var marks = document.querySelectorAll("main [id]");
    for (var i = 0; i < marks.length; i++) {
      var box = marks[i].getBoundingClientRect();
      if (box.top <= 1 && (box.width || box.height)) found = { id: marks[i].id, top: box.top };
    }
    return { y: window.scrollY, id: found && found.id, top: found ? found.top : 0 };
  }

  function restore(saved) {
    var mark = saved.id && document.getElementById(saved.id);
    if (mark) window.scrollBy(0, mark.getBoundingClientRect().top - saved.top);
    else window.scrollTo(0, saved.y);
  }

  // The place saved before the reload that made this page: restored now, and again once the
  // images are in (they can push the text down).
  var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  sessionStorage.removeItem(KEY);
  if (saved) {
    restore(saved);
    window.addEventListener("load", function () {
      restore(saved);
      history.scrollRestoration = "auto";
    });
  }

  function reload() {
    sessionStorage.setItem(KEY, JSON.stringify(place()));
    history.scrollRestoration = "manual";  // ours, not the browser's nor the #fragment's
    location.reload();
  }

  function connect() {
    var events = new EventSource("/events?version=" + encodeURIComponent(version));
    events.addEventListener("reload", function () {
      events.close();
      reload();
    });
    events.onerror = function () {
      // The browser retries a dropped stream by itself; once it has given up (the server
      // answered with an error), start again after a pause.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }
  connect();
})();
"""
