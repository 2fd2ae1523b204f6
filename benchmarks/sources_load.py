"""How long a large sources file takes to load, in each of the three formats.

    .venv/bin/python benchmarks/sources_load.py [--sizes 5000,50000]

For each size, the same generated library (Zotero-like entries: books, chapters, articles,
web pages and theses with capitalised words braced, accents, abstracts, keywords, file
attachments) is written as ``sources.bib`` (as Zotero's BibTeX export writes it),
``sources.json`` (CSL-JSON) and ``sources.yaml`` (CSL-YAML), and each is loaded once with
:func:`coursebook.source.sources.read_sources`, timed with ``time.perf_counter`` (wall time, one
run each, in this process), with the CPU time of this process and of the pandoc processes it
ran. The .bib file is then loaded once more in the same process, as the preview does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from coursebook.core.diagnostics import Diagnostics
from coursebook.source.sources import read_sources

FAMILIES = ["Finer", "Müller", "Thompson", "Hobsbawm", "Davies", "Brontë", "Ørsted", "Lenin"]
GIVENS = ["Samuel E.", "Jörg", "Edward P.", "Eric", "R. W.", "Charlotte", "Hans Christian"]
WORDS = [
    *("the", "age", "of", "chadwick", "britain", "revolution", "state", "and", "history"),
    *("capital", "labour", "soviet", "union", "politics", "economy", "society", "war"),
    *("peace", "in", "making", "working", "class", "english", "london", "europe"),
]
PROPER = {"chadwick", "britain", "soviet", "union", "english", "london", "europe"}
PUBLISHERS = [("Penguin", "London"), ("Methuen", "London"), ("Verso", "New York")]
LATEX_ACCENTS = {"ü": '{\\"u}', "ö": '{\\"o}', "ë": '{\\"e}', "Ø": "{\\O}", "é": "{\\'e}"}
BIB_TYPES = {
    "book": "book",
    "chapter": "incollection",
    "article-journal": "article",
    "webpage": "misc",
    "thesis": "phdthesis",
}


def library(size: int, seed: int = 14) -> list[dict[str, Any]]:
    """``size`` CSL-JSON entries, the same for the same seed."""
    rng = random.Random(seed)
    return [_entry(rng, number) for number in range(size)]


def _entry(rng: random.Random, number: int) -> dict[str, Any]:
    kind = rng.choice(list(BIB_TYPES))
    words = rng.sample(WORDS, rng.randint(3, 8))
    title = " ".join(w.capitalize() if w in PROPER or i == 0 else w for i, w in enumerate(words))
    authors = [
        {"family": rng.choice(FAMILIES), "given": rng.choice(GIVENS)}
        for _ in range(rng.randint(1, 3))
    ]
    year = rng.randint(1850, 2024)
    data: dict[str, Any] = {
        "id": f"{authors[0]['family'].lower()}_{words[0]}_{year}_{number}",
        "type": kind,
        "title": f"{title}: {rng.choice(['Britain', 'Europe'])}, 1800–1854",
        "author": authors,
        "issued": {"date-parts": [[year]]},
        "abstract": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + ".",
        "keyword": ", ".join(rng.sample(WORDS, 3)),
    }
    publisher, place = rng.choice(PUBLISHERS)
    if kind in ("book", "chapter"):
        data.update(publisher=publisher, **{"publisher-place": place})
        data["ISBN"] = f"978-0-14-{number:06d}-{number % 10}"
    if kind == "chapter":
        data["container-title"] = "Essays in " + title
        data["editor"] = [{"family": rng.choice(FAMILIES), "given": rng.choice(GIVENS)}]
        data["page"] = f"{number % 300 + 1}–{number % 300 + 25}"
    if kind == "article-journal":
        data.update({"container-title": "Past and Present", "volume": str(number % 90 + 1)})
        data["DOI"] = f"10.1093/past/{number}"
    if kind == "webpage":
        data["URL"] = f"https://example.org/archive/{number}?lang=en&page=2"
        data["accessed"] = {"date-parts": [[2024, rng.randint(1, 12), rng.randint(1, 28)]]}
    if kind == "thesis":
        data.update(publisher="University of Birmingham", genre="PhD thesis")
    return data


def as_bibtex(entries: list[dict[str, Any]]) -> str:
    """The entries as Zotero's BibTeX export writes them."""
    return "\n".join(_bib_entry(entry) for entry in entries)


