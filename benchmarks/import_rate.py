"""How many of the sample book's citations ``coursebook import`` finds in the portal's pages.

The two seed pages (/work/shared/seeds/, or ``--pages``) are imported into a temporary folder;
then, lesson by lesson, the sources the imported lessons cite, in order, are compared with
those the hand-made sample book (``book/``) cites. An imported source is the sample's source
when their titles agree once normalised (case, quotes, a leading "The", punctuation), or one
is the other's short title or main title, or, failing that, author and year agree and no
other sample source has them. Imported lessons are paired with the sample's by number, then
title, then text. The sample book edited some passages, so 100% is not expected.

    .venv/bin/python benchmarks/import_rate.py
    .venv/bin/python benchmarks/import_rate.py --sources book/sources.yaml
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from coursebook.app.importing import (
    SourceIndex,
    import_pages,
    source_families,
    source_titles,
    source_years,
    write_book,
)
from coursebook.core.diagnostics import Diagnostics
from coursebook.model import Book, Lesson, Source
from coursebook.parse.citation_syntax import extract_citations
from coursebook.source.loader import load

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "book"
SEEDS = next(
    (f / "seeds" for f in (ROOT.parent / "shared", Path("/work/shared")) if f.is_dir()),
    ROOT.parent / "shared" / "seeds",
)


@dataclass(frozen=True)
class Cited:
    """One citation of a lesson: the source's key (as the sample book names it) and where."""

    key: str
    where: str


@dataclass
class Rate:
    sample_citations: int = 0
    recognised: int = 0
    matched: int = 0
    misses: list[str] = field(default_factory=list)
    """Each sample citation not found, with its place in the sample book."""
    extra: list[str] = field(default_factory=list)
    """Each imported citation the sample book doesn't have there."""
    pairs: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.matched / self.sample_citations if self.sample_citations else 0.0

    def report(self) -> str:
        lines = [*self.pairs]
        lines.append(f"citations in the sample book: {self.sample_citations}")
        lines.append(f"citations recognised:         {self.recognised}")
        lines.append(f"matched:                      {self.matched}")
        lines.append(f"rate:                         {self.rate:.1%}")
        lines += [f"miss: {miss}" for miss in self.misses]
        lines += [f"extra: {extra}" for extra in self.extra]
        return "\n".join(lines)


def seed_pages() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


def measure(
    pages: Sequence[Path] | None = None, sources: Path | None = None, sample: Path = SAMPLE
) -> Rate:
    """Import ``pages`` (with ``sources``, if given) and compare with the sample book."""
    with tempfile.TemporaryDirectory() as work:
        diagnostics = Diagnostics()
        imported_book = import_pages(list(pages or seed_pages()), sources, diagnostics)
        if imported_book is None:
            raise SystemExit("\n".join(str(d) for d in diagnostics.errors))
        folder = Path(work) / "imported"
        write_book(imported_book, folder)
        return compare(load(folder), load(sample))


def compare(imported: Book, sample: Book) -> Rate:
    """The sample book's citations found, in order, lesson by lesson, in the imported book."""
    index = SourceIndex.of(sample.sources)
    as_sample = {key: _sample_key(source, index) for key, source in imported.sources.items()}
    rate = Rate()
    for ours, theirs in pair_lessons(imported.lessons, sample.lessons):
        expected = citations(theirs, sample.sources)
        found = (
            [
                Cited(as_sample.get(c.key) or f"(no sample source: {c.key})", c.where)
                for c in citations(ours, imported.sources)
            ]
            if ours is not None
            else []
        )
        rate.pairs.append(
            f"lesson {theirs.number} {theirs.path.name} ← "
            + (ours.path.name if ours is not None else "(no imported lesson)")
        )
        rate.sample_citations += len(expected)
        rate.recognised += len(found)
        matcher = difflib.SequenceMatcher(
            None, [c.key for c in expected], [c.key for c in found], autojunk=False
        )
        hit_expected: set[int] = set()
        hit_found: set[int] = set()
        for block in matcher.get_matching_blocks():
            hit_expected.update(range(block.a, block.a + block.size))
            hit_found.update(range(block.b, block.b + block.size))
        rate.matched += len(hit_expected)
        rate.misses += [
            f"{c.where} [@{c.key}]" for i, c in enumerate(expected) if i not in hit_expected
        ]
        rate.extra += [f"{c.where} {c.key}" for i, c in enumerate(found) if i not in hit_found]
    return rate


def _sample_key(source: Source, index: SourceIndex) -> str | None:
    for title in source_titles(source):
        if found := index.match(title, None, None):
            return found[0]
    for family in source_families(source):
        for year in source_years(source):
            if found := index.match(None, family, year):
                return found[0]
    return None


def citations(lesson: Lesson, sources: Mapping[str, Source]) -> list[Cited]:
    """The sources a lesson cites, in order (each key of a citation of several)."""
    _, found = extract_citations(lesson.body, lesson.path, lesson.body_line, sources)
    return [
        Cited(item.key, f"{lesson.path.name}:{item.location.line}")
        for citation in found
        for item in citation.items
    ]


def pair_lessons(
    imported: Sequence[Lesson], sample: Sequence[Lesson]
) -> list[tuple[Lesson | None, Lesson]]:
    """Each sample lesson with its imported lesson: same number, else same title, else the
    remaining imported lesson whose text is most alike."""
    left = list(imported)
    pairs: list[tuple[Lesson | None, Lesson]] = []
    for lesson in sample:
        match = next((i for i in left if i.number and i.number == lesson.number), None)
        match = match or next((i for i in left if i.title.lower() == lesson.title.lower()), None)
        if match is None and left:
            match = max(left, key=lambda i: _alike(i.body, lesson.body))
            if _alike(match.body, lesson.body) < 0.5:
                match = None
        if match is not None:
            left.remove(match)
        pairs.append((match, lesson))
    return pairs


def _alike(one: str, other: str) -> float:
    return difflib.SequenceMatcher(None, one[:1500], other[:1500], autojunk=False).ratio()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", type=Path, help="pages to import (default: seeds)")
    parser.add_argument("--sources", type=Path, help="an existing sources file for the import")
    args = parser.parse_args(argv)
    rate = measure(args.pages, args.sources)
    print(rate.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
