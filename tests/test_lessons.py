"""Parsing lessons: footnotes, headings, ids, images, links and what the sanitizer removes."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebook.core.diagnostics import Diagnostics
from coursebook.parse.lessons import CALL, parse_book
from coursebook.source.loader import load


def parse(folder: Path) -> tuple[dict, Diagnostics]:
    diagnostics = Diagnostics()
    book = load(folder, diagnostics, check=False)
    return parse_book(book, diagnostics), diagnostics


def test_headings_nest_under_the_lesson_title_without_gaps(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\n## A\n\n#### Deep\n\n# Too high\n"})
    parsed, _ = parse(folder)
    assert [(h.level, h.text) for h in parsed["one"].headings] == [
        (2, "A"),
        (3, "Deep"),
        (2, "Too high"),
    ]


def test_ids_are_namespaced_per_lesson(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: T\nlanguage: en\nchapters: [a.md, b.md]\n",
            "a.md": "# A\n\n## Same\n",
            "b.md": "# B\n\n## Same\n",
        }
    )
    parsed, _ = parse(folder)
    assert parsed["a"].headings[0].id == "a-same"
    assert parsed["b"].headings[0].id == "b-same"


def test_authored_footnotes_become_placeholders(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": "# One\n\nText[^a] and[^b].\n\n[^a]: First.\n"
            "[^b]: Second *note*.\n[^c]: Never used.\n"
        }
    )
    parsed, diagnostics = parse(folder)
    lesson = parsed["one"]
    assert [m.group(2) for m in CALL.finditer(lesson.html)] == ["0", "1"]
    assert [f.html for f in lesson.footnotes] == ["<p>First.</p>", "<p>Second <em>note</em>.</p>"]
    assert "footnote" not in lesson.html
    assert [d.message for d in diagnostics.warnings] == ["footnote [^c] is never referred to"]
    assert diagnostics.warnings[0].location.line == 7


@pytest.mark.parametrize(
    "reference",
    ["../../../../etc/passwd", "/etc/passwd", "%2e%2e/%2e%2e/canary.png", "file:///etc/passwd"],
)
def test_images_outside_the_book_are_errors(make_book, reference: str) -> None:
    folder = make_book({"lessons/one.md": f"# One\n\nSee:\n\n![x]({reference})\n"})
    parsed, diagnostics = parse(folder)
    (error,) = diagnostics.errors
    assert error.location.line == 5
    assert "<img" not in parsed["one"].html


def test_missing_image_and_missing_alt(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\n![](../images/none.png)\n"})
    _, diagnostics = parse(folder)
    assert [d.message for d in diagnostics.errors] == ["image '../images/none.png' not found"]


def test_image_without_alt_text_is_a_warning(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\n![](pic.png)\n"})
    chart = Path(__file__).parent / "books" / "features" / "images" / "chart.png"
    (folder / "lessons" / "pic.png").write_bytes(chart.read_bytes())
    _, diagnostics = parse(folder)
    assert diagnostics.errors == []
    (warning,) = diagnostics.warnings
    assert warning.code == "missing-alt" and warning.location.line == 3


def test_a_missing_lesson_is_an_error_a_missing_anchor_a_warning(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": "# One\n\n## Here\n\n[a](two.md) [b](#nowhere) [c](#here) "
            "[d](https://example.org) [e](http://example.org)\n",
        }
    )
    parsed, diagnostics = parse(folder)
    assert [d.message for d in diagnostics.errors] == ["link to 'two.md': no such file"]
    anchor = [d for d in diagnostics.warnings if d.code == "bad-anchor"]
    assert [d.message for d in anchor] == [
        "link to '#nowhere', which is not a heading or anchor in one.md; its text is kept "
        "without the link"
    ]
    html = parsed["one"].html
    assert 'href="#one-here"' in html and 'href="https://example.org"' in html
    assert 'href="http://example.org"' in html  # http links are kept, as pandoc keeps them
    assert ">b</a>" in html and "#nowhere" not in html


def test_broken_links_and_anchors_say_what_was_meant(make_book) -> None:
    """As for source keys: the lesson file or the heading closest to what was written."""
    folder = make_book(
        {
            "book.yaml": "title: L\nlanguage: en\nchapters: [lessons/01-liberty.md, "
            "lessons/02-harm.md]\n",
            "lessons/01-liberty.md": "# Liberty\n\n[a](01-liberty) [b](02-harm.md#harm-principle)"
            " [c](zz-unrelated-name.md)\n",
            "lessons/02-harm.md": "# Harm\n\n## The harm principle\n\nText.\n",
        }
    )
    _, diagnostics = parse(folder)
    assert [d.message for d in diagnostics.errors] == [
        "link to '01-liberty': no such file (did you mean '01-liberty.md'?)",
        "link to 'zz-unrelated-name.md': no such file",
    ]
    (anchor,) = [d for d in diagnostics.warnings if d.code == "bad-anchor"]
    assert anchor.message.endswith("(did you mean 'the-harm-principle'?)")


def test_links_to_web_pages_lead_to_the_lesson_of_that_name(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Web\nlanguage: en\nchapters: [lessons/010-one.md, "
            "lessons/020-small-n.md]\n",
            "lessons/010-one.md": "# One\n\n[a](/small-n.html) [b](./020-small-n.html#why) "
            "[c](other.html)\n",
            "lessons/020-small-n.md": "# Small n\n\n## Why\n\nText.\n",
        }
    )
    parsed, diagnostics = parse(folder)
    html = parsed["010-one"].html
    assert 'href="#l020-small-n"' in html and 'href="#l020-small-n-why"' in html
    assert not diagnostics.errors
    (compat,) = [d for d in diagnostics.warnings if d.code == "pandoc-compat"]
    assert compat.message.startswith("link to 'other.html', a web page no lesson")
    assert ">c</a>" in html and "other.html" not in html


def test_front_matter_after_an_html_comment_is_read(make_book) -> None:
    folder = make_book(
        {
            "book.yaml": "title: C\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "<!-- Licence: CC BY.\n  Keep this notice. -->\n---\nsummary: S\n---\n\n"
            "# The title\n\nText.\n",
        }
    )
    parsed, diagnostics = parse(folder)
    assert not diagnostics.errors
    (compat,) = [d for d in diagnostics.warnings if d.code == "pandoc-compat"]
    assert (compat.location.line, compat.location.column) == (1, 1)
    assert parsed["one"].lesson.title == "The title"
    assert parsed["one"].lesson.summary == "S"
    assert "Licence" not in parsed["one"].html


def test_scripts_and_handlers_are_removed(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": '# One\n\n<script>alert(1)</script>\n\nText\n{: onclick="x()" }\n\n'
            "[j](javascript:alert(1)) <iframe src=x></iframe>\n",
        }
    )
    parsed, _ = parse(folder)
    html = parsed["one"].html
    for bad in ("script", "onclick", "javascript", "iframe"):
        assert bad not in html


def test_backslash_escapes_an_at_sign(make_book) -> None:
    folder = make_book({"lessons/one.md": "# One\n\nWrite to \\@marx1867 or me@example.org.\n"})
    parsed, _ = parse(folder)
    assert "Write to @marx1867 or me@example.org." in parsed["one"].html
    assert parsed["one"].citations == ()


def test_a_table_without_header_cells_is_a_warning(make_book) -> None:
    folder = make_book(
        {
            "lessons/one.md": "# One\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            "<table><tr><td>raw</td></tr></table>\n",
        }
    )
    _, diagnostics = parse(folder)
    (warning,) = diagnostics.warnings
    assert warning.code == "table-headers" and warning.location.line == 7


def test_note_calls_printed_as_written_are_warned(make_book) -> None:
    """A note call naming no note of the lesson, or never closed, would be printed as
    written: each is a warning at its place, with the closest note's name."""
    folder = make_book(
        {
            "lessons/one.md": "# One\n\nWages rose[^wages] and fell[^fal], then[^open and "
            "more.\n\n[^fall]: A note.\n"
        }
    )
    diagnostics = Diagnostics()
    parse_book(load(folder, diagnostics), diagnostics)
    found = [
        (d.location.line, d.location.column, d.message)
        for d in diagnostics.warnings
        if d.code == "raw-markup"
    ]
    assert found == [
        (3, 11, "note call '[^wages]' names no note: write '[^wages]: …' in this lesson"),
        (
            3,
            28,
            "note call '[^fal]' names no note: write '[^fal]: …' in this lesson "
            "(did you mean 'fall'?)",
        ),
        (3, 40, "'[^open' is printed as written: a note call needs its closing ']'"),
    ]
