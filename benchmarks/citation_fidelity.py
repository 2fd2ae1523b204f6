"""Citation fidelity: coursebook's notes and bibliography against pandoc's citeproc.

The corpus (benchmarks/citation_corpus/) is given to both: the same CSL data, the same
citations in the same order, the same style (default: coursebook's default, Chicago notes and
bibliography). Every note and every bibliography entry is compared as text, after whitespace
normalization. The script prints the rate and every difference.

    .venv/bin/python benchmarks/citation_fidelity.py [--style NAME] [--differences N]

pandoc 3.9 comes from PyPI's pypandoc-binary (a test-only dependency).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coursebook.csl import CslEngine  # noqa: E402
from coursebook.csl_style import DEFAULT_STYLE, named_style  # noqa: E402
from coursebook.diagnostics import Diagnostics  # noqa: E402
from coursebook.lessons import parse_book  # noqa: E402
from coursebook.loader import load  # noqa: E402
from coursebook.notes import resolve_notes  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "citation_corpus"


@dataclass
class Report:
    style: str
    notes: int = 0
    notes_same: int = 0
    entries: int = 0
    entries_same: int = 0
    differences: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.notes + self.entries

    @property
    def rate(self) -> float:
        return (self.notes_same + self.entries_same) / self.total if self.total else 0.0


def citation_lines() -> list[str]:
    text = (CORPUS / "citations.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def lesson_markdown(lines: list[str]) -> str:
    """One paragraph per citation; the in-text form inside a sentence."""
    paragraphs = [
        f"As {line} says." if line.startswith("@") else f"Sentence {index} {line}."
        for index, line in enumerate(lines)
    ]
    return "\n\n".join(paragraphs) + "\n"


def normalize(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", text.replace("↩︎", "").replace("\u00a0", " ")).strip()


def coursebook_output(style: str, work: Path) -> tuple[list[str], dict[str, str], Path]:
    """Notes and bibliography entries as coursebook makes them, and the CSL-JSON it used."""
    book = work / "book"
    (book / "lessons").mkdir(parents=True)
    (book / "sources.yaml").write_text((CORPUS / "sources.yaml").read_text(encoding="utf-8"))
    (book / "book.yaml").write_text(
        f"title: Corpus\nlanguage: en-US\ncitation_style: {style}\nchapters: [lessons/c.md]\n"
    )
    (book / "lessons" / "c.md").write_text("# Corpus\n\n" + lesson_markdown(citation_lines()))
    diagnostics = Diagnostics()
    loaded = load(book, diagnostics)
    parsed = parse_book(loaded, diagnostics)
    engine = CslEngine(named_style(style), "en-US", loaded.sources)
    notes = resolve_notes(loaded, parsed, engine, diagnostics)
    texts = [note.html for note in notes.lessons["c"].notes]
    entries = {entry.source.id: entry.html for entry in notes.bibliography}
    # The same data, as CSL-JSON, for pandoc.
    data = [dict(source.data) for source in loaded.sources.values()]
    csl_json = work / "sources.json"
    csl_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return texts, entries, csl_json


def pandoc_output(style: str, csl_json: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    """Notes and bibliography entries as pandoc's citeproc makes them."""
    import pypandoc

    document = work / "corpus.md"
    document.write_text(lesson_markdown(citation_lines()), encoding="utf-8")
    style_file = work / "style.csl"
    style_file.write_bytes(named_style(style).xml)
    result = subprocess.run(
        [
            pypandoc.get_pandoc_path(),
            str(document),
            "--citeproc",
            "--csl",
            str(style_file),
            "--bibliography",
            str(csl_json),
            "-t",
            "html5",
            "--wrap=none",
            "-M",
            "lang=en-US",
            "-M",
            "link-citations=false",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    tree = lxml_html.fromstring(result.stdout)
    notes = [
        lxml_html.tostring(item, encoding="unicode")
        for item in tree.xpath("//section[@id='footnotes']/ol/li")
    ]
    entries = {
        item.get("id").removeprefix("ref-"): lxml_html.tostring(item, encoding="unicode")
        for item in tree.xpath("//div[@id='refs']/div[contains(@class, 'csl-entry')]")
    }
    return notes, entries


def compare(style: str = DEFAULT_STYLE) -> Report:
    report = Report(style)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ours, our_entries, csl_json = coursebook_output(style, work)
        theirs, their_entries = pandoc_output(style, csl_json, work)
    for index in range(max(len(ours), len(theirs))):
        a = normalize(ours[index]) if index < len(ours) else "(missing)"
        b = normalize(theirs[index]) if index < len(theirs) else "(missing)"
        report.notes += 1
        report.notes_same += a == b
        if a != b:
            report.differences.append(("note", str(index + 1), a, b))
    for key in dict.fromkeys([*their_entries, *our_entries]):
        a = normalize(our_entries.get(key, "(missing)"))
        b = normalize(their_entries.get(key, "(missing)"))
        report.entries += 1
        report.entries_same += a == b
        if a != b:
            report.differences.append(("entry", key, a, b))
    # The order of the bibliography counts as one more comparison.
    report.entries += 1
    if list(our_entries) == list(their_entries):
        report.entries_same += 1
    else:
        report.differences.append(
            ("order", "bibliography", " ".join(our_entries), " ".join(their_entries))
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument(
        "--differences", type=int, default=-1, help="how many differences to list (default: all)"
    )
    args = parser.parse_args()
    report = compare(args.style)
    shown = report.differences if args.differences < 0 else report.differences[: args.differences]
    for kind, number, ours, theirs in shown:
        print(f"{kind} {number}:\n  coursebook: {ours}\n  pandoc:     {theirs}")
    print(
        f"\nstyle {report.style}: notes {report.notes_same}/{report.notes} identical, "
        f"bibliography {report.entries_same}/{report.entries} identical; "
        f"fidelity {report.rate:.1%} ({len(report.differences)} differences)"
    )


if __name__ == "__main__":
    main()
