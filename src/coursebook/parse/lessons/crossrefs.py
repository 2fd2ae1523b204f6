"""Cross-references, as pandoc-crossref and Quarto write them: labelled figures, tables and
equations numbered through the book, and each ``@fig:name`` / ``@fig-name`` (``tbl``,
``eq``, ``sec``) replaced by a link saying "Figure 3" (a section's reference says its
title). Print adds the page (the links are ``xref``s, like links to a heading).

Labels are the ids authors give: ``{#fig:name}`` after a figure's image, ``{#tbl:name}``
after a table's caption, ``{#eq:name}`` after display math, ``{#sec:name}`` after a
heading. Numbering runs through the book in reading order, one count per kind, as
pandoc-crossref numbers by default. A reference to a label no lesson has is a ``crossref``
warning, and the reference is printed as written.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lxml import etree

from ...core.diagnostics import Diagnostics
from ..extraction import REF_PLACEHOLDER, CrossRef, placeholder_index
from .draft import _Draft
from .tree import replace_placeholders

_KIND = re.compile(r"(?i)(fig|tbl|eq|sec)[:-]")
_WORDS = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "section"}
_ELEMENTS = {
    "fig": ("figure",),
    "tbl": ("table",),
    "eq": ("span",),
    "sec": ("h1", "h2", "h3", "h4", "h5", "h6"),
}
"""What each kind of label names (``{#fig:x}`` on an image inside a sentence is no figure)."""


@dataclass(frozen=True)
class Target:
    """What a label names: where, and what a reference to it says."""

    anchor: str
    """The namespaced id."""
    text: str
    """"Figure 3", or a section's title."""
    number: str
    """"3" (what ``-@fig:name`` says); a section's title."""


def resolve_crossrefs(
    drafts: Sequence[_Draft], labels: Mapping[str, str], diagnostics: Diagnostics
) -> None:
    """Number every labelled figure, table and equation of the book, and put the links in
    place of every reference (in the text and in the authored notes)."""
    targets = _number(drafts, labels, diagnostics)
    for draft in drafts:
        if not draft.crossrefs:
            continue
        refs = draft.crossrefs

        def link(index: int, refs: Sequence[CrossRef] = refs) -> etree._Element:
            return _reference(refs[index], targets, diagnostics)

        replace_placeholders(draft.tree, REF_PLACEHOLDER, link)
        draft.footnotes = [
            replace(note, html=_in_html(note.html, refs, targets, diagnostics))
            for note in draft.footnotes
        ]


def _kind(label: str) -> str | None:
    match = _KIND.match(label)
    return match.group(1).lower() if match else None


def _number(
    drafts: Sequence[_Draft], labels: Mapping[str, str], diagnostics: Diagnostics
) -> dict[str, Target]:
    counts: Counter[str] = Counter()
    targets: dict[str, Target] = {}
    for draft in drafts:
        for element in draft.tree.iter():
            ident = element.get("id") if isinstance(element.tag, str) else None
            if not ident or not ident.startswith(f"{draft.prefix}-"):
                continue
            label = ident[len(draft.prefix) + 1 :]  # as written, a ":" made "-" (naming)
            kind = _kind(label)
            if kind is None or label in targets or element.tag not in _ELEMENTS[kind]:
                continue
            if kind == "sec":
                title = " ".join("".join(str(t) for t in element.itertext()).split())
                targets[label] = Target(ident, title, title)
                continue
            counts[kind] += 1
            number = str(counts[kind])
            word = labels.get(_WORDS[kind], _WORDS[kind].title())
            _show_number(element, kind, f"{word} {number}", number)
            targets[label] = Target(ident, f"{word} {number}", number)
    return targets


def _show_number(element: etree._Element, kind: str, name: str, number: str) -> None:
    """ "Figure 3: " before a figure's caption (or a table's), "(3)" beside an equation."""
    if kind == "eq":
        slot = element.find("./span[@class='equation-number']")
        if slot is not None:
            slot.text = f"({number})"
        return
    if kind == "fig" and (image := element.find("img")) is not None:
        # The caption may be hidden from screen readers (the image's text says it): the
        # number goes into the text too.
        image.set("alt", f"{name}: {image.get('alt', '')}".rstrip(": "))
    caption_tag = "figcaption" if kind == "fig" else "caption"
    caption = element.find(caption_tag)
    if caption is None:
        caption = etree.SubElement(element, caption_tag)
        if kind == "tbl":
            element.remove(caption)
            element.insert(0, caption)  # a table's caption comes first
    label = etree.Element("span", {"class": "caption-label"})
    label.text = name
    label.tail = (": " if (caption.text or len(caption)) else "") + (caption.text or "")
    caption.text = None
    caption.insert(0, label)


def _reference(
    ref: CrossRef, targets: Mapping[str, Target], diagnostics: Diagnostics
) -> etree._Element:
    found = [targets.get(label.replace(":", "-")) for label in ref.labels]
    if any(target is None for target in found):
        missing = [label for label, t in zip(ref.labels, found, strict=True) if t is None]
        diagnostics.warning(
            ref.location,
            f"no figure, table, equation or section of the book is labelled "
            f"'{missing[0]}'; '{ref.written}' is printed as written",
            "crossref",
        )
        text = etree.Element("span", {"class": "crossref-missing"})
        text.text = ref.written
        return text
    holder = etree.Element("span", {"class": "crossref"})
    for index, target in enumerate(t for t in found if t is not None):
        link = etree.SubElement(holder, "a", {"href": f"#{target.anchor}", "class": "xref"})
        link.text = target.number if ref.number_only else target.text
        if index:
            previous = link.getprevious()
            assert previous is not None
            previous.tail = ", "
    if len(holder) == 1:
        only = holder[0]
        only.tail = None
        return only
    return holder


def _in_html(
    html: str, refs: Sequence[CrossRef], targets: Mapping[str, Target], diagnostics: Diagnostics
) -> str:
    """A note's XHTML with its references in place."""

    def link(match: re.Match[str]) -> str:
        element = _reference(refs[placeholder_index(match.group(1))], targets, diagnostics)
        return etree.tostring(element, encoding="unicode", with_tail=False)

    return REF_PLACEHOLDER.sub(link, html)
