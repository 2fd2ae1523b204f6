"""The document pandoc is given and the one it gives back: :func:`chapter_markdown` writes
a chapter's citations as pandoc Markdown, a token ``q<n>`` after each, and :class:`_Reader`
finds each citation again by its token in pandoc's JSON output, with the bibliography's
entries."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from .formatting import AuthoredNote, Cite, Slot
from .pandoc_html import blocks_html, inline_html
from .style_facts import StyleFacts

# --- the document pandoc reads -------------------------------------------------------------------


def chapter_markdown(slots: Sequence[Slot], name: str = "c") -> str:
    """A chapter's citations as pandoc Markdown: each citation of the running text a
    paragraph of its own; each authored note a note, holding its citations as the author's
    text does (a word before the first when text precedes it; after each, a word whose first
    letter has the case of what follows). After each citation stands a token ``q<n>`` that
    lets :class:`_Reader` find it again. Note labels carry ``name``: they are the whole
    document's."""
    paragraphs: list[str] = []
    notes: list[str] = []
    counter = 0
    for slot in slots:
        if isinstance(slot, Cite):
            paragraphs.append(f"{_one_line(slot.raw)} q{counter}")
            counter += 1
            continue
        label = f"{name}n{len(notes)}"
        parts = ["w"] if slot.cites and slot.cites[0].after_text else []
        for cite in slot.cites:
            token = f"Q{counter}" if cite.before_capital else f"q{counter}"
            parts += [_one_line(cite.raw), token]
            counter += 1
        notes.append(f"[^{label}]: {' '.join(parts) or 'note'}")
        paragraphs.append(f"note[^{label}]")
    return "\n\n".join(paragraphs + notes)


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


# --- what pandoc gives back ----------------------------------------------------------------------

_TOKEN = re.compile(r"^[qQ](\d+)$")


class _Reader:
    """The formatted citations and the bibliography in pandoc's JSON output."""

    def __init__(self, document: dict[str, Any], facts: StyleFacts) -> None:
        self.facts = facts
        self.variants = {
            block["c"][0][0].removeprefix("variant-"): block["c"][1]
            for block in document.get("blocks", [])
            if block.get("t") == "Div"
        }
        self.divs = {
            variant: {
                block["c"][0][0]: block["c"][1] for block in blocks if block.get("t") == "Div"
            }
            for variant, blocks in self.variants.items()
        }

    def chapter(self, cid: str, slots: Sequence[Slot], variants: Sequence[str]) -> list[Any]:
        cites = [
            c for slot in slots for c in (slot.cites if isinstance(slot, AuthoredNote) else (slot,))
        ]
        found = {
            variant: _cites_in(self.divs.get(variant, {}).get(cid, []), len(cites))
            for variant in variants
        }
        results = []
        for index, cite in enumerate(cites):
            printed = self._text(found["print"][index], cite)
            screen = self._text(found[variants[-1]][index], cite) if len(variants) > 1 else printed
            results.append([screen[0], printed[0], printed[1]])
        return results

    def _text(self, content: list[Any] | None, cite: Cite) -> tuple[str, str]:
        """(the citation's text, the author's name in the sentence) from a Cite's content."""
        if content is None:  # pandoc didn't read it as a citation
            return html.escape(cite.raw, quote=False), ""
        if self.facts.note and not cite.in_note:
            notes = [i for i, inline in enumerate(content) if inline.get("t") == "Note"]
            if notes:
                author = inline_html(content[: notes[0]]).strip()
                note = content[notes[0]]["c"]
                return blocks_html(note), author
        if self.facts.note and cite.in_note:
            content = _without_parentheses(content)
        return inline_html(content).strip(), ""

    def bibliography(self) -> list[list[str]]:
        entries = []
        for block in _walk_blocks(self.variants.get("print", [])):
            if block.get("t") != "Div":
                continue
            (identifier, classes, _), content = block["c"]
            if "csl-entry" in classes and identifier.startswith("ref-"):
                entries.append([identifier.removeprefix("ref-"), blocks_html(content)])
        return entries


def _cites_in(blocks: list[Any], expected: int) -> list[list[Any] | None]:
    """The content of each numbered citation (by the ``q<n>`` token after it), or None for
    one pandoc didn't read as a citation."""
    found: list[list[Any] | None] = [None] * expected
    last: list[Any] | None = None
    for inline in _walk_inlines(blocks):
        kind = inline.get("t")
        if kind == "Cite":
            last = inline["c"][1]
        elif kind == "Str" and (token := _TOKEN.match(inline["c"])):
            index = int(token.group(1))
            if index < expected:
                found[index] = last
            last = None
    return found


def _walk_blocks(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield block
        if block.get("t") == "Div":
            yield from _walk_blocks(block["c"][1])


def _walk_inlines(value: Any) -> Iterator[dict[str, Any]]:
    """Every inline in document order, notes' contents where the note is; a citation's own
    content is not entered (its note is read from it)."""
    if isinstance(value, list):
        for item in value:
            yield from _walk_inlines(item)
    elif isinstance(value, dict) and "t" in value:
        yield value
        if value["t"] != "Cite" and "c" in value:
            yield from _walk_inlines(value["c"])


def _without_parentheses(content: list[Any]) -> list[Any]:
    """A citation inside an authored note, without the parentheses pandoc puts around it
    (``Str "("`` first, ``Str ")"`` last, each an inline of its own)."""
    if (
        len(content) >= 2
        and content[0] == {"t": "Str", "c": "("}
        and content[-1] == {"t": "Str", "c": ")"}
    ):
        return content[1:-1]
    return content
