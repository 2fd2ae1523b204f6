"""Property-based tests: whatever a book holds, loading and parsing it ends in a book or in
``path:line: error:`` messages, never in a traceback."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.core.limits import Limits
from coursebook.parse.citation_syntax import PLACEHOLDER, extract_citations
from coursebook.parse.lessons import parse_book
from coursebook.source.loader import load

MESSAGE = re.compile(r"^\S.*?:\d+(:\d+)?: (error|warning): .+ \[[\w-]+\]$")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

yaml_text = st.text(
    alphabet=st.sampled_from([*"abc:- \n'\"[]{}&*!|>#%@`,0123456789.\t\\", "é", "日"]),
    max_size=300,
)
markdown_pieces = st.sampled_from(
    [
        "> ",
        "- ",
        "1. ",
        "    ",
        "<div>",
        "</div>",
        "[",
        "]",
        "(",
        ")",
        "[^1]",
        "[^1]: n",
        "[@a]",
        "[see @a, p. 3; @b]",
        "@a [p. 4]",
        "`",
        "```",
        "*",
        "_",
        "**",
        "|",
        "|---|",
        "#",
        "## ",
        "\n",
        "\n\n",
        "text",
        "<script>",
        "{: #x }",
        "![i](i.png)",
        "[l](x.md#y)",
        "&#106;",
        "\\",
        "<",
        ">",
        "-@a",
        "{",
        "}",
        "\u00a0",
        "ü",
    ]
)


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="coursebook-fuzz-"))


def write_book(folder: Path, manifest: str, lesson: str) -> Path:
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    (folder / "book.yaml").write_text(manifest, encoding="utf-8")
    (folder / "lessons" / "one.md").write_text(lesson, encoding="utf-8")
    (folder / "sources.yaml").write_text(
        "- id: a\n  type: book\n  title: A\n- id: b\n  type: book\n  title: B\n"
    )
    return folder


def outcome(folder: Path) -> Diagnostics:
    """Load and parse; the diagnostics, whichever way it ends."""
    diagnostics = Diagnostics()
    try:
        book = load(folder, diagnostics, check=False, limits=Limits(markdown_seconds=5))
        parse_book(book, diagnostics, Limits(markdown_seconds=5))
    except BookError:
        pass
    return diagnostics


def assert_clear(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics:
        assert MESSAGE.match(str(diagnostic)), str(diagnostic)


@FUZZ
@given(manifest=yaml_text)
def test_any_manifest(manifest: str) -> None:
    folder = scratch()
    try:
        assert_clear(outcome(write_book(folder, manifest, "# One\n")))
    finally:
        shutil.rmtree(folder)


@FUZZ
@given(front=yaml_text, body=st.text(max_size=200))
def test_any_front_matter(front: str, body: str) -> None:
    folder = scratch()
    try:
        manifest = "title: T\nlanguage: en\nchapters: [lessons/one.md]\n"
        assert_clear(outcome(write_book(folder, manifest, f"---\n{front}\n---\n{body}")))
    finally:
        shutil.rmtree(folder)


@FUZZ
@given(
    text=st.lists(
        st.sampled_from([*"[]@;,-{} ap.0123456789\n\\*_\"'`^()<>:|#!$~", "> ", "[^1]", "@a"]),
        max_size=120,
    ).map("".join)
)
def test_any_citation_text(text: str) -> None:
    diagnostics = Diagnostics()
    replaced, citations = extract_citations(text, Path("l.md"), 1, {"a", "b"}, diagnostics)
    assert len(PLACEHOLDER.findall(replaced)) == len(citations)
    lines = text.split("\n")
    for citation in citations:
        assert citation.location.line >= 1 and citation.items
        assert lines[citation.location.line - 1][citation.location.column - 1] in "[@-"
        for item in citation.items:
            assert lines[item.location.line - 1][item.location.column - 1] == "@"
    assert_clear(diagnostics)


@FUZZ
@given(pieces=st.lists(markdown_pieces, max_size=400), depth=st.integers(0, 80))
def test_any_markdown(pieces: list[str], depth: int) -> None:
    """Random constructs, nested up to twice the depth limit."""
    folder = scratch()
    try:
        nested = "> " * depth + "- " * (depth // 2) + "".join(pieces)
        manifest = "title: T\nlanguage: en\nchapters: [lessons/one.md]\n"
        diagnostics = outcome(write_book(folder, manifest, f"# One\n\n{nested}\n"))
        assert_clear(diagnostics)
        if depth > Limits().depth:
            assert any("nesting too deep" in d.message for d in diagnostics.errors)
    finally:
        shutil.rmtree(folder)
