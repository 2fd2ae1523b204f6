"""Pandoc's citation syntax, as lessons write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebook.citation_syntax import PLACEHOLDER, extract_citations
from coursebook.model import Locator

KNOWN = {"trotsky1936", "hadden1999", "a"}


def parse(text: str):
    return extract_citations(text, Path("lesson.md"), 10, KNOWN)


def test_plain_citation_is_replaced_by_a_placeholder_with_its_position() -> None:
    text, (citation,) = parse("Some text.\nThe state [@trotsky1936] rose.")
    assert PLACEHOLDER.sub("<>", text) == "Some text.\nThe state <> rose."
    assert citation.raw == "[@trotsky1936]"
    assert (citation.location.line, citation.location.column) == (11, 11)
    (item,) = citation.items
    assert (item.key, item.location.line, item.location.column) == ("trotsky1936", 11, 12)
    assert item.locator is None and item.prefix == "" and not item.suppress_author


@pytest.mark.parametrize(
    ("written", "label", "value", "suffix"),
    [
        ("[@a, p. 33]", "page", "33", ""),
        ("[@a, pp. 33–35]", "page", "33–35", ""),
        ("[@a, chap. 9]", "chapter", "9", ""),
        ("[@a, chap. IX]", "chapter", "IX", ""),
        ("[@a, sec. 2.3]", "section", "2.3", ""),
        ("[@a, para. 4]", "paragraph", "4", ""),
        ("[@a, vol. 2]", "volume", "2", ""),
        ("[@a, line 12]", "line", "12", ""),
        ("[@a, n. 5]", "note", "5", ""),
        ("[@a, 12]", "page", "12", ""),
        ("[@a, 33, 35–37, emphasis mine]", "page", "33, 35–37", ", emphasis mine"),
        ("[@a, {pp. iv, vi–xi}]", "page", "iv, vi–xi", ""),
        ("[@a, art. 5]", "article-locator", "5", ""),
        ("[@a, tbls. 2–3]", "table", "2–3", ""),
        ("[@a, figs. 4, 6]", "figure", "4, 6", ""),
    ],
)
def test_locators(written: str, label: str, value: str, suffix: str) -> None:
    _, (citation,) = parse(f"x {written}")
    (item,) = citation.items
    assert item.locator == Locator(label, value)
    assert item.suffix == suffix


def test_suffix_without_locator_and_prefix() -> None:
    _, (citation,) = parse("[see @a, emphasis added]")
    (item,) = citation.items
    assert item.prefix == "see"
    assert item.locator is None
    assert item.suffix == ", emphasis added"  # as pandoc keeps it


def test_several_sources_with_prefixes() -> None:
    _, (citation,) = parse("[see @trotsky1936, chap. 9; also @hadden1999, 12]")
    first, second = citation.items
    assert (first.prefix, first.key, first.locator) == (
        "see",
        "trotsky1936",
        Locator("chapter", "9"),
    )
    assert (second.prefix, second.key, second.locator) == (
        "also",
        "hadden1999",
        Locator("page", "12"),
    )
    assert second.location.column == 34  # the "@"


def test_suppressed_author_and_in_text_forms() -> None:
    text, citations = parse("[-@a] and @trotsky1936 [p. 33] says, while @a agrees.")
    assert [c.raw for c in citations] == ["[-@a]", "@trotsky1936 [p. 33]", "@a"]
    assert citations[0].items[0].suppress_author
    assert citations[1].author_in_text and citations[1].items[0].locator == Locator("page", "33")
    assert citations[2].author_in_text
    assert PLACEHOLDER.sub("<>", text) == "<> and <> says, while <> agrees."


def test_not_citations() -> None:
    text = (
        "write to me@example.org, follow @someone, see [a link](http://x), "
        "a footnote[^1], [plain brackets] and an escaped \\@trotsky1936"
    )
    out, citations = parse(text)
    assert citations == ()
    assert out == text


def test_unknown_key_in_brackets_is_still_a_citation() -> None:
    _, (citation,) = parse("[@nosuchkey]")
    assert citation.items[0].key == "nosuchkey"


def test_citations_in_document_order_with_in_text_first() -> None:
    _, citations = parse("@a [p. 1] then [@hadden1999] then @trotsky1936")
    assert [c.items[0].key for c in citations] == ["a", "hadden1999", "trotsky1936"]


def test_authors_cannot_forge_placeholders() -> None:
    text, citations = parse("\ue0000\ue001 [@a]")
    assert citations[0].raw == "[@a]"
    assert PLACEHOLDER.findall(text) == ["0"]


def test_citation_spanning_lines() -> None:
    _, (citation,) = parse("[see @a,\np. 3; @hadden1999]")
    assert [i.key for i in citation.items] == ["a", "hadden1999"]
    assert citation.items[1].location.line == 11


def test_a_citation_before_a_colon_is_a_citation() -> None:
    text, (citation,) = parse("Compare the liberty he defends [@trotsky1936, chap. 2]: both hold")
    assert PLACEHOLDER.sub("<>", text) == "Compare the liberty he defends <>: both hold"
    assert citation.raw == "[@trotsky1936, chap. 2]"
    assert citation.items[0].locator == Locator("chapter", "2")


def test_a_reference_definition_starting_a_line_is_not() -> None:
    text, citations = parse("A [link][@ref].\n\n   [see @nowhere]: https://example.org\n")
    assert citations == () and "[see @nowhere]: https" in text
