"""``coursebook new``: a small, complete book that builds and checks clean as it is."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
from lxml import etree

from .conftest import epubcheck


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coursebook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def test_new_then_check_and_build_run_clean(tmp_path: Path) -> None:
    title = 'Liberty: a "reading" course'  # a colon and quotes must not break book.yaml
    made = run("new", "my-course", "--title", title, "--author", "Ana Souza", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "my-course"
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "book.yaml",
        "lessons/01-liberty.md",
        "lessons/02-education.md",
        "sources.yaml",
    ]
    assert "created my-course/book.yaml" in made.stdout

    checked = run("check", "my-course", "--strict", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip() == "my-course: no problems in 2 lessons and 2 sources"

    built = run("build", "my-course", "-o", "dist", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stderr == ""  # not a warning
    epub = tmp_path / "dist" / "liberty-a-reading-course.epub"
    assert epubcheck(epub) == []
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        lesson = archive.read("EPUB/text/l01-liberty.xhtml").decode()
        second = archive.read("EPUB/text/l02-education.xhtml").decode()
    # Every citation of the skeleton became a note: none is left as text.
    assert "@" not in lesson + second and "[" not in lesson + second
    assert (lesson.count('epub:type="noteref"'), second.count('epub:type="noteref"')) == (3, 2)
    dc = {"dc": "http://purl.org/dc/elements/1.1/"}
    assert opf.findtext(".//dc:title", namespaces=dc) == title
    assert opf.findtext(".//dc:creator", namespaces=dc) == "Ana Souza"
    # What the skeleton promises: a citation, a footnote, a quotation, discussion questions.
    assert 'epub:type="noteref"' in lesson and "<blockquote" in lesson
    assert "Which limits on our liberty would Mill accept" in lesson
    pdf = pypdf.PdfReader(tmp_path / "dist" / "liberty-a-reading-course.pdf")
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "On Liberty" in text and "Vindication of the Rights of Woman" in text


def test_new_refuses_a_folder_that_holds_something(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("new", "taken", cwd=tmp_path)
    assert result.returncode == 1
    assert "taken already exists and is not empty" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_new_takes_its_title_from_the_folder_and_checks_the_language(tmp_path: Path) -> None:
    assert run("new", "reading-group_2027", cwd=tmp_path).returncode == 0
    manifest = (tmp_path / "reading-group_2027" / "book.yaml").read_text(encoding="utf-8")
    assert 'title: "Reading group 2027"' in manifest
    assert run("new", "other", "--language", "not a tag", cwd=tmp_path).returncode == 2
    assert not (tmp_path / "other").exists()
