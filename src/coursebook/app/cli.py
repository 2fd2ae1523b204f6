"""The ``coursebook`` command: ``build``, ``check``, ``new``, ``preview`` and ``import``.

Exit status: 0 when all went well, 1 when the book has errors (each printed as
``path:line:col: error: message [code]``), 2 when the command line is wrong, 130 when
interrupted, 70 for a bug in coursebook (one line, never a traceback).

Here are the parser and :func:`main`; what each command does is in
:mod:`coursebook.app.commands`, one module per command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..core.limits import Limits
from ..core.version import __version__
from ..formats import registry
from .commands.build import _build
from .commands.check import _check
from .commands.import_pages import _import
from .commands.new import _new
from .commands.preview import _preview
from .commands.shared import EXIT_INTERNAL, EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _default_book(args)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("coursebook: interrupted", file=sys.stderr)
        return 130
    except Exception as bug:  # the last line of defence: one line, never a traceback
        if os.environ.get("COURSEBOOK_DEBUG"):
            raise
        print(internal_error(bug), file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:
    """The ``coursebook`` command: :func:`main`, then out at once.

    Python tears its interpreter down on the way out, freeing every object the build made
    one by one: 0.1-0.15 s of an edit's two-second build (measured with timestamps before
    and after). Nothing is left to do by then (the outputs are in place, the workers
    stopped), so the process ends without it, its output flushed. It ends as usual when a
    child process or thread is still running (none should be: they are waited for) or when
    a profiler, coverage or a debugger watches it (they write what they found on the way
    out)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    import multiprocessing
    import threading

    alone = threading.active_count() == 1 and not multiprocessing.active_children()
    if alone and not _watched():
        os._exit(code)
    sys.exit(code)


