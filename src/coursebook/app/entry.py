"""The ``coursebook`` console script's entry point, apart from :mod:`.cli` so that importing
it costs nothing.

A process started with multiprocessing's spawn (the layout's workers, a catalog's books)
runs the main module of its parent again, as ``__mp_main__``: for the console script, the
script pip wrote, which imports its entry point at its top. With :mod:`.cli` there, every
worker imported the commands and all they import before its first task (0.1 s of its
start, which an edit's build waits for); ``python -m coursebook`` never had that cost
(multiprocessing skips a package's ``__main__``)."""

from __future__ import annotations


def run() -> None:
    """The ``coursebook`` command (see :func:`coursebook.app.cli.run`)."""
    from .cli import run as command

    command()
