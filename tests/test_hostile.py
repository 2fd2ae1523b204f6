"""Hostile and broken books: the twelve acceptance cases of SECURITY-NOTES.md.

Every case builds with the real command in a subprocess, as the portal's server would run it,
and checks what reached the network, the disk and the outputs.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from benchmarks.hostile_cases import loopback as loopback_server
from benchmarks.hostile_cases import output_bytes

from .conftest import epubcheck

SOURCES = "- id: marx1867\n  type: book\n  author: Karl Marx\n  title: Capital\n  year: 1976\n"


def book(folder: Path, lesson: str, title: str = "Hostile", extra: str = "") -> Path:
    """A one-lesson book whose lesson is ``lesson``."""
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    (folder / "book.yaml").write_text(
        f"title: {title}\nlanguage: en\npublished: 2026-01-01\n{extra}chapters: [lessons/one.md]\n",
        encoding="utf-8",
    )
    (folder / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (folder / "lessons" / "one.md").write_text(lesson, encoding="utf-8")
    return folder


def run(*args: str, cwd: Path | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coursebook", "build", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=600,
        **kwargs,  # type: ignore[arg-type]
    )


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A server on a loopback port, and the list of requests it sees."""
    with loopback_server() as (url, hits):
        yield url, hits


@pytest.fixture
def canary(tmp_path: Path) -> bytes:
    secret = f"CANARY-{uuid.uuid4().hex}".encode()
    (tmp_path / "canary.txt").write_bytes(secret)
    return secret


# --- 1. local files pulled into the PDF ---------------------------------------------------


def test_1_attachments_of_local_files(tmp_path: Path, canary: bytes) -> None:
    folder = book(
        tmp_path / "book",
        (
            "# One\n\nText.\n\n<link rel=attachment href=file:///etc/passwd>\n\n"
            '<p>See <a rel=attachment href="../../canary.txt">this</a>.</p>\n'
        ),
    )
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 1
    found = errors(result)
    assert any("lessons/one.md:5:" in e and "file outside the book folder" in e for e in found)
    assert any("lessons/one.md:7:" in e and "outside the book folder" in e for e in found)
    assert not (tmp_path / "out").exists() or canary not in output_bytes(tmp_path / "out")


def test_1_nothing_of_the_machine_reaches_a_built_book(tmp_path: Path, canary: bytes) -> None:
    """A book that builds (the attachment element only warned about) holds no byte of a local
    file."""
    folder = book(
        tmp_path / "book", "# One\n\n<link rel=attachment href=../../canary.txt>\n\nText.\n"
    )
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "removed <link>" in result.stderr
    data = output_bytes(tmp_path / "out")
    assert b"Text." in data or b"Text" in data
    assert canary not in data
    assert b"root:x:0:0" not in data


# --- 2. requests to the network -----------------------------------------------------------


def test_2_no_request_reaches_the_network(tmp_path: Path, loopback: tuple[str, list[str]]) -> None:
    url, hits = loopback
    folder = book(
        tmp_path / "book",
        (
            f"# One\n\n![remote]({url}/img.png)\n\n"
            f'<link rel=stylesheet href="{url}/style.css">\n\n'
            f"<style>@import url({url}/import.css);"
            f" p {{ background: url({url}/bg.png) }}</style>\n\n"
            f'<p style="background: url({url}/inline.png)">styled</p>\n\n'
            f'<svg><image href="{url}/svg.png"/></svg>\n\n'
            f'<base href="{url}/">\n\n'
            "![relative](logo.png)\n\n"
            "![drawing](drawing.svg)\n"
        ),
    )
    (folder / "lessons" / "drawing.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{url}/from-svg.png"/></svg>'
    )
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert hits == []
    assert result.returncode == 1
    found = "\n".join(errors(result))
    assert "is on the network" in found
    assert "an external reference" in result.stderr and "from-svg.png" in result.stderr


def test_2_allowed_hosts_get_no_redirects(loopback: tuple[str, list[str]], tmp_path: Path) -> None:
    from coursebook.parse.remote import RemoteImages, RemoteRefused

    url, hits = loopback
    remote = RemoteImages(frozenset({"127.0.0.1"}), tmp_path, 1000)
    assert not remote.allows(f"{url}/img.png")  # plain http is never fetched
    with pytest.raises(RemoteRefused, match="302"):
        remote._download(f"{url}/redirect")
    assert hits == ["/redirect"]  # and never the place it points to


# --- 3. path traversal --------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/canary.txt",
        "file:///etc/passwd",
        "link.png",
    ],
)
def test_3_references_outside_the_book(reference: str, tmp_path: Path, canary: bytes) -> None:
    folder = book(tmp_path / "book", f"# One\n\n![x]({reference})\n")
    (folder / "lessons" / "link.png").symlink_to(tmp_path / "canary.txt")
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 1
    (error,) = errors(result)
    assert "lessons/one.md:3:" in error and "outside the book folder" in error
    assert not (tmp_path / "out").exists()


