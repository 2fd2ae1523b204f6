"""The preview's HTTP server: the page, its images and its event stream, on 127.0.0.1, bounded
against whatever else on the machine connects (see the package's docstring)."""

from __future__ import annotations

import contextlib
import errno
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from ...core.diagnostics import printable
from ...parse.lessons import Image
from ...source.images import ImageProblem, image_data

HOST = "127.0.0.1"
KEEP_ALIVE_SECONDS = 10.0
"""How often an idle event stream gets a comment: it keeps proxies and the browser from
dropping the connection, and lets the server notice a page that has gone away."""
FIRST_BUILD_SECONDS = 120.0
"""How long a request for the page waits for the first build before answering 503."""
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


# --- what the server shares with the builder --------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One build's page and the images it may show, swapped in whole."""

    version: str
    page: bytes
    policy: str
    """The page's Content-Security-Policy, sent as a header too."""
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


def listen(port: int, state: PreviewState, err: TextIO) -> PreviewServer | None:
    try:
        return PreviewServer(port, state, err)
    except OSError as problem:
        if problem.errno == errno.EADDRINUSE:
            message = f"port {port} is in use (try --port 0 for any free one)"
        else:
            message = f"cannot listen on {HOST} port {port}: {problem.strerror or problem}"
        print(f"coursebook: {message}", file=err, flush=True)
        return None


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
            # The page's own policy, and no framing (which only a header can forbid).
            {"Content-Security-Policy": f"{snapshot.policy}; frame-ancestors 'none'"},
        )

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


def internal_error(bug: BaseException) -> str:
    """A bug in one line, with the place it was raised (enough to find it, no traceback)."""
    frames = traceback.extract_tb(bug.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(bug).split())[:300]
    return f"internal error: {type(bug).__name__}: {message}{where}"
