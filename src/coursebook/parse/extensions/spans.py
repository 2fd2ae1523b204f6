"""Pandoc's bracketed spans for Python-Markdown: ``[text]{.class #id}`` is a ``<span>`` of
that class around the text (read as Markdown); ``{.underline}`` is ``<u>``, ``{.mark}``
``<mark>``, as pandoc writes them. ``attr_list`` sets attributes on an element Markdown
already made (a link, an image), never on bare brackets, and no maintained extension reads
pandoc's spans.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import markdown
from markdown.inlinepatterns import InlineProcessor

from .divs import DivAttributes

_SPAN = r"(?<![!\]\\])\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]\{([^{}\n]*)\}"
_TAGS = {"underline": "u", "mark": "mark"}


class BracketedSpans(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before links (160) and reference links (170): "[text]{…}" is no link.
        md.inlinePatterns.register(_Spans(_SPAN, md), "bracketed_spans", 175)


class _Spans(InlineProcessor):
    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[ET.Element, int, int]:
        attributes = DivAttributes.parse("{" + m.group(2) + "}")
        tag = next((_TAGS[c] for c in attributes.classes if c in _TAGS), "span")
        element = ET.Element(tag)
        classes = [c for c in attributes.classes if c not in _TAGS]
        if classes:
            element.set("class", " ".join(classes))
        if attributes.id:
            element.set("id", attributes.id)
        for name, value in attributes.others:  # what a book can't keep is reported by the
            element.set(name, value)  # allow-list, with its place

        element.text = m.group(1)
        return element, m.start(0), m.end(0)
