"""The steps the commands share: exit statuses, the terminal's verbosity, the build options
of the command line (limits, the memory bound, each format's options) and opening a result.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...core.diagnostics import display_path
from ...core.limits import Limits
from ...formats import registry
from ..terminal import NORMAL, QUIET, VERBOSE, Terminal

if TYPE_CHECKING:
    from ...pipeline.build import BuildOptions

EXIT_OK, EXIT_BOOK_ERRORS, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a bug in coursebook, not in the book


def _verbosity(args: argparse.Namespace) -> int:
    return QUIET if args.quiet else VERBOSE if args.verbose else NORMAL


def _options(args: argparse.Namespace, terminal: Terminal) -> BuildOptions | None:
    """The build options of the command line; None (after saying why) when one is wrong."""
    from ...pipeline.build import BuildOptions

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
