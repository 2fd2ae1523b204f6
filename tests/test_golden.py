"""Golden files: the text outputs of the sample book, and what ``coursebook check`` says of a
broken book, reviewed like code.

``make golden`` (``pytest tests/test_golden.py --update-golden``) rewrites tests/golden/ from
the current build; the diff is then read and committed like any other change.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from coursebook.cite.notes import resolve_notes
from coursebook.core.diagnostics import Diagnostics
from coursebook.parse.lessons import parse_book
from coursebook.pipeline.build import BuildResult, citation_engine
from coursebook.source.loader import load

from .conftest import ROOT, SAMPLE_BOOK, output

GOLDEN = Path(__file__).parent / "golden" / "sample"
BROKEN = Path(__file__).parent / "books" / "broken"
CHECK_REPORT = Path(__file__).parent / "golden" / "broken" / "check.txt"


def current_outputs(result: BuildResult) -> dict[str, str]:
    """Every text file of the sample EPUB, the web edition's page, and the notes as plain
    text."""
    files: dict[str, str] = {}
    with zipfile.ZipFile(output(result, "epub")) as archive:
        for name in archive.namelist():
            if name.endswith((".opf", ".ncx", ".xhtml", ".xml")):
                files[name.removeprefix("EPUB/")] = archive.read(name).decode("utf-8")
    files["web/page.html"] = web_page_text(output(result, "html").read_text(encoding="utf-8"))
    files["notes.txt"] = notes_text()
    return files


def web_page_text(page: str) -> str:
    """The web edition's page, its stylesheets and script (files of the repository, reviewed
    there) and the policy's hashes of them left out."""
    page = re.sub(r"(<style>).*?(</style>)", r"\1…\2", page, flags=re.S)
    page = re.sub(r"(<script>).*?(</script>)", r"\1…\2", page, flags=re.S)
    return re.sub(r"sha256-[A-Za-z0-9+/=]+", "sha256-…", page)


def notes_text() -> str:
    diagnostics = Diagnostics()
    book = load(SAMPLE_BOOK, diagnostics)
    parsed = parse_book(book, diagnostics)
    notes = resolve_notes(book, parsed, citation_engine(book, diagnostics), diagnostics)
    lines = []
    for lesson in book.documents():
        lines.append(f"# {lesson.title}")
        for note in notes.lessons[lesson.id].notes:
            lines.append(f"{note.number}. {re.sub(r'<[^>]+>', '', note.html)}")
        lines.append("")
    lines.append("# Sources")
    for entry in notes.bibliography:
        uses = ", ".join(f"{u.lesson.number}:{u.label}" for u in entry.uses)
        lines.append(f"{re.sub(r'<[^>]+>', '', entry.html)} [{uses}]")
    return "\n".join(lines) + "\n"


def test_sample_book_matches_golden_files(sample_build: BuildResult, update_golden: bool) -> None:
    current = current_outputs(sample_build)
    if update_golden:
        for old in GOLDEN.rglob("*"):
            if old.is_file():
                old.unlink()
        for name, text in current.items():
            path = GOLDEN / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    expected = {
        str(path.relative_to(GOLDEN)): path.read_text(encoding="utf-8")
        for path in GOLDEN.rglob("*")
        if path.is_file()
    }
    assert sorted(current) == sorted(expected), "files added or removed: run make golden"
    diffs = [
        "".join(
            difflib.unified_diff(
                expected[name].splitlines(keepends=True),
                current[name].splitlines(keepends=True),
                f"golden/{name}",
                f"built/{name}",
            )
        )
        for name in sorted(current)
        if current[name] != expected[name]
    ]
    assert not diffs, (
        "output differs from tests/golden (make golden to accept):\n" + "\n".join(diffs)[:6000]
    )


def test_check_reports_the_broken_book_as_the_golden_file(update_golden: bool) -> None:
    """Every problem of tests/books/broken, each at its file, line and column, with its code."""
    result = subprocess.run(
        [sys.executable, "-m", "coursebook", "check", str(BROKEN.relative_to(ROOT))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    if update_golden:
        CHECK_REPORT.parent.mkdir(parents=True, exist_ok=True)
        CHECK_REPORT.write_text(result.stdout, encoding="utf-8")
    expected = CHECK_REPORT.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            result.stdout.splitlines(keepends=True),
            "golden/broken/check.txt",
            "coursebook check",
        )
    )
    assert not diff, f"check's report differs (make golden to accept):\n{diff}"
