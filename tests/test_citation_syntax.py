"""Pandoc's citation syntax, as lessons write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebook.core.diagnostics import Diagnostics
from coursebook.model import Locator
from coursebook.parse.citation_syntax import PLACEHOLDER, extract_citations

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


def test_a_citation_starting_a_line_before_a_colon_is_still_a_citation() -> None:
    # Pandoc never takes a citation for a reference definition's label, nor "[@ref]" after
    # "[link]" for a reference link's: both are citations.
    text, citations = parse("A [link][@ref].\n\n   [see @nowhere]: https://example.org\n")
    assert [c.raw for c in citations] == ["[@ref]", "[see @nowhere]"]
    assert PLACEHOLDER.sub("<>", text) == "A [link]<>.\n\n   <>: https://example.org\n"


def test_a_reference_definition_is_not_read_for_citations() -> None:
    _, citations = parse("[x]: https://example.org/@a\n\nSee [x] and [y].\n")
    assert citations == ()


# --- as pandoc reads them ----------------------------------------------------------------------


def test_a_citation_directly_followed_by_a_note_call() -> None:
    # The held-out course's 18 "[Zetkin²⁶, pp. 149–438]²⁷": pandoc reads a citation, then a
    # note call (a reference link's label may not be a note's).
    text, (citation,) = parse("She spoke [@trotsky1936, pp. 149–438][^27].\n\n[^27]: A note.")
    assert PLACEHOLDER.sub("<>", text) == "She spoke <>[^27].\n\n[^27]: A note."
    assert citation.items[0].locator == Locator("page", "149–438")


def test_citations_pandoc_reads_in_links_spans_and_code() -> None:
    _, citations = parse(
        "[see @a](http://x.org) [@hadden1999]{.c} `[@a]` [see [a link](http://x) @trotsky1936]"
    )
    assert [c.raw for c in citations] == [
        "@a",
        "@hadden1999",
        "[see [a link](http://x) @trotsky1936]",
    ]
    assert [c.author_in_text for c in citations] == [True, True, False]
    assert citations[2].items[0].prefix == "see [a link](http://x)"


def test_a_semicolon_inside_emphasis_or_quotes_does_not_split() -> None:
    _, citations = parse('[@a, *first; second*] and [@hadden1999, quoting "war; peace"]')
    assert [c.items[0].suffix for c in citations] == [", *first; second*", ', quoting "war; peace"']


def test_a_citation_over_lines_of_a_block_quote_is_handed_on_without_the_markers() -> None:
    text, (citation,) = parse("> The state rose [see @a,\n> p. 3] and fell.")
    assert citation.raw == "[see @a,\np. 3]"  # as pandoc reads it inside the quote
    assert citation.items[0].locator == Locator("page", "3")
    assert PLACEHOLDER.sub("<>", text) == "> The state rose <> and fell."


def test_in_text_citation_with_more_sources_in_brackets() -> None:
    _, (citation,) = parse("@trotsky1936 [p. 3; see @hadden1999, p. 5] argues")
    assert citation.author_in_text
    first, second = citation.items
    assert first.locator == Locator("page", "3") and second.prefix == "see"
    assert (second.location.line, second.location.column) == (10, 25)


# --- warnings ----------------------------------------------------------------------------------


def warnings(text: str) -> list[str]:
    diagnostics = Diagnostics()
    extract_citations(text, Path("lesson.md"), 12, KNOWN, diagnostics)
    assert all(d.code == "citation-syntax" and d.severity.value == "warning" for d in diagnostics)
    return [str(d) for d in diagnostics.by_place()]


def test_well_formed_citations_raise_no_warning() -> None:
    assert (
        warnings(
            "[see @trotsky1936, chap. 9; @hadden1999, 12] @a [p. 3] [-@a, p. 5][^1] and "
            "@a [p. 3] [^1], [@a, p. 3, *emphasis mine*], me@example.org, @someone\n\n[^1]: x"
        )
        == []
    )


def test_a_comma_for_a_semicolon_is_a_warning_at_the_second_at() -> None:
    assert warnings("Two readings [@trotsky1936, @hadden1999].") == [
        "lesson.md:12:29: warning: '@hadden1999' after a comma inside a citation is not a "
        "citation; separate citations with ';' [citation-syntax]"
    ]


def test_a_source_inside_a_suffix_is_a_warning() -> None:
    assert warnings("[@trotsky1936 and @hadden1999]") == [
        "lesson.md:12:19: warning: '@hadden1999' inside the citation "
        "'[@trotsky1936 and @hadden1999]' is not a citation of its own; separate citations "
        "with ';' [citation-syntax]"
    ]


def test_a_colon_for_a_comma_before_the_locator_is_a_warning_at_the_colon() -> None:
    assert warnings("Liberty\n[@trotsky1936: 12].") == [
        "lesson.md:13:14: warning: ':' after '@trotsky1936' does not start a locator (the note "
        "would print ': 12'); write a comma: '@trotsky1936, 12' [citation-syntax]"
    ]


@pytest.mark.parametrize(
    ("written", "brackets", "column", "why"),
    [
        ("[@a;]", "[@a;]", 2, "each part between ';' needs its own @key"),
        ("[see; @a]", "[see; @a]", 7, "each part between ';' needs its own @key"),
        ("[@a, {pp. 1; 3}]", "[@a, {pp. 1; 3}]", 2, "a ';' inside '{…}' still separates citations"),
        ("[@a, 5*]", "[@a, 5*]", 2, "its '*' is never closed"),
        ("[@a][x]", "[@a]", 2, "a '[' right after it makes it a reference link; put a space"),
    ],
)
def test_brackets_that_are_no_citation_are_a_warning(
    written: str, brackets: str, column: int, why: str
) -> None:
    (warning,) = warnings(written)
    assert warning.startswith(f"lesson.md:12:{column}: warning: '{brackets}' is not a citation")
    assert why in warning and warning.endswith("the brackets are printed as text [citation-syntax]")


def test_a_locator_right_before_a_note_call_is_a_warning() -> None:
    text = "@trotsky1936 [pp. 149–438][^27] spoke.\n\n[^27]: A note."
    assert warnings(text) == [
        "lesson.md:12:14: warning: '[pp. 149–438]' right before a note call is not read as the "
        "locator of '@trotsky1936': it is printed as text; put a space before the note call "
        "[citation-syntax]"
    ]
    _, (citation,) = parse(text)
    assert citation.raw == "@trotsky1936" and citation.items[0].locator is None  # as pandoc


def test_unknown_handles_in_brackets_are_no_warning() -> None:
    assert warnings("[write to @someone; or call]") == []


def test_a_note_call_inside_a_citation_is_a_warning() -> None:
    assert warnings("Text [@trotsky1936, see the note[^2]].\n\n[^2]: A note.") == [
        "lesson.md:12:33: warning: the note call '[^2]' inside the citation "
        "'[@trotsky1936, see the note[^2]]' is lost: put it outside the brackets "
        "[citation-syntax]"
    ]
