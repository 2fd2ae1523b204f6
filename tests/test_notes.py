"""Citations and authored footnotes to numbered notes, and the sources they cite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from coursebook.cite import csl
from coursebook.cite.book_notes import BookNotes
from coursebook.cite.notes import resolve_notes
from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.parse.lessons import parse_book
from coursebook.pipeline.build import build, citation_engine
from coursebook.render.rendering import render_book
from coursebook.source.loader import load

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


def notes_of(make_book, style: str, lesson: str, sources: str = SOURCES) -> BookNotes:
    folder = make_book(
        {
            "book.yaml": f"title: T\nlanguage: en-US\ncitation_style: {style}\n"
            "chapters: [lessons/a.md]\n",
            "sources.yaml": sources,
            "lessons/a.md": lesson,
        }
    )
    notes, diagnostics = resolve(folder)
    assert not diagnostics.errors, diagnostics.errors
    return notes


def test_a_citation_in_an_authored_note_names_its_author_once_and_has_no_parentheses(
    make_book,
) -> None:
    """``@key [p. 162]`` inside an authored note printed the author twice ("Johnson Johnson,
    The Ghost Map"); pandoc sets the name once, then the rest of the note after a comma, and
    puts a citation in the middle of a note in parentheses, which coursebook doesn't."""
    lesson = (
        "# A\n\nText[^n] and more[^m].\n\n"
        "[^n]: As @trotsky1936 [p. 162] says, and see [@hadden1999, 12] too.\n"
        "[^m]: [@hadden1999, 14]; also [@trotsky1936, p. 3].\n"
    )
    first, second = texts(notes_of(make_book, "chicago-notes-bibliography", lesson), "a")
    assert first == (
        "1. As Leon Trotsky, The Revolution Betrayed: What Is the Soviet Union and Where Is It "
        "Going? (Doubleday, Doran, 1937), 162 says, and see Peter Hadden, The Struggle for "
        "Socialism Today (Socialist Party, 1999), 12 too."
    )
    assert "Trotsky Trotsky" not in first and "(Peter Hadden" not in first
    # First in its note: set as a note of its own; later: without pandoc's parentheses.
    assert (
        second
        == "2. Hadden, The Struggle for Socialism Today, 14; also Trotsky, Revolution Betrayed, 3."
    )


def test_ibid_in_print_only(make_book) -> None:
    lesson = (
        "# A\n\nOne [@trotsky1936, p. 3]. Two [@trotsky1936, p. 4]. Three [@trotsky1936, p. 4].\n"
    )
    notes = notes_of(make_book, "chicago-notes-bibliography-subsequent-ibid", lesson)
    printed = [re.sub("<[^>]+>", "", n.printed) for n in notes.lessons["a"].notes]
    screen = [re.sub("<[^>]+>", "", n.html) for n in notes.lessons["a"].notes]
    assert printed[1:] == ["Ibid., 4.", "Ibid."]
    assert screen[1:] == ["Trotsky, Revolution Betrayed, 4.", "Trotsky, Revolution Betrayed, 4."]
    assert printed[0] == screen[0] and printed[0].startswith("Leon Trotsky, The Revolution")


def test_a_styles_two_variants_format_alike_side_by_side_or_one_after_the_other(
    make_book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A style that says "Ibid." is formatted twice (print, screen) by two pandoc runs,
    side by side for a book of up to ``SIDE_BY_SIDE`` citations, else one after the other
    (pandoc's memory grows with the book): the notes are the same either way. Up to
    ``ROOMY_MOST`` citations, pandoc is given a larger allocation area (faster; more
    memory)."""
    lesson = (
        "# A\n\nOne [@trotsky1936, p. 3]. Two [@trotsky1936, p. 4]. Three [@hadden1999, 12]."
        " Four [@hadden1999, 12]. Five [@trotsky1936].\n"
    )
    style = "chicago-notes-bibliography-subsequent-ibid"
    heaps: list[list[str]] = []
    run = csl.run_pandoc

    def spy(args: list[str], **kwargs: Any) -> bytes:
        heaps.append(args[: args.index("-RTS") + 1])
        return run(args, **kwargs)

    monkeypatch.setattr(csl, "run_pandoc", spy)
    side_by_side = notes_of(make_book, style, lesson)
    assert heaps == [["+RTS", "-F1.5", "-A64m", "-RTS"]] * 2
    monkeypatch.setattr(csl, "SIDE_BY_SIDE", 0)
    monkeypatch.setattr(csl, "ROOMY_MOST", 0)
    heaps.clear()
    one_after_the_other = notes_of(make_book, style, lesson)
    assert heaps == [["+RTS", "-F1.5", "-RTS"]] * 2
    assert side_by_side.lessons["a"].notes == one_after_the_other.lessons["a"].notes
    assert side_by_side.bibliography == one_after_the_other.bibliography
    printed = [re.sub("<[^>]+>", "", n.printed) for n in side_by_side.lessons["a"].notes]
    assert printed[1] == "Ibid., 4." and "Ibid." not in side_by_side.lessons["a"].notes[1].html


DISAMBIGUATION = """\
- id: ali1936
  type: book
  author: Tariq Ali
  title: Empire
  issued: 1936
- id: ali1936b
  type: book
  author: Sara Ali
  title: Harvest
  issued: 1936
- id: mandel1965a
  type: book
  author: Ernest Mandel
  title: Marxist Economic Theory
  issued: 1965
- id: mandel1965b
  type: book
  author: Ernest Mandel
  title: The Formation of Marx's Economic Thought
  issued: 1965
"""


def test_author_date_styles_tell_sources_apart_as_pandoc_does(make_book) -> None:
    lesson = "# A\n\nOne [@ali1936]. Two [@ali1936b]. Three [@mandel1965a; @mandel1965b].\n"
    for style, expected in {
        "apa": ["(T. Ali, 1936)", "(S. Ali, 1936)", "(Mandel, 1965a, 1965b)"],
        "chicago-author-date": ["(T. Ali 1936)", "(S. Ali 1936)", "(Mandel 1965a, 1965b)"],
    }.items():
        notes = notes_of(make_book, style, lesson, DISAMBIGUATION)
        calls = notes.lessons["a"].calls
        assert [re.sub("<[^>]+>", "", c.text) for c in calls.values()] == expected, style


def test_numeric_styles_number_each_source_once(make_book) -> None:
    lesson = "# A\n\nOne [@trotsky1936]. Two [@hadden1999]. Three [@trotsky1936, p. 4].\n"
    notes = notes_of(make_book, "ieee", lesson)
    calls = [re.sub("<[^>]+>", "", c.text) for c in notes.lessons["a"].calls.values()]
    assert calls == ["[1]", "[2]", "[1, p. 4]"]


def test_never_cited_sources_past_twenty_are_counted_in_one_warning(make_book) -> None:
    many = "".join(
        f"- id: s{i}\n  type: book\n  title: Book {i}\n  issued: 1900\n" for i in range(30)
    )
    folder = make_book(
        {"sources.yaml": SOURCES + many, "lessons/one.md": "# One\n\n[@hadden1999]\n"}
    )
    _, diagnostics = resolve(folder)
    unused = [d.message for d in diagnostics.warnings if d.code == "unused-source"]
    assert len(unused) == 21
    assert unused[-1] == (
        "and 12 more sources are never cited, from here on (the first 20 are named above)"
    )


def test_a_citation_ending_an_authored_note_doesnt_double_its_stop(make_book) -> None:
    sources = SOURCES + (
        "- id: smith1930\n  type: article-journal\n  author: A. Smith\n"
        "  title: The New Workers\n  container-title: Labour\n  issued: 1930\n"
    )
    lesson = "# A\n\nText[^j] more[^k].\n\n[^j]: [@smith1930].\n[^k]: Also [@smith1930]: more.\n"
    notes = notes_of(make_book, "chicago-notes-bibliography", lesson, sources)
    assert texts(notes, "a") == [
        "1. A. Smith, “The New Workers,” Labour, 1930.",
        "2. Also Smith, “The New Workers”: more.",
    ]


def test_chapters_restart_positions_but_share_numbers_and_disambiguation(make_book) -> None:
    """Each chapter restarts its notes and positions; citation numbers and year suffixes
    are the book's (a source cited in chapter 2 tells chapter 1's citation apart)."""

    def chapters(style: str) -> tuple[BookNotes, list[str]]:
        folder = make_book(
            {
                "book.yaml": f"title: T\nlanguage: en-US\ncitation_style: {style}\nchapters:\n"
                "  - lessons/a.md\n  - lessons/b.md\n",
                "sources.yaml": SOURCES + DISAMBIGUATION,
                "lessons/a.md": "# A\n\nOne [@mandel1965a]. Two[^x].\n\n[^x]: First note.\n",
                "lessons/b.md": "# B\n\nThree [@mandel1965b]. Four [@mandel1965a]. Five[^y].\n\n"
                "[^y]: Second note.\n",
            },
            name=style,
        )
        notes, _ = resolve(folder)
        calls = [
            re.sub("<[^>]+>", "", call.text)
            for lesson in ("a", "b")
            for call in notes.lessons[lesson].calls.values()
            if call.note is None
        ]
        return notes, calls

    notes, calls = chapters("chicago-author-date")
    assert calls == ["(Mandel 1965a)", "(Mandel 1965b)", "(Mandel 1965a)"]
    assert texts(notes, "a") == ["1. First note."]
    assert texts(notes, "b") == ["1. Second note."]  # its own note, numbered anew
    _, calls = chapters("ieee")
    assert calls == ["[1]", "[2]", "[1]"]


def test_every_cited_source_is_in_the_appendix_or_an_error_says_what_it_lacks(make_book) -> None:
    """Chicago lists a letter only where a reader can find it: a letter with no archive is
    an error naming the fields that would list it. It lists no social-media post at all:
    that is a warning, and the appendix lists the post as its first note reads."""
    sources = (
        "- id: lenin1922\n  type: personal_communication\n  author: V. I. Lenin\n"
        "  title: Letter to the Congress\n  issued: 1922-12-23\n"
        "- id: post2020\n  type: post\n  author: A. Writer\n  title: A thread\n"
        "  container-title: Mastodon\n  issued: 2020-05-01\n  URL: https://example.org/p/1\n"
    )
    folder = make_book(
        {
            "sources.yaml": sources,
            "lessons/one.md": "# One\n\nA letter [@lenin1922]. A post [@post2020].\n",
        }
    )
    notes, diagnostics = resolve(folder)
    (error,) = diagnostics.errors
    assert error.code == "empty-entry" and error.location.line == 1
    assert "'archive'" in error.message and "'URL'" in error.message
    (warning,) = [d for d in diagnostics.warnings if d.code == "empty-entry"]
    assert warning.location.line == 6 and "lists no 'post'" in warning.message
    (entry,) = notes.bibliography
    assert entry.source.id == "post2020"
    assert re.sub("<[^>]+>", "", entry.html).startswith("A. Writer, “A thread,” Mastodon")
