"""``coursebook check``: every problem of the book, as text or as JSON, writing nothing."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.diagnostics import BookError, Diagnostic, Diagnostics, Severity, display_path
from ...formats.base import SettingsError
from ...pipeline.packs import SelectionError
from ..terminal import Terminal, plural
from .shared import EXIT_BOOK_ERRORS, EXIT_OK, EXIT_USAGE, _options, _verbosity

if TYPE_CHECKING:
    from ...model import Book


def _check(args: argparse.Namespace) -> int:
    from ...pipeline.checking import check_book
    from ...pipeline.loading import load_book

    terminal = Terminal(_verbosity(args))
    options = _options(args, terminal)
    if options is None:
        return EXIT_USAGE
    loading = Diagnostics()
    book = None
    try:
        with terminal.progress() as progress:
            progress.stage("reading the book")
            book = load_book(Path(args.book_dir), loading, check=False, limits=options.limits)
            progress.finish()
            found = check_book(book, options, not args.quick, progress, out_dir=Path(args.output))
    except (SettingsError, SelectionError) as problem:
        terminal.fail(str(problem))
        return EXIT_USAGE
    except BookError:  # the book could not be read at all (no book.yaml, broken YAML)
        found = loading
    problems = [_strict(d) if args.strict else d for d in found.by_place()]
    report = CheckReport(Path(args.book_dir), book, problems)
    if args.format == "json":
        terminal.json(report.as_json())
    else:
        terminal.problems(problems, to_stdout=True)
        terminal.say(report.summary(), style="bold red" if report.errors else "dim")
    return EXIT_BOOK_ERRORS if report.errors else EXIT_OK


def _strict(diagnostic: Diagnostic) -> Diagnostic:
    return dataclasses.replace(diagnostic, severity=Severity.ERROR)


@dataclasses.dataclass(frozen=True)
class CheckReport:
    """What ``coursebook check`` found, as a summary line or as JSON."""

    folder: Path
    book: Book | None
    problems: list[Diagnostic]

    @property
    def errors(self) -> int:
        return sum(1 for d in self.problems if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.problems if d.severity is Severity.WARNING)

    def summary(self) -> str:
        found = (
            f"{plural(self.errors, 'error')}, {plural(self.warnings, 'warning')}"
            if self.problems
            else "no problems"
        )
        contents = ""
        if self.book is not None:
            contents = (
                f" in {plural(len(self.book.lessons), 'lesson')} and "
                f"{plural(len(self.book.sources), 'source')}"
            )
        return f"{display_path(self.folder)}: {found}{contents}"

    def as_json(self) -> dict[str, object]:
        return {
            "book": display_path(self.folder),
            "errors": self.errors,
            "warnings": self.warnings,
            "lessons": len(self.book.lessons) if self.book else None,
            "sources": len(self.book.sources) if self.book else None,
            "problems": [
                {
                    "path": display_path(d.location.path),
                    "line": d.location.line or None,
                    "column": d.location.column or None,
                    "severity": d.severity.value,
                    "code": d.code,
                    "message": d.message,
                }
                for d in self.problems
            ],
        }