# --- 4. scripts in the EPUB ---------------------------------------------------------------


def test_4_no_script_survives(tmp_path: Path) -> None:
    folder = book(
        tmp_path / "book",
        (
            "# One\n\n<script>alert(1)</script>\n\n"
            '<img src="x.png" onerror="alert(2)">\n\n'
            "[one](javascript:alert(3)) and [two](&#106;avascript:alert(4))\n\n"
            'Clickable\n{: onclick="alert(5)" }\n\n'
            '<iframe src="https://example.org/"></iframe>\n\n'
            '<form action="https://example.org/"><input name="q"></form>\n\n'
            "<style>p { color: red }</style>\n\n"
            '<svg><script>alert(6)</script><circle r="5"/></svg>\n\n'
            "The end.\n"
        ),
    )
    (folder / "lessons" / "x.png").write_bytes(
        (Path(__file__).parent / "books" / "features" / "images" / "chart.png").read_bytes()
    )
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr
    for removed in (
        "<script>",
        "'onerror'",
        "javascript:alert(3)",
        "javascript:alert(4)",
        "'onclick'",
        "<iframe>",
        "<form>",
        "<style>",
        "<svg>",
    ):
        assert removed in warnings, removed
    data = output_bytes(tmp_path / "out").lower()
    for bad in (
        b"<script",
        b"alert(",
        b"onerror",
        b"onclick",
        b"javascript:",
        b"<iframe",
        b"<form",
        b"<svg",
    ):
        assert bad not in data, bad
    epub = next((tmp_path / "out").glob("*.epub"))
    assert epubcheck(epub) == []


