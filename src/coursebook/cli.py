"""The ``coursebook`` command.

Exit status: 0 when the outputs were written, 1 when the book has errors (each printed as
``path:line:col: error: message [code]``), 2 when the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .diagnostics import BookError, Diagnostics, display_path
from .limits import Limits
from .packs import SelectionError
from .printing import PAPER_NAMES, VARIANTS, PrintOptionError

EXIT_OK, EXIT_BOOK_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("coursebook: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coursebook",
        description="Turn a course folder (Markdown lessons with citations) into an EPUB 3 "
        "ebook and a print-ready PDF.",
    )
    parser.add_argument("--version", action="version", version=f"coursebook {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    build = commands.add_parser(
        "build",
        help="build the book's EPUB and PDF",
        description="Build BOOK_DIR into OUT_DIR/<slug>.epub and OUT_DIR/<slug>.pdf, where "
        "<slug> comes from the book's title. Every problem in the book is reported as "
        "path:line:col: error: message; nothing is written when there is an error, and earlier "
        "outputs are only ever replaced whole.",
    )
    build.add_argument(
        "book_dir",
        nargs="?",
        default="book",
        metavar="BOOK_DIR",
        help="the book folder, holding book.yaml (default: ./book)",
    )
    build.add_argument(
        "-o",
        "--output",
        default="dist",
        metavar="OUT_DIR",
        help="where to write the outputs (default: ./dist)",
    )
    build.add_argument(
        "-f",
        "--format",
        choices=("epub", "pdf", "all"),
        default="all",
        help="which output to build (default: all)",
    )
    build.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="raise one of the limits on what a book may ask of the machine (repeatable): "
        + ", ".join(Limits.names()),
    )
    build.add_argument(
        "--allow-remote",
        action="append",
        default=[],
        metavar="HOST",
        help="let lessons show images from this host over https (repeatable); by default a "
        "build reaches nothing on the network",
    )
    build.add_argument(
        "--lessons",
        metavar="SELECTION",
        help="build a pack of some lessons: numbers and ranges (15-16), lesson "
        "ids or chapter-N, comma-separated",
    )
    printing = build.add_argument_group(
        "print", "how the PDF is printed (these override book.yaml's print: settings)"
    )
    printing.add_argument("--paper", choices=PAPER_NAMES, help="page size (default: a4)")
    printing.add_argument(
        "--single-sided",
        action="store_true",
        help="same margins on every page, no blank pages between chapters",
    )
    printing.add_argument(
        "--note-pages", type=int, metavar="N", help="add N ruled pages for notes after each lesson"
    )
    printing.add_argument(
        "--qr",
        action="store_true",
        help="print a QR code beside each source with a full-text address",
    )
    printing.add_argument("--bleed", metavar="LENGTH", help="bleed for a printer, e.g. 3mm")
    printing.add_argument("--marks", action="store_true", help="crop marks for a printer")
    printing.add_argument(
        "--booklet",
        action="store_true",
        help="also write <slug>-booklet.pdf: the pages two-up on sheets twice as wide, in "
        "booklet order (--paper a5 for A4 sheets)",
    )
    printing.add_argument(
        "--signature", type=int, metavar="N", help="with --booklet: gatherings of N sheets"
    )
    printing.add_argument(
        "--pdf-variant",
        choices=VARIANTS,
        help="pdf/a-3b (archival) or pdf/ua-1 (tagged, accessible)",
    )
    build.set_defaults(run=_build)
    return parser


def _build(args: argparse.Namespace) -> int:
    from .build import FORMATS, build  # imported here so --help and --version stay fast

    formats = FORMATS if args.format == "all" else (args.format,)
    diagnostics = Diagnostics()
    try:
        limits = Limits().raised(args.limit)
    except ValueError as problem:
        print(f"coursebook: {problem}", file=sys.stderr)
        return EXIT_USAGE
    _limit_memory(limits.memory_mb)
    try:
        result = build(
            Path(args.book_dir),
            Path(args.output),
            formats,
            diagnostics,
            print_overrides=_print_overrides(args),
            lessons=args.lessons,
            limits=limits,
            allow_remote=args.allow_remote,
        )
    except (PrintOptionError, SelectionError) as problem:
        print(f"coursebook: {problem}", file=sys.stderr)
        return EXIT_USAGE
    except BookError:
        _report(diagnostics)
        return EXIT_BOOK_ERRORS
    except MemoryError:
        _report(diagnostics)
        print(
            f"coursebook: out of memory (the limit is {limits.memory_mb:,} MB; "
            "raise it with --limit memory_mb=…)",
            file=sys.stderr,
        )
        return EXIT_BOOK_ERRORS
    _report(diagnostics)
    for output in result.outputs:
        size = output.path.stat().st_size
        unit = "sheet sides" if output.format == "booklet" else "pages"
        pages = f", {output.pages} {unit}" if output.pages else ""
        print(f"wrote {display_path(output.path)} ({_size(size)}{pages})")
    return EXIT_OK


def _limit_memory(megabytes: int) -> None:
    """Bound this process's memory, so a hostile book fails instead of the server."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _print_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The print options given on the command line (the others come from book.yaml)."""
    given = {
        "paper": args.paper,
        "note_pages": args.note_pages,
        "bleed": args.bleed,
        "variant": args.pdf_variant,
        "double_sided": False if args.single_sided else None,
        "qr": True if args.qr else None,
        "marks": True if args.marks else None,
        "booklet": True if args.booklet else None,
        "signature": args.signature,
    }
    return {name: value for name, value in given.items() if value is not None}


def _report(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    if errors:
        print(
            f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}; nothing written",
            file=sys.stderr,
        )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
