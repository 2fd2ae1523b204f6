"""Accessibility: DAISY Ace finds nothing, the metadata follows from the content, languages and
directions are declared, and rebuilding gives the same bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from coursebook.core.diagnostics import Diagnostics
from coursebook.pipeline.build import BuildResult, build

from .conftest import SAMPLE_BOOK, SHARED, epubcheck, output

ACE = SHARED / "tools" / "ace-check"
FEATURES = Path(__file__).parent / "books" / "features"
OPF = {"opf": "http://www.idpf.org/2007/opf"}


def ace(epub: Path, report: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACE), str(epub), str(report)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )


def metadata(epub: Path, prop: str) -> list[str]:
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    return [m.text for m in opf.iterfind(f".//opf:meta[@property='{prop}']", OPF)]


@pytest.mark.skipif(not ACE.exists(), reason="DAISY Ace's wrapper (../shared/tools) is not here")
@pytest.mark.parametrize("book", ["sample", "features"])
def test_ace_reports_no_violations(book: str, sample_build: BuildResult, tmp_path: Path) -> None:
    epub = output(
        sample_build if book == "sample" else build(FEATURES, ("epub",), tmp_path / "out"), "epub"
    )
    result = ace(epub, tmp_path / "ace")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ace: 0 violations (pass)" in result.stdout


def test_metadata_of_a_book_whose_images_are_described(tmp_path: Path) -> None:
    epub = output(build(FEATURES, ("epub",), tmp_path), "epub")
    assert metadata(epub, "schema:accessMode") == ["textual", "visual"]
    assert metadata(epub, "schema:accessModeSufficient") == ["textual", "textual,visual"]
    assert metadata(epub, "schema:accessibilityFeature") == [
        "structuralNavigation",
        "tableOfContents",
        "readingOrder",
        "alternativeText",
        "printPageNumbers",
        "pageNavigation",
    ]
    assert metadata(epub, "schema:accessibilityHazard") == ["none"]
    (summary,) = metadata(epub, "schema:accessibilitySummary")
    assert "All 1 images have text alternatives." in summary
    assert "4 lessons in 3 chapters" in summary
    assert metadata(epub, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]


def test_an_undescribed_image_changes_the_claims(make_book, tmp_path: Path) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nText.\n\n![](pic.png)\n"})
    (folder / "lessons" / "pic.png").write_bytes((FEATURES / "images" / "chart.png").read_bytes())
    diagnostics = Diagnostics()
    epub = output(build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics), "epub")
    (warning,) = [d for d in diagnostics.warnings if d.code == "missing-alt"]
    assert str(warning.location).endswith("lessons/one.md:5:5")
    assert metadata(epub, "schema:accessMode") == ["textual", "visual"]
    assert metadata(epub, "schema:accessModeSufficient") == ["textual,visual"]
    assert "alternativeText" not in metadata(epub, "schema:accessibilityFeature")
    assert metadata(epub, "dcterms:conformsTo") == []


def test_right_to_left_books(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: كتاب\nlanguage: ar\nchapters: [one.md]\n",
            "one.md": "# درس\n\nنص.\n",
        }
    )
    diagnostics = Diagnostics()
    epub = output(build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics), "epub")
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        lesson = etree.fromstring(archive.read("EPUB/text/one.xhtml"))
    assert opf.find("opf:spine", OPF).get("page-progression-direction") == "rtl"
    assert opf.get("dir") == "rtl"
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    assert lesson.get("dir") == "rtl" and lesson.get("lang") == "ar"
    assert epubcheck(epub) == []
    # No words in Arabic yet: English ones, and a warning that says so.
    assert "language-labels" in [d.code for d in diagnostics.warnings]


def test_generated_words_follow_the_language(make_book, tmp_path: Path) -> None:
    for language, contents in (
        ("es", "Índice"),
        ("fr", "Table des matières"),
        ("de", "Inhalt"),
        ("pt-BR", "Sumário"),
        ("it", "Indice"),
    ):
        folder = make_book(
            {
                "book.yaml": f"title: T\nlanguage: {language}\nchapters: [one.md]\n",
                "one.md": "# Uno\n\nTexto [@marx1867].\n",
            },
            name=f"book-{language}",
        )
        diagnostics = Diagnostics()
        epub = output(
            build(folder, ("epub",), tmp_path / language, diagnostics=diagnostics), "epub"
        )
        with zipfile.ZipFile(epub) as archive:
            nav = archive.read("EPUB/nav.xhtml").decode()
        assert f">{contents}</h1>" in nav
        assert diagnostics.warnings == []


def test_rebuilds_are_byte_identical(tmp_path: Path) -> None:
    """Different time, hash seed and working folder: the same bytes (EPUB and PDF)."""
    digests = []
    for run, seed in enumerate(("1", "2")):
        work = tmp_path / f"cwd{run}"
        work.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1767225600"}
        subprocess.run(
            [sys.executable, "-m", "coursebook", "build", str(SAMPLE_BOOK), "-o", "out"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        digests.append(
            {
                p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (work / "out").iterdir()
                if p.is_file()
            }
        )
    assert digests[0] == digests[1]
    assert len(digests[0]) == 2
