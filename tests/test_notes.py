"""Citations and authored footnotes to numbered notes, and the sources they cite."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursebook.build import build, citation_engine
from coursebook.diagnostics import BookError, Diagnostics
from coursebook.lessons import parse_book
from coursebook.loader import load
from coursebook.notes import BookNotes, resolve_notes
from coursebook.render import render_book

from .conftest import epubcheck, output

SOURCES = """\
- id: trotsky1936
  type: book
  author: Leon Trotsky
  title: "The Revolution Betrayed: What Is the Soviet Union and Where Is It Going?"
  title-short: Revolution Betrayed
  publisher: Doubleday, Doran
  publisher-place: Garden City, NY
  year: 1937
- id: hadden1999
  type: book
  author: Peter Hadden
  title: The Struggle for Socialism Today
  publisher: Socialist Party
  year: 1999
- id: unused2000
  type: book
  author: Nobody Cited
  title: Never Cited
  year: 2000
"""

MANIFEST = """\
title: Notes test
language: en
chapters:
  - title: First
    lessons: [lessons/a.md, lessons/b.md]
  - lessons/c.md
"""


def resolve(folder: Path) -> tuple[BookNotes, Diagnostics]:
    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    parsed = parse_book(book, diagnostics)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    return notes, diagnostics


def texts(notes: BookNotes, lesson: str) -> list[str]:
    return [f"{n.number}. {re.sub('<[^>]+>', '', n.html)}" for n in notes.lessons[lesson].notes]


@pytest.fixture
def book(make_book):
    return make_book(
        {
            "book.yaml": MANIFEST,
            "sources.yaml": SOURCES,
            "lessons/a.md": "# A\n\nFirst [@trotsky1936, chap. 9]. Then a remark[^r].\n\n"
            "[^r]: An aside, citing [@hadden1999, 12].\n",
            "lessons/b.md": "# B\n\nAgain [@trotsky1936, p. 5] and [@hadden1999].\n",
            "lessons/c.md": "# C\n\nNew chapter [@trotsky1936].\n",
        }
    )


def test_one_numbering_per_chapter_across_lessons_and_authored_notes(book) -> None:
    notes, _ = resolve(book)
    assert [n.number for n in notes.lessons["a"].notes] == [1, 2]
    assert [n.number for n in notes.lessons["b"].notes] == [3, 4]
    assert [n.number for n in notes.lessons["c"].notes] == [1]  # restarts with the chapter
    assert [n.kind for n in notes.lessons["a"].notes] == ["citation", "authored"]


def test_full_form_first_in_each_chapter_then_short(book) -> None:
    """Chicago notes as pandoc's citeproc sets them for the same data (pandoc wraps a citation
    inside an authored note in parentheses; coursebook sets it as part of the sentence)."""
    notes, _ = resolve(book)
    assert texts(notes, "a") == [
        "1. Leon Trotsky, The Revolution Betrayed: What Is the Soviet Union and Where Is It "
        "Going? (Doubleday, Doran, 1937), chap. 9.",
        "2. An aside, citing Peter Hadden, The Struggle for Socialism Today (Socialist Party, "
        "1999), 12.",
    ]
    assert texts(notes, "b") == [
        "3. Trotsky, Revolution Betrayed, 5.",
        "4. Hadden, The Struggle for Socialism Today.",
    ]
    # A new chapter cites in full again.
    assert texts(notes, "c")[0].startswith("1. Leon Trotsky, The Revolution Betrayed")


def test_sources_appendix_lists_every_citing_note(book) -> None:
    notes, diagnostics = resolve(book)
    by_id = {entry.source.id: entry for entry in notes.bibliography}
    assert list(by_id) == ["hadden1999", "trotsky1936"]  # sorted by author
    assert [(u.lesson.id, u.label) for u in by_id["trotsky1936"].uses] == [
        ("a", "1"),
        ("b", "3"),
        ("c", "1"),
    ]
    assert [(u.lesson.id, u.label) for u in by_id["hadden1999"].uses] == [
        ("a", "2"),
        ("b", "4"),
    ]
    assert [d.message for d in diagnostics.warnings] == ["source 'unused2000' is never cited"]


def test_unknown_source_is_an_error_with_line_column_and_suggestion(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": MANIFEST,
            "sources.yaml": SOURCES,
            "lessons/a.md": "# A\n\nText\nmore [@trotsky1935, p. 3].\n",
            "lessons/b.md": "# B\n\n[^n] text.\n\n[^n]: In a note [@nosuch].\n",
            "lessons/c.md": "# C\n",
        }
    )
    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    parsed = parse_book(book, diagnostics)
    resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    errors = [str(e) for e in diagnostics.errors]
    assert errors[0].endswith(
        "lessons/a.md:4:7: error: unknown source 'trotsky1935' (did you mean 'trotsky1936'?) "
        "[unknown-source]"
    )
    assert errors[1].endswith("lessons/b.md:5:18: error: unknown source 'nosuch' [unknown-source]")
    with pytest.raises(BookError):
        diagnostics.check()


def test_note_call_goes_after_following_punctuation(book) -> None:
    diagnostics = Diagnostics()
    loaded = load(book, diagnostics)
    parsed = parse_book(loaded, diagnostics)
    notes = resolve_notes(loaded, parsed, citation_engine(loaded, diagnostics), diagnostics)
    rendered = render_book(loaded, parsed, notes, diagnostics)
    lesson_a = next(d for d in rendered.documents if d.id == "a")
    assert re.search(r"First\.<a class=\"noteref\"[^>]*><sup>1</sup></a> Then", lesson_a.html)
    assert re.search(r"remark<a class=\"noteref\"[^>]*><sup>2</sup></a>\.", lesson_a.html)


def test_in_text_citation_keeps_the_author_in_the_sentence(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": MANIFEST,
            "sources.yaml": SOURCES,
            "lessons/a.md": "# A\n\nAs @trotsky1936 [p. 33] argued.\n",
            "lessons/b.md": "# B\n",
            "lessons/c.md": "# C\n",
        }
    )
    diagnostics = Diagnostics()
    loaded = load(folder, diagnostics)
    parsed = parse_book(loaded, diagnostics)
    notes = resolve_notes(loaded, parsed, citation_engine(loaded, diagnostics), diagnostics)
    rendered = render_book(loaded, parsed, notes, diagnostics)
    lesson_a = next(d for d in rendered.documents if d.id == "a")
    # The name as pandoc gives it for a first citation, in full.
    call = r"As Leon Trotsky<a class=\"noteref\"[^>]*><sup>1</sup></a> argued"
    assert re.search(call, lesson_a.html)
    # The note doesn't name the author again (as pandoc does it).
    assert texts(notes, "a")[0].startswith("1. The Revolution Betrayed")
    assert texts(notes, "a")[0].endswith("1937), 33.")


def test_citation_in_code_stays_text(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": "# One\n\nWrite `[@marx1867]` to cite.\n\n    [@marx1867] in code\n",
        }
    )
    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    parsed = parse_book(book, diagnostics)
    assert "<code>[@marx1867]</code>" in parsed["one"].html
    assert "<code>[@marx1867] in code\n</code>" in parsed["one"].html
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    assert notes.lessons["one"].notes == ()


def test_in_text_style_sets_citations_in_the_text(make_book, tmp_path: Path) -> None:
    """With an author-date style, citations read as pandoc sets them and only authored notes
    remain notes."""
    folder = make_book(
        {
            "book.yaml": "title: Author-date\nlanguage: en-US\n"
            "citation_style: chicago-author-date\nchapters: [lessons/a.md]\n",
            "sources.yaml": SOURCES,
            "lessons/a.md": "# A\n\nFirst [@trotsky1936, chap. 9]. Then a remark[^r].\n\n"
            "[^r]: An aside, citing [@hadden1999, 12].\n\n"
            "Again [see @trotsky1936, p. 5; @hadden1999].\n\n"
            "As @trotsky1936 [p. 33] argued.\n",
        }
    )
    diagnostics = Diagnostics()
    loaded = load(folder, diagnostics)
    parsed = parse_book(loaded, diagnostics)
    notes = resolve_notes(loaded, parsed, citation_engine(loaded, diagnostics), diagnostics)
    assert not notes.note_style
    assert texts(notes, "a") == ["1. An aside, citing (Hadden 1999, 12)."]
    rendered = render_book(loaded, parsed, notes, diagnostics)
    lesson = next(d for d in rendered.documents if d.id == "a")
    text = re.sub(r"<[^>]+>", "", lesson.html)
    assert "First (Trotsky 1937, chap. 9). Then a remark1." in text
    assert "Again (see Trotsky 1937, 5; Hadden 1999)." in text
    assert "As Trotsky (1937, 33) argued." in text
    assert [plain_entry.html for plain_entry in notes.bibliography] == [
        "Hadden, Peter. 1999. <i>The Struggle for Socialism Today</i>. Socialist Party.",
        "Trotsky, Leon. 1937. <i>The Revolution Betrayed: What Is the Soviet Union and Where "
        "Is It Going?</i> Doubleday, Doran.",
    ]
    # The appendix links back to each place, lettered as a reference list's back-links are.
    sources = next(d for d in rendered.documents if d.id == "sources")
    trotsky = sources.html.split('id="sources-trotsky1936"')[1].split("</li>")[0]
    assert "Cited in A: a, b, c." in re.sub(r"<[^>]+>", "", trotsky)
    assert re.findall(r'href="#(a--cite-\d+)"[^>]*>(\w+)</a>', trotsky) == [
        ("a--cite-1", "a"),
        ("a--cite-2", "b"),
        ("a--cite-3", "c"),
    ]
    path = output(build(folder, ("epub",), tmp_path / "out"), "epub")
    assert epubcheck(path) == []
