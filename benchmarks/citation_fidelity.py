"""Citation fidelity: coursebook's notes and bibliography against pandoc's citeproc.

The corpus (benchmarks/citation_corpus/) is given to both: the same sources, the same
citations in the same order, the same style. coursebook builds it as a book would be built
(loaded, parsed, through the notes stage); pandoc gets the same Markdown with ``--citeproc``.
What a reader sees is compared as text, after whitespace normalization: each note (note
styles) or each citation set in the text (in-text styles), and each bibliography entry and
the bibliography's order. With a style that says "Ibid.", the print edition's notes are
compared (the EPUB's never say it, on purpose). Five styles by default; the script prints the
rate of each and every difference.

    .venv/bin/python benchmarks/citation_fidelity.py [--style NAME ...] [--differences N]

pandoc 3.9 is the pypandoc-binary wheel's (coursebook's own engine runs it too).
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

from coursebook.cite.notes import resolve_notes  # noqa: E402
from coursebook.cite.style_facts import style_facts  # noqa: E402
from coursebook.core.diagnostics import Diagnostics  # noqa: E402
from coursebook.parse.lessons import parse_book  # noqa: E402
from coursebook.pipeline.build import citation_engine  # noqa: E402
from coursebook.source.csl_style import named_style  # noqa: E402
from coursebook.source.loader import load  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "citation_corpus"
STYLES = (
    "chicago-notes-bibliography",
    "chicago-author-date",
    "apa",
    "modern-language-association",
    "ieee",
)


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
    """One paragraph per citation; the in-text form inside a sentence; a definition at the
    end for each authored note a line calls (``[^r1]``)."""
    paragraphs = [
        f"As {line} says." if line.startswith("@") else f"Sentence {index} {line}."
        for index, line in enumerate(lines)
    ]
    labels = sorted(set(re.findall(r"\[\^(r\d+)\]", "\n".join(lines))))
    notes = [f"[^{label}]: A remark of the author's, {label}." for label in labels]
    return "\n\n".join(paragraphs + notes) + "\n"


def normalize(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\s+", " ", text.replace("↩︎", "").replace("\u00a0", " ")).strip()


def coursebook_output(
    style: str, work: Path, sources: str = "sources.yaml"
) -> tuple[list[str], dict[str, str], Path]:
    """Notes and bibliography entries as coursebook makes them, and the sources file pandoc
    is to read: the CSL-JSON coursebook loaded (from the CSL-YAML corpus), or the corpus's
    BibTeX file itself (so that reading it is compared too)."""
    book = work / "book"
    (book / "lessons").mkdir(parents=True)
    (book / sources).write_text((CORPUS / sources).read_text(encoding="utf-8"))
    (book / "book.yaml").write_text(
        f"title: Corpus\nlanguage: en-US\ncitation_style: {style}\nsources: {sources}\n"
        "chapters: [lessons/c.md]\n"
    )
    (book / "lessons" / "c.md").write_text("# Corpus\n\n" + lesson_markdown(citation_lines()))
    diagnostics = Diagnostics()
    loaded = load(book, diagnostics)
    parsed = parse_book(loaded, diagnostics)
    engine = citation_engine(loaded, diagnostics)
    notes = resolve_notes(loaded, parsed, engine, diagnostics)
    lesson = notes.lessons["c"]
    if notes.note_style:
        texts = [note.printed for note in lesson.notes]
    else:  # the citations as set in the text, in reading order
        calls = parsed["c"].html
        texts = [
            lesson.calls[m.group(0)].text
            for m in re.finditer("\ue000\\d+\ue001", calls)
            if m.group(0) in lesson.calls
        ]
    entries = {entry.source.id: entry.html for entry in notes.bibliography}
    if sources.endswith(".bib"):
        return texts, entries, CORPUS / sources
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
    if style_facts(named_style(style).xml).note:
        notes = [
            lxml_html.tostring(item, encoding="unicode")
            for item in tree.xpath("//section[@id='footnotes']/ol/li")
        ]
    else:
        notes = [
            lxml_html.tostring(item, encoding="unicode", with_tail=False)
            for item in tree.xpath("//span[contains(@class, 'citation')]")
        ]
    # An entry the style prints nothing for is an empty element in pandoc's output (and an
    # error in coursebook's build): neither prints it.
    entries = {
        item.get("id").removeprefix("ref-"): lxml_html.tostring(item, encoding="unicode")
        for item in tree.xpath("//div[@id='refs']/div[contains(@class, 'csl-entry')]")
        if normalize(lxml_html.tostring(item, encoding="unicode"))
    }
    return notes, entries


SOURCES = ("sources.yaml", "sources.bib")
"""The corpus's sources as CSL-YAML, and as BibTeX the way Zotero exports it."""


def compare(style: str = STYLES[0], sources: str = SOURCES[0]) -> Report:
    report = Report(f"{style} ({sources})")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ours, our_entries, csl_json = coursebook_output(style, work, sources)
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
    parser.add_argument("--style", action="append", help="a style (repeatable; default: five)")
    parser.add_argument(
        "--differences", type=int, default=-1, help="how many differences to list (default: all)"
    )
    args = parser.parse_args()
    summary = []
    for style, sources in ((s, f) for s in args.style or STYLES for f in SOURCES):
        report = compare(style, sources)
        shown = (
            report.differences if args.differences < 0 else report.differences[: args.differences]
        )
        for kind, number, ours, theirs in shown:
            print(f"{report.style} {kind} {number}:\n  coursebook: {ours}\n  pandoc:     {theirs}")
        summary.append(
            f"style {report.style}: citations {report.notes_same}/{report.notes} identical, "
            f"bibliography {report.entries_same}/{report.entries} identical; "
            f"fidelity {report.rate:.1%} ({len(report.differences)} differences)"
        )
    print()
    print("\n".join(summary))


if __name__ == "__main__":
    main()