def _watched() -> bool:
    """Whether a profiler, a tracer (coverage, a debugger) or a monitoring tool (Python 3.12's
    ``sys.monitoring``) is attached to the process."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(i) for i in range(6))


def default_book_dir() -> str:
    """The book folder when none is named: the current folder when it holds book.yaml (as
    git, mkdocs or quarto work from where one stands), else ./book."""
    return "." if Path("book.yaml").is_file() else "book"


def _default_book(args: argparse.Namespace) -> None:
    if getattr(args, "book_dirs", None) == []:
        args.book_dirs = [default_book_dir()]
    if hasattr(args, "book_dir") and args.book_dir is None:
        args.book_dir = default_book_dir()


def internal_error(bug: BaseException) -> str:
    """A bug in coursebook as one line for the terminal: what and where in our code. (The
    book may be hostile: the message shows no more of it than the exception's text.)"""
    import traceback

    from ..core.diagnostics import printable

    frames = traceback.extract_tb(bug.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return printable(
        f"coursebook: internal error: {type(bug).__name__}: {bug}{where}; this is a bug in "
        "coursebook: please report it (COURSEBOOK_DEBUG=1 shows the traceback)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coursebook",
        description="Turn a course folder (Markdown lessons with citations) into an EPUB 3 "
        "ebook and a print-ready PDF.",
        epilog="Run 'coursebook COMMAND --help' for a command's options. Exit status: 0 "
        "done, 1 the book has errors, 2 a wrong command line, 130 interrupted, 70 a bug in "
        "coursebook.",
    )
    parser.add_argument("--version", action="version", version=f"coursebook {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _build_command(commands)
    _check_command(commands)
    _new_command(commands)
    _preview_command(commands)
    _import_command(commands)
    return parser


def _build_command(commands: Any) -> None:
    build = commands.add_parser(
        "build",
        help="build the book's EPUB and PDF (and its web edition, with -f html)",
        description="Build BOOK_DIR into OUT_DIR/<slug>.epub and OUT_DIR/<slug>.pdf (or the "
        "formats -f names), where <slug> comes from the book's title. Every problem in the "
        "book is reported as path:line:col: error: message; nothing is written when there "
        "is an error, and earlier outputs are only ever replaced whole. Several BOOK_DIRs, "
        "or a folder of book folders, build a catalog: each book on its own core, each "
        "reported, a failure stopping none of the others.",
    )
    build.add_argument(
        "book_dirs",
        nargs="*",
        metavar="BOOK_DIR",
        help="the book folder, holding book.yaml (default: the current folder when it holds "
        "book.yaml, else ./book); several, or a folder of book folders, for a catalog",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes to use (default: one per core): books at a time for a catalog; "
        "for one book, parts of the print edition laid out at a time",
    )
    build.add_argument(
        "-o",
        "--output",
        default="dist",
        metavar="OUT_DIR",
        help="where to write the outputs (default: ./dist; a book's own dist folder is never "
        "read as part of the book)",
    )
    build.add_argument(
        "-f",
        "--format",
        action="append",
        type=_format_names,
        metavar="FORMAT",
        help="which outputs to build, comma-separated or repeated: "
        + ", ".join(f"{f.name} ({f.summary})" for f in registry.FORMATS)
        + ", or all (default: "
        + ",".join(registry.defaults())
        + ")",
    )
    build.add_argument(
        "--open", action="store_true", help="open the result (the PDF, else the EPUB) when built"
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="build even when the outputs there come from these same sources and options",
    )
    _verbosity_options(build)
    _book_options(build)
    _format_options(build)
    build.set_defaults(run=_build)


def _check_command(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="report every problem of the book, writing nothing",
        description="Check BOOK_DIR as a build would (manifest, lessons, front matter, "
        "citations and sources, links, images, HTML, the print layout) and report every "
        "problem, one per line: path:line:col: error|warning: message [code]. Exit status: 0 "
        "when there are no errors, 1 when there are, 2 for a wrong command line.",
    )
    _book_dir(check)
    check.add_argument(
        "--strict", action="store_true", help="count warnings as errors (exit 1 on any)"
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per problem and a summary (default); json: one JSON document, "
        "for CI and editors",
    )
    check.add_argument(
        "-o",
        "--output",
        default="dist",
        metavar="OUT_DIR",
        help="the folder the book is built into (default: ./dist): a check uses the cache a "
        "build left there, and adds to it; it writes nothing else",
    )
    check.add_argument(
        "--quick",
        action="store_true",
        help="don't lay out the print edition: faster, but notes too long for the foot of "
        "their page are not found",
    )
    _verbosity_options(check)
    _book_options(check)
    _format_options(check)
    check.set_defaults(run=_check)


def _new_command(commands: Any) -> None:
    new = commands.add_parser(
        "new",
        help="start a new book from a small, complete example",
        description="Write a small, complete book into DIR (a new or empty folder): book.yaml, "
        "two lessons with citations, a footnote, a quotation and discussion questions, and a "
        "sources file. It builds and checks clean as it is; change it a piece at a time.",
    )
    new.add_argument("folder", metavar="DIR", help="the folder to create")
    new.add_argument("--title", help="the book's title (default: from DIR's name)")
    new.add_argument("--author", help="the author's name")
    new.add_argument(
        "--language", default="en", help="the book's language, a BCP 47 tag (default: en)"
    )
    new.set_defaults(run=_new)


def _preview_command(commands: Any) -> None:
    preview = commands.add_parser(
        "preview",
        help="show the book in a browser, rebuilt as you write",
        description="Serve BOOK_DIR as one HTML page on http://127.0.0.1:PORT/, rendered as "
        "the PDF is, with notes and sources as links. Each time a file of the book changes "
        "the page is rebuilt and reloads itself; problems show in the page and here.",
    )
    _book_dir(preview)
    preview.add_argument(
        "--port",
        type=int,
        default=8000,
        metavar="PORT",
        help="the port to serve on (default: 8000; 0 for any free port)",
    )
    preview.add_argument("--open", action="store_true", help="open the page in a browser")
    _book_options(preview)
    preview.set_defaults(run=_preview)


def _import_command(commands: Any) -> None:
    imports = commands.add_parser(
        "import",
        help="make a book from the portal's lesson pages (text or HTML)",
        description="Read each PAGE (a lesson page of the portal, saved as HTML or as plain "
        "text) and write a new book into BOOK_DIR: one lesson file per page, titled and "
        "numbered from its heading; the page furniture (site name, course title, 'About this "
        "course') in book.yaml; citations written in prose turned into [@key] citations, with "
        "a draft entry in sources.yaml for each source, marked for review. Reports, per page, "
        "the citations recognised and each parenthetical remark left as text. BOOK_DIR must "
        "be new or empty; nothing is written when a page has an error.",
    )
    imports.add_argument("pages", nargs="+", metavar="PAGE", help="a lesson page (.html or .txt)")
    imports.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="BOOK_DIR",
        help="the book folder to create (new or empty)",
    )
    imports.add_argument(
        "--sources",
        metavar="FILE",
        help="an existing sources file (.yaml, .json or .bib): citations of its sources use "
        "its keys and entries instead of drafts",
    )
    imports.set_defaults(run=_import)


def _book_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "book_dir",
        nargs="?",
        metavar="BOOK_DIR",
        help="the book folder, holding book.yaml (default: the current folder when it holds "
        "book.yaml, else ./book)",
    )


def _verbosity_options(parser: argparse.ArgumentParser) -> None:
    quiet = parser.add_mutually_exclusive_group()
    quiet.add_argument("-q", "--quiet", action="store_true", help="print only the book's problems")
    quiet.add_argument(
        "-v", "--verbose", action="store_true", help="also say what each stage did and its time"
    )


def _book_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lessons",
        metavar="SELECTION",
        help="only some lessons, as a pack: numbers and ranges (15-16), lesson ids or "
        "chapter-N, comma-separated",
    )
    parser.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="raise one of the limits on what a book may ask of the machine (repeatable): "
        + ", ".join(Limits.names()),
    )
    parser.add_argument(
        "--allow-remote",
        action="append",
        default=[],
        metavar="HOST",
        help="let lessons show images from this host over https (repeatable); by default "
        "nothing is fetched from the network",
    )


def _format_options(parser: argparse.ArgumentParser) -> None:
    """Each output format's own options (the PDF's print options)."""
    for output_format in registry.FORMATS:
        output_format.add_options(parser)
    parser.set_defaults(format_options=True)


def _format_names(value: str) -> tuple[str, ...]:
    """``-f``'s value: format names, comma-separated, or ``all``."""
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if "all" in names:
        return registry.names()
    unknown = [name for name in names if name not in registry.names()]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"no format '{unknown[0] if unknown else value}'; choose from "
            + ", ".join(registry.names())
            + " or all"
        )
    return names


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
