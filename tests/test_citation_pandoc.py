"""Citations are found as pandoc finds them: the extractor against pandoc itself, on a corpus.

``tests/citations/corpus.txt`` holds several hundred snippets of lesson Markdown. Pandoc reads
each on its own (one process for all of them, ``tests/citations/read.lua``); for every Cite it
finds, the extractor must find the same citation: the same keys in the same modes, the same
prefix and the same suffix (ours split into locator and suffix), and the same text. The
differences that are deliberate are listed below with their reasons; every other difference
fails the test, which prints each snippet where the two disagree.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from coursebook.core.diagnostics import Diagnostics
from coursebook.core.pandoc import run_pandoc
from coursebook.model import Citation, CitationItem
from coursebook.parse.citation_syntax import extract_citations, locator_terms

HERE = Path(__file__).parent / "citations"
CORPUS = HERE / "corpus.txt"

UNKNOWN_KEYS = frozenset({"someone", "nosuchkey"})
"""Keys the corpus uses that are no source: every other key it uses is a known source."""

DIFFERENCES = {
    # Pandoc's example lists: "(@label)" or "@label." opening a paragraph numbers an example
    # list item. Python-Markdown, which reads the rest of a lesson, has no example lists, and
    # a lesson has no use for them: for coursebook these are citations.
    "(@hadden1999) opened the debate.": "example list item for pandoc",
    "@hadden1999. Then more.": "example list item for pandoc",
    "@hadden1999) is odd.": "example list item for pandoc",
}
"""Snippets where the extractor deliberately differs from pandoc, with the reason."""
# A further difference is applied by rule, not by snippet: a bare "@name" (no brackets after
# it) whose name is no known source is text for coursebook, so that "@handles" in prose stay
# text; pandoc cites it. test_unknown_bare_keys_stay_text checks that the corpus has such.


# --- the corpus --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snippet:
    description: str
    text: str


def snippets() -> list[Snippet]:
    found: list[Snippet] = []
    description: str | None = None
    lines: list[str] = []
    for line in [*CORPUS.read_text(encoding="utf-8").split("\n"), "%% end"]:
        if line.startswith("%% "):
            if description is not None:
                found.append(Snippet(description, "\n".join(lines).rstrip("\n")))
            description, lines = line[3:], []
        elif description is not None:
            lines.append(line)
    return found


# --- pandoc's side -----------------------------------------------------------------------------


def plain(inlines: list[dict[str, Any]]) -> str:
    """Pandoc inlines as text, markup dropped (the words and punctuation stay)."""
    out: list[str] = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            out.append(plain(content))
        elif kind in ("Underline", "Note"):
            out.append(plain(content) if kind == "Underline" else "")
        elif kind == "Quoted":
            mark = '"' if content[0]["t"] == "DoubleQuote" else "'"
            out.append(mark + plain(content[1]) + mark)
        elif kind in ("Link", "Image", "Span"):
            out.append(plain(content[1]))
        elif kind in ("Code", "Math", "RawInline"):
            out.append(content[1])
        elif kind == "Cite":
            out.append(plain(content[1]))
    return "".join(out)


@dataclass(frozen=True)
class PandocCite:
    parts: tuple[tuple[str, str, str, str], ...]
    """(key, mode, prefix, suffix) of each citation, as plain text."""
    content: str
    """The text pandoc keeps for it: the citation as written (in-text ones rebuilt)."""


@dataclass
class PandocReading:
    cites: list[PandocCite] = field(default_factory=list)
    nested: list[str] = field(default_factory=list)
    """Keys of citations pandoc read inside another citation's prefix or suffix."""


def pandoc_cites(node: Any, reading: PandocReading, inside: bool = False) -> PandocReading:
    if isinstance(node, dict):
        if node.get("t") == "Cite":
            citations, content = node["c"]
            if inside:
                reading.nested += [c["citationId"] for c in citations]
            else:
                parts = tuple(
                    (
                        c["citationId"],
                        c["citationMode"]["t"],
                        plain(c["citationPrefix"]),
                        plain(c["citationSuffix"]),
                    )
                    for c in citations
                )
                reading.cites.append(PandocCite(parts, plain(content)))
            for citation in citations:
                pandoc_cites(citation["citationPrefix"], reading, True)
                pandoc_cites(citation["citationSuffix"], reading, True)
            return reading
        for value in node.values():
            pandoc_cites(value, reading, inside)
    elif isinstance(node, list):
        for value in node:
            pandoc_cites(value, reading, inside)
    return reading


