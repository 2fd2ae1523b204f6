"""Terminal safety: a book's file names, links, keys and messages are a stranger's text, and
none of it reaches the terminal raw. Control characters (an ``ESC]0;…`` title change, an
``ESC[2J`` screen clear, a newline splitting one problem in two), C1 controls, bidirectional
overrides and line separators are printed as ``\\x1b``-style escapes, in text and JSON alike.

The commands run in a subprocess, as the portal runs them; their output is read as bytes, so
that a carriage return is seen as it is (text mode would turn it into a newline).
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coursebook.app.terminal import json_text
from coursebook.core.diagnostics import Diagnostic, Location, Severity, printable

EVIL = "\x1b]0;pwned\x07 \x1b[2J two\nlines \u202e \x9b"
"""In a file name: a window-title change, a screen clear, a newline, a right-to-left override
and a one-byte CSI."""
SHOWN = r"\x1b]0;pwned\x07 \x1b[2J two\nlines \u202e \x9b"
"""``EVIL`` as it must be printed (written out by hand, not by the code under test)."""

UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
"""What may not be in the output at all: every C0 control but the newline ending a line, DEL,
C1, separators, bidirectional embeddings, overrides and isolates, and undecodable bytes."""
PROBLEM = re.compile(r"^\S.*?(?::\d+(?::\d+)?)?: (?:error|warning): .+ \[[\w-]+\]$")

MANIFEST = """\
title: A small course
language: en
published: 2026-01-05
chapters:
"""
SOURCES = """\
- id: marx1867
  type: book
  author: Karl Marx
  title: Capital
  year: 1976
"""


def evil_book(folder: Path) -> Path:
    """A book whose chapters name a lesson file called ``EVIL`` (there, with an unknown source
    in it) and a missing one; a link and a citation key, a source id and a field name holding
    control characters too."""
    (folder / "lessons").mkdir(parents=True)
    chapters = [f"lessons/{EVIL}.md", "lessons/one.md", f"lessons/missing{EVIL}.md"]
    # JSON strings are YAML: the control characters go in as escapes (YAML refuses them raw).
    listed = "".join(f"  - {json.dumps(name)}\n" for name in chapters)
    (folder / "book.yaml").write_text(MANIFEST + listed, encoding="utf-8")
    key, field = json.dumps("ev\x1b]0;il\u2028"), json.dumps("colo\x1bur")
    (folder / "sources.yaml").write_text(
        f"{SOURCES}- id: {key}\n  type: book\n  title: Evil\n  {field}: red\n", encoding="utf-8"
    )
    (folder / chapters[0]).write_text("# Evil\n\nText [@nosuch] and [@marx1867].\n")
    (folder / chapters[1]).write_text(
        "# One\n\nA [x](evil\x1b[2J.md) link, [@{odd\x1bk\x9bey\u202e}] and [@marx1867].\n"
    )
    return folder


EXPECTED = [
    rf"book/book.yaml:7:5: error: lesson 'lessons/missing{SHOWN}.md' not found (did you mean "
    rf"'lessons/{SHOWN}.md'?) [not-found]",
    rf"book/lessons/{SHOWN}.md:3:7: error: unknown source 'nosuch' [unknown-source]",
    r"book/lessons/one.md:3:7: error: link to 'evil\x1b[2J.md': no such file [bad-link]",
    r"book/lessons/one.md:3:27: error: unknown source 'odd\x1bk\x9bey\u202e' [unknown-source]",
    r"book/sources.yaml:9:19: warning: unknown CSL field 'colo\x1bur'; it is ignored"
    " [source-unknown-field]",
]
"""The problems of :func:`evil_book`, as ``check`` prints them."""


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr (undecodable bytes as surrogates)."""
    done = subprocess.run(
        [sys.executable, "-m", "coursebook", *args],
        capture_output=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )
    return done.returncode, decoded(done.stdout), decoded(done.stderr)


