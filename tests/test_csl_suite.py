"""The CSL processor test suite through coursebook's citation engine (benchmarks/csl_suite.py):
the floor its pass rate is held to, and the ways a fixture is written as a lesson's citations
and read back."""

from __future__ import annotations

import pytest
from benchmarks.csl_suite import (
    SUITE,
    SuiteCitation,
    fixture_paths,
    item_markdown,
    normalized,
    replayed,
    run_suite,
    suite_html,
)

FLOOR = 750
"""Of the 838 runnable fixtures (845, less the 7 that force a position); 766 pass with
pandoc 3.9."""


@pytest.mark.slow  # 838 pandoc runs, two at a time: 20 s on an idle machine, a minute when busy
@pytest.mark.skipif(not SUITE.is_dir(), reason=f"the CSL test suite isn't at {SUITE}")
def test_the_suite_passes_at_least_the_floor() -> None:
    summary = run_suite(fixture_paths())
    figures = summary.figures()
    assert figures["total"] == 838
    failed = sorted(o.name for o in summary.counted if o.status != "passed")
    assert figures["passed"] >= FLOOR, f"{figures['passed']} passed; failed: {failed}"


def test_a_citation_item_is_written_as_a_lesson_writes_it() -> None:
    assert item_markdown({"id": "ITEM-1", "locator": 23}) == "@ITEM-1, 23"
    assert item_markdown({"id": "a b", "label": "chapter", "locator": "2-3"}) == (
        "@{a b}, {chapter 2\\-3}"
    )
    assert item_markdown({"id": "x", "locator": "vol. 1"}) == "@x, {vol\\. 1}"
    assert item_markdown({"id": "x", "prefix": "<i>See</i> ", "suffix": ", too"}) == (
        "*See* @{x}\\, too"
    )
    assert item_markdown({"id": "x", "prefix": "<sc>cf.</sc> @y; "}) == (
        "[cf\\.]{.smallcaps} \\@y\\; @x"
    )


def test_citations_are_replayed_into_the_last_documents_order() -> None:
    def entry(cid: str, note: int, before: list[list[object]], after: list[list[object]]):
        items = [{"id": cid.lower()}]
        return [
            {"citationID": cid, "citationItems": items, "properties": {"noteIndex": note}},
            before,
            after,
        ]

    citations = replayed(
        [
            entry("A", 1, [], []),
            entry("B", 2, [["A", 1]], []),
            entry("C", 2, [["A", 1]], [["B", 3]]),
        ]
    )
    assert citations == [
        SuiteCitation(({"id": "a"},), 1),
        SuiteCitation(({"id": "c"},), 2),
        SuiteCitation(({"id": "b"},), 3),
    ]


def test_the_engines_xhtml_is_written_in_the_suites_html() -> None:
    assert suite_html("<i>A <i>B</i></i> &amp; 1ᵉʳ") == (
        '<i>A <span style="font-style:normal;">B</span></i> &#38; 1<sup>e</sup><sup>r</sup>'
    )
    assert suite_html('<span class="csl-left-margin">[1] </span><a href="x">y</a>') == (
        '<div class="csl-left-margin">[1] </div>y'
    )
    assert normalized('<div class="a">\n  x  y\n</div>') == '<div class="a">x y</div>'
