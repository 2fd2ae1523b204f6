"""``coursebook preview``: the command line checked, then the book served (see
:mod:`coursebook.app.preview`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.diagnostics import BookError, Diagnostics
from ...pipeline.packs import SelectionError
from ..terminal import Terminal
from .shared import EXIT_USAGE, _options

if TYPE_CHECKING:
    from ...pipeline.build import BuildOptions


def _preview(args: argparse.Namespace) -> int:
    from ..preview import serve

    terminal = Terminal()
    options = _options(args, terminal)
    if options is None:
        return EXIT_USAGE
    if args.lessons and not _selection_ok(Path(args.book_dir), options, terminal):
        return EXIT_USAGE
    return serve(Path(args.book_dir), options, port=args.port, open_browser=args.open)


def _selection_ok(book_dir: Path, options: BuildOptions, terminal: Terminal) -> bool:
    """A --lessons naming no lesson is a wrong command line, for preview as for build (a
    book too broken to read is left for the page to show)."""
    from ...pipeline.loading import the_book

    try:
        the_book(book_dir, options.lessons, options.limits, Diagnostics())
    except SelectionError as problem:
        terminal.fail(str(problem))
        return False
    except BookError:
        pass
    return True
