"""Work never done twice, and never wrongly skipped: a build with nothing changed writes
nothing, and a build that reuses what earlier builds kept (formatted citations, the print
edition's page starts) writes the very bytes a clean build writes."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from coursebook.core.diagnostics import BookError
from coursebook.formats import registry
from coursebook.pipeline.build import BuildOptions, BuildResult, build

from .conftest import MINIMAL_MANIFEST, Stages, output

LESSON_ONE = """\
# One

Capital first [@marx1867, p. 3], then again [@marx1867, p. 9], then [@engels1845].

A sentence without a citation.
"""

SOURCES = """\
- id: marx1867
  type: book
  author: Karl Marx
  title: "Capital: A Critique of Political Economy"
  publisher: Penguin
  issued: 1976
- id: engels1845
  type: book
  author: Friedrich Engels
  title: The Condition of the Working Class in England
  issued: 1845
"""


MANIFEST_TWO = MINIMAL_MANIFEST + "  - lessons/two.md\n"


def digests(result: BuildResult) -> dict[str, str]:
    return {o.format: hashlib.sha256(o.path.read_bytes()).hexdigest() for o in result.outputs}


def stamps(result: BuildResult) -> dict[str, int]:
    return {o.format: o.path.stat().st_mtime_ns for o in result.outputs}


def test_nothing_changed_nothing_written(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    out = tmp_path / "out"
    first = build(folder, out_dir=out)
    assert not first.up_to_date
    again = build(folder, out_dir=out)
    assert again.up_to_date and stamps(again) == stamps(first)
    assert [(o.format, o.path, o.pages) for o in again.outputs] == [
        (o.format, o.path, o.pages) for o in first.outputs
    ]
    assert again.notes == first.notes == 3

    # Each of these makes the next build run.
    lesson = folder / "lessons" / "one.md"
    lesson.write_text(LESSON_ONE + "\nOne more sentence.\n", encoding="utf-8")
    assert not build(folder, out_dir=out).up_to_date
    assert build(folder, out_dir=out).up_to_date
    paper = BuildOptions(format_options={"pdf": {"paper": "letter"}})
    assert not build(folder, out_dir=out, options=paper).up_to_date
    assert build(folder, out_dir=out, options=paper).up_to_date
    assert not build(folder, out_dir=out).up_to_date  # back to A4: a change too
    output(first, "epub").unlink()
    assert not build(folder, out_dir=out).up_to_date
    assert not build(folder, out_dir=out, options=BuildOptions(force=True)).up_to_date
    assert not build(folder, ("epub",), out).up_to_date  # other formats, another build
    (folder / "images").mkdir()
    (folder / "images" / "new.png").write_bytes(b"any file of the book counts")
    assert not build(folder, ("epub",), out).up_to_date


def test_nothing_changed_is_found_without_reading_the_book(make_book, tmp_path: Path) -> None:
    """The record of the last build names the book's outputs and folders: a build with
    nothing changed hashes the files and stops, the book not read (its result reads it when
    asked for). A pack is remembered apart; a change to the title (the outputs' names) is
    seen."""
    folder = make_book(
        {
            "lessons/one.md": LESSON_ONE,
            "sources.yaml": SOURCES,
            "book.yaml": "title: First\nlanguage: en\nchapters: [lessons/one.md]\n",
        }
    )
    out = tmp_path / "out"
    first = build(folder, out_dir=out)
    stages = Stages()
    again = build(folder, out_dir=out, progress=stages)
    assert again.up_to_date and "reading the book" not in stages.said
    assert again.lessons == first.lessons == 1 and again.notes == first.notes == 3
    assert again.book.meta.title == "First" and len(again.book.lessons) == 1
    pack = BuildOptions(lessons="one")
    assert not build(folder, out_dir=out, options=pack).up_to_date
    stages = Stages()
    assert build(folder, out_dir=out, options=pack, progress=stages).up_to_date
    assert "reading the book" not in stages.said

    manifest = folder / "book.yaml"
    manifest.write_text(manifest.read_text("utf-8").replace("First", "Second"), "utf-8")
    renamed = build(folder, out_dir=out)
    assert not renamed.up_to_date
    assert {o.path.name for o in renamed.outputs} == {"second.epub", "second.pdf"}
    assert build(folder, out_dir=out).up_to_date


def test_an_up_to_date_build_still_shows_its_warnings(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nNothing cited.\n", "sources.yaml": SOURCES})
    first = build(folder, out_dir=tmp_path / "out")
    again = build(folder, out_dir=tmp_path / "out")
    assert again.up_to_date
    assert [str(d) for d in again.diagnostics.warnings] == [
        str(d) for d in first.diagnostics.warnings
    ]
    assert {d.code for d in again.diagnostics.warnings} == {"unused-source"}


def test_what_was_kept_gives_the_bytes_of_a_clean_build(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    kept = tmp_path / "kept"
    build(folder, out_dir=kept)
    # The first citation of Capital goes: the second, formatted short before, is now the
    # first in the chapter and must be in full. Remembered citations must not say otherwise.
    lesson = folder / "lessons" / "one.md"
    lesson.write_text(LESSON_ONE.replace("[@marx1867, p. 3]", ""), encoding="utf-8")
    warm = build(folder, out_dir=kept)
    cold = build(folder, out_dir=tmp_path / "clean")
    assert digests(warm) == digests(cold)
    assert "Karl Marx, <i>Capital" in _notes(warm)

    # An EPUB built alone takes its page list from the last PDF of the same sources.
    epub_alone = build(folder, ("epub",), kept, BuildOptions(force=True))
    assert digests(epub_alone)["epub"] == digests(cold)["epub"]


def _notes(result: BuildResult) -> str:
    with zipfile.ZipFile(output(result, "epub")) as archive:
        (lesson,) = [n for n in archive.namelist() if n.endswith("one.xhtml")]
        return archive.read(lesson).decode("utf-8")


def test_the_fingerprint_reads_only_the_books_own_files(make_book, tmp_path: Path) -> None:
    """Files no lesson names are in the fingerprint, but a device, a pipe or a link out of
    the folder is never read: it would hang the build or read the machine's files."""
    folder = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    (folder / "zero").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe")
    (folder / "secret").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "outside.txt").write_text("one", encoding="utf-8")
    first = build(folder, ("epub",), tmp_path / "out")
    (tmp_path / "outside.txt").write_text("two", encoding="utf-8")
    assert build(folder, ("epub",), tmp_path / "out").up_to_date
    assert digests(first)


