"""Pandoc's fenced divs, ``::: {.class #id}`` … ``:::`` (nested too), for Python-Markdown;
and MkDocs' ``!!! note`` callouts (Python-Markdown's ``admonition``) made the same callouts.

No extension reads them: ``pymdownx.blocks`` has its own ``///`` syntax, and the "admonition"
and "custom blocks" extensions want the content indented. Pandoc's rules are followed: an
opening fence is three or more colons with attributes (``{…}`` or one class word, optionally
more colons after), a closing fence is colons alone, and a div's content is read as Markdown
blocks. A fence with no partner is left as text (and reported by the lesson's leak check).

The callout classes a course's styles know (:data:`CALLOUTS`) get a title, the ``title``
attribute or the kind's word in the book's language; any other class is kept on a plain
``<div>``. Attributes beyond id, class and title have no place in a book's HTML: they are
reported (:attr:`FencedDivs.dropped`), not silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import markdown
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

CALLOUTS = ("note", "tip", "warning", "important", "exercise", "epigraph")
"""Classes set as a styled box; all but the epigraph get a title."""

_OPEN = re.compile(
    r" {0,3}(?P<colons>:{3,})[ \t]*(?P<attributes>\{[^{}\n]*\}|[\w-]+)[ \t]*:*[ \t]*$"
)
_CLOSE = re.compile(r" {0,3}:{3,}[ \t]*$")
_ATTRIBUTE = re.compile(
    r"#(?P<id>[^\s}]+)|\.(?P<class>[^\s}]+)"
    r"|(?P<key>[A-Za-z_][\w:.-]*)=(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s}]*))"
)
_MARK_OPEN, _MARK_CLOSE = "\ue008", "\ue009"
"""Around a fence's number, alone in the paragraph Markdown makes of it."""
_MARK = re.compile(f"^([{_MARK_OPEN}{_MARK_CLOSE}])(\\d+)[{_MARK_OPEN}{_MARK_CLOSE}]$")


@dataclass(frozen=True)
class DivAttributes:
    """What a fence says: ``{.box #summary title="In short"}``."""

    written: str
    id: str = ""
    classes: tuple[str, ...] = ()
    others: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def parse(text: str) -> DivAttributes:
        if not text.startswith("{"):
            return DivAttributes(text, classes=(text,))
        ident, classes, others = "", [], []
        for match in _ATTRIBUTE.finditer(text[1:-1]):
            if match.group("id"):
                ident = match.group("id")
            elif match.group("class"):
                classes.append(match.group("class"))
            else:
                value = next(v for v in match.group("dq", "sq", "bare") if v is not None)
                others.append((match.group("key"), value))
        return DivAttributes(text, ident, tuple(classes), tuple(others))


@dataclass
class FencedDivs(markdown.Extension):
    """The extension; ``titles`` are the callouts' titles by class, in the book's language."""

    titles: Mapping[str, str] = field(default_factory=dict)
    fences: list[DivAttributes] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    """(needle, message) for each attribute a div could not keep, for the lesson to report."""

    def __post_init__(self) -> None:
        super().__init__()

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        # After fenced code (25) has hidden code blocks, whose ":::" lines are code.
        md.preprocessors.register(_Fences(md, self), "pandoc_divs", 24)
        md.treeprocessors.register(_Divs(md, self), "pandoc_divs", 25)

    def reset(self) -> None:
        self.fences.clear()
        self.dropped.clear()


class _Fences(Preprocessor):
    """Each matched pair of fences becomes a paragraph of its own holding a marker."""

    def __init__(self, md: markdown.Markdown, extension: FencedDivs) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        pairs = _pairs(lines)
        if not pairs:
            return lines
        out: list[str] = []
        for index, line in enumerate(lines):
            if index in pairs:
                number, opening = pairs[index]
                if opening:
                    match = _OPEN.match(line)
                    assert match is not None
                    self.extension.fences.append(DivAttributes.parse(match.group("attributes")))
                mark = _MARK_OPEN if opening else _MARK_CLOSE
                out += ["", f"{mark}{number}{mark}", ""]
            else:
                out.append(line)
        return out


_CODE_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def unmatched_fences(text: str) -> list[int]:
    """The offsets in ``text`` (a lesson's Markdown) of the fence lines that have no partner,
    fenced code left out: what :class:`FencedDivs` leaves as text."""
    lines = text.split("\n")
    offsets, offset, fence = [], 0, ""
    kept: list[str] = []
    for line in lines:
        code = _CODE_FENCE.match(line)
        if fence:
            if code and code.group(1).startswith(fence):
                fence = ""
            kept.append("")
        elif code:
            fence = code.group(1)[0] * 3
            kept.append("")
        else:
            kept.append(line)
        offsets.append(offset)
        offset += len(line) + 1
    paired = _pairs(kept)
    return [
        offsets[i]
        for i, line in enumerate(kept)
        if (_OPEN.match(line) or _CLOSE.match(line)) and i not in paired
    ]