def decoded(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def assert_safe(*outputs: str) -> None:
    for output in outputs:
        found = UNSAFE.findall(output)
        assert not found, f"raw {found!r} in the output:\n{output!r}"


def test_printable_escapes_what_a_terminal_would_act_on() -> None:
    cases = {
        "\x1b]0;pwned\x07": r"\x1b]0;pwned\x07",
        "a\x1b[2Jb": r"a\x1b[2Jb",
        "one\ntwo\r\tthree": r"one\ntwo\r\tthree",
        "\x00\x08\x1f": r"\x00\x08\x1f",
        "del\x7f": r"del\x7f",
        "\x80\x85\x9b\x9f": r"\x80\x85\x9b\x9f",
        "\u202a\u202b\u202c\u202d\u202e": r"\u202a\u202b\u202c\u202d\u202e",
        "\u2066\u2067\u2068\u2069": r"\u2066\u2067\u2068\u2069",
        "\u2028\u2029": r"\u2028\u2029",
        "bad\udc9bbyte": r"bad\udc9bbyte",  # an undecodable byte of a file name
    }
    for text, shown in cases.items():
        assert printable(text) == shown


def test_printable_leaves_text_and_backslashes_as_they_are() -> None:
    for text in ("café, 日本語, emoji 🙂, ¡olé! «»", r"C:\Users\lesson.md", "\xa0\u200d"):
        assert printable(text) == text
    once = printable(EVIL)
    assert printable(once) == once == SHOWN  # escaping twice changes nothing


def test_a_problem_is_one_printable_line() -> None:
    problem = Diagnostic(
        Location(Path(f"book/{EVIL}.md"), 3, 7), Severity.ERROR, f"link to '{EVIL}'", "bad-link"
    )
    assert str(problem) == rf"book/{SHOWN}.md:3:7: error: link to '{SHOWN}' [bad-link]"


def test_json_text_decodes_to_the_exact_text_and_prints_safely() -> None:
    data = {"path": f"lessons/{EVIL}\x7f\u2029\u2066\udc9b.md", "é": ["日本", 1, None]}
    text = json_text(data)
    assert_safe(text.replace("\n", ""))
    assert json.loads(text) == data
    assert text == json.dumps(data, indent=2, ensure_ascii=False).translate(
        {
            0x7F: r"\u007f",
            0x9B: r"\u009b",
            0x202E: r"\u202e",
            0x2029: r"\u2029",
            0x2066: r"\u2066",
            0xDC9B: r"\udc9b",
        }
    )


def test_check_prints_each_problem_on_one_escaped_line(tmp_path: Path) -> None:
    evil_book(tmp_path / "book")
    status, out, err = run("check", "book", "--quick", cwd=tmp_path)
    assert status == 1
    assert_safe(out, err)
    lines = out.splitlines()
    assert lines == [*EXPECTED, "book: 4 errors, 1 warning in 2 lessons and 2 sources"]
    assert all(PROBLEM.match(line) for line in lines[:-1])


def test_check_json_is_exact_and_escaped(tmp_path: Path) -> None:
    evil_book(tmp_path / "book")
    status, out, err = run("check", "book", "--quick", "--format", "json", cwd=tmp_path)
    assert status == 1
    assert_safe(out.replace("\n", ""), err)
    report = json.loads(out)
    unknown = [p for p in report["problems"] if p["code"] == "unknown-source"]
    assert {(p["path"], p["message"]) for p in unknown} == {
        (f"book/lessons/{EVIL}.md", "unknown source 'nosuch'"),
        ("book/lessons/one.md", "unknown source 'odd\x1bk\x9bey\u202e'"),
    }
    missing = next(p for p in report["problems"] if p["code"] == "not-found")
    assert missing["message"] == (
        f"lesson 'lessons/missing{EVIL}.md' not found (did you mean 'lessons/{EVIL}.md'?)"
    )


def test_build_prints_problems_and_what_it_wrote_escaped(tmp_path: Path) -> None:
    evil_book(tmp_path / "book")
    status, out, err = run("build", "book", "-f", "epub", cwd=tmp_path)
    assert status == 1
    assert_safe(out, err)
    *problems, last = err.splitlines()
    assert problems == EXPECTED
    assert last == "coursebook: 4 errors, 1 warning; nothing written"

    good = tmp_path / "good"
    (good / "lessons").mkdir(parents=True)
    (good / "book.yaml").write_text(f"{MANIFEST}  - lessons/one.md\n")
    (good / "sources.yaml").write_text(SOURCES)
    (good / "lessons" / "one.md").write_text("# One\n\nText [@marx1867].\n")
    status, out, err = run("build", "good", "-f", "epub", "-o", f"out{EVIL}", cwd=tmp_path)
    assert status == 0, err
    assert_safe(out, err)
    assert re.fullmatch(
        rf"wrote out{re.escape(SHOWN)}/a-small-course\.epub \(\d+ KB\)", out.splitlines()[0]
    )


def test_a_catalog_names_each_book_escaped(tmp_path: Path) -> None:
    books = tmp_path / "books"
    for name, lesson in (("good", "Text [@marx1867]."), ("bad", "[@nosuch]")):
        folder = books / f"{name}{EVIL}"
        (folder / "lessons").mkdir(parents=True)
        (folder / "book.yaml").write_text(
            MANIFEST.replace("A small course", name) + "  - lessons/one.md\n"
        )
        (folder / "sources.yaml").write_text(SOURCES)
        (folder / "lessons" / "one.md").write_text(f"# One\n\n{lesson}\n")
    status, out, err = run("build", "books", "-f", "epub", "-j", "1", cwd=tmp_path)
    assert status == 1
    assert_safe(out, err)
    assert re.fullmatch(
        rf"books/good{re.escape(SHOWN)}: wrote dist/good\.epub in [\d.]+ s", out.splitlines()[0]
    )
    assert err.splitlines() == [
        rf"books/bad{SHOWN}/lessons/one.md:3:2: error: unknown source 'nosuch' [unknown-source]",
        rf"books/bad{SHOWN}/sources.yaml:1:3: warning: source 'marx1867' is never cited"
        " [unused-source]",
        rf"coursebook: books/bad{SHOWN}: 1 error; nothing written",
    ]


def test_new_and_import_say_what_they_wrote_escaped(tmp_path: Path) -> None:
    status, out, err = run("new", f"new{EVIL}", "--title", "New", cwd=tmp_path)
    assert status == 0, err
    assert_safe(out, err)
    assert f"created new{SHOWN}/book.yaml" in out.splitlines()
    assert f"      coursebook build new{SHOWN}    (make the EPUB and PDF)" in out.splitlines()

    (tmp_path / f"page{EVIL}.txt").write_text("Lesson 1: Evil\n\nSome text (Marx 1867).\n")
    status, out, err = run("import", f"page{EVIL}.txt", "-o", f"imported{EVIL}", cwd=tmp_path)
    assert status == 0, err
    assert_safe(out, err)
    assert out.splitlines()[:2] == [
        rf"page{SHOWN}.txt: lesson 1, 'Evil' → lessons/01-evil.md: 0 citations recognised, "
        "1 parenthetical remark left as text",
        rf"page{SHOWN}.txt:3: warning: left as text: (Marx 1867) [import-unrecognised]",
    ]


def test_the_preview_prints_and_shows_problems_escaped(tmp_path: Path) -> None:
    evil_book(tmp_path / "book")
    out_file, err_file = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_file.open("wb") as out, err_file.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "coursebook", "preview", "book", "--port", "0"],
            cwd=tmp_path,
            stdout=out,
            stderr=err,
        )
    try:
        lines = _wait_for_lines(process, out_file, 2)
        port = int(re.findall(r":(\d+)/", lines[0])[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        page = connection.getresponse().read().decode("utf-8")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert lines[1] == "4 errors, 1 warning; the page shows them"
    printed = decoded(err_file.read_bytes())
    assert_safe(printed)
    assert printed.splitlines() == EXPECTED
    problems = page[page.index('<section id="problems"') : page.index("<main>")]
    assert_safe(problems.replace("\n", ""))
    # Each item links to its mark in the text (or its lesson), the text escaped in both.
    item = re.escape(f"book/lessons/{SHOWN}.md:3:7: error: unknown source")
    assert re.search(f'<li><a href="#[\\w-]+">{item}', problems), problems
    main = page[page.index("<main>") :]
    assert_safe(main.replace("\n", ""))


def _wait_for_lines(process: subprocess.Popen[bytes], path: Path, count: int) -> list[str]:
    """The first ``count`` lines the process has written to ``path``, once they are there."""
    stop = time.monotonic() + 120
    while time.monotonic() < stop and process.poll() is None:
        lines = decoded(path.read_bytes()).splitlines()
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    pytest.fail(f"the preview said only {path.read_bytes()!r} (exit {process.poll()})")


def test_a_control_character_in_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "book"
    (folder / "lessons").mkdir(parents=True)
    (folder / "sources.yaml").write_text(SOURCES)
    (folder / "lessons" / "one.md").write_text("---\ntitle: One\nsummary: \x9b2J\n---\n\nText.\n")
    manifest = f"{MANIFEST}  - lessons/one.md\n"
    expected = {
        f"{manifest}subjects: a\x1b]0;x\x07\n": "book/book.yaml:6:12: error: invalid YAML: "
        "the character U+001B is not allowed in YAML [yaml]",
        manifest: "book/lessons/one.md:3:10: error: invalid YAML: "
        "the character U+009B is not allowed in YAML [yaml]",
    }
    for text, problem in expected.items():
        (folder / "book.yaml").write_text(text)
        status, out, err = run("check", "book", "--quick", cwd=tmp_path)
        assert status == 1, err
        assert_safe(out, err)
        assert "Traceback" not in err
        assert out.splitlines()[0] == problem
