"""WeasyPrint, set up once for the whole print edition: our stylesheets, the options' page
rules, the fonts and a fetcher that loads only the book's own files and our stylesheets,
shared by every part laid out; and what WeasyPrint logs while it works, turned into warnings
of the build.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

from ...core.diagnostics import Diagnostics, Location
from ...core.gcpause import fewer_collections
from ...core.output import OutputError
from ...core.resources import styles_dir, stylesheet
from ...render.rendered_book import RenderedBook
from .settings import PrintOptions, page_css


def import_weasyprint() -> Any:
    """WeasyPrint, imported without running a compiler.

    WeasyPrint loads Pango and its other libraries by trying, for each, names of several
    platforms ("libgobject-2.0-0", "gobject-2.0", ..., "libgobject-2.0.so.0"); cffi asks
    ``ctypes.util.find_library`` for each name that doesn't load as it is, which on Linux
    runs ``ldconfig -p`` and then gcc and ld: 22 and 16 of them, 0.2 s of each process's
    import (40% of it), and each a fork of a process that may be large (the main process's
    300 MB counted twice while it lasts). The Linux names it tries last (the libraries'
    sonames) load as they are: on Linux the import is done with a ``find_library`` that
    finds nothing, and again as WeasyPrint does it if that fails (a system without those
    sonames). Its optional libraries (HarfBuzz's subsetter, its vector library) are looked
    for by their sonames alone: without them, WeasyPrint subsets fonts its own way, in every
    process alike. See https://github.com/Kozea/WeasyPrint/issues/1125."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    import ctypes.util

    with _IMPORTING:  # the swap is the process's: one import at a time
        if "weasyprint" in sys.modules:
            import weasyprint

            return weasyprint
        find_library = ctypes.util.find_library
        ctypes.util.find_library = _found_nothing
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # its advice, if a library is missing
                import weasyprint
        except (OSError, ImportError):
            for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
                del sys.modules[name]
            ctypes.util.find_library = find_library
            import weasyprint
        finally:
            ctypes.util.find_library = find_library
    return weasyprint


_IMPORTING = threading.Lock()


def _found_nothing(name: str) -> None:
    return None


class Layout:
    """WeasyPrint with our stylesheets, fonts and fetcher, shared by every part."""

    def __init__(
        self, rendered: RenderedBook, diagnostics: Diagnostics, options: PrintOptions
    ) -> None:
        weasyprint = import_weasyprint()  # slow to import: only when a PDF is asked for
        from weasyprint.text.fonts import FontConfiguration

        from .fetcher import BookFetcher
        from .folios import keep_margin_inputs
        from .notes_fix import keep_notes_with_calls
        from .undrawn import skip_drawing_when_undrawn

        keep_notes_with_calls()
        keep_margin_inputs()  # a part's folios printed once its first page is known
        skip_drawing_when_undrawn()  # pages laid out for the page list alone
        self.weasyprint = weasyprint
        self.root = rendered.book.root
        self.manifest = rendered.book.manifest
        self.language = rendered.book.meta.language
        self.diagnostics = diagnostics
        # The book's checked images (those fetched for --allow-remote among them) and our
        # stylesheets: nothing else of the book is for WeasyPrint to read.
        self.fetcher = BookFetcher(
            [styles_dir()], images=[image.checked for image in rendered.images]
        )
        self.fonts = FontConfiguration()
        self.options = options
        self._blank: Any = None
        self.styles = [
            weasyprint.CSS(
                filename=str(stylesheet(name)), url_fetcher=self.fetcher, font_config=self.fonts
            )
            for name in ("base.css", "print.css")
        ] + [weasyprint.CSS(string=page_css(options), font_config=self.fonts)]
        if own := rendered.book.css_for("print"):  # the book's own, cleaned when loaded
            self.styles.append(weasyprint.CSS(string=own, font_config=self.fonts))

    def logging(self) -> WeasyPrintLog:
        return WeasyPrintLog(self.manifest, self.diagnostics)

    def blank_document(self) -> Any:
        """An empty page, for the left-hand page before a part that opens on the right: no
        running head, no number, the options' marks and bleed."""
        if self._blank is None:
            html = (
                f'<!DOCTYPE html><html lang="{escape(self.language)}"><head><meta charset="utf-8"/>'
                "</head><body></body></html>"
            )
            nothing = (
                "{ @top-left { content: none } @top-right { content: none } "
                "@bottom-left { content: none } @bottom-right { content: none } }"
            )
            quiet = f"@page :left {nothing} @page :right {nothing}"
            self._blank = self.render(html, quiet)
        return self._blank

    def render(self, html: str, extra_css: str = "", drawn: bool = True) -> Any:
        """The document laid out; unless ``drawn``, for its page starts alone (see
        :mod:`.undrawn`: it can't be written)."""
        from .undrawn import UNDRAWN, undrawn

        styles = list(self.styles)
        if extra_css:
            styles.append(self.weasyprint.CSS(string=extra_css, font_config=self.fonts))
        with (
            self._at_work(),
            fewer_collections(),
            contextlib.nullcontext() if drawn else undrawn(),
        ):
            document = self.weasyprint.HTML(
                string=html, base_url=self.root.as_uri() + "/", url_fetcher=self.fetcher
            ).render(stylesheets=styles, font_config=self.fonts)
        setattr(document, UNDRAWN, not drawn)
        return document

    def renumbered(self, document: Any, first: int) -> bool:
        """The margins of a document laid out ahead of its number made for ``first`` (see
        :func:`.folios.renumber`), as :meth:`render` lays pages out (what WeasyPrint says,
        an image it can't load, a warning of the build); False when they can't be."""
        from .folios import renumber

        with self._at_work():
            return renumber(document, first)

    @contextlib.contextmanager
    def _at_work(self) -> Iterator[None]:
        """WeasyPrint at work on the book: what it logs a warning of the build, a file the
        fetcher refused an error of the output."""
        from .fetcher import RefusedResource

        with self.logging():
            try:
                yield
            except RefusedResource as refused:
                raise OutputError(str(refused)) from None


def css_string(text: str) -> str:
    """``text`` as a CSS string, quoted and escaped."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\' or ord(char) < 32 else char for char in text
    )
    return f'"{escaped}"'


class WeasyPrintLog(logging.Handler):
    """Turns what WeasyPrint logs while laying out the book into warnings of the build."""

    def __init__(self, manifest: Path, diagnostics: Diagnostics) -> None:
        super().__init__(level=logging.WARNING)
        self.manifest = manifest
        self.diagnostics = diagnostics
        self.logger = logging.getLogger("weasyprint")

    def __enter__(self) -> WeasyPrintLog:
        self.logger.addHandler(self)
        self._propagate = self.logger.propagate
        self.logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.propagate = self._propagate

    def emit(self, record: logging.LogRecord) -> None:
        self.diagnostics.warning(
            Location(self.manifest), f"PDF layout: {record.getMessage()}", "pdf-layout"
        )