def test_an_epub_alone_lays_out_only_the_parts_that_changed(make_book, tmp_path: Path) -> None:
    """The EPUB's page list needs the print layout; built alone after an edit, it lays out
    the edited lesson's chapter, takes the other parts from the cache of the last build (the
    contents and the sources too: their page numbers didn't change), and is the EPUB a
    clean build makes."""
    chapters = "".join(f"  - lessons/{n}.md\n" for n in ("one", "two", "three"))
    lesson = LESSON_ONE + "\n" + "\n\n".join(["A paragraph of the lesson's text."] * 40) + "\n"
    folder = make_book(
        {
            "book.yaml": "title: Three\nlanguage: en\npublished: 2026-01-01\nchapters:\n"
            + chapters,
            "lessons/one.md": lesson,
            "lessons/two.md": lesson.replace("# One", "# Two"),
            "lessons/three.md": lesson.replace("# One", "# Three"),
            "sources.yaml": SOURCES,
        }
    )
    out = tmp_path / "out"
    build(folder, out_dir=out)
    stages = Stages()
    build(folder, ("epub",), out, BuildOptions(force=True), progress=stages)
    assert stages.said["laying out pages"].endswith(", 0 of 5 parts laid out")

    two = folder / "lessons" / "two.md"
    two.write_text(two.read_text(encoding="utf-8").replace("text.", "text, edited."), "utf-8")
    stages = Stages()
    edited = build(folder, ("epub",), out, progress=stages)
    assert stages.said["laying out pages"].endswith(", 1 of 5 parts laid out")
    clean = build(folder, out_dir=tmp_path / "clean")
    assert digests(edited)["epub"] == digests(clean)["epub"]