def _bib_entry(entry: dict[str, Any]) -> str:
    fields = [("title", _zotero_braces(entry["title"]))]
    if "container-title" in entry:
        name = "journal" if entry["type"] == "article-journal" else "booktitle"
        fields.append((name, _zotero_braces(entry["container-title"])))
    for csl, bib in (("volume", "volume"), ("page", "pages"), ("ISBN", "isbn"), ("DOI", "doi")):
        if csl in entry:
            fields.append((bib, entry[csl].replace("–", "--")))
    if "URL" in entry:
        fields.append(("url", entry["URL"]))
        y, m, d = entry["accessed"]["date-parts"][0]
        fields.append(("urldate", f"{y}-{m:02}-{d:02}"))
    fields.append(("abstract", entry["abstract"]))
    fields.append(("language", "en"))
    if "publisher" in entry:
        name = "school" if entry["type"] == "thesis" else "publisher"
        fields.append((name, entry["publisher"]))
    if "publisher-place" in entry:
        fields.append(("address", entry["publisher-place"]))
    fields.append(("author", " and ".join(_bib_name(n) for n in entry["author"])))
    if "editor" in entry:
        fields.append(("editor", " and ".join(_bib_name(n) for n in entry["editor"])))
    fields.append(("year", str(entry["issued"]["date-parts"][0][0])))
    fields.append(("keywords", entry["keyword"]))
    fields.append(("file", f"Full Text PDF:/home/reader/Zotero/storage/{entry['id']}.pdf"))
    body = "".join(f"\t{name} = {{{value}}},\n" for name, value in fields)
    return f"@{BIB_TYPES[entry['type']]}{{{entry['id']},\n{body}}}\n"


def _zotero_braces(text: str) -> str:
    """Zotero braces every capitalised word after the first, and writes accents as LaTeX."""
    words = text.replace("–", "--").split(" ")
    braced = [w if i == 0 or not w[:1].isupper() else "{" + w + "}" for i, w in enumerate(words)]
    return _latex(" ".join(braced)).replace("{Britain,}", "{Britain},")


def _bib_name(name: dict[str, str]) -> str:
    return _latex(f"{name['family']}, {name['given']}")


def _latex(text: str) -> str:
    return "".join(LATEX_ACCENTS.get(char, char) for char in text)


def write_files(folder: Path, size: int) -> list[Path]:
    """sources.bib, sources.json and sources.yaml of ``size`` entries, in ``folder``."""
    entries = library(size)
    files = {
        "sources.bib": as_bibtex(entries),
        "sources.json": json.dumps(entries, indent=2, ensure_ascii=False),
        "sources.yaml": yaml.safe_dump(entries, allow_unicode=True, sort_keys=False),
    }
    paths = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,50000")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; one run each: wall time (time.perf_counter) and CPU time")
    print("(this process and the pandoc processes it ran)")
    print(f"{'entries':>8}  {'file':<13} {'MB':>6}  {'wall s':>7}  {'CPU s':>7}  problems")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as scratch:
            for path in write_files(Path(scratch), size):
                _load(path, size, path.name)
            # Loaded again in the same process (the preview does): pandoc's reading of each
            # entry is remembered.
            _load(Path(scratch) / "sources.bib", size, "again")
    return 0


def _load(path: Path, size: int, label: str) -> None:
    diagnostics = Diagnostics()
    cpu, wall = _cpu(), time.perf_counter()
    sources = read_sources(path, diagnostics, max_bytes=1 << 30)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    assert len(sources) == size, (path.name, len(sources))
    megabytes = path.stat().st_size / 1e6
    problems = len(diagnostics.errors) + len(diagnostics.warnings)
    print(f"{size:>8}  {label:<13} {megabytes:>6.1f}  {wall:>7.2f}  {cpu:>7.2f}  {problems}")
    sys.stdout.flush()


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
