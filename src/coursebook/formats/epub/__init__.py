"""The ebook: the shared rendering as an EPUB 3 package (ebooklib), with the print edition's
page numbers as its page list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...core.diagnostics import Diagnostics
from ...core.yamlio import Node
from ..base import Job, Output, OutputFormat, SettingsError


class EpubFormat(OutputFormat):
    name = "epub"
    suffix = ".epub"
    summary = "the ebook, EPUB 3"
    settings_key: str | None = None
    needs_page_starts = True
    default = True

    def settings(
        self, node: Node | None, overrides: Mapping[str, Any], diagnostics: Diagnostics
    ) -> None:
        if overrides:
            raise SettingsError(f"the EPUB has no setting '{next(iter(overrides))}'")
        from .fonts import find_fonts  # the cover's, while this process is small (see there)

        find_fonts()

    def write(self, job: Job) -> Sequence[Output]:
        from .writer import write_epub  # ebooklib and lxml, only when an EPUB is made

        pages = job.page_starts()
        job.progress.stage("writing the EPUB")
        job.stage(
            job.target,
            lambda stream: write_epub(job.rendered, stream, job.dates, pages, job.cache),
        )
        job.progress.finish()
        return (Output(self.name, job.target),)


EPUB = EpubFormat()