def test_4_an_svg_image_that_scripts_is_refused(tmp_path: Path) -> None:
    folder = book(tmp_path / "book", "# One\n\n![drawing](evil.svg)\n")
    (folder / "lessons" / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    result = run(str(folder), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "the SVG has nothing left to draw once <script> is removed" in result.stderr


# --- 5. template injection ----------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    ["{{ cycler.__init__.__globals__.os.popen('id').read() }}", "</dc:title><script>x</script>"],
)
def test_5_titles_are_text(title: str, tmp_path: Path) -> None:
    quoted = title.replace("'", "''")
    lesson = f"---\ntitle: '{quoted}'\n---\n\nText [@marx1867].\n"
    folder = book(tmp_path / "book", lesson, title=f"'{quoted}'")
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        opf = archive.read("EPUB/content.opf").decode()
        nav = archive.read("EPUB/nav.xhtml").decode()
        page = archive.read("EPUB/text/titlepage.xhtml").decode()
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for text in (opf, nav, page):
        assert escaped in text
        assert "uid=" not in text  # `id` never ran
    assert "<script>" not in opf + nav + page
    pdf = pypdf.PdfReader(next((tmp_path / "out").glob("*.pdf")))
    assert pdf.metadata.title == title
    assert title in pdf.pages[0].extract_text().replace("\n", "")
    assert epubcheck(epub) == []


# --- 6. YAML ------------------------------------------------------------------------------


def test_6_yaml_that_attacks(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    cases = {
        "tag": f'title: !!python/object/apply:os.system ["touch {marker}"]\nlanguage: en\n',
        "bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ntitle: T\nlanguage: en\n",
        "norway": "title: T\nlanguage: no\n",
    }
    for name, manifest in cases.items():
        folder = book(tmp_path / name, "# One\n")
        (folder / "book.yaml").write_text(manifest + "chapters: [lessons/one.md]\n")
        result = run(str(folder), "-o", str(tmp_path / f"out-{name}"))
        no_traceback(result)
        assert result.returncode == 1, name
        assert re.search(r"book\.yaml:\d+:\d+: error: ", result.stderr), (name, result.stderr)
    assert not marker.exists()


# --- 7. nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lesson",
    ["- " * 500 + "x", ">" * 5000 + " x", "<div>" * 1000 + "x" + "</div>" * 1000],
)
def test_7_nesting_too_deep(lesson: str, tmp_path: Path) -> None:
    folder = book(tmp_path / "book", f"# One\n\n{lesson}\n")
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 1
    (error,) = errors(result)
    assert "lessons/one.md:3: error: nesting too deep" in error


# --- 8. pathological Markdown -----------------------------------------------------------------


@pytest.mark.parametrize("lesson", ["[a](" * 10000, "`" * 2000, "[" * 5000])
def test_8_slow_markdown_finishes_or_times_out(lesson: str, tmp_path: Path) -> None:
    folder = book(tmp_path / "book", f"# One\n\n{lesson}\n")
    result = run(str(folder), "-o", str(tmp_path / "out"), "--limit", "markdown_seconds=3")
    no_traceback(result)
    if result.returncode != 0:
        (error,) = errors(result)
        assert "reading one.md timed out after 3 seconds" in error


# --- 9. resource exhaustion -----------------------------------------------------------------


def test_9_a_huge_table(tmp_path: Path) -> None:
    rows = "\n".join(f"| {i} | x |" for i in range(10_000))
    folder = book(tmp_path / "book", f"# One\n\n| n | x |\n|---|---|\n{rows}\n")
    # The row limit is what is tested: time enough to read the table on a loaded machine
    # (Python-Markdown takes several seconds), so that the time limit can't answer first.
    out = str(tmp_path / "out")
    result = run(str(folder), "-o", out, "--limit", "markdown_seconds=120")
    no_traceback(result)
    assert result.returncode == 1
    (error,) = errors(result)
    assert "a table of 10,001 rows, more than the limit of 5,000" in error
    assert "--limit table_rows=" in error


def test_9_styles_that_would_break_the_layout_are_removed(tmp_path: Path) -> None:
    folder = book(tmp_path / "book", '# One\n\n<p style="font-size: 1e8px">Huge?</p>\n')
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 0
    assert "removed the 'style' attribute of <p>" in result.stderr


def test_9_an_image_from_dev_zero(tmp_path: Path) -> None:
    folder = book(tmp_path / "book", "# One\n\n![zero](zero.png)\n")
    (folder / "lessons" / "zero.png").symlink_to("/dev/zero")
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 1
    assert "outside the book folder" in result.stderr


def test_9_a_decompression_bomb(tmp_path: Path) -> None:
    from PIL import Image

    folder = book(tmp_path / "book", "# One\n\n![bomb](bomb.png)\n")
    Image.new("1", (20_000, 20_000)).save(folder / "lessons" / "bomb.png")  # 400 megapixels
    result = run(str(folder), "-o", str(tmp_path / "out"))
    no_traceback(result)
    assert result.returncode == 1
    assert "image 'bomb.png': far more pixels than the limit" in result.stderr
    Image.new("1", (9_000, 8_000)).save(folder / "lessons" / "bomb.png")  # 72 megapixels
    result = run(str(folder), "-o", str(tmp_path / "out"))
    assert "9000 × 8000 pixels, more than the limit of 60,000,000" in result.stderr


# --- 10. failure in the middle of writing ---------------------------------------------------


def test_10_a_failed_write_leaves_the_last_good_output(tmp_path: Path) -> None:
    folder = book(tmp_path / "book", "# One\n\n" + "Text [@marx1867].\n\n" * 50)
    out = tmp_path / "out"
    assert run(str(folder), "-o", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (folder / "lessons" / "one.md").write_text("# One\n\n" + "Changed [@marx1867].\n\n" * 400)

    def disk_nearly_full() -> None:  # files may not grow past 8 kB: writes fail midway
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    result = run(str(folder), "-o", str(out), preexec_fn=disk_nearly_full)
    no_traceback(result)
    assert result.returncode == 1
    assert "could not write" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in out.rglob("*.tmp")]


# --- 11. outputs that would overwrite sources -------------------------------------------------


def test_11_output_onto_a_lesson_or_into_the_book(tmp_path: Path) -> None:
    folder = book(tmp_path / "book", "# One\n\nText.\n")
    lesson = folder / "lessons" / "one.md"
    original = lesson.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "hostile.pdf").symlink_to(lesson)
    result = run(str(folder), "-o", str(out))
    no_traceback(result)
    assert result.returncode == 1
    assert "is a symbolic link; refusing to write through it" in result.stderr
    inside = run(str(folder), "-o", str(folder / "lessons"))
    assert inside.returncode == 1 and "inside the book folder" in inside.stderr
    assert lesson.read_bytes() == original
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == ["one.md"]


# --- 12. concurrent builds ----------------------------------------------------------------------


def test_12_concurrent_builds_into_one_folder(tmp_path: Path) -> None:
    """Six builds of six versions of a book (same title, so the same file names) at once: the
    EPUB and the PDF found afterwards are whole, and from the same build."""
    out = tmp_path / "out"
    builds = []
    for version in range(6):
        folder = book(tmp_path / f"v{version}", f"# One\n\nVersion marker v{version}x.\n")
        builds.append(
            subprocess.Popen(
                [sys.executable, "-m", "coursebook", "build", str(folder), "-o", str(out)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    assert all(process.wait(timeout=600) == 0 for process in builds)
    epub, pdf = out / "hostile.epub", out / "hostile.pdf"
    with zipfile.ZipFile(epub) as archive:
        assert archive.testzip() is None
        lesson = archive.read("EPUB/text/one.xhtml").decode()
    in_epub = re.search(r"marker v(\d)x", lesson)
    pdf_text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    in_pdf = re.search(r"marker\sv(\d)x", pdf_text)  # the last words are tied: a no-break space
    assert in_epub and in_pdf and in_epub.group(1) == in_pdf.group(1)
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["hostile.epub", "hostile.pdf"]
    for process in builds:
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
    os.sync()
