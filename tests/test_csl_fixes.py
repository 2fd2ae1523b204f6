"""Our fixes to citeproc-py (coursebook.csl_fixes): each test is a difference from pandoc's
citeproc that citeproc-py alone gets wrong. Expected strings are pandoc 3.9's output for the
same data and style (see benchmarks/citation_fidelity.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from coursebook.citation_syntax import extract_citations
from coursebook.csl import Cite, CslEngine
from coursebook.csl_fixes import clean_output, smart_quotes
from coursebook.csl_style import named_style
from coursebook.diagnostics import Location
from coursebook.model import Source

HERE = Location(Path("sources.yaml"), 1, 1)

SOURCES: dict[str, dict[str, Any]] = {
    "trotsky": {
        "type": "book",
        "author": [{"family": "Trotsky", "given": "Leon"}],
        "title": "The History of the Russian Revolution",
        "translator": [{"family": "Eastman", "given": "Max"}],
        "publisher": "Simon and Schuster",
        "publisher-place": "New York",
        "issued": {"date-parts": [[1932]]},
    },
    "fitzpatrick": {
        "type": "book",
        "author": [{"family": "Fitzpatrick", "given": "Sheila"}],
        "title": "The Russian Revolution",
        "edition": "4",
        "publisher": "Oxford University Press",
        "issued": {"date-parts": [[2017]]},
    },
    "fitzpatrick-class": {
        "type": "article-journal",
        "author": [{"family": "Fitzpatrick", "given": "Sheila"}],
        "title": "Ascribing Class",
        "container-title": "Journal of Modern History",
        "volume": 65,
        "issue": 4,
        "page": "745–770",
        "issued": {"date-parts": [[1993]]},
    },
    "getty": {
        "type": "article-journal",
        "author": [{"family": "Getty", "given": "J. Arch"}],
        "title": "Victims of the Soviet Penal System in the Pre-war Years",
        "container-title": "American Historical Review",
        "volume": 98,
        "issued": {"date-parts": [[1993]]},
    },
    "carr": {
        "type": "book",
        "author": [{"family": "Carr", "given": "E. H."}],
        "title": "The Bolshevik Revolution, 1917–1923",
        "volume": 1,
        "publisher": "Macmillan",
        "issued": {"date-parts": [[1950]]},
    },
    "tucker": {
        "type": "book",
        "editor": [{"family": "Tucker", "given": "Robert C."}],
        "title": "The Lenin Anthology",
        "publisher": "W. W. Norton",
        "issued": {"date-parts": [[1975]]},
    },
    "breitman": {
        "type": "book",
        "editor": [{"family": "Breitman", "given": "George"}, {"family": "Scott", "given": "Bev"}],
        "title": "Writings of Leon Trotsky (1934–35)",
        "publisher": "Pathfinder Press",
        "issued": {"date-parts": [[1974]]},
    },
    "luxemburg": {
        "type": "chapter",
        "author": [{"family": "Luxemburg", "given": "Rosa"}],
        "title": "Reform or Revolution",
        "container-title": "The Essential Rosa Luxemburg",
        "editor": [{"family": "Scott", "given": "Helen"}],
        "publisher": "Haymarket Books",
        "page": "41–104",
        "issued": {"date-parts": [[2008]]},
    },
    "orwell": {
        "type": "article-magazine",
        "author": [{"family": "Orwell", "given": "George"}],
        "title": "Notes on Nationalism",
        "container-title": "Polemic",
        "issued": {"date-parts": [[1945, 10]]},
    },
    "guardian": {
        "type": "article-newspaper",
        "title": "Gorbachev Resigns as Soviet Union Ends",
        "container-title": "The Guardian",
        "publisher-place": "London",
        "issued": {"date-parts": [[1991, 12, 26]]},
    },
    "chronology": {
        "type": "webpage",
        "title": "A Chronology of the Moscow Trials",
        "container-title": "Moscow Trials Archive",
        "URL": "https://example.org/moscow-trials/chronology",
    },
    "nove": {
        "type": "book",
        "author": [{"family": "Nove", "given": "Alec"}],
        "title": "An Economic History of the U.S.S.R.",
        "publisher": "Allen Lane",
        "issued": {"date-parts": [[1969]]},
    },
    "gregory": {
        "type": "article",
        "author": [{"family": "Gregory", "given": "Paul R."}],
        "title": "Stalin's Economists",
        "issued": {"date-parts": [[2004]]},
    },
    "obrien": {
        "type": "article-journal",
        "author": [{"family": "O'Brien", "given": "Conor"}],
        "title": 'Was the "Great Turn" Inevitable?',
        "container-title": "Critique",
        "volume": 17,
        "issued": {"date-parts": [[1985]]},
    },
    "undated": {
        "type": "book",
        "author": [{"family": "Trotsky", "given": "Leon"}],
        "title": "Their Morals and Ours",
        "publisher": "Pioneer Publishers",
    },
}


BY_KEY: Mapping[str, Source] = {
    key: Source(key, data["type"], data, HERE) for key, data in SOURCES.items()
}


def make_engine(style: str = "chicago-notes-bibliography") -> CslEngine:
    return CslEngine(named_style(style), "en-US", BY_KEY)


@pytest.fixture
def notes() -> Callable[..., list[str]]:
    """Each citation (pandoc syntax) as one note, in order, as plain text."""

    def format_notes(*citations: str, style: str = "chicago-notes-bibliography") -> list[str]:
        engine = make_engine(style)
        format_one = engine.note if engine.is_note_style else engine.inline
        texts = []
        for written in citations:
            cites = _cites(written)
            result = format_one(cites)
            texts.append(_plain(result if isinstance(result, str) else result.html))
        return texts

    return format_notes


def _cites(written: str) -> list[Cite]:
    _, (citation,) = extract_citations(written, Path("lesson.md"), 1, SOURCES)
    return [Cite(item, BY_KEY[item.key]) for item in citation.items]


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def entries(*keys: str, style: str = "chicago-notes-bibliography") -> list[str]:
    engine = make_engine(style)
    return [_plain(html) for _, html in engine.bibliography_entries([BY_KEY[k] for k in keys])]


# --- names ------------------------------------------------------------------------------------


def test_initialize_false_keeps_given_names(notes: Callable[..., list[str]]) -> None:
    assert notes("[@trotsky]") == [
        "Leon Trotsky, The History of the Russian Revolution, trans. Max Eastman "
        "(Simon and Schuster, 1932)."
    ]


def test_substituted_editor_takes_the_label_and_is_not_repeated(
    notes: Callable[..., list[str]],
) -> None:
    assert notes("[@tucker, pt. 2]", "[@breitman]") == [
        "Robert C. Tucker, ed., The Lenin Anthology (W. W. Norton, 1975), pt. 2.",
        "George Breitman and Bev Scott, eds., Writings of Leon Trotsky (1934–35) "
        "(Pathfinder Press, 1974).",
    ]


def test_substituted_editors_in_the_bibliography_sort_by_family_name() -> None:
    assert entries("tucker", "breitman", "carr") == [
        "Breitman, George, and Bev Scott, eds. Writings of Leon Trotsky (1934–35). "
        "Pathfinder Press, 1974.",
        "Carr, E. H. The Bolshevik Revolution, 1917–1923. Vol. 1. Macmillan, 1950.",
        "Tucker, Robert C., ed. The Lenin Anthology. W. W. Norton, 1975.",
    ]


def test_substitute_inside_choose_suppresses_what_it_used() -> None:
    """An unsigned web page is listed under its site, which is then not repeated; an unsigned
    newspaper article under the paper, and its place."""
    assert entries("chronology", "guardian") == [
        "Moscow Trials Archive. “A Chronology of the Moscow Trials.” "
        "https://example.org/moscow-trials/chronology.",
        "The Guardian (London). “Gorbachev Resigns as Soviet Union Ends.” December 26, 1991.",
    ]


def test_suppress_author(notes: Callable[..., list[str]]) -> None:
    assert notes("[-@fitzpatrick, 12]", "[@carr]", "[-@carr, 233–39]") == [
        "The Russian Revolution, 4th ed. (Oxford University Press, 2017), 12.",
        "E. H. Carr, The Bolshevik Revolution, 1917–1923, vol. 1 (Macmillan, 1950).",
        "The Bolshevik Revolution, 1917–1923, 1:233–39.",
    ]


def test_suppress_author_takes_out_a_substituted_title_too(
    notes: Callable[..., list[str]],
) -> None:
    """The substitute is the names element's output: only it goes, not the next one."""
    assert notes("[@chronology]", "[-@chronology, para. 4]") == [
        "“A Chronology of the Moscow Trials,” Moscow Trials Archive, "
        "https://example.org/moscow-trials/chronology.",
        "“A Chronology of the Moscow Trials,” para. 4.",
    ]


