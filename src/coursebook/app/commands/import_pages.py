"""``coursebook import``: the portal's lesson pages made into a new book folder (see
:mod:`coursebook.app.importing`), each page reported with what was recognised on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...core.diagnostics import Diagnostics, display_path
from ..terminal import Terminal, plural
from .shared import EXIT_BOOK_ERRORS, EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from ..importing import ImportError_, check_new_folder, import_pages, write_book

    terminal = Terminal()
    folder = Path(args.output)
    try:
        check_new_folder(folder)  # before reading the pages: said at once, and again on writing
    except ImportError_ as problem:
        terminal.fail(str(problem))
        return EXIT_BOOK_ERRORS
    diagnostics = Diagnostics()
    sources = Path(args.sources) if args.sources else None
    book = import_pages([Path(page) for page in args.pages], sources, diagnostics)
    if book is None:
        terminal.problems(diagnostics.items)
        errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
        terminal.fail(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}; nothing written")
        return EXIT_BOOK_ERRORS
    try:
        reports = write_book(book, folder)
    except (ImportError_, OSError) as problem:
        terminal.fail(str(problem))
        return EXIT_BOOK_ERRORS
    for report in reports:  # each page's line, then what was left on it
        lesson = f"lesson {report.number}" if report.number is not None else "a lesson"
        terminal.say(
            f"{display_path(report.path)}: {lesson}, {report.title!r} → {report.file}: "
            f"{plural(report.citations, 'citation')} recognised, "
            f"{plural(report.left_as_text, 'parenthetical remark')} left as text"
        )
        terminal.problems(
            (d for d in diagnostics.items if d.location.path == report.path), to_stdout=True
        )
    terminal.problems(
        (d for d in diagnostics.items if d.location.path not in {r.path for r in reports}),
        to_stdout=True,
    )
    drafts = sum(1 for source in book.sources if source.known is None)
    keys = {source.key for source in book.sources}
    terminal.say(
        f"wrote {display_path(folder)}: {plural(len(reports), 'lesson')}, "
        f"{plural(len(keys), 'source')} ({drafts} drafts to check in sources.yaml)"
    )
    terminal.say(f"next: coursebook check {display_path(folder)}", style="dim")
    return EXIT_OK
