"""``coursebook build``: one book into its outputs, or several books as a catalog, each
reported as it is done."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.diagnostics import BookError, Diagnostics, Severity, display_path
from ...formats import registry
from ...formats.base import SettingsError
from ...pipeline.packs import SelectionError
from ..terminal import Terminal, file_size, plural
from .shared import EXIT_BOOK_ERRORS, EXIT_OK, EXIT_USAGE, _open, _options, _verbosity

if TYPE_CHECKING:
    from ...pipeline.build import BuildOptions, BuildResult
    from ...pipeline.catalog import BookOutcome


def _build(args: argparse.Namespace) -> int:
    from ...pipeline.build import build  # imported here so --help and --version stay fast
    from ...pipeline.catalog import books_in

    terminal = Terminal(_verbosity(args))
    options = _options(args, terminal)
    if options is None:
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        terminal.fail("--jobs takes a number of processes, 1 or more")
        return EXIT_USAGE
    formats = (
        tuple(dict.fromkeys(n for names in args.format for n in names))
        if args.format
        else registry.defaults()
    )
    books = books_in([Path(folder) for folder in args.book_dirs])
    if len(books) > 1:
        return _build_catalog(books, formats, args, options, terminal)
    args.book_dir = str(books[0])
    diagnostics = Diagnostics()
    started = time.perf_counter()
    try:
        with terminal.progress() as progress:
            result = build(
                Path(args.book_dir),
                formats,
                Path(args.output),
                options,
                diagnostics=diagnostics,
                progress=progress,
            )
    except (SettingsError, SelectionError) as problem:
        terminal.fail(str(problem))
        return EXIT_USAGE
    except BookError as error:
        terminal.problems(diagnostics.by_place())
        errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
        terminal.fail(
            f"{plural(errors, 'error')}, {plural(warnings, 'warning')}; {_written(error.written)}"
        )
        return EXIT_BOOK_ERRORS
    except MemoryError:
        terminal.problems(diagnostics.by_place())
        terminal.fail(
            f"out of memory (the limit is {options.limits.memory_mb:,} MB; "
            "raise it with --limit memory_mb=…)"
        )
        return EXIT_BOOK_ERRORS
    terminal.problems(diagnostics.by_place())
    verb = "up to date:" if result.up_to_date else "wrote"
    for output in result.outputs:
        unit = "sheet sides" if output.format == "booklet" else "pages"
        pages = f", {output.pages} {unit}" if output.pages else ""
        size = file_size(output.path.stat().st_size)
        terminal.say(f"{verb} {display_path(output.path)} ({size}{pages})")
    terminal.say(_build_summary(result, time.perf_counter() - started), style="dim")
    if args.open and result.outputs:
        _open(result.outputs[0].path, terminal)
    return EXIT_OK


def _build_catalog(
    books: list[Path],
    formats: Sequence[str],
    args: argparse.Namespace,
    options: BuildOptions,
    terminal: Terminal,
) -> int:
    from ...pipeline.catalog import build_catalog

    if options.lessons or args.open:
        terminal.fail("--lessons and --open build or open one book; name one BOOK_DIR")
        return EXIT_USAGE
    started = time.perf_counter()
    with terminal.progress() as progress:
        progress.stage(f"building {plural(len(books), 'book')}", len(books))

        def done(outcome: BookOutcome) -> None:
            progress.advance()
            _report_book(outcome, terminal)

        # Books side by side, each in one process.
        one_each = dataclasses.replace(options, jobs=1)
        outcomes = build_catalog(books, formats, Path(args.output), one_each, args.jobs, done)
        progress.finish()
    failed = sum(1 for o in outcomes if o.failed)
    skipped = sum(1 for o in outcomes if o.up_to_date and not o.failed)
    built = len(outcomes) - failed - skipped
    summary = (
        f"{plural(len(outcomes), 'book')}: {built} built, {skipped} up to date, "
        f"{failed} failed; {time.perf_counter() - started:.1f} s"
    )
    terminal.say(summary, style="bold red" if failed else "dim")
    return EXIT_BOOK_ERRORS if failed else EXIT_OK


def _report_book(outcome: BookOutcome, terminal: Terminal) -> None:
    """One book of a catalog: its problems, then one line saying how it went."""
    terminal.problems(outcome.problems)
    name = display_path(outcome.folder)
    if outcome.failure:
        terminal.fail(f"{name}: {outcome.failure}")
    elif outcome.failed:
        errors = sum(1 for p in outcome.problems if p.severity is Severity.ERROR)
        terminal.fail(f"{name}: {plural(errors, 'error')}; {_written(outcome.written)}")
    else:
        verb = "up to date:" if outcome.up_to_date else "wrote"
        files = ", ".join(display_path(o.path) for o in outcome.outputs)
        took = "" if outcome.up_to_date else f" in {outcome.seconds:.1f} s"
        terminal.say(f"{name}: {verb} {files}{took}")


def _written(paths: Sequence[Path]) -> str:
    """What a failed build left written: nothing, unless an output couldn't be renamed."""
    if not paths:
        return "nothing written"
    return "only " + ", ".join(display_path(path) for path in paths) + " replaced"


def _build_summary(result: BuildResult, seconds: float) -> str:
    warnings = len(result.diagnostics.warnings)
    return (
        f"{plural(result.lessons, 'lesson')}, {plural(result.notes, 'note')}, "
        f"{plural(result.sources, 'source')} cited, {plural(warnings, 'warning')}; "
        + (
            "nothing changed since the last build (--force to build anyway)"
            if result.up_to_date
            else f"built in {seconds:.1f} s"
        )
    )
