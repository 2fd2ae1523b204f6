"""``coursebook new DIR``: a small, complete book to start from.

The skeleton (``skeleton/`` in the package) is a real course of two lessons with citations, a
footnote, a quotation, discussion questions and a sources file; it builds and checks clean as
written, so an author starts from something that works and changes it a piece at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template


class NewBookError(Exception):
    """The book can't be created there; the message says why."""


@dataclass(frozen=True)
class NewBook:
    folder: Path
    files: tuple[Path, ...]


def create_book(
    folder: Path,
    title: str | None = None,
    author: str | None = None,
    language: str = "en",
    today: dt.date | None = None,
) -> NewBook:
    """Write the skeleton into ``folder``, which must be new or empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise NewBookError(f"{folder} already exists and is not empty; choose a new folder")
    values = {
        # JSON strings are YAML double-quoted scalars: any title is written safely.
        "title": json.dumps(title or _title_from(folder), ensure_ascii=False),
        "author": json.dumps(author or "Your name", ensure_ascii=False),
        "language": json.dumps(language),
        "today": (today or dt.date.today()).isoformat(),
    }
    written: list[Path] = []
    for source, relative in _skeleton_files(files("coursebook.app") / "skeleton", Path()):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if relative.name == "book.yaml":
            text = Template(text).substitute(values)
        with open(target, "x", encoding="utf-8", newline="\n") as stream:  # never overwrite
            stream.write(text)
        written.append(target)
    return NewBook(folder, tuple(sorted(written)))


def _skeleton_files(folder: Traversable, relative: Path) -> list[tuple[Traversable, Path]]:
    found: list[tuple[Traversable, Path]] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found += _skeleton_files(entry, relative / entry.name)
        elif not entry.name.startswith("."):
            found.append((entry, relative / entry.name))
    return found


def _title_from(folder: Path) -> str:
    """``my-course`` → "My course"."""
    words = folder.resolve().name.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else "A new course"