def _pairs(lines: list[str]) -> dict[int, tuple[int, bool]]:
    """Line index → (div number, is opening) for each fence that has its partner."""
    stack: list[int] = []
    pairs: dict[int, tuple[int, bool]] = {}
    opened = 0
    for index, line in enumerate(lines):
        if _CLOSE.match(line):
            if stack:
                start = stack.pop()
                pairs[start] = (pairs[start][0], True)
                pairs[index] = (pairs[start][0], False)
        elif _OPEN.match(line):
            stack.append(index)
            pairs[index] = (opened, True)
            opened += 1
    for unclosed in stack:
        del pairs[unclosed]
    return pairs


class _Divs(Treeprocessor):
    """The paragraphs between two markers moved into the div the fence describes."""

    def __init__(self, md: markdown.Markdown, extension: FencedDivs) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: ET.Element) -> None:
        self._fences(root)
        for div in root.iter("div"):
            _callout_from_admonition(div, self.extension.titles)

    def _fences(self, root: ET.Element) -> None:
        marks: dict[tuple[str, int], tuple[ET.Element, ET.Element]] = {}
        for parent in root.iter():
            for child in parent:
                if child.tag == "p" and child.text and (mark := _MARK.match(child.text)):
                    marks[(mark.group(1), int(mark.group(2)))] = (parent, child)
        numbers = sorted({number for _, number in marks}, reverse=True)  # the innermost first
        for number in numbers:
            opening = marks.get((_MARK_OPEN, number))
            closing = marks.get((_MARK_CLOSE, number))
            attributes = self.extension.fences[number]
            if opening and closing and opening[0] is closing[0]:
                self._wrap(opening[0], opening[1], closing[1], attributes)
            else:  # split apart by a list or quote the fences don't enclose: text as written
                for found in (opening, closing):
                    if found:
                        found[1].text = _fence_text(found is opening, attributes)

    def _wrap(
        self, parent: ET.Element, opening: ET.Element, closing: ET.Element, fence: DivAttributes
    ) -> None:
        children = list(parent)
        start, stop = children.index(opening), children.index(closing)
        div = ET.Element("div")
        for child in children[start + 1 : stop]:
            parent.remove(child)
            div.append(child)
        parent.remove(closing)
        parent.insert(start, div)
        parent.remove(opening)
        self._dress(div, fence)

    def _dress(self, div: ET.Element, fence: DivAttributes) -> None:
        others = dict(fence.others)
        title = others.pop("title", "")
        callout = next((c for c in fence.classes if c in CALLOUTS), None)
        classes = list(fence.classes)
        if callout:
            classes.insert(0, "callout")
            if callout != "epigraph" and (heading := title or self.extension.titles.get(callout)):
                caption = ET.Element("p", {"class": "callout-title"})
                caption.text = heading
                div.insert(0, caption)
        elif title:
            div.set("title", title)
        if classes:
            div.set("class", " ".join(classes))
        if fence.id:
            div.set("id", fence.id)
        for name, value in others.items():
            shown = value if len(value) <= 40 else value[:39] + "…"
            self.extension.dropped.append(
                (
                    fence.written,
                    f'the div\'s attribute {name}="{shown}" is not shown in the book (a div '
                    "keeps its id, classes and title)",
                )
            )


def _callout_from_admonition(div: ET.Element, titles: Mapping[str, str]) -> None:
    """``!!! note`` (Python-Markdown's ``admonition``, MkDocs' callouts) is the callout the
    fenced div ``::: note`` makes: the same classes, its default title in the book's
    language."""
    classes = (div.get("class") or "").split()
    if "admonition" not in classes:
        return
    kinds = [c for c in classes if c != "admonition"]
    callout = next((c for c in kinds if c in CALLOUTS), None)
    div.set("class", " ".join(["callout", *kinds]) if callout else " ".join(kinds))
    title = div.find("p[@class='admonition-title']")
    if title is None:
        return
    title.set("class", "callout-title")
    if callout and title.text == callout.capitalize() and len(title) == 0:
        title.text = titles.get(callout) or title.text  # the default title, translated


def _fence_text(opening: bool, fence: DivAttributes) -> str:
    return f"::: {fence.written}" if opening else ":::"
