"""Notes, in-text citations and bibliographies as the reference CSL processor (pandoc's
citeproc) sets them, for five styles and two sources formats, on the corpus of
benchmarks/citation_corpus/ (adjacent notes, colons and emphasis among its citations):
identical,
the documented differences aside (none of which the corpus meets: it has no authored notes,
and print is what is compared for a style that says "Ibid.")."""

from __future__ import annotations

import pytest
from benchmarks.citation_fidelity import SOURCES, STYLES, compare


@pytest.mark.parametrize("sources", SOURCES)
@pytest.mark.parametrize("style", STYLES)
def test_matches_pandoc_citeproc(style: str, sources: str) -> None:
    """The corpus's sources as CSL-YAML, and as BibTeX the way Zotero exports it (which
    pandoc reads itself on its side: the same notes prove the same reading)."""
    report = compare(style, sources)
    assert report.notes >= 200 and report.entries >= 50
    differences = "\n".join(
        f"{kind} {where}:\n  coursebook: {ours}\n  pandoc:     {theirs}"
        for kind, where, ours, theirs in report.differences
    )
    assert not report.differences, f"fidelity {report.rate:.1%}\n{differences}"
