"""``coursebook preview``: the book as one HTML page on 127.0.0.1, rebuilt as its files change.

The design, and why:

- **The web edition, not a page of its own.** Each build loads the book and runs
  :func:`coursebook.pipeline.build.prepare`, the stages every format shares, and serves the
  web edition of :mod:`coursebook.formats.html` (``build -f html``'s page: the same markup,
  stylesheet and note pop-ups), with the build's problems above the book and the reload
  script added. Only its images differ: served by the preview, not carried in the page.
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
  server answers only ``/`` (the page, which carries its stylesheets and scripts),
  ``/events``, and the images the rendering uses (looked up by their ``href``; the URL never
  becomes a path on disk). It listens on 127.0.0.1 only, answers only requests addressed to
  that host or ``localhost`` (so a web page cannot reach it through DNS rebinding), and the
  page's Content-Security-Policy (the web edition's, allowing the preview's images and event
  stream too) forbids any script but its own.
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

from .session import serve

__all__ = ["serve"]
