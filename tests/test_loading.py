"""Loading a book: the manifest, front matter and sources, and every error with its line."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.core.yamlio import load_yaml
from coursebook.source.loader import load

from .conftest import MINIMAL_SOURCES, SAMPLE_BOOK


def errors_of(folder: Path) -> list[str]:
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        load(folder, diagnostics)
    return [str(d) for d in diagnostics.errors]


def test_sample_book_loads_with_metadata_in_order() -> None:
    diagnostics = Diagnostics()
    book = load(SAMPLE_BOOK, diagnostics)
    assert book.meta.title == "The rise of Stalinism"
    assert book.meta.course_id == "10"
    assert book.meta.published == dt.date(2026, 2, 10)
    assert book.meta.updated == dt.date(2026, 2, 12)
    assert book.meta.publisher == "Marxist Education Portal"
    assert [lesson.number for lesson in book.lessons] == ["15", "16"]
    assert [lesson.title for lesson in book.lessons] == [
        "The zigzags of the bureaucracy",
        "The nature of the Stalinist state",
    ]
    assert book.lessons[1].body_line == 7  # after six lines of front matter
    assert set(book.sources) >= {"trotsky1935thermidor", "trotsky1936revbet", "hadden1999"}
    assert diagnostics.errors == []


def test_identifier_is_derived_stably_when_absent(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nText.\n"})
    first, second = load(folder), load(folder)
    assert first.meta.identifier.startswith("urn:uuid:")
    assert first.meta.identifier == second.meta.identifier


def test_every_manifest_error_is_reported_with_its_line(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": """\
            title: 1984
            language: no
            published: last week
            chapters:
              - lessons/missing.md
              - title: Part two
              - 42
            """,
        }
    )
    messages = errors_of(folder)
    joined = "\n".join(messages)
    assert "book.yaml:1:8: error: 'title': expected text, found a number (1984)" in joined
    assert "book.yaml:2:11: error: 'language'" in joined and "quotes" in joined
    assert "book.yaml:3:12: error: 'published': expected a date" in joined
    assert "book.yaml:5:5: error: lesson 'lessons/missing.md' not found" in joined
    assert "book.yaml:6:5: error: a chapter needs 'lessons'" in joined
    assert "book.yaml:7:5: error: each chapter is a lesson path" in joined
    assert len(messages) == 6


def test_unknown_key_is_a_warning_with_a_suggestion(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nsubtitel: S\nchapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n",
        }
    )
    diagnostics = Diagnostics()
    load(folder, diagnostics)
    assert [str(d) for d in diagnostics.warnings] == [
        f"{_rel(folder)}/book.yaml:3:1: warning: unknown key 'subtitel' in book.yaml "
        "(did you mean 'subtitle'?) [unknown-key]"
    ]


def test_an_unknown_key_is_pointed_at_where_it_is_written(make_book) -> None:
    """At the key, not at its value (a list's value starts on the next line)."""
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nsubjcts:\n  - a\n  - b\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n",
        }
    )
    diagnostics = Diagnostics()
    load(folder, diagnostics)
    places = [(d.location.line, d.location.column) for d in diagnostics.warnings]
    assert places == [(3, 1)]


def test_author_is_read_as_authors(make_book) -> None:
    """``author:`` (as ``coursebook new --author`` is spelled) is the same key as
    ``authors:``, in book.yaml and in a lesson's front matter; both at once is an error."""
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nauthor: Ana Lima\nchapters: [lessons/one.md]\n",
            "lessons/one.md": "---\nauthor: [Rosa L., Karl K.]\n---\n# One\n",
        }
    )
    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    assert not diagnostics.items
    assert book.meta.authors == ("Ana Lima",)
    (lesson,) = book.lessons
    assert lesson.authors == ("Rosa L.", "Karl K.")
    both = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nauthor: A\nauthors: [B]\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n",
        },
        name="both",
    )
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        load(both, diagnostics)
    assert [(d.location.line, d.message) for d in diagnostics.errors] == [
        (4, "'authors' and 'author' are the same key in book.yaml; give one")
    ]


def test_yaml_aliases_and_python_tags_are_refused(tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    bomb = "a: &a [x, x]\nb: [*a, *a]\n"
    assert load_yaml(bomb, tmp_path / "b.yaml", diagnostics) is None
    assert "aliases" in diagnostics.errors[0].message
    diagnostics = Diagnostics()
    assert (
        load_yaml("!!python/object/apply:os.system ['true']", tmp_path / "c.yaml", diagnostics)
        is None
    )
    assert diagnostics.errors[0].location.line == 1


def test_lesson_path_outside_the_book_is_refused(make_book, tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# Secret\n")
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters:\n  - ../secret.md\n  - /etc/passwd\n",
        }
    )
    messages = errors_of(folder)
    assert any(
        ":4:5: error: lesson: '../secret.md' is outside the book folder" in m for m in messages
    )
    assert any(
        ":5:5: error: lesson: '/etc/passwd' is outside the book folder" in m for m in messages
    )


def test_symlink_leaving_the_book_is_refused(make_book, tmp_path: Path) -> None:
    (tmp_path / "outside.md").write_text("# Outside\n")
    folder = make_book({"book.yaml": "title: T\nlanguage: en\nchapters: [lessons/one.md]\n"})
    (folder / "lessons").mkdir()
    (folder / "lessons" / "one.md").symlink_to(tmp_path / "outside.md")
    assert any("is outside the book folder" in m for m in errors_of(folder))


