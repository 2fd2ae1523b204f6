"""The three source formats: CSL-YAML (with its shorthand), CSL-JSON and BibTeX give the same
notes for the same data, and their errors name file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coursebook.cite.notes import resolve_notes
from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.core.yamlio import load_yaml
from coursebook.parse.lessons import parse_book
from coursebook.pipeline.build import citation_engine
from coursebook.source.loader import load
from coursebook.source.sources import read_sources

YAML = """\
- id: marx1976
  type: book
  author: Karl Marx
  title: "Capital: A Critique of Political Economy"
  title-short: Capital
  volume: 1
  translator: Ben Fowkes
  publisher: Penguin
  publisher-place: London
  year: 1976
- id: lenin1975
  type: chapter
  author: Lenin, V. I.
  title: The State and Revolution
  container-title: The Lenin Anthology
  editor: Robert C. Tucker
  publisher: W. W. Norton
  publisher-place: New York
  page: 311–398
  year: 1975
- id: fitzpatrick1993
  type: article-journal
  author: Sheila Fitzpatrick
  title: "Ascribing Class: The Construction of Social Identity in Soviet Russia"
  title-short: Ascribing Class
  container-title: Journal of Modern History
  volume: 65
  issue: 4
  page: 745–770
  issued: 1993-12
- id: mia2024
  type: webpage
  author: {literal: Marxists Internet Archive}
  title: "Encyclopedia of Marxism: Bonapartism"
  title-short: Encyclopedia of Marxism
  URL: https://www.marxists.org/glossary/terms/b/o.htm
  accessed: 2026-01-15
- id: haslam1979
  type: thesis
  author: Jonathan Haslam
  title: Soviet Foreign Policy, 1930–33
  genre: PhD diss.
  publisher: University of Birmingham
  year: 1979
"""

JSON = json.dumps(
    [
        {
            "id": "marx1976",
            "type": "book",
            "author": [{"family": "Marx", "given": "Karl"}],
            "title": "Capital: A Critique of Political Economy",
            "title-short": "Capital",
            "volume": "1",
            "translator": [{"family": "Fowkes", "given": "Ben"}],
            "publisher": "Penguin",
            "publisher-place": "London",
            "issued": {"date-parts": [[1976]]},
        },
        {
            "id": "lenin1975",
            "type": "chapter",
            "author": [{"family": "Lenin", "given": "V. I."}],
            "title": "The State and Revolution",
            "container-title": "The Lenin Anthology",
            "editor": [{"family": "Tucker", "given": "Robert C."}],
            "publisher": "W. W. Norton",
            "publisher-place": "New York",
            "page": "311–398",
            "issued": {"date-parts": [[1975]]},
        },
        {
            "id": "fitzpatrick1993",
            "type": "article-journal",
            "author": [{"family": "Fitzpatrick", "given": "Sheila"}],
            "title": "Ascribing Class: The Construction of Social Identity in Soviet Russia",
            "title-short": "Ascribing Class",
            "container-title": "Journal of Modern History",
            "volume": "65",
            "issue": "4",
            "page": "745–770",
            "issued": {"date-parts": [[1993, 12]]},
        },
        {
            "id": "mia2024",
            "type": "webpage",
            "author": [{"literal": "Marxists Internet Archive"}],
            "title": "Encyclopedia of Marxism: Bonapartism",
            "title-short": "Encyclopedia of Marxism",
            "URL": "https://www.marxists.org/glossary/terms/b/o.htm",
            "accessed": {"date-parts": [[2026, 1, 15]]},
        },
        {
            "id": "haslam1979",
            "type": "thesis",
            "author": [{"family": "Haslam", "given": "Jonathan"}],
            "title": "Soviet Foreign Policy, 1930–33",
            "genre": "PhD diss.",
            "publisher": "University of Birmingham",
            "issued": {"date-parts": [[1979]]},
        },
    ],
    indent=2,
    ensure_ascii=False,
)

BIB = r"""
@book{marx1976,
  author    = {Marx, Karl},
  title     = {Capital},
  subtitle  = {A {Critique} of {Political} {Economy}},
  volume    = {1},
  translator = {Fowkes, Ben},
  publisher = {Penguin},
  address   = {London},
  year      = {1976},
}

