"""Where a build's time goes: one build of a generated course under cProfile.

    .venv/bin/python benchmarks/profile_build.py [--lessons 40] [--format pdf] [--top 25]

Prints the time of each stage (as ``coursebook build -v`` does), the share of the time spent
in each library (attributed by where the running function's code lives), and the functions
that took the most time themselves. cProfile slows Python code down by about half again,
evenly enough that the shares hold; the stage times printed first are measured without it.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from course_generator import generate  # noqa: E402

LIBRARIES = (
    "weasyprint",
    "tinyhtml5",
    "cffi",
    "PIL",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "pyphen",
    "fontTools",
    "citeproc",
    "markdown",
    "lxml",
    "ebooklib",
    "jinja2",
    "coursebook",
)


def library(filename: str) -> str:
    for name in LIBRARIES:
        if f"/{name}/" in filename:
            return name
    if filename == "~":  # cProfile's name for built-in (C) functions
        return "C functions (Pango and HarfBuzz through cffi, zlib, built-ins)"
    if filename.startswith("<") or "/lib/python3" in filename:
        return "Python's standard library"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=40)
    parser.add_argument("--format", default="pdf", choices=("epub", "pdf", "all"))
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coursebook-profile-") as scratch:
        course = Path(scratch) / "course"
        generate(course, args.lessons)
        # The stages, timed without the profiler (and with one process, as the PDF is).
        verbose = subprocess.run(
            [
                sys.executable,
                "-m",
                "coursebook",
                "build",
                str(course),
                "-o",
                f"{scratch}/plain",
                "-f",
                args.format,
                "-v",
                "-j",
                "1",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        print("Stages (coursebook build -v, no profiler):")
        for line in verbose.stderr.splitlines():
            if line.endswith(" s)"):
                print("  " + line)
        from coursebook.pipeline.build import BuildOptions, build

        profile = cProfile.Profile()
        formats = ("epub", "pdf") if args.format == "all" else (args.format,)
        profile.enable()
        build(course, formats, Path(scratch) / "out", BuildOptions(jobs=1))
        profile.disable()
    stats = pstats.Stats(profile)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    shares: dict[str, float] = defaultdict(float)
    for (filename, _, _), row in stats.stats.items():  # type: ignore[attr-defined]
        shares[library(filename)] += row[2]  # time in the function itself
    print(f"\nTime by library (own time of its functions; {total:.1f} s under cProfile):")
    for name, seconds in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {seconds / total:6.1%}  {name}")
    print(f"\nThe {args.top} functions with the most own time:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