def test_front_matter_errors_point_into_the_lesson(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": "---\nnumber: [1]\nid: 9bad\n---\n\nNo title here.\n",
        }
    )
    messages = errors_of(folder)
    assert any("lessons/one.md:2:9: error: 'number'" in m for m in messages)
    assert any("lessons/one.md:3:5: error: 'id': '9bad' is not a valid id" in m for m in messages)
    assert any("lessons/one.md:1: error: a lesson needs a title" in m for m in messages)


def test_title_may_come_from_a_first_level_heading(make_book) -> None:
    folder = make_book({"lessons/one.md": "\n# The first lesson\n\nBody.\n"})
    lesson = load(folder).lessons[0]
    assert lesson.title == "The first lesson"
    assert lesson.body.strip() == "Body."
    assert lesson.body_line == 3


def test_duplicate_lesson_and_duplicate_ids(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters:\n  - a/one.md\n  - b/one.md\n"
            "  - a/one.md\n",
            "a/one.md": "# A\n",
            "b/one.md": "# B\n",
        }
    )
    messages = errors_of(folder)
    assert any(
        "book.yaml:6:5: error: 'a/one.md' is already in the book (line 4)" in m for m in messages
    )
    assert any("lesson id 'one' is also used by" in m for m in messages)


def _rel(folder: Path) -> str:
    return os.path.relpath(folder)


@pytest.mark.parametrize(
    ("yaml_text", "place", "words"),
    [
        ("title: T\nlanguage: en\nchapters:\n\t- lessons/one.md\n", (4, 1), "a tab: YAML indents"),
        (
            "title: Stalinism: a course\nlanguage: en\nchapters: [lessons/one.md]\n",
            (1, 17),
            "a colon followed by a space inside a value: put the whole value in quotes",
        ),
        (
            "title: T\nlanguage: en\nchapters:\n  - lessons/one.md\n - lessons/two.md\n",
            (5, 2),
            "this list item is not lined up with the lines above",
        ),
        ('title: "T\nlanguage: en\n', (3, 1), "a quotation mark or bracket opened and never"),
    ],
)
def test_yaml_mistakes_in_an_authors_words(
    make_book, yaml_text: str, place: tuple[int, int], words: str
) -> None:
    """The usual YAML mistakes said in plain words (PyYAML's after them), at their place,
    with the line they are on for the terminal to show under a caret."""
    folder = make_book({"book.yaml": yaml_text, "lessons/one.md": "# One\n"})
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        load(folder, diagnostics)
    (error,) = diagnostics.errors
    assert (error.location.line, error.location.column) == place
    assert error.message.startswith(f"invalid YAML: {words}"), error.message
    assert "(YAML says: " in error.message
    lines = yaml_text.splitlines()
    assert error.excerpt == (lines[place[0] - 1] if place[0] <= len(lines) else "")


def test_the_terminal_shows_a_yaml_mistake_under_a_caret(make_book) -> None:
    import subprocess
    import sys

    folder = make_book(
        {"book.yaml": "title: Stalinism: a course\nlanguage: en\nchapters: [x.md]\n"}
    )
    done = subprocess.run(
        [sys.executable, "-m", "coursebook", "check", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    shown = done.stdout.splitlines()
    at = next(i for i, line in enumerate(shown) if "[yaml]" in line)
    assert shown[at + 1] == "    title: Stalinism: a course"
    assert shown[at + 2] == "    " + " " * 16 + "^"


def test_a_lesson_that_cannot_be_read_brings_no_false_never_cited(make_book) -> None:
    """A lesson path mistyped: the citations of the lesson meant are unknown, so no source
    is said to be never cited; the path's own problem is reported, with the closest name."""
    import subprocess
    import sys

    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters: [lessons/one.md, lessons/tow.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867].\n",
            "lessons/two.md": "# Two\n\nAs said [@lenin1917].\n",
            "sources.yaml": MINIMAL_SOURCES
            + "- id: lenin1917\n  type: book\n  author: V. I. Lenin\n  title: State\n"
            "  year: 1917\n",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "coursebook", "check", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "lesson 'lessons/tow.md' not found (did you mean 'lessons/two.md'?)" in done.stdout
    assert "never cited" not in done.stdout


def test_a_book_yaml_that_cant_be_read_names_only_the_books_files(
    make_book, tmp_path: Path
) -> None:
    """A book.yaml that can't be parsed: the lessons its text names are still checked, but
    only files of the book. A name longer than file systems take, or a link leaving the
    book, is passed over (not an internal error, not a file outside read)."""
    (tmp_path / "outside.md").write_text("# Outside\n\nNot the book's.\n", encoding="utf-8")
    long = "le" * 140 + "lessons/one.md"
    folder = make_book(
        {
            "book.yaml": f"\0title: T\nchapters:\n  - {long}\n  - out/outside.md\n"
            "  - lessons/one.md\n",
            "lessons/one.md": "# One\n\nText [@nobody2000].\n",
        }
    )
    (folder / "out").symlink_to(tmp_path)
    diagnostics = Diagnostics()
    with pytest.raises(BookError):
        load(folder, diagnostics)
    messages = [d.message for d in diagnostics.errors]
    assert any("invalid YAML" in m for m in messages)
    assert not any("Outside" in m or "outside.md" in m for m in messages)