def read_with_pandoc(texts: list[str]) -> list[dict[str, Any]]:
    """Each text read by pandoc on its own, in one run."""
    output = run_pandoc(
        ["lua", str(HERE / "read.lua")], stdin=json.dumps(texts).encode(), timeout=120
    )
    docs: list[dict[str, Any]] = json.loads(output)
    return docs


# --- comparing ---------------------------------------------------------------------------------


def norm(text: str) -> str:
    """Spacing as pandoc's reading leaves it does not matter: "p. 3" is "p.\u00a03" there."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


DEFINITION = re.compile(r" {0,3}\[[^\]@]+\]: \S")
TERMS = {label: {t.casefold() for t in terms} for label, terms in locator_terms().items()}


def mode(citation: Citation, index: int, item: CitationItem) -> str:
    if item.suppress_author:
        return "SuppressAuthor"
    return "AuthorInText" if citation.author_in_text and index == 0 else "NormalCitation"


def suffix_agrees(pandoc_suffix: str, item: CitationItem, rendered: Rendered) -> bool:
    """Our locator and suffix together say what pandoc's suffix says: ", p. 3, emphasis mine"
    is (page 3, ", emphasis mine"); the term may be any of the label's."""
    whole, ours = norm(pandoc_suffix), norm(rendered[item.suffix])
    if item.locator is None:
        return whole == ours
    if not whole.endswith(ours):
        return False
    head = whole[: len(whole) - len(ours)].strip().removeprefix(",").strip()
    if head.startswith("{") and head.endswith("}"):
        head = head[1:-1].strip()
    value = norm(rendered[item.locator.value])
    if not head.endswith(value):
        return False
    term = head[: len(head) - len(value)].strip().casefold()
    return term in TERMS[item.locator.label] or (term == "" and item.locator.label == "page")


def our_content(citation: Citation) -> str:
    """Our raw text as pandoc keeps it: in-text citations lose their "-" and key braces."""
    if not citation.author_in_text:
        return norm(citation.raw)
    key = citation.items[0].key
    raw = citation.raw.removeprefix("-").replace(f"@{{{key}}}", f"@{key}", 1)
    head, rest = raw[: len(key) + 1], raw[len(key) + 1 :]
    return norm(f"{head} {rest}" if rest else head)  # "@a [p. 3]", however spaced


def agrees(ours: Citation, theirs: PandocCite, rendered: Rendered) -> bool:
    if len(ours.items) != len(theirs.parts) or our_content(ours) != norm(theirs.content):
        return False
    for index, (item, (key, their_mode, prefix, suffix)) in enumerate(
        zip(ours.items, theirs.parts, strict=True)
    ):
        if item.key != key or mode(ours, index, item) != their_mode:
            return False
        if norm(rendered[item.prefix]) != norm(prefix) or not suffix_agrees(suffix, item, rendered):
            return False
    return True


def describe(citation: Citation) -> str:
    items = "; ".join(
        f"{item.prefix!r} @{item.key} {item.locator} {item.suffix!r}"
        + (" -" if item.suppress_author else "")
        for item in citation.items
    )
    return f"{citation.raw!r} [{items}]" + (" in-text" if citation.author_in_text else "")


@dataclass
class Outcome:
    snippet: Snippet
    ours: tuple[Citation, ...]
    theirs: list[PandocCite]
    nested_ours: list[str]
    nested_theirs: list[str]
    warnings: list[str]
    dropped: int
    """Pandoc's bare in-text citations of keys that are no source (text for us)."""
    matched: bool

    def report(self) -> str:
        lines = [f"--- {self.snippet.description}", self.snippet.text]
        lines += [f"  pandoc: {c.parts} {c.content!r}" for c in self.theirs]
        lines += [f"  ours:   {describe(c)}" for c in self.ours]
        if self.nested_ours != self.nested_theirs:
            lines.append(f"  nested: pandoc {self.nested_theirs}, warned {self.nested_ours}")
        return "\n".join(lines)