# --- locators ---------------------------------------------------------------------------------


def test_numeric_locator_keeps_its_label(notes: Callable[..., list[str]]) -> None:
    assert notes("[@fitzpatrick, chap. 9]", "[@fitzpatrick, ll. 7–9]", "[@fitzpatrick, v. 3]") == [
        "Sheila Fitzpatrick, The Russian Revolution, 4th ed. (Oxford University Press, 2017), "
        "chap. 9.",
        "Fitzpatrick, The Russian Revolution, lines 7–9.",
        "Fitzpatrick, The Russian Revolution, v. 3.",
    ]


def test_locator_without_a_number_is_text_as_written(notes: Callable[..., list[str]]) -> None:
    assert notes("[@undated, s.v. “Bonapartism”]", "[@undated, s.v. 5]") == [
        "Leon Trotsky, Their Morals and Ours (Pioneer Publishers, n.d.), s.v. “Bonapartism”.",
        "Trotsky, Their Morals and Ours, under 5.",
    ]


def test_page_locator_follows_the_page_range_format(notes: Callable[..., list[str]]) -> None:
    assert notes("[@nove, pp. 220–221, 224]", "[@nove, 233–39]", style="apa") == [
        "(Nove, 1969, pp. 220–221, 224)",
        "(Nove, 1969, pp. 233–239)",
    ]
    assert notes("[@nove, pp. 220–221, 224]")[0].endswith("(Allen Lane, 1969), 220–21, 224.")


