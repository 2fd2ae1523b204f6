"""Pandoc's fancy lists for Python-Markdown: items numbered ``1)``, ``(1)``, ``a.``, ``A)``,
``(a)``, ``i.``, ``IV)`` or ``#.``, as an ``<ol>`` of that type (``type="a"``, ``"I"``…)
starting where the first item says.

Python-Markdown reads only ``1.``; ``sane_lists`` keeps the start number but knows no other
marker, and no maintained extension reads pandoc's. As in pandoc, a capital letter followed
by a period needs two spaces after it ("B. Russell" is a name, not an item B).
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import OListProcessor

_ROMAN = "ivxlcdm"
_STYLES = {
    "a": "lower-alpha",
    "A": "upper-alpha",
    "i": "lower-roman",
    "I": "upper-roman",
}
_VALUE = r"(?:\d{1,9}|[a-z]|[A-Z]|[ivxlcdm]+|[IVXLCDM]+|#)"
_MARKER = rf"(?:\({_VALUE}\)|{_VALUE}[.)])"


class FancyLists(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # Before the hash headings (70), which would take "#. item" for a heading; after
        # indented code (80). Python-Markdown's own lists still take "1." and "-".
        md.parser.blockprocessors.register(_Fancy(md.parser), "fancy_list", 75)


class _Fancy(OListProcessor):
    def __init__(self, parser: BlockParser) -> None:
        super().__init__(parser)
        room = self.tab_length - 1
        self.RE = re.compile(rf"^[ ]{{0,{room}}}(?P<marker>{_MARKER})[ ]+(.*)")
        self.CHILD_RE = re.compile(rf"^[ ]{{0,{room}}}({_MARKER}|[*+-])[ ]+(.*)")
        self.INDENT_RE = re.compile(
            rf"^[ ]{{{self.tab_length},{self.tab_length * 2 - 1}}}({_MARKER}|[*+-])[ ]+.*"
        )
        self.kind = ("1", 1)

    def test(self, parent: ET.Element, block: str) -> bool:
        match = self.RE.match(block)
        if match is None:
            return False
        marker = match.group("marker")
        if re.fullmatch(r"\d+\.", marker):
            return False  # Python-Markdown's own list
        if re.fullmatch(r"[A-Z]\.", marker) and not re.match(r"^[ ]*[A-Z]\.  ", block):
            return False  # "B. Russell": an initial
        self.kind = _kind(marker.strip("().").rstrip(")"))
        return True

    def get_items(self, block: str) -> list[str]:
        items: list[str] = []
        for line in block.split("\n"):
            if (match := self.CHILD_RE.match(line)) is not None:
                items.append(match.group(2))
            elif self.INDENT_RE.match(line) and items:
                if items[-1].startswith(" " * self.tab_length):
                    items[-1] = f"{items[-1]}\n{line}"
                else:
                    items.append(line)
            elif items:
                items[-1] = f"{items[-1]}\n{line}"
        return items

    def run(self, parent: ET.Element, blocks: list[str]) -> None:
        kind, start = self.kind
        sibling = self.lastChild(parent)
        if sibling is not None and sibling.tag == "ol" and sibling.get("type", "1") == kind:
            super().run(parent, blocks)  # the same list goes on
            return
        # A list of another style starts a new list (as in pandoc), where Python-Markdown
        # would go on with the one before.
        ol = ET.SubElement(parent, "ol")
        if kind != "1":
            # The class says it too: print (WeasyPrint) reads no type attribute, and in
            # HTML a selector can't tell "a" from "A" there.
            ol.set("type", kind)
            ol.set("class", _STYLES[kind])
        if start != 1:
            ol.set("start", str(start))
        self.parser.state.set("list")
        for item in self.get_items(blocks.pop(0)):
            if item.startswith(" " * self.tab_length):
                self.parser.parseBlocks(ol[-1], [item])
            else:
                self.parser.parseBlocks(ET.SubElement(ol, "li"), [item])
        self.parser.state.reset()


def _kind(value: str) -> tuple[str, int]:
    """The list's type and first number, from its first marker's value."""
    if value == "#" or value.isdigit():
        return "1", int(value) if value.isdigit() else 1
    if len(value) > 1 or (value in "ivxlcdmIVXLCDM" and value.lower() == "i"):
        return ("i" if value.islower() else "I"), _roman(value.lower())
    return ("a" if value.islower() else "A"), ord(value.lower()) - ord("a") + 1


def _roman(text: str) -> int:
    values = {c: v for c, v in zip(_ROMAN, (1, 5, 10, 50, 100, 500, 1000), strict=True)}
    total = 0
    for index, char in enumerate(text):
        value = values[char]
        following = values[text[index + 1]] if index + 1 < len(text) else 0
        total += -value if value < following else value
    return total