@cache
def outcomes() -> tuple[Outcome, ...]:
    corpus = snippets()
    docs = read_with_pandoc([s.text for s in corpus])
    readings = [pandoc_cites(doc["blocks"], PandocReading()) for doc in docs]
    known = {
        key
        for reading in readings
        for cite in reading.cites
        for key, *_ in cite.parts
        if key not in UNKNOWN_KEYS
    } | {key for reading in readings for key in reading.nested if key not in UNKNOWN_KEYS}
    ours: list[tuple[tuple[Citation, ...], Diagnostics]] = []
    for snippet in corpus:
        diagnostics = Diagnostics()
        _, citations = extract_citations(snippet.text, Path("lesson.md"), 1, known, diagnostics)
        ours.append((citations, diagnostics))
    # Our prefixes, suffixes and locator values read by pandoc too, so markup compares as text
    # (with the snippet's reference definitions, which a piece's links may use).
    pieces = sorted(
        {
            (definitions(snippet), piece)
            for snippet, (citations, _) in zip(corpus, ours, strict=True)
            for citation in citations
            for item in citation.items
            for piece in (item.prefix, item.suffix, item.locator.value if item.locator else "")
        }
    )
    rendered_docs = read_with_pandoc([f"Z {piece}\n\n{defined}" for defined, piece in pieces])
    rendered = {
        key: plain(doc["blocks"][0]["c"]).removeprefix("Z") if doc["blocks"] else ""
        for key, doc in zip(pieces, rendered_docs, strict=True)
    }
    return tuple(
        compare(snippet, reading, citations, diagnostics, Rendered(rendered, definitions(snippet)))
        for snippet, reading, (citations, diagnostics) in zip(corpus, readings, ours, strict=True)
    )


def definitions(snippet: Snippet) -> str:
    return "\n".join(line for line in snippet.text.split("\n") if DEFINITION.match(line))


@dataclass(frozen=True)
class Rendered:
    """Our pieces of Markdown as pandoc reads them (as plain text), for one snippet."""

    pieces: dict[tuple[str, str], str]
    defined: str

    def __getitem__(self, piece: str) -> str:
        return self.pieces[self.defined, piece] if piece else ""


def compare(
    snippet: Snippet,
    reading: PandocReading,
    citations: tuple[Citation, ...],
    diagnostics: Diagnostics,
    rendered: Rendered,
) -> Outcome:
    theirs = [
        cite
        for cite in reading.cites
        if not (
            len(cite.parts) == 1
            and cite.parts[0][0] in UNKNOWN_KEYS
            and cite.parts[0][1] == "AuthorInText"
            and cite.content == f"@{cite.parts[0][0]}"
        )
    ]
    unmatched = list(theirs)
    matched = len(citations) == len(theirs)
    for citation in citations:
        partner = next((t for t in unmatched if agrees(citation, t, rendered)), None)
        if partner is None:
            matched = False
        else:
            unmatched.remove(partner)
    warnings = [d.message for d in diagnostics]
    nested_ours = sorted(
        re.match(r"'-?@\{?([^}']+)", message).group(1)  # type: ignore[union-attr]
        for message in warnings
        if message.startswith(("'@", "'-@")) and " inside " in message
    )
    nested_theirs = sorted(reading.nested)
    return Outcome(
        snippet,
        citations,
        reading.cites,
        nested_ours,
        nested_theirs,
        warnings,
        len(reading.cites) - len(theirs),
        matched and nested_ours == nested_theirs,
    )


# --- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results() -> tuple[Outcome, ...]:
    return outcomes()


def test_the_corpus_is_large() -> None:
    assert len(snippets()) >= 300
    assert len({s.text for s in snippets()}) == len(snippets()), "a snippet is there twice"


def test_citations_are_found_as_pandoc_finds_them(results: tuple[Outcome, ...]) -> None:
    differing = [o for o in results if not o.matched and o.snippet.text not in DIFFERENCES]
    agreeing = sum(o.matched for o in results)
    print(f"{agreeing} of {len(results)} snippets agree with pandoc")
    assert not differing, (
        f"{len(differing)} of {len(results)} snippets differ from pandoc:\n\n"
        + "\n\n".join(o.report() for o in differing)
    )


def test_the_deliberate_differences_still_differ(results: tuple[Outcome, ...]) -> None:
    listed = {o.snippet.text: o for o in results if o.snippet.text in DIFFERENCES}
    assert set(listed) == set(DIFFERENCES), "a listed difference is no longer in the corpus"
    assert not [o.report() for o in listed.values() if o.matched], "no longer differs: unlist it"


def test_unknown_bare_keys_stay_text(results: tuple[Outcome, ...]) -> None:
    """The one difference applied by rule: pandoc cites "@someone"; for us it is text."""
    dropped = [o for o in results if o.dropped]
    assert sum(o.dropped for o in dropped) >= 5
    for outcome in dropped:
        bare = [c.raw for c in outcome.ours if c.author_in_text and c.items[0].key in UNKNOWN_KEYS]
        assert all(raw.endswith("]") for raw in bare), outcome.report()


def test_positions_point_at_the_citations(results: tuple[Outcome, ...]) -> None:
    for outcome in results:
        lines = outcome.snippet.text.split("\n")
        for citation in outcome.ours:
            line = lines[citation.location.line - 1]
            assert line[citation.location.column - 1] in "[@-", outcome.report()
            for item in citation.items:
                line = lines[item.location.line - 1]
                assert line[item.location.column - 1] == "@", outcome.report()
