"""``coursebook check``: every problem of a book, as text or JSON, without writing anything.

The report on tests/books/broken, line by line, is a golden file (tests/test_golden.py); these
tests hold the rest: JSON, --strict, exit statuses, what is found only by laying the book out,
and that nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import coursebook
from coursebook.core.codes import CODES
from coursebook.pipeline.build import BuildOptions

from .conftest import ROOT, SAMPLE_BOOK

BROKEN = ROOT / "tests" / "books" / "broken"
LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<severity>error|warning): "
    r"(?P<message>.*) \[(?P<code>[a-z-]+)\]$"
)


def check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coursebook", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_sample_book_checks_clean() -> None:
    result = check("book")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "book: no problems in 2 lessons and 6 sources"


def test_every_problem_of_the_broken_book_has_a_place_and_a_known_code() -> None:
    result = check(str(BROKEN.relative_to(ROOT)))
    assert result.returncode == 1
    *lines, summary = result.stdout.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), [line for line, match in zip(lines, parsed, strict=True) if not match]
    codes = {match["code"] for match in parsed if match}
    assert codes <= set(CODES)
    # What the issue asks check to find, each at least once in this book:
    assert {
        "unknown-key",  # manifest and front matter keys, with "did you mean"
        "not-found",  # lesson files and images
        "schema-type",  # front matter and book.yaml values
        "unknown-source",  # citations against sources
        "duplicate-id",
        "duplicate-source",
        "bad-link",  # links between lessons
        "bad-anchor",  # and their anchors
        "path-outside",  # images inside the book
        "missing-alt",  # alt text
        "sanitized",  # HTML the sanitizer removes
    } <= codes
    errors = sum(1 for match in parsed if match and match["severity"] == "error")
    warnings = len(parsed) - errors
    assert (
        summary
        == f"tests/books/broken: {errors} errors, {warnings} warnings in 2 lessons and 3 sources"
    )


def test_json_says_what_the_text_says() -> None:
    text = check("tests/books/broken")
    data = json.loads(check("tests/books/broken", "--format", "json").stdout)
    # (No "never cited": a lesson named can't be found, and what it cites is unknown.)
    assert data["errors"] == 16 and data["warnings"] == 9
    assert (data["lessons"], data["sources"]) == (2, 3)
    as_lines = [
        f"{p['path']}:{p['line']}"
        + (f":{p['column']}" if p["column"] else "")
        + f": {p['severity']}: {p['message']} [{p['code']}]"
        for p in data["problems"]
    ]
    assert as_lines == text.stdout.splitlines()[:-1]
    unknown = next(p for p in data["problems"] if p["code"] == "unknown-source")
    assert unknown == {
        "path": "tests/books/broken/lessons/01-first.md",
        "line": 6,
        "column": 34,
        "severity": "error",
        "code": "unknown-source",
        "message": "unknown source 'trotsky1935' (did you mean 'trotsky1936'?)",
    }


def test_strict_turns_warnings_into_errors(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\n![](pic.png) Text [@marx1867].\n"})
    shutil.copy(
        ROOT / "tests" / "books" / "features" / "images" / "chart.png",
        folder / "lessons" / "pic.png",
    )
    relaxed = check(str(folder))
    assert relaxed.returncode == 0
    assert ": warning: image 'pic.png' has no alt text" in relaxed.stdout
    strict = check(str(folder), "--strict")
    assert strict.returncode == 1
    assert ": error: image 'pic.png' has no alt text" in strict.stdout
    assert strict.stdout.splitlines()[-1].endswith(": 1 error, 0 warnings in 1 lesson and 1 source")


def test_over_long_notes_are_found_by_laying_the_book_out(make_book) -> None:
    long = " ".join(["A note that goes on about value, price and the working day."] * 70)
    folder = make_book(
        {"lessons/one.md": f"# One\n\nAn aside[^long] [@marx1867].\n\n[^long]: {long}\n"}
    )
    full = check(str(folder))
    assert full.returncode == 0
    assert re.search(r"one\.md:5:1: warning: note 1 is too long .* \[long-note\]", full.stdout)
    quick = check(str(folder), "--quick")
    assert "long-note" not in quick.stdout


def test_check_writes_nothing(tmp_path: Path) -> None:
    before = tree_digest(BROKEN)
    sample_before = tree_digest(SAMPLE_BOOK)
    check(str(BROKEN), cwd=tmp_path)
    check(str(SAMPLE_BOOK), cwd=tmp_path)
    assert tree_digest(BROKEN) == before and tree_digest(SAMPLE_BOOK) == sample_before
    assert list(tmp_path.iterdir()) == []


def test_a_folder_without_a_book() -> None:
    result = check("tests")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "tests/book.yaml: error: the book folder has no book.yaml [no-book]"
    )
    data = json.loads(check("tests", "--format", "json").stdout)
    assert data["lessons"] is None and data["problems"][0]["code"] == "no-book"


def test_wrong_usage_exits_2() -> None:
    assert check("book", "--format", "xml").returncode == 2
    assert check("book", "--limit", "nonsense=1").returncode == 2
    assert check("book", "--lessons", "99").returncode == 2


def test_the_python_api_checks_as_the_command_does() -> None:
    book = coursebook.load(BROKEN / ".." / "features")
    assert list(coursebook.check(book, layout=False)) == []
    diagnostics = coursebook.Diagnostics()
    try:
        coursebook.load(BROKEN, diagnostics)
    except coursebook.BookError as error:
        assert error.diagnostics is diagnostics and len(diagnostics.errors) >= 5
    else:
        raise AssertionError("a broken book must not load")
    pack = coursebook.check(coursebook.load(SAMPLE_BOOK), BuildOptions(lessons="16"), layout=False)
    assert list(pack) == []
