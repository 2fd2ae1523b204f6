"""The ``coursebook`` command: ``build``, ``check``, ``new``, ``preview`` and ``import``.

Exit status: 0 when all went well, 1 when the book has errors (each printed as
``path:line:col: error: message [code]``), 2 when the command line is wrong, 130 when
interrupted, 70 for a bug in coursebook (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.diagnostics import BookError, Diagnostic, Diagnostics, Severity, display_path
from ..core.limits import Limits
from ..core.version import __version__
from ..formats import registry
from ..formats.base import SettingsError
from ..pipeline.packs import SelectionError
from .terminal import NORMAL, QUIET, VERBOSE, Terminal, file_size, plural

if TYPE_CHECKING:
    from ..model import Book
    from ..pipeline.build import BuildOptions, BuildResult
    from ..pipeline.catalog import BookOutcome

EXIT_OK, EXIT_BOOK_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a bug in coursebook, not in the book
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


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
    except Exception as bug:  # the last line of defence: one line, never a traceback
        if os.environ.get("COURSEBOOK_DEBUG"):
            raise
        print(internal_error(bug), file=sys.stderr)
        return EXIT_INTERNAL


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
        default=["book"],
        metavar="BOOK_DIR",
        help="the book folder, holding book.yaml (default: ./book); several, or a folder of "
        "book folders, for a catalog",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes to use (default: one per core): books at a time for a catalog; "
        "for one book, parts of the print edition laid out at a time when only the EPUB is "
        "built",
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
        default="book",
        metavar="BOOK_DIR",
        help="the book folder, holding book.yaml (default: ./book)",
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


# --- the commands --------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    from ..pipeline.build import build  # imported here so --help and --version stay fast
    from ..pipeline.catalog import books_in

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
    from ..pipeline.catalog import build_catalog

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
    book, warnings = result.book, len(result.diagnostics.warnings)
    return (
        f"{plural(len(book.lessons), 'lesson')}, {plural(result.notes, 'note')}, "
        f"{plural(len(book.sources), 'source')}, {plural(warnings, 'warning')}; "
        + (
            "nothing changed since the last build (--force to build anyway)"
            if result.up_to_date
            else f"built in {seconds:.1f} s"
        )
    )


def _check(args: argparse.Namespace) -> int:
    from ..pipeline.checking import check_book
    from ..pipeline.loading import load_book

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
            found = check_book(book, options, layout=not args.quick, progress=progress)
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


def _new(args: argparse.Namespace) -> int:
    from .newbook import NewBookError, create_book

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


def _preview(args: argparse.Namespace) -> int:
    from .preview import serve

    terminal = Terminal()
    options = _options(args, terminal)
    if options is None:
        return EXIT_USAGE
    if args.lessons and not _selection_ok(Path(args.book_dir), options, terminal):
        return EXIT_USAGE
    return serve(Path(args.book_dir), options, port=args.port, open_browser=args.open)


def _import(args: argparse.Namespace) -> int:
    from .importing import ImportError_, check_new_folder, import_pages, write_book

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


def _selection_ok(book_dir: Path, options: BuildOptions, terminal: Terminal) -> bool:
    """A --lessons naming no lesson is a wrong command line, for preview as for build (a
    book too broken to read is left for the page to show)."""
    from ..pipeline.loading import the_book

    try:
        the_book(book_dir, options.lessons, options.limits, Diagnostics())
    except SelectionError as problem:
        terminal.fail(str(problem))
        return False
    except BookError:
        pass
    return True


# --- shared steps --------------------------------------------------------------------------


def _verbosity(args: argparse.Namespace) -> int:
    return QUIET if args.quiet else VERBOSE if args.verbose else NORMAL


def _options(args: argparse.Namespace, terminal: Terminal) -> BuildOptions | None:
    """The build options of the command line; None (after saying why) when one is wrong."""
    from ..pipeline.build import BuildOptions

    try:
        limits = Limits().raised(args.limit)
    except ValueError as problem:
        terminal.fail(str(problem))
        return None
    _limit_memory(limits.memory_mb)
    return BuildOptions(
        format_options=_format_overrides(args),
        lessons=args.lessons,
        limits=limits,
        allow_remote=tuple(args.allow_remote),
        force=getattr(args, "force", False),
        jobs=getattr(args, "jobs", None) or os.cpu_count() or 1,
    )


def _open(path: Path, terminal: Terminal) -> None:
    """Open a file with the system's viewer for it, without waiting for the viewer."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]  # Windows only
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    try:
        subprocess.Popen(  # a fixed program and our own output
            [opener, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        terminal.fail(f"could not open {display_path(path)}: no '{opener}' on this system")


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


def _format_overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """By format, the settings its command-line options gave (the others come from
    book.yaml)."""
    if not getattr(args, "format_options", False):  # preview has none
        return {}
    return {f.name: given for f in registry.FORMATS if (given := f.overrides(args))}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
