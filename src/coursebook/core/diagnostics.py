"""Problems found in a book, each pointing at the file and line that caused it.

Every stage reports into one :class:`Diagnostics` collector instead of raising at the first
problem, so an author sees all of a book's problems in one run. A stage that cannot go on
raises :class:`BookError`, which carries everything collected so far.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file."""

    path: Path
    """The file, as found on disk (absolute or relative to the working folder)."""
    line: int = 0
    """1-based line number; 0 when the problem concerns the whole file."""
    column: int = 0
    """1-based column; 0 when unknown."""

    def shifted(self, lines: int) -> Location:
        """The same place, ``lines`` further down (for text cut out of a larger file)."""
        return Location(self.path, self.line + lines, self.column)

    def __str__(self) -> str:
        """``path:line:col`` as printed: the path :func:`printable` (it is the book's)."""
        text = printable(display_path(self.path))
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


def display_path(path: Path) -> str:
    """A path as a user wants to read it: relative to the working folder when inside it.

    Exact (JSON output and written files need the real name): pass it through
    :func:`printable` before it reaches a terminal.
    """
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What must never reach a terminal raw: C0 controls (ESC starts a sequence that can retitle
the window, clear the screen or rewrite what was printed; a newline splits a problem in two),
DEL, C1 controls (U+009B is a one-byte CSI on some terminals), the line and paragraph
separators, the bidirectional embeddings, overrides and isolates that reorder what is shown
("Trojan Source"), and lone surrogates: a file name's undecodable bytes, which an output
written with ``surrogateescape`` turns back into the raw bytes (0x9B among them)."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` safe to print: each character of :data:`UNPRINTABLE` as a Python-style escape
    (``\\x1b``, ``\\n``, ``\\x9b``, ``\\u202e``), all else (``é``, ``日本``, emoji) as it is.

    Backslashes are left alone, so a name holding the four characters ``\\x1b`` reads like
    one holding ESC; JSON output (``check --format json``) is the exact form. Three reasons:
    a backslash is harmless on a terminal; it is the path separator on Windows, which
    doubling would garble in every path; and leaving it makes ``printable`` idempotent, so a
    message that quotes an already escaped place is never escaped twice.
    """
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: where, how bad, what, and a short code naming its kind."""

    location: Location
    severity: Severity
    message: str
    code: str
    excerpt: str = field(default="", compare=False)
    """The line of the file the problem is on, for the terminal to show under the message
    with a caret at the column (a YAML syntax error: the place matters more than words)."""

    def as_data(self) -> dict[str, Any]:
        """As plain data, for a cache to keep (:meth:`from_data` reads it back)."""
        where = self.location
        return {
            "path": str(where.path),
            "line": where.line,
            "column": where.column,
            "severity": self.severity.value,
            "message": self.message,
            "code": self.code,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Diagnostic:
        location = Location(Path(data["path"]), int(data["line"]), int(data["column"]))
        return cls(location, Severity(data["severity"]), data["message"], data["code"])

    def __str__(self) -> str:
        # One problem, one line, nothing a terminal would act on: the location and the
        # message (which may quote a book's file names, links and keys) printable.
        message = printable(self.message)
        return f"{self.location}: {self.severity.value}: {message} [{self.code}]"


@dataclass
class Diagnostics:
    """Collects the problems of one build, in the order they were found."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str, code: str, excerpt: str = "") -> None:
        self.items.append(Diagnostic(location, Severity.ERROR, message, code, excerpt))

    def warning(self, location: Location, message: str, code: str) -> None:
        self.items.append(Diagnostic(location, Severity.WARNING, message, code))

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self.items.extend(items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def by_place(self) -> list[Diagnostic]:
        """The problems by file, line and column (in the order found where they tie): how an
        author reads them, one file at a time."""
        return sorted(
            self.items,
            key=lambda d: (str(d.location.path), d.location.line, d.location.column),
        )

    def check(self) -> None:
        """Stop the build here if anything so far was an error."""
        if self.errors:
            raise BookError(self)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class BookError(Exception):
    """The book has errors; ``diagnostics`` holds all that were found."""

    def __init__(self, diagnostics: Diagnostics, written: tuple[Path, ...] = ()) -> None:
        self.diagnostics = diagnostics
        self.written = written
        """Outputs put in place before the build failed (only a failed rename leaves any)."""
        first = diagnostics.errors[0] if diagnostics.errors else None
        super().__init__(str(first) if first else "the book has errors")


def problem_id(location: Location) -> str:
    """The id of a problem's place in a rendering that marks it (the preview's page, whose
    list of problems links there): the same for the same file, line and column."""
    place = f"{location.path}\0{location.line}\0{location.column}"
    digest = hashlib.sha256(place.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"problem-{digest}"


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or nothing when none is close.

    A choice that extends what was written (``trotsky1935`` → ``trotsky1935thermidor``) is
    the likeliest meaning; otherwise the most similar one.
    """
    choice = closest(word, choices, cutoff)
    return f" (did you mean '{choice}'?)" if choice is not None else ""


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice ``word`` most likely meant (see :func:`did_you_mean`), or None: the one
    choice that extends it, else the one choice that holds it from a word's start
    (``the-harm-principle`` for ``harm-principle``), else the most similar, at least
    ``cutoff`` alike (difflib's ratio)."""
    options = sorted(set(choices))
    extended = [choice for choice in options if choice.startswith(word) and choice != word]
    if len(extended) == 1:
        return extended[0]
    at_a_word = re.compile(r"(?:^|[-_./ ])" + re.escape(word))
    holding = [c for c in options if len(word) >= 4 and c != word and at_a_word.search(c)]
    if len(holding) == 1:
        return holding[0]
    close = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return close[0] if close else None
