"""A catalog built on 1, 2 and all cores: how ``coursebook build CATALOG -j N`` scales.

    .venv/bin/python benchmarks/catalog_speed.py [--books 6] [--lessons 6] [--write FILE]

A catalog folder of generated courses (benchmarks/course_generator.py, one seed each, every
title made distinct) is built cold (EPUB and PDF, an empty output folder each time) with
``-j 1``, ``-j 2`` and ``-j`` the machine's cores, each run a separate process measured from
outside (benchmarks/speed.py's ``measure``: wall time, CPU time, peak memory of the whole
process tree). The speed-up is the one-core time over each run's; the outputs of every run
are compared byte for byte with the one-core run's (a catalog builds each book as ``coursebook
build`` does, whatever the width).

Target (issue 19): the catalog scales with the cores (a speed-up near the width, while there
are at least as many books as cores).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from course_generator import generate  # noqa: E402
from speed import Run, Tools, machine, measure  # noqa: E402


def catalog(folder: Path, books: int, lessons: int) -> None:
    for seed in range(1, books + 1):
        book = folder / f"course-{seed}"
        generate(book, lessons, seed=seed)
        manifest = book / "book.yaml"
        text = manifest.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^title: .*$", f'title: "Synthetic course {seed}"', text, count=1)
        manifest.write_text(text, encoding="utf-8")


def same_outputs(one: Path, other: Path) -> bool:
    names = sorted(p.name for p in one.iterdir() if p.is_file())
    if names != sorted(p.name for p in other.iterdir() if p.is_file()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(one, other, names, shallow=False)
    return not mismatch and not errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--books", type=int, default=6)
    parser.add_argument("--lessons", type=int, default=6, help="lessons in each book")
    parser.add_argument("--write", type=Path, help="also write the results to this Markdown file")
    args = parser.parse_args()
    tools = Tools()
    cores = os.cpu_count() or 1
    widths = sorted({1, 2, cores})
    with tempfile.TemporaryDirectory(prefix="coursebook-catalog-") as scratch:
        work = Path(scratch)
        catalog(work / "catalog", args.books, args.lessons)
        print(f"{args.books} books of {args.lessons} lessons; {cores} cores", flush=True)
        runs: dict[int, Run] = {}
        for width in widths:
            out = work / f"out-{width}"
            command = [*tools.coursebook, "build", str(work / "catalog"), "-o", str(out)]
            runs[width] = measure([*command, "-j", str(width), "-q"], work)
            run = runs[width]
            same = same_outputs(work / "out-1", out)
            print(
                f"  -j {width}: {run.wall:7.2f} s wall {run.cpu:7.2f} s CPU "
                f"{run.peak_mb:6.0f} MB; outputs {'identical' if same else 'DIFFERENT'}",
                flush=True,
            )
    lines = ["| processes | wall | CPU | peak memory | speed-up |", "|---:|---:|---:|---:|---:|"]
    for width, run in runs.items():
        speedup = runs[1].wall / run.wall
        lines.append(
            f"| {width} | {run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB "
            f"| {speedup:.2f}× |"
        )
    text = f"Machine: {machine()}\n\n" + "\n".join(lines) + "\n"
    print("\n" + text)
    if args.write:
        how = (
            f"`benchmarks/catalog_speed.py --books {args.books} --lessons {args.lessons}` "
            f"on {time.strftime('%Y-%m-%d')}"
        )
        args.write.write_text(
            f"# A catalog on 1, 2 and all cores\n\nMeasured with {how}.\n\n{text}",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
