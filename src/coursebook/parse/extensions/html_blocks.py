"""Markdown inside raw HTML blocks, as pandoc reads it (its ``markdown_in_html_blocks``):
``<details>``, ``<aside>``, ``<div>``, ``<section>``, ``<figure>`` and ``<blockquote>``
written in a lesson hold Markdown, not text.

Python-Markdown's ``md_in_html`` does the reading, for an element marked ``markdown="1"``;
this preprocessor marks the opening tags a lesson writes at a block's start (an author's own
``markdown="0"`` keeps its content as it is)."""

from __future__ import annotations

import re

import markdown
from markdown.preprocessors import Preprocessor

_OPENING = re.compile(
    r"^(?P<indent> {0,3})<(?P<tag>details|aside|div|section|figure|blockquote)\b"
    r"(?P<attributes>[^<>]*?)(?P<end>/?)>",
    re.IGNORECASE,
)


class MarkdownInHtml(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before md_in_html's own reading of HTML blocks (20).
        md.preprocessors.register(_Mark(md), "markdown_in_html_marks", 21)


class _Mark(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return [_marked(line) for line in lines]


def _marked(line: str) -> str:
    match = _OPENING.match(line)
    if match is None or match.group("end") or "markdown=" in match.group("attributes").lower():
        return line
    return f'{line[: match.end("attributes")]} markdown="1"{line[match.end("attributes") :]}'
