"""Pandoc's implicit figures for Python-Markdown: an image with a caption alone in its
paragraph is a ``<figure>`` whose ``<figcaption>`` is the caption, read as Markdown (so that
emphasis, links and citations in it work).

``pymdownx.blocks.caption`` wants its own ``/// figure-caption`` block and
``markdown-captions`` keeps the caption as flat text: neither reads the paragraph pandoc,
Quarto and pandoc-crossref authors write. The paragraph is recognised before Python-Markdown
reads inline syntax (the caption is still Markdown then); the image's text alternative is
made from the finished caption by the lesson (:meth:`_Draft.dress_figures`).
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import markdown
from markdown.treeprocessors import Treeprocessor

_LONE_IMAGE = re.compile(
    r"\A\s*!\[(?P<caption>(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])+)\]"
    r"(?P<target>\((?:[^()\s]|\([^()\s]*\))+(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\))"
    r"(?P<attributes>\{[^{}\n]*\})?\s*\Z"
)
"""``![caption](target "title"){#fig:x}`` and nothing else in the paragraph."""


class ImplicitFigures(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before the inline processor (20) reads the paragraph's Markdown.
        md.treeprocessors.register(_Figures(md), "implicit_figures", 21)


class _Figures(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        found = [
            (parent, child, figure)
            for parent in root.iter()
            if parent.tag != "figure"
            for child in parent
            if child.tag == "p" and len(child) == 0 and (figure := _figure(child.text or ""))
        ]
        for parent, paragraph, figure in found:  # replaced once found: a figure holds a "p"
            figure.tail = paragraph.tail
            parent.insert(list(parent).index(paragraph), figure)
            parent.remove(paragraph)


def _figure(text: str) -> ET.Element | None:
    match = _LONE_IMAGE.match(text)
    if match is None:
        return None
    figure = ET.Element("figure")
    image = ET.SubElement(figure, "p", {"class": "figure-image"})
    image.text = f"![{match.group('caption')}]{match.group('target')}"
    image.text += match.group("attributes") or ""
    caption = ET.SubElement(figure, "figcaption")
    caption.text = match.group("caption")
    return figure
