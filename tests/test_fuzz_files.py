"""Property tests over every file a book has: whatever bytes book.yaml, a lesson's front
matter, the sources (YAML, JSON, BibTeX), the glossary, a CSL style, an image or the cover
hold, the real command ends with exit 0 or 1 and ``path:line:col: error: message [code]``
lines: never a traceback, never an internal error, never a hang.

Each example runs ``coursebook.app.cli.main`` in a forked child, as the command runs it (its
memory limit set in the child only), with its output captured; the parent waits a bounded
time and fails the example if the child is still running (a hang, not a benchmark).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import MINIMAL_SOURCES

MESSAGE = re.compile(r"^\S.*?(:\d+(:\d+)?)?: (error|warning): .+ \[[\w-]+\]$")
WAIT_SECONDS = 60.0
"""How long an example may take before it counts as a hang (runs take well under a second)."""

EXAMPLES = int(os.environ.get("COURSEBOOK_FUZZ_EXAMPLES", "20"))
"""Examples per file in the suite; set COURSEBOOK_FUZZ_EXAMPLES=1000 for a longer hunt."""
QUICK = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BUILDS = settings(
    max_examples=max(6, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

MANIFEST = (
    "title: Fuzz\nlanguage: en\npublished: 2026-01-05\n{extra}chapters:\n  - lessons/one.md\n"
)
LESSON = "---\ntitle: One\nnumber: 1\n---\n\nText [@marx1867, p. 3].{image}\n"
GLOSSARY = "- term: Text\n  definition: Words *set* down.\n  aliases: [texts]\n"
SOURCES_JSON = (
    '[{"id": "marx1867", "type": "book", "author": [{"family": "Marx", "given": "Karl"}],'
    ' "title": "Capital", "issued": {"date-parts": [[1976]]}}]'
)
SOURCES_BIB = "@book{marx1867,\n  author = {Marx, Karl},\n  title = {Capital},\n  year = 1976\n}\n"
CSL = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0">\n'
    "  <info><title>House</title><id>house</id><updated>2026-01-01T00:00:00+00:00</updated>"
    "</info>\n"
    '  <citation><layout suffix="."><text variable="title" font-style="italic"/>'
    '<text variable="locator" prefix=", "/></layout></citation>\n'
    '  <bibliography><layout><names variable="author"><name/></names>'
    '<text variable="title" prefix=". "/></layout></bibliography>\n'
    "</style>\n"
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
    '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
    '<rect width="40" height="20" fill="url(#g)"/><text x="2" y="15">Hi</text></svg>'
)


def png(width: int = 8, height: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\0" + bytes([200, 30, 30]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


# Tokens that have broken parsers before: NUL, bad UTF-8, YAML tags and aliases, deep
# nesting, impossible dates, entities, control characters, huge numbers.
TOKENS = [
    b"\x00",
    b"\xff\xfe",
    b"\xe9",
    b"[" * 3000,
    b"{" * 3000,
    b"*a",
    b"&a ",
    b"!!python/object/apply:os.system ['id']",
    b"2026-02-30",
    b"9" * 400,
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b"&e;",
    b"\x1b]0;title\x07\x1b[2J",
    "\u202e".encode(),
    b"\n---\n",
    b"\t",
    b"@string{a = {x}}",
    b'"date-parts": [[1859, 2, 30]]',
    b"<script>alert(1)</script>",
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` truncated, with bytes flipped, tokens inserted and pieces repeated."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["truncate", "flip", "insert", "repeat"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "truncate":
            del data[at:]
        elif action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        else:
            data[at:at] = bytes(data[at : at + draw(st.integers(1, 40))]) * draw(
                st.integers(2, 200)
            )
    return bytes(data)


def contents(base: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(base), st.binary(max_size=400))


def write_book(folder: Path, replaced: dict[str, bytes], extra: str = "", image: str = "") -> Path:
    files: dict[str, bytes] = {
        "book.yaml": MANIFEST.format(extra=extra).encode(),
        "sources.yaml": MINIMAL_SOURCES.encode(),
        "lessons/one.md": LESSON.format(image=image).encode(),
        **replaced,
    }
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def run_command(args: list[str]) -> tuple[int, str]:
    """``coursebook ARGS`` run by ``cli.main`` in a forked child: (exit status, output)."""
    from coursebook.app.cli import main

    with tempfile.TemporaryFile() as output:
        pid = os.fork()
        if pid == 0:
            _child(output.fileno(), lambda: main(args))
        status = _wait(pid)
        output.seek(0)
        return status, output.read().decode("utf-8", errors="replace")


def _child(fd: int, command: Callable[[], int]) -> None:
    """In the forked child: the command, its output to ``fd``, nothing back up the stack."""
    code = 99
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
        sys.stderr = sys.stdout
        code = command()
    except BaseException:  # what main lets out would be a traceback: say so
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        os._exit(code)


def _wait(pid: int) -> int:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"the command was still running after {WAIT_SECONDS:.0f} s")


def assert_clean_run(args: list[str]) -> None:
    status, text = run_command(args)
    assert status in (0, 1), f"exit {status}:\n{text}"
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    for line in text.splitlines():
        if ": error: " in line or ": warning: " in line:
            assert MESSAGE.match(line), line


def check_book(replaced: dict[str, bytes], extra: str = "", image: str = "") -> None:
    folder = Path(tempfile.mkdtemp(prefix="coursebook-fuzz-")) / "book"
    try:
        write_book(folder, replaced, extra, image)
        assert_clean_run(["check", "--quick", str(folder)])
    finally:
        shutil.rmtree(folder.parent)


def build_book(replaced: dict[str, bytes], extra: str = "", image: str = "") -> None:
    folder = Path(tempfile.mkdtemp(prefix="coursebook-fuzz-")) / "book"
    try:
        write_book(folder, replaced, extra, image)
        assert_clean_run(["build", str(folder), "-o", str(folder.parent / "out"), "-q"])
    finally:
        shutil.rmtree(folder.parent)


CASES: dict[str, tuple[str, bytes, str, str]] = {
    # name: (file, valid content to mutate, book.yaml extra, lesson image)
    "manifest": ("book.yaml", MANIFEST.format(extra="").encode(), "", ""),
    "front matter": ("lessons/one.md", LESSON.format(image="").encode(), "", ""),
    "sources.yaml": ("sources.yaml", MINIMAL_SOURCES.encode(), "", ""),
    "sources.json": ("sources.json", SOURCES_JSON.encode(), "sources: sources.json\n", ""),
    "sources.bib": ("sources.bib", SOURCES_BIB.encode(), "sources: sources.bib\n", ""),
    "glossary": ("glossary.yaml", GLOSSARY.encode(), "", ""),
    "style": ("house.csl", CSL.encode(), "citation_style: house.csl\n", ""),
    "png": ("images/a.png", png(), "", "\n\n![A red block](../images/a.png)"),
    "svg": ("images/a.svg", SVG.encode(), "", "\n\n![A gradient](../images/a.svg)"),
    "cover": ("cover.png", png(16, 24), "cover: cover.png\n", ""),
}


def _case(name: str) -> Callable[[bytes], None]:
    file, _, extra, image = CASES[name]
    return lambda data: check_book({file: data}, extra, image)


@pytest.mark.parametrize("name", list(CASES))
def test_every_file_of_a_book(name: str) -> None:
    """Random and mutated bytes in each file: errors with their places, never a crash."""
    base = CASES[name][1]

    @QUICK
    @given(data=contents(base))
    def each(data: bytes) -> None:
        _case(name)(data)

    each()


@pytest.mark.parametrize("name", ["png", "svg", "cover"])
def test_images_that_pass_the_checks_build(name: str) -> None:
    """An image (or cover) that passes the checks goes through both outputs whole."""
    file, base, extra, image = CASES[name]

    @BUILDS
    @given(data=st.one_of(mutated(base), st.just(base)))
    def each(data: bytes) -> None:
        build_book({file: data}, extra, image)

    each()


def test_a_jpeg_cover_and_random_structure_together() -> None:
    """Several files broken at once are all reported in one run."""

    @QUICK
    @given(
        manifest=contents(MANIFEST.format(extra="cover: cover.jpg\n").encode()),
        cover=contents(jpeg()),
        sources=contents(MINIMAL_SOURCES.encode()),
    )
    def each(manifest: bytes, cover: bytes, sources: bytes) -> None:
        check_book({"book.yaml": manifest, "cover.jpg": cover, "sources.yaml": sources})

    each()
