"""What the command line shows: problems, progress and the summary of a build.

rich draws it. On a terminal problems are coloured and long builds show a progress display;
piped into a file or another program the output is the plain ``path:line:col: error: message
[code]`` lines, one per problem, never wrapped. rich leaves colour off when ``NO_COLOR`` is set
(https://no-color.org) and on when ``FORCE_COLOR`` is.

A book's file names, links, keys and messages are a stranger's text: everything printed here
goes through :func:`coursebook.diagnostics.printable` (rich's ``Text`` drops only a few control
codes and lets ESC through), and JSON output escapes the same characters as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.progress import Progress as RichProgress
from rich.text import Text

from ..core.diagnostics import UNPRINTABLE, Diagnostic, Severity, printable

QUIET, NORMAL, VERBOSE = -1, 0, 1
_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow"}


def console(stream: TextIO) -> Console:
    # soft_wrap: a problem is one line however narrow the terminal, so editors and grep can
    # read it; highlight off: rich would colour numbers and paths in messages at random.
    return Console(file=stream, soft_wrap=True, highlight=False)


class Terminal:
    """The command's output: results on stdout, problems and progress on stderr."""

    def __init__(
        self, verbosity: int = NORMAL, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.verbosity = verbosity
        self.out = console(out or sys.stdout)
        self.err = console(err or sys.stderr)

    def problems(self, diagnostics: Iterable[Diagnostic], to_stdout: bool = False) -> None:
        target = self.out if to_stdout else self.err
        for diagnostic in diagnostics:
            target.print(problem_line(diagnostic))
            if diagnostic.excerpt:
                for line in excerpt_lines(diagnostic):
                    target.print(line, style="dim")

    def say(self, text: str, style: str = "") -> None:
        """A line of the command's results (stdout), made printable; nothing with
        ``--quiet``."""
        if self.verbosity > QUIET:
            self.out.print(Text(printable(text), style=style))

    def fail(self, message: str) -> None:
        """A problem with the command itself rather than the book (its message may name the
        book's files: made printable)."""
        self.err.print(Text(f"coursebook: {printable(message)}"))

    def json(self, data: object) -> None:
        """``data`` as indented JSON on stdout, exact but safe to print (see
        :func:`json_text`)."""
        self.out.print(Text(json_text(data)))

    @contextmanager
    def progress(self) -> Iterator[StageProgress]:
        """A progress display for the stages of a build, shown while they run."""
        live = self.err.is_terminal and self.verbosity > QUIET
        display = RichProgress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            _Count(),
            console=self.err,
            transient=True,  # gone when done: what stays is the summary
            disable=not live,
        )
        with display:
            yield StageProgress(display, self.err if self.verbosity >= VERBOSE else None)


class _Count(ProgressColumn):
    """ "7/40" for a stage that knows its steps; nothing for one that doesn't (the layout)."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{task.completed:.0f}/{task.total:.0f}", style="progress.download")


class StageProgress:
    """The build's :class:`coursebook.progress.Progress`, shown with rich. With ``-v`` each
    finished stage also leaves a line saying what it did and how long it took."""

    def __init__(self, display: RichProgress, log: Console | None) -> None:
        self.display = display
        self.log = log
        self.task: TaskID | None = None
        self.name = ""
        self.started = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        self.finish()
        self.name, self.started = name, time.perf_counter()
        self.task = self.display.add_task(name, total=total)

    def advance(self, steps: int = 1) -> None:
        if self.task is not None:
            self.display.advance(self.task, steps)

    def finish(self, summary: str = "") -> None:
        if self.task is None:
            return
        task = next(t for t in self.display.tasks if t.id == self.task)
        self.display.remove_task(self.task)
        self.task = None
        if self.log is not None:
            done = summary or (f"{task.completed:.0f}" if task.total else "")
            elapsed = time.perf_counter() - self.started
            what = f"{self.name}: {done}" if done else self.name
            self.log.print(Text(f"{what} ({elapsed:.2f} s)", style="dim"))


def problem_line(diagnostic: Diagnostic) -> Text:
    """``path:line:col: error: message [code]``, coloured on a terminal; one line, printable
    (the location's ``str`` is printable already)."""
    line = Text(f"{diagnostic.location}: ", style="bold")
    line.append(f"{diagnostic.severity.value}:", style=_STYLES[diagnostic.severity])
    line.append(f" {printable(diagnostic.message)} ")
    line.append(f"[{diagnostic.code}]", style="dim")
    return line


def excerpt_lines(diagnostic: Diagnostic) -> tuple[Text, Text]:
    """The line a problem is on, and a caret under its column (as compilers show them)."""
    text = printable(diagnostic.excerpt.rstrip("\n")).replace("\\t", " ")
    column = max(1, diagnostic.location.column or 1)
    return Text(f"    {text}"), Text("    " + " " * (column - 1) + "^")


def json_text(data: object) -> str:
    """``data`` as JSON indented by 2, non-ASCII text as it is, but every character of
    :data:`~coursebook.diagnostics.UNPRINTABLE` as a ``\\uXXXX`` escape: the document
    still decodes to the exact paths and messages, and no control, C1, bidirectional or
    separator character reaches the terminal (``json.dumps`` escapes only C0 and leaves the
    others raw)."""
    return UNPRINTABLE.sub(_json_escape, json.dumps(data, indent=2, ensure_ascii=False))


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    # json.dumps escapes every C0 control inside a string, so a raw newline is the
    # indentation's; the others are inside strings (JSON is ASCII outside them), where an
    # escape means the same character.
    return char if char == "\n" else f"\\u{ord(char):04x}"


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
