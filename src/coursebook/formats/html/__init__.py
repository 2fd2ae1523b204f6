"""The web edition: the whole book as one self-contained HTML page (stylesheet and images
inside), readable offline on any phone, notes opening where they are called."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from ...core.diagnostics import Diagnostics
from ...core.yamlio import Node
from ..base import Job, Output, OutputFormat, SettingsError


class HtmlFormat(OutputFormat):
    name = "html"
    suffix = ".html"
    summary = "the web edition, one self-contained page"
    settings_key: str | None = None
    needs_page_starts = False
    default = False

    def settings(
        self, node: Node | None, overrides: Mapping[str, Any], diagnostics: Diagnostics
    ) -> None:
        if overrides:
            raise SettingsError(f"the web edition has no setting '{next(iter(overrides))}'")

    def write(self, job: Job) -> Sequence[Output]:
        from .page import web_edition

        def write(stream: BinaryIO) -> None:
            stream.write(web_edition(job.rendered))

        job.progress.stage("writing the web edition")
        job.stage(job.target, write)
        job.progress.finish()
        return (Output(self.name, job.target),)


HTML = HtmlFormat()
