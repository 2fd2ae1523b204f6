"""Catalog builds: many books on all cores, each reported, none stopped by another."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from coursebook.pipeline.build import build

from .conftest import MINIMAL_MANIFEST, write_files


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coursebook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=600,
    )


def course(folder: Path, title: str, lesson: str = "# One\n\nCapital [@marx1867, p. 3].\n") -> Path:
    return write_files(
        folder,
        {
            "book.yaml": MINIMAL_MANIFEST.replace("A small course", title),
            "lessons/one.md": lesson,
            "sources.yaml": (
                "- id: marx1867\n  type: book\n  author: Karl Marx\n  title: Capital\n"
                "  issued: 1867\n"
            ),
        },
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_folder_of_books_builds_each_and_reports_each(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    course(catalog / "alpha", "Alpha course")
    course(catalog / "beta", "Beta course")
    course(catalog / "broken", "Broken course", "# One\n\nNo such source [@nobody].\n")
    (catalog / "notes-not-a-book").mkdir()

    first = run("build", "catalog", "-o", "dist", "-j", "2", cwd=tmp_path)
    assert first.returncode == 1
    assert "catalog/broken/lessons/one.md:3:17: error: unknown source 'nobody'" in first.stderr
    assert "catalog/broken: 1 error; nothing written" in first.stderr
    assert "catalog/alpha: wrote dist/alpha-course.epub" in first.stdout.replace(
        "dist/alpha-course.pdf, ", ""
    )
    assert first.stdout.splitlines()[-1].startswith("3 books: 2 built, 0 up to date, 1 failed")
    written = sorted(p.name for p in (tmp_path / "dist").iterdir() if p.is_file())
    assert written == [
        "alpha-course.epub",
        "alpha-course.pdf",
        "beta-course.epub",
        "beta-course.pdf",
    ]

    # The same outputs, byte for byte, as a single build of each book.
    alone = build(catalog / "alpha", out_dir=tmp_path / "alone")
    for output in alone.outputs:
        assert digest(output.path) == digest(tmp_path / "dist" / output.path.name)

    again = run("build", "catalog", "-o", "dist", cwd=tmp_path)
    assert again.stdout.splitlines()[-1].startswith("3 books: 0 built, 2 up to date, 1 failed")
    assert "catalog/beta: up to date: dist/beta-course.pdf, dist/beta-course.epub" in again.stdout


def test_books_named_one_by_one_and_a_title_clash(tmp_path: Path) -> None:
    course(tmp_path / "one", "Same title")
    course(tmp_path / "two", "Same title")
    result = run("build", "one", "two", "-o", "dist", "-f", "epub", cwd=tmp_path)
    assert result.returncode == 1
    assert ": writes same-title.epub, as " in result.stderr


def test_options_for_one_book_are_refused_for_several(tmp_path: Path) -> None:
    course(tmp_path / "one", "One")
    course(tmp_path / "two", "Two")
    for option in (["--lessons", "1"], ["--open"], ["-j", "0"]):
        result = run("build", "one", "two", *option, cwd=tmp_path)
        assert result.returncode == 2, option
    assert not (tmp_path / "dist").exists()