# --- conditions and groups --------------------------------------------------------------------


def test_short_note_leaves_out_what_only_disambiguation_adds(
    notes: Callable[..., list[str]],
) -> None:
    assert notes("[@trotsky]", "[@trotsky, 7]", "[@fitzpatrick]", "[@fitzpatrick, 12]")[1::2] == [
        "Trotsky, The History of the Russian Revolution, 7.",
        "Fitzpatrick, The Russian Revolution, 12.",
    ]


def test_label_of_an_empty_variable_prints_nothing(notes: Callable[..., list[str]]) -> None:
    assert notes("[@orwell]", "[@orwell, 22]") == [
        "George Orwell, “Notes on Nationalism,” Polemic, October 1945.",
        "Orwell, “Notes on Nationalism,” 22.",
    ]


def test_non_empty_macro_counts_as_a_variable_for_its_group(
    notes: Callable[..., list[str]],
) -> None:
    assert notes("[@gregory]") == ["Paul R. Gregory, “Stalin’s Economists,” preprint, 2004."]


def test_year_suffix_does_not_suppress_no_date() -> None:
    assert entries("undated", style="chicago-author-date") == [
        "Trotsky, Leon. n.d. Their Morals and Ours. Pioneer Publishers."
    ]


# --- text -------------------------------------------------------------------------------------


def test_punctuation_goes_inside_quotation_marks(notes: Callable[..., list[str]]) -> None:
    assert notes("[@luxemburg]", "[@luxemburg]", "[@obrien]") == [
        "Rosa Luxemburg, “Reform or Revolution,” in The Essential Rosa Luxemburg, "
        "ed. Helen Scott (Haymarket Books, 2008).",
        "Luxemburg, “Reform or Revolution.”",
        "Conor O’Brien, “Was the ‘Great Turn’ Inevitable?” Critique 17 (1985).",
    ]


def test_title_case_capitalizes_hyphenated_parts(notes: Callable[..., list[str]]) -> None:
    assert notes("[@getty]") == [
        "J. Arch Getty, “Victims of the Soviet Penal System in the Pre-War Years,” "
        "American Historical Review 98 (1993)."
    ]


def test_label_title_case_in_an_english_locale() -> None:
    assert entries("tucker", style="apa") == [
        "Tucker, R. C. (Ed.). (1975). The Lenin Anthology. W. W. Norton."
    ]


def test_no_second_period_after_markup() -> None:
    assert entries("nove") == ["Nove, Alec. An Economic History of the U.S.S.R. Allen Lane, 1969."]
    assert clean_output("<i>Why?</i>.") == "<i>Why?</i>"
    assert clean_output("Inevitable?. Critique") == "Inevitable? Critique"


def test_smart_quotes() -> None:
    assert smart_quotes("""Workers' "Soviet" in the '20s ('Red' years)""") == (
        "Workers’ “Soviet” in the ’20s (‘Red’ years)"
    )
    assert smart_quotes('<span class="nocase">"iPhone"</span>') == (
        '<span class="nocase">“iPhone”</span>'
    )


# --- sorting ----------------------------------------------------------------------------------


def test_bibliography_sorts_on_words_not_markup_or_quotes() -> None:
    keys = ["undated", "guardian", "trotsky", "fitzpatrick", "fitzpatrick-class"]
    expected = [
        "Fitzpatrick, Sheila. “Ascribing Class.”",
        "Fitzpatrick, Sheila. The Russian Revolution.",
        "The Guardian (London). “Gorbachev",
        "Trotsky, Leon. The History",
        "Trotsky, Leon. Their Morals",
    ]
    got = entries(*keys)
    assert [entry[: len(start)] for entry, start in zip(got, expected, strict=True)] == expected


def test_citation_sorts_only_within_runs_of_plain_items(notes: Callable[..., list[str]]) -> None:
    assert notes("[see @trotsky, p. 33; @fitzpatrick, para. 12]", style="apa") == [
        "(see Trotsky, 1932, p. 33; Fitzpatrick, 2017, para. 12)"
    ]
    assert notes("[@trotsky; @fitzpatrick]", style="apa") == ["(Fitzpatrick, 2017; Trotsky, 1932)"]


def test_same_locator_again_is_plain_ibid() -> None:
    engine = make_engine("mhra-notes-subsequent-ibid")
    printed = [
        _plain(engine.note(_cites(written)).print_html)
        for written in ["[@nove, p. 3]", "[@nove, p. 3]", "[@nove, p. 4]", "[@nove]"]
    ]
    assert printed == [
        "Alec Nove, An Economic History of the U.S.S.R. (Allen Lane, 1969), p. 3.",
        "Ibid.",
        "Ibid., p. 4.",
        "Nove, An Economic History of the U.S.S.R.",
    ]
