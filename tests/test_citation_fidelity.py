"""Notes and bibliography entries read as the reference CSL processor (pandoc's citeproc) sets
them: at least 98% identical on the corpus of benchmarks/citation_corpus/."""

from __future__ import annotations

from benchmarks.citation_fidelity import compare


def test_default_style_matches_pandoc_citeproc() -> None:
    report = compare()
    assert report.notes >= 200
    differences = "\n".join(
        f"{kind} {where}:\n  coursebook: {ours}\n  pandoc:     {theirs}"
        for kind, where, ours, theirs in report.differences
    )
    assert report.rate >= 0.98, f"fidelity {report.rate:.1%}\n{differences}"
