"""What an output format is to the rest of coursebook: one small protocol.

A format is a name (what ``-f`` takes), a file suffix, the key of book.yaml whose settings it
owns (and checks, with their lines), whether it needs to know where the printed pages begin,
and :meth:`OutputFormat.write`. The pipeline loops over :mod:`.registry`; it knows nothing of
any one format, and no format knows another: what two formats share (the rendering, the print
edition's page starts) comes to each in its :class:`Job`.

To add a format: a subpackage of :mod:`coursebook.formats` whose ``__init__`` defines an
object following :class:`OutputFormat` (importing its heavy modules only in ``write``, so
that ``--help`` stays fast), and one line in :mod:`.registry`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from ..core.cache import Cache
from ..core.diagnostics import Diagnostics
from ..core.limits import Limits
from ..core.progress import Progress
from ..core.yamlio import Node

if TYPE_CHECKING:  # names for the annotations: the rendering stage isn't loaded for --help
    # or a build with nothing to do
    from ..render.builddate import BuildDates
    from ..render.pagemap import PageList
    from ..render.rendered_book import RenderedBook


class SettingsError(ValueError):
    """A setting given by the caller (the command line, the Python API) that the format
    can't use; the message says which and why. Settings written in book.yaml are reported as
    the book's problems instead, at their line."""


@dataclass(frozen=True)
class Output:
    """A file a build wrote."""

    format: str
    """The format's name, or a name for a second file it writes ("booklet")."""
    path: Path
    pages: int | None = None


Stage = Callable[[Path, Callable[[BinaryIO], None]], Path]
"""Writes one output file into the build's staging area (returning the staged file, which
the writer may read back); every output is put in place together once all are written."""


class PageStarts:
    """Where the pages of the print edition begin, found at most once per build.

    The format that lays the print edition out whole offers its page starts; a format that
    needs them (the EPUB's page list) asks, and they are laid out then if no format has."""

    def __init__(self, lay_out: Callable[[], PageList]) -> None:
        self._lay_out = lay_out
        self._pages: PageList | None = None

    def offer(self, pages: PageList) -> None:
        self._pages = pages

    def __call__(self) -> PageList:
        if self._pages is None:
            self._pages = self._lay_out()
        return self._pages


@dataclass(frozen=True)
class Job:
    """Everything a format is given to write its output."""

    rendered: RenderedBook
    """The shared rendering (see :mod:`coursebook.render.rendering` for its contract)."""
    settings: Any
    """The format's own settings, as its :meth:`OutputFormat.settings` made them."""
    target: Path
    """The file to write: ``<out>/<slug><suffix>``."""
    stage: Stage
    dates: BuildDates
    diagnostics: Diagnostics
    cache: Cache
    limits: Limits
    progress: Progress
    page_starts: PageStarts
    jobs: int = 1
    """Processes the format may use side by side."""
    started: Started | None = None
    """What the page source started early for its layout (:meth:`PageSource.start`)."""


class OutputFormat(Protocol):
    """An output format (see the module docstring)."""

    name: str
    """What ``-f`` takes: ``epub``, ``pdf``, ``html``."""
    suffix: str
    """The file's suffix, with its dot."""
    summary: str
    """What it is, for ``--help``."""
    settings_key: str | None
    """The key of book.yaml whose settings it owns (``print`` for the PDF), if any."""
    needs_page_starts: bool
    """True when it carries the print edition's page numbers (the EPUB's page list)."""
    default: bool
    """Built when no format is named."""

    def settings(
        self, node: Node | None, overrides: Mapping[str, Any], diagnostics: Diagnostics
    ) -> Any:
        """The format's settings: book.yaml's (``node``, None when absent), each problem
        reported at its line, then ``overrides`` from the caller (a wrong one raises
        :class:`SettingsError`)."""

    def write(self, job: Job) -> Sequence[Output]:
        """Write the output (and any file that goes with it) through ``job.stage``."""

    def file_names(self, slug: str) -> tuple[str, ...]:
        """Every file it may write for a book of this slug (for recovering an interrupted
        build)."""
        return (slug + self.suffix,)

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Its command-line options, overriding its book.yaml settings (none by default)."""
        return None

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        """The settings the command line gave (book.yaml's names), from parsed ``args``."""
        return {}


class Started(Protocol):
    """What a page source started before the book was rendered."""

    def close(self, abandon: bool = False) -> None:
        """Stop it (``abandon``: at once, whatever it is doing); again, nothing happens."""

    def more(self, jobs: int) -> None:
        """Start the rest of what will lay out on ``jobs`` cores (the book's parts are
        coming)."""


class PageSource(OutputFormat, Protocol):
    """The format that lays out the print edition: the source of every format's page
    starts."""

    def start(self, jobs: int) -> Started | None:
        """What its layout will need, started while the book is read and rendered (processes
        to lay out on ``jobs`` cores), given to its jobs as :attr:`Job.started`; None when
        nothing needs starting."""

    def page_starts(self, job: Job) -> PageList:
        """Where each printed page begins, laid out for ``job`` (its settings are this
        format's)."""