def test_a_worker_started_before_the_book_is_read_stops_when_the_book_has_errors(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a build that laid pages out, the next starts a layout worker before it reads
    the book (it warms up meanwhile); a book found to have errors stops it, and the last
    outputs stay as they were."""
    folder = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    out = tmp_path / "out"
    first = build(folder, ("epub",), out, BuildOptions(jobs=2))
    before = digests(first)
    started: list[Any] = []
    start = registry.PAGE_SOURCE.start

    def starting(jobs: int) -> Any:
        started.append(start(jobs))
        return started[-1]

    monkeypatch.setattr(registry.PAGE_SOURCE, "start", starting)
    lesson = folder / "lessons" / "one.md"
    lesson.write_text("---\ntitle: [not closed\n---\n" + LESSON_ONE, "utf-8")
    with pytest.raises(BookError):
        build(folder, ("epub",), out, BuildOptions(jobs=2))
    assert len(started) == 1 and started[0] is not None  # the worker was started
    assert not multiprocessing.active_children()  # and stopped
    assert digests(first) == before


@pytest.mark.parametrize("few", [True, False])
def test_a_cold_build_keeps_its_early_layout_worker_through_citations_only_when_they_are_few(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few: bool
) -> None:
    """A first build starts a layout worker before the book is read (it warms up while the
    lessons are parsed) and keeps it while its citations go to pandoc's citeproc when they
    are few enough to be formatted side by side, not when they are many (pandoc's memory
    then is the build's largest): stopped before; the book is the same either way, and the
    same as one laid out in a single process."""
    import coursebook.cite.csl
    import coursebook.cite.notes
    import coursebook.parse.lessons

    if not few:
        monkeypatch.setattr(coursebook.cite.csl, "SIDE_BY_SIDE", 0)
    folder = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    events: list[str] = []
    start, resolve = registry.PAGE_SOURCE.start, coursebook.cite.notes.resolve_notes
    parse = coursebook.parse.lessons.parse_book

    def starting(jobs: int) -> Any:
        started = start(jobs)
        if started is None:  # one process
            return None
        events.append("worker started")
        close = started.close

        def closing(abandon: bool = False) -> None:
            events.append("worker stopped")
            close(abandon)

        started.close = closing
        return started

    def parsing(*args: Any, **kwargs: Any) -> Any:
        events.append("lessons parsed")
        return parse(*args, **kwargs)

    def resolving(*args: Any, **kwargs: Any) -> Any:
        events.append("citations formatted")
        return resolve(*args, **kwargs)

    monkeypatch.setattr(registry.PAGE_SOURCE, "start", starting)
    monkeypatch.setattr(coursebook.parse.lessons, "parse_book", parsing)
    monkeypatch.setattr(coursebook.cite.notes, "resolve_notes", resolving)
    cold = build(folder, ("epub", "pdf"), tmp_path / "cold", BuildOptions(jobs=2))
    before = events[: events.index("citations formatted") + 1]
    kept = ["worker started", "lessons parsed", "citations formatted"]
    stopped = ["worker started", "lessons parsed", "worker stopped", "citations formatted"]
    assert before == (kept if few else stopped)
    assert not multiprocessing.active_children()
    alone = build(folder, ("epub", "pdf"), tmp_path / "alone", BuildOptions(jobs=1))
    assert digests(cold) == digests(alone)


def test_a_cold_build_starts_its_other_layout_workers_once_the_citations_are_formatted(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a first build, the workers beside the one started early start once the citations
    are formatted, before the book is rendered (they warm up meanwhile), when the body has
    two parts or more; not after an edit (an edited lesson is laid out by the warm one), nor
    for a book of one chapter. The outputs are those of a single process."""
    import coursebook.cite.notes
    import coursebook.formats.pdf.parallel
    import coursebook.render.rendering

    events: list[str] = []
    more = coursebook.formats.pdf.parallel.Workers.more
    resolve, render = coursebook.cite.notes.resolve_notes, coursebook.render.rendering.render_book

    def starting_more(self: Any, jobs: int) -> None:
        events.append(f"{jobs} workers")
        more(self, jobs)

    def resolving(*args: Any, **kwargs: Any) -> Any:
        events.append("citations formatted")
        return resolve(*args, **kwargs)

    def rendering(*args: Any, **kwargs: Any) -> Any:
        events.append("book rendered")
        return render(*args, **kwargs)

    monkeypatch.setattr(coursebook.formats.pdf.parallel.Workers, "more", starting_more)
    monkeypatch.setattr(coursebook.cite.notes, "resolve_notes", resolving)
    monkeypatch.setattr(coursebook.render.rendering, "render_book", rendering)
    two = make_book(
        {
            "lessons/one.md": LESSON_ONE,
            "lessons/two.md": LESSON_ONE.replace("# One", "# Two"),
            "sources.yaml": SOURCES,
            "book.yaml": MANIFEST_TWO,
        }
    )
    cold = build(two, ("epub", "pdf"), tmp_path / "two", BuildOptions(jobs=2))
    assert events == ["citations formatted", "2 workers", "book rendered"]
    assert not multiprocessing.active_children()
    alone = build(two, ("epub", "pdf"), tmp_path / "alone", BuildOptions(jobs=1))
    assert digests(cold) == digests(alone)

    events.clear()
    (two / "lessons" / "two.md").write_text(LESSON_ONE.replace("# One", "# Two, edited"))
    build(two, ("epub", "pdf"), tmp_path / "two", BuildOptions(jobs=2))
    assert events == ["citations formatted", "book rendered"]

    events.clear()
    one = make_book({"lessons/one.md": LESSON_ONE, "sources.yaml": SOURCES})
    build(one, ("epub",), tmp_path / "one", BuildOptions(jobs=2))
    assert events == ["citations formatted", "book rendered"]


def conversions(memo: dict[str, object]) -> dict[str, list[object]]:
    """The Markdown conversions a memo holds (not the citations' readings)."""
    return {key: value for key, value in memo.items() if isinstance(value, list)}


def test_markdown_converted_by_the_last_build_is_taken_cleaned_again(
    make_book, tmp_path: Path
) -> None:
    """A lesson's Markdown is converted once: the next build takes the HTML of the lessons
    that didn't change from the cache (kept as text by a hash of the Markdown and of the
    code that converts it), cleans it again as it cleans any, and converts the edited one.
    The cache keeps only what the last build used."""
    two = LESSON_ONE.replace("# One", "# Two").replace("A sentence", "Another sentence")
    folder = make_book(
        {
            "book.yaml": "title: Two\nlanguage: en\npublished: 2026-01-01\n"
            "chapters: [lessons/one.md, lessons/two.md]\n",
            "lessons/one.md": LESSON_ONE,
            "lessons/two.md": two,
            "sources.yaml": SOURCES,
        }
    )
    out = tmp_path / "out"
    build(folder, ("epub",), out)
    (memo,) = (out / ".coursebook-cache").glob("markdown-*")
    kept = json.loads(memo.read_text("utf-8"))
    assert len(conversions(kept)) == 2
    # What the cache says lesson two is: taken as it is, but cleaned.
    ((key, (html, removed)),) = [(k, v) for k, v in conversions(kept).items() if "Another" in v[0]]
    cached = "<b>Cached</b> sentence<script>x()</script>"
    kept[key] = [html.replace("Another sentence", cached), removed]
    memo.write_text(json.dumps(kept), "utf-8")
    lesson = folder / "lessons" / "one.md"
    lesson.write_text(LESSON_ONE.replace("A sentence", "An edited sentence"), "utf-8")
    result = build(folder, ("epub",), out)
    with zipfile.ZipFile(output(result, "epub")) as archive:
        texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if ".xhtml" in n}
    one = next(t for n, t in texts.items() if n.endswith("one.xhtml"))
    two_html = next(t for n, t in texts.items() if n.endswith("two.xhtml"))
    assert "An edited sentence" in one
    assert "<b>Cached</b> sentence" in two_html and "<script" not in two_html
    # The old lesson one's dropped.
    assert len(conversions(json.loads(memo.read_text("utf-8")))) == 2


def test_the_hashes_of_the_parts_print_html_are_kept_by_what_it_is_made_from(
    make_book, tmp_path: Path
) -> None:
    """Which parts the cache holds laid out is told by the hash of their print HTML, kept
    between builds by what the HTML is made from: after an edit, the parts that didn't
    change aren't made again but found by that hash. The hash is all that is read back: a
    wrong one can't give a part another part's layout (a part is kept by its hash and its
    documents): it is laid out again, as a new one, and the EPUB is a clean build's."""
    chapters = "".join(f"  - lessons/{n}.md\n" for n in ("one", "two", "three"))
    lesson = LESSON_ONE + "\n" + "\n\n".join(["A paragraph of the lesson's text."] * 40) + "\n"
    folder = make_book(
        {
            "book.yaml": "title: Three\nlanguage: en\npublished: 2026-01-01\nchapters:\n"
            + chapters,
            "lessons/one.md": lesson,
            "lessons/two.md": lesson.replace("# One", "# Two"),
            "lessons/three.md": lesson.replace("# One", "# Three"),
            "sources.yaml": SOURCES,
        }
    )
    out = tmp_path / "out"
    build(folder, ("epub",), out)
    (memo,) = (out / ".coursebook-cache").glob("printed-*")
    kept = json.loads(memo.read_text("utf-8"))
    assert len(kept) == 5  # the contents, three chapters, the sources
    # The cache says every part's HTML is another: each is laid out anew.
    memo.write_text(json.dumps({k: ["0" * 64, *rest] for k, (_, *rest) in kept.items()}))
    two = folder / "lessons" / "two.md"
    two.write_text(two.read_text(encoding="utf-8").replace("text.", "text, edited."), "utf-8")
    stages = Stages()
    edited = build(folder, ("epub",), out, progress=stages)
    assert stages.said["laying out pages"].endswith(", 5 of 5 parts laid out")
    clean = build(folder, out_dir=tmp_path / "clean")
    assert digests(edited)["epub"] == digests(clean)["epub"]
    # The parts laid out again are kept by the hashes the memo gave: the next edit lays out
    # its part alone.
    two.write_text(two.read_text(encoding="utf-8").replace("edited.", "amended."), "utf-8")
    stages = Stages()
    build(folder, ("epub",), out, progress=stages)
    assert stages.said["laying out pages"].endswith(", 1 of 5 parts laid out")


def test_citations_read_by_the_last_build_are_taken_when_well_formed(
    make_book, tmp_path: Path
) -> None:
    """Where a lesson's citations, math and inline notes are (what the citation reader
    finds) is kept like its Markdown's conversion: the next build takes it for the lessons
    that didn't change and makes the EPUB a clean build makes. A kept reading that isn't
    well formed (an offset outside the lesson) is read again, without a word."""
    two = LESSON_ONE.replace("# One", "# Two") + "\n> Quoted [see @engels1845, p. 2] $x^2$.\n"
    folder = make_book(
        {
            "book.yaml": "title: Two\nlanguage: en\npublished: 2026-01-01\n"
            "chapters: [lessons/one.md, lessons/two.md]\n",
            "lessons/one.md": LESSON_ONE,
            "lessons/two.md": two,
            "sources.yaml": SOURCES,
        }
    )
    out = tmp_path / "out"
    build(folder, ("epub",), out)
    (memo,) = (out / ".coursebook-cache").glob("markdown-*")
    kept = json.loads(memo.read_text("utf-8"))
    readings = {key: value for key, value in kept.items() if isinstance(value, dict)}
    assert len(readings) == 2
    assert sorted(len(reading["found"]) for reading in readings.values()) == [3, 4]
    lesson = folder / "lessons" / "one.md"
    lesson.write_text(LESSON_ONE.replace("A sentence", "An edited sentence"), "utf-8")
    edited = build(folder, ("epub",), out)
    clean = build(folder, ("epub",), tmp_path / "clean")
    assert digests(edited) == digests(clean)
    # Lesson two's reading, broken: read again.
    kept = json.loads(memo.read_text("utf-8"))
    key = next(k for k, v in kept.items() if isinstance(v, dict) and len(v["found"]) == 4)
    kept[key]["found"][0][0] = 10**6
    memo.write_text(json.dumps(kept), "utf-8")
    lesson.write_text(LESSON_ONE, "utf-8")
    again = build(folder, ("epub",), out)
    assert not again.diagnostics.items
    assert digests(again) == digests(build(folder, ("epub",), tmp_path / "clean2"))
    assert json.loads(memo.read_text("utf-8"))[key]["found"][0][0] != 10**6
