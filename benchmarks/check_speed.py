"""`coursebook check` against `coursebook build` of the same book, in one run.

    .venv/bin/python benchmarks/check_speed.py [--lessons 40] [--write benchmarks/check-speed.md]

For the sample book and a generated course (benchmarks/course_generator.py), each step a
separate process measured from outside (benchmarks/speed.py's ``measure``):

- build, cold: EPUB and PDF into an empty folder;
- check, cold: into a folder no build has used (no cache: everything formatted and laid out);
- check after the build: the build's folder, whose cache it reuses;
- check again after editing one lesson.

Target (issue 18): a check is never slower than a build of the same book.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from course_generator import generate  # noqa: E402
from speed import Run, Tools, _edit_one_lesson, machine, measure  # noqa: E402


def steps(book: Path, work: Path, tools: Tools) -> dict[str, Run]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    runs: dict[str, Run] = {}
    coursebook = tools.coursebook

    def step(name: str, *args: str) -> None:
        runs[name] = measure([*coursebook, *args, "-q"], book)
        run = runs[name]
        print(f"  {name:32} {run.wall:7.2f} s wall {run.cpu:7.2f} s CPU {run.peak_mb:6.0f} MB")

    step("build, cold", "build", str(book), "-o", str(work / "built"))
    step("check, cold", "check", str(book), "-o", str(work / "unused"))
    step("check after the build", "check", str(book), "-o", str(work / "built"))
    if (book / "lessons").is_dir():
        _edit_one_lesson(book)
        step("check, one lesson edited", "check", str(book), "-o", str(work / "built"))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=int, default=40, help="the generated course's size")
    parser.add_argument("--write", type=Path, help="also write the results to this Markdown file")
    args = parser.parse_args()
    tools = Tools()
    lines = ["| book | step | wall | CPU | peak memory | ratio to the cold build |"]
    lines.append("|---|---|---:|---:|---:|---:|")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="coursebook-check-speed-") as scratch:
        work = Path(scratch)
        sample = work / "sample"
        shutil.copytree(ROOT / "book", sample)
        course = work / "course"
        generate(course, args.lessons)
        for name, book in (("sample book", sample), (f"{args.lessons} lessons", course)):
            print(f"\n{name}", flush=True)
            runs = steps(book, work / f"out-{book.name}", tools)
            build = runs["build, cold"].wall
            for step, run in runs.items():
                ratio = f"{run.wall / build:.2f}×"
                figures = f"{run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB"
                lines.append(f"| {name} | {step} | {figures} | {ratio} |")
            worst = max(run.wall for step, run in runs.items() if step.startswith("check"))
            verdicts.append(
                f"- {'met' if worst <= build else 'NOT met'}: {name}: every check ≤ the build: "
                f"slowest check {worst:.2f} s, build {build:.2f} s"
            )
    text = f"Machine: {machine()}\n\n" + "\n".join(lines) + "\n\nTargets:\n\n"
    text += "\n".join(verdicts) + "\n"
    print("\n" + text)
    if args.write:
        day = time.strftime("%Y-%m-%d")
        how = f"`benchmarks/check_speed.py --lessons {args.lessons}` on {day}"
        args.write.write_text(
            f"# check against build\n\nMeasured with {how}.\n\n{text}", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
