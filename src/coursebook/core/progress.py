"""What a build tells whoever watches it: the stages as they start, and steps within them.

The build calls a :class:`Progress`; the command line shows it as a progress display on a
terminal (:mod:`coursebook.terminal`), the Python API ignores it unless given one. Stages are
named for people: "parsing lessons", "formatting citations", "laying out pages".
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> None:
        """A stage begins; ``total`` steps when known (lessons, citations), else None."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more of the current stage are done."""

    def finish(self, summary: str = "") -> None:
        """The current stage is done; ``summary`` says what it made ("11 pages")."""


class Silent:
    """Reports nothing: the default for the Python API and for ``--quiet``."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self, summary: str = "") -> None:
        pass
