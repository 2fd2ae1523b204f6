"""An installed coursebook carries its stylesheets, templates and the skeleton of `new`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT


def test_wheel_ships_styles_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("coursebook-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for style in ("base.css", "epub.css", "print.css", "preview.css", "web.css"):
        assert f"coursebook/styles/{style}" in names
    assert "coursebook/render/templates/lesson.xhtml" in names
    assert "coursebook/formats/epub/templates/nav.xhtml" in names
    assert "coursebook/formats/html/templates/page.html" in names
    assert "coursebook/formats/html/notes.js" in names
    assert "coursebook/cite/lua/citeproc.lua" in names
    for skeleton in ("book.yaml", "sources.yaml", "lessons/01-liberty.md"):
        assert f"coursebook/app/skeleton/{skeleton}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "coursebook = coursebook.app.entry:run" in text


def test_the_console_scripts_entry_point_imports_nothing_of_the_commands() -> None:
    """A worker process started with spawn runs the console script's top again, which
    imports its entry point: that must not import the commands (and all they import)."""
    code = (
        "import sys, coursebook.app.entry as entry; "
        "print(','.join(m for m in sys.modules if m.startswith('coursebook'))); "
        "print(entry.run.__module__, entry.run.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    modules, run = done.stdout.splitlines()
    imported = modules.split(",")
    assert run == "coursebook.app.entry run" and "coursebook.app.entry" in imported
    assert set(imported) <= {"coursebook", "coursebook.app", "coursebook.app.entry"} | {
        "coursebook.core",
        "coursebook.core.version",
    }
