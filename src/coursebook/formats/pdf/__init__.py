"""The printed book: the shared rendering laid out by WeasyPrint as a PDF (and, asked for, a
booklet of its pages imposed for saddle-stitch printing). It owns book.yaml's ``print:``
settings and the command line's print options, and it is where the page numbers every
format carries come from (:meth:`PdfFormat.page_starts`)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any

from ...core.diagnostics import Diagnostics
from ...core.yamlio import Node
from ...render.pagemap import PageList
from ..base import Job, Output, OutputFormat, Started
from .settings import PrintOptions, add_print_options, print_options, print_overrides


class PdfFormat(OutputFormat):
    name = "pdf"
    suffix = ".pdf"
    summary = "the printed book"
    settings_key: str | None = "print"
    needs_page_starts = False
    default = True

    def settings(
        self, node: Node | None, overrides: Mapping[str, Any], diagnostics: Diagnostics
    ) -> PrintOptions:
        return print_options(node, overrides, diagnostics)

    def write(self, job: Job) -> Sequence[Output]:
        from .edition import write_edition  # WeasyPrint is slow to import

        return write_edition(job)

    def start(self, jobs: int) -> Started | None:
        if jobs < 2:
            return None
        from .parallel import Workers  # the workers import WeasyPrint, not this process

        # One worker, warming up beside this process while it reads and renders the book
        # (more would take a core from it); the others start once there is work for them.
        return Workers(1)

    def page_starts(self, job: Job) -> PageList:
        from .edition import page_starts

        return page_starts(job)

    def file_names(self, slug: str) -> tuple[str, ...]:
        return (f"{slug}.pdf", f"{slug}-booklet.pdf")

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        add_print_options(parser)

    def overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        return print_overrides(args)


PDF = PdfFormat()