@incollection{lenin1975,
  author    = {Lenin, V. I.},
  title     = {The {State} and {Revolution}},
  booktitle = {The {Lenin} {Anthology}},
  editor    = {Robert C. Tucker},
  publisher = {W. W. Norton},
  location  = {New York},
  pages     = {311--398},
  year      = 1975,
}

@article{fitzpatrick1993,
  author       = {Fitzpatrick, Sheila},
  title        = {Ascribing {Class}: {The} {Construction} of {Social}
                  {Identity} in {Soviet} {Russia}},
  journaltitle = {Journal of Modern History},
  volume       = {65},
  number       = {4},
  pages        = {745--770},
  date         = {1993-12},
}

@online{mia2024,
  author  = {{Marxists Internet Archive}},
  title   = {Encyclopedia of {Marxism}: {Bonapartism}},
  url     = {https://www.marxists.org/glossary/terms/b/o.htm},
  urldate = {2026-01-15},
}

@phdthesis{haslam1979,
  author = {Haslam, Jonathan},
  title  = {{Soviet} {Foreign} {Policy}, 1930--33},
  type   = {PhD diss.},
  school = {University of Birmingham},
  year   = {1979},
}
"""

LESSON = """\
# One

Capital [@marx1976, p. 125]. The state [see @lenin1975, 312; @fitzpatrick1993, 750].
A web page [@mia2024], a thesis [@haslam1979, chap. 2]. Again [@marx1976, chap. 1],
[@lenin1975], [@fitzpatrick1993, 745], [@mia2024], [@haslam1979].
"""


def notes_and_entries(make_book, name: str, text: str) -> tuple[list[str], list[str]]:
    folder = make_book(
        {
            "book.yaml": f"title: T\nlanguage: en-US\nsources: {name}\nchapters: [one.md]\n",
            name: text,
            "one.md": LESSON,
        },
        name=name.replace(".", "-"),
    )
    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    parsed = parse_book(book, diagnostics)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    assert diagnostics.errors == [] and diagnostics.warnings == []
    return [n.html for n in notes.lessons["one"].notes], [e.html for e in notes.bibliography]


def test_three_formats_give_identical_notes_and_entries(make_book) -> None:
    from_yaml = notes_and_entries(make_book, "sources.yaml", YAML)
    from_json = notes_and_entries(make_book, "sources.json", JSON)
    from_bib = notes_and_entries(make_book, "sources.bib", BIB)
    assert len(from_yaml[0]) == 9 and len(from_yaml[1]) == 5
    assert from_json == from_yaml
    assert from_bib == from_yaml


def test_default_sources_file_may_be_bibtex(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters: [one.md]\n",
            "one.md": LESSON,
            "sources.yaml": "",
        },
        name="b",
    )
    (folder / "sources.yaml").unlink()
    (folder / "sources.bib").write_text(BIB)
    assert set(load(folder).sources) == {
        "marx1976",
        "lenin1975",
        "fitzpatrick1993",
        "mia2024",
        "haslam1979",
    }


def test_yaml_errors_have_lines(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "- id: a\n  type: book\n  title: A\n"
        "- id: a\n  type: book\n  title: Again\n"
        "- id: b\n  type: bok\n"
        "- id: c\n  type: book\n  author: [42]\n  issued: someday soon\n  edtior: X\n"
        "- type: book\n"
    )
    diagnostics = Diagnostics()
    read_sources(path, diagnostics)
    messages = [f"{d.location.line}: {d.severity.value}: {d.message}" for d in diagnostics]
    assert messages == [
        "4: error: duplicate source id 'a' (first at line 1), with other data",
        "8: error: source 'b': unknown type 'bok' (did you mean 'book'?)",
        "11: error: source 'c': 'author': expected a name, found 42",
        "13: warning: unknown CSL field 'edtior' (did you mean 'editor'?); it is ignored",
        "14: error: a source needs an 'id'",
    ]


def test_json_errors_have_lines(tmp_path: Path) -> None:
    path = tmp_path / "sources.json"
    path.write_text(
        '[\n  {"id": "a", "type": "book"},\n  {"id": "a", "type": "book"},\n'
        '  "not an entry",\n  {"id": "a", "type": "book", "title": "A"}\n]\n'
    )
    diagnostics = Diagnostics()
    sources = read_sources(path, diagnostics)
    assert [(d.location.line, d.message) for d in diagnostics] == [
        (3, "source 'a' is given twice, the same both times (first at line 2)"),
        (1, "each source must be a mapping of CSL fields"),
        (5, "duplicate source id 'a' (first at line 2), with other data"),
    ]
    assert sources["a"].data["title"] == "A"  # as pandoc: the last one
    path.write_text('[\n  {"id": "a",\n  "type": "book"\n')
    diagnostics = Diagnostics()
    read_sources(path, diagnostics)
    assert diagnostics.errors[0].location.line == 4
    assert diagnostics.errors[0].message.startswith("invalid JSON")


def test_unknown_key_and_unused_source(make_book) -> None:
    folder = make_book({"sources.yaml": YAML, "lessons/one.md": "# One\n\nText [@marx1967].\n"})
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        book = load(folder, diagnostics)
        parsed = parse_book(book, diagnostics)
        resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
        diagnostics.check()
    assert [str(d).split("one.md:")[-1] for d in diagnostics.errors] == [
        "3:7: error: unknown source 'marx1967' (did you mean 'marx1976'?) [unknown-source]"
    ]
    assert sorted(d.message for d in diagnostics.warnings) == [
        f"source '{key}' is never cited"
        for key in ("fitzpatrick1993", "haslam1979", "lenin1975", "marx1976", "mia2024")
    ]


@pytest.mark.parametrize(
    "text",
    [
        '- id: é\n  title: ünïcödé: "x"\n  URL: x\n',
        "- {id: ä, title: [1, 2, {a: b}]}\n- id: 2\n  issued: 2020-01-01\n  x: 2020-02-30\n"
        "  y: 1.5\n  z: null\n  w: yes\n",
        "\ufeff- id: a\n",
        "references:\n  - id: a\n    author:\n      - family: Müller\n        given: Jörg\n",
        "- id: a\n  note: |\n    multi\n    line\n  other: >\n    folded\n    text\n",
        "- id: a\n  t: 'single ''quoted'''\n  u: \"dq \\u00e9\"\n",
        "---\n- id: a\n...\n",
        "- &x id: a\n",
        "- &x {a: 1}\n- *x\n",
        "- id: *emph*\n",
        "a: 1\na: 2\n",
        "- !!python/object x\n",
        "- id: a\n\t- bad\n",
        "title:\tA tab after the colon\n",
        "title: Lesson one\nnumber: 1\nsummary: >\n  Folded\n  text.\ndate: 2026-01-01\n",
        "title: A: B\n",
        "a: b: c\n",
        "key: 'unclosed\n",
        "- id: a\0\n",
        "[" * 45 + "]" * 45,
        "- " * 45 + "x\n",
    ],
)
def test_the_fast_yaml_reader_reads_as_the_usual_one(text: str) -> None:
    """libyaml reads every YAML file (a large sources file, each lesson's front matter): what
    it reads, and what it reports, is what the usual reader would (it leaves aliases, deep
    nesting, tabs and every problem to that one)."""
    usual, fast = Diagnostics(), Diagnostics()
    assert load_yaml(text, Path("s.yaml"), fast, fast=True) == load_yaml(
        text, Path("s.yaml"), usual, fast=False
    )
    assert [str(d) for d in fast] == [str(d) for d in usual]


def test_json_entries_of_references_have_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "sources.json"
    path.write_text(
        '{"note": {"x": [{"y": 1}]},\n "references": [\n'
        '  {"id": "a", "type": "book", "title": "[{not a bracket}]"},\n'
        '  {"id": "b",\n   "type": "bok"}\n]}\n'
    )
    diagnostics = Diagnostics()
    sources = read_sources(path, diagnostics)
    assert {key: s.location.line for key, s in sources.items()} == {"a": 3, "b": 4}
    assert [d.location.line for d in diagnostics] == [4]
