"""``coursebook new``: a small, complete book written into a new folder (see
:mod:`coursebook.app.newbook`)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ...core.diagnostics import display_path
from ..terminal import Terminal
from .shared import EXIT_BOOK_ERRORS, EXIT_OK, EXIT_USAGE

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def _new(args: argparse.Namespace) -> int:
    from ..newbook import NewBookError, create_book

    terminal = Terminal()
    if not _LANGUAGE_TAG.fullmatch(args.language):
        terminal.fail(f"--language: '{args.language}' is not a language tag like en or pt-BR")
        return EXIT_USAGE
    folder = Path(args.folder)
    try:
        created = create_book(folder, args.title, args.author, args.language)
    except NewBookError as problem:
        terminal.fail(str(problem))
        return EXIT_BOOK_ERRORS
    except OSError as problem:
        terminal.fail(f"could not create {folder}: {problem.strerror}")
        return EXIT_BOOK_ERRORS
    for path in created.files:
        terminal.say(f"created {display_path(path)}")
    shown = display_path(folder)
    terminal.say(f"next: coursebook preview {shown}  (see it as you write)", style="dim")
    terminal.say(f"      coursebook check {shown}    (find every problem)", style="dim")
    terminal.say(f"      coursebook build {shown}    (make the EPUB and PDF)", style="dim")
    return EXIT_OK
