"""Writing the book: the lesson files, sources.yaml and book.yaml, whole or not at all."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from ...core.diagnostics import Diagnostics, Location, display_path, printable
from ...core.naming import slugify
from ...source.sources import read_sources
from .lessons import import_lesson
from .model import (
    _CITE,
    DraftSource,
    Furniture,
    ImportedBook,
    ImportedLesson,
    PageReport,
    Work,
    family_key,
)
from .pages import read_page
from .sources import SourceIndex, assemble


class ImportError_(Exception):
    """The book can't be written there; the message says why."""


def import_pages(
    pages: Sequence[Path],
    sources: Path | None,
    diagnostics: Diagnostics,
) -> ImportedBook | None:
    """Read every page and the --sources file, reporting every problem of all of them; None
    when any was an error."""
    lessons: list[ImportedLesson] = []
    for path in pages:
        page = read_page(path, diagnostics)
        lesson = import_lesson(page, diagnostics) if page is not None else None
        if lesson is not None:
            lessons.append(lesson)
    known = _known_sources(sources, diagnostics) if sources else None
    if diagnostics.errors:
        return None
    lessons.sort(key=lambda lesson: (lesson.number is None, lesson.number or 0))
    furniture = Furniture()
    for lesson in lessons:
        furniture = furniture.merged(lesson.page.furniture)
    return ImportedBook(tuple(lessons), assemble(lessons, known, diagnostics), furniture)


def _known_sources(path: Path, diagnostics: Diagnostics) -> SourceIndex | None:
    if not path.is_file():
        diagnostics.error(Location(path), "sources file not found", "not-found")
        return None
    try:
        return SourceIndex.of(read_sources(path, diagnostics, defer=False))
    except UnicodeDecodeError as problem:
        diagnostics.error(Location(path, 1), f"not UTF-8 text ({problem.reason})", "encoding")
    except OSError as problem:
        diagnostics.error(Location(path), f"cannot read: {problem.strerror}", "unreadable")
    return None


def check_new_folder(folder: Path) -> None:
    """Raises :class:`ImportError_` unless ``folder`` is new or empty: an import never
    writes over anything."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ImportError_(
            f"{display_path(folder)} already exists and is not empty; choose a new folder"
        )


def write_book(book: ImportedBook, folder: Path) -> tuple[PageReport, ...]:
    """Write the book into ``folder``, which must be new or empty: first into a temporary
    folder beside it, then renamed into place, so there is never half a book."""
    check_new_folder(folder)
    parent = folder.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.import-", dir=parent))
    try:
        reports = _write_files(book, temporary, _title_from(folder))
        if folder.exists():
            folder.rmdir()  # empty, checked above; rename() won't replace it everywhere
        os.rename(temporary, folder)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return reports


def _write_files(book: ImportedBook, folder: Path, fallback_title: str) -> tuple[PageReport, ...]:
    keys = {source.work.identity: source.key for source in book.sources}
    (folder / "lessons").mkdir()
    names: set[str] = set()
    reports: list[PageReport] = []
    for lesson in book.lessons:
        name = _file_name(lesson, names)
        names.add(name)
        _write(folder / "lessons" / name, lesson_markdown(lesson, keys, book))
        reports.append(
            PageReport(
                lesson.page.path,
                lesson.title,
                lesson.number,
                len(lesson.cites),
                len(lesson.left_as_text),
                f"lessons/{name}",
            )
        )
    _write(folder / "sources.yaml", sources_yaml(book.sources))
    _write(folder / "book.yaml", book_yaml(book, [r.file for r in reports], fallback_title))
    return tuple(reports)


def _write(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())


def _file_name(lesson: ImportedLesson, taken: set[str]) -> str:
    slug = slugify(lesson.title, fallback="lesson")
    stem = f"{lesson.number:02d}-{slug}" if lesson.number is not None else slug
    name, count = f"{stem}.md", 2
    while name in taken:
        name, count = f"{stem}-{count}.md", count + 1
    return name


def lesson_markdown(lesson: ImportedLesson, keys: Mapping[str, str], book: ImportedBook) -> str:
    """The lesson file: front matter, then the Markdown with each citation mark as
    ``[@key]``, ``[@key, chap. 9]`` or ``[quoted in @key]``."""
    by_identity = {s.work.identity: s for s in book.sources}

    def citation(match: re.Match[str]) -> str:
        cite = lesson.cites[int(match[1])]
        key = keys.get(cite.work.identity) or _merged_key(cite.work, by_identity)
        prefix = f"{cite.prefix} " if cite.prefix else ""
        locator = f", {cite.locator}" if cite.locator else ""
        return f"[{prefix}@{key}{locator}]"

    front = [
        "---",
        f"# Imported from {_shown(lesson.page.path)}; check the citations against the page.",
        f"title: {json.dumps(lesson.title, ensure_ascii=False)}",
    ]
    if lesson.number is not None:
        front.append(f"number: {lesson.number}")
    front.append("---")
    return "\n".join(front) + "\n\n" + _CITE.sub(citation, lesson.markdown)


def _merged_key(work: Work, by_identity: Mapping[str, DraftSource]) -> str:
    """The key of a titleless citation merged into a titled work of the same author/year."""
    for source in by_identity.values():
        if family_key(source.work.author or "") == family_key(work.author or "") and (
            source.work.year == work.year
        ):
            return source.key
    raise KeyError(work.identity)


def sources_yaml(sources: Sequence[DraftSource]) -> str:
    """CSL-YAML: the matched entries of --sources as they are, and a draft for each other
    work, each with a comment and a ``note`` saying it must be checked."""
    parts = [
        '# Sources of the imported lessons. Entries marked "draft" were made from the way the\n'
        "# pages cite them: check author, title, date and type against the original, then\n"
        "# remove the note.\n"
    ]
    written: set[str] = set()
    for source in sources:
        if source.key in written:
            continue  # two works of the pages found to be one entry of --sources
        written.add(source.key)
        place = f"{_shown(source.first.location.path)}:{source.first.location.line}"
        if source.known is not None:
            origin = source.known.location
            comment = f"# From {_shown(origin.path)}:{origin.line} (matched by {source.how})."
            entry = dict(source.known.data)
        else:
            comment = f"# draft: first cited at {place} as: {_one_line(source.first.written)}"
            entry = _draft_entry(source, place)
        dumped = yaml.safe_dump(
            [entry], allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False
        )
        parts.append(f"{comment}\n{dumped}")
    return "\n".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:160]


def _draft_entry(source: DraftSource, place: str) -> dict[str, object]:
    work = source.work
    entry: dict[str, object] = {"id": source.key, "type": _csl_type(work)}
    if work.author:
        entry["author"] = work.author  # the shorthand: "I. Deutscher" → given I., family
    entry["title"] = work.title or f"(untitled: cited as {source.first.written})"
    if work.container:
        entry["container-title"] = work.container
    if work.year:
        entry["issued"] = work.year
    if work.url:
        entry["URL"] = work.url
    entry["note"] = f"draft: check against the original — imported from {place}"
    return entry


def _csl_type(work: Work) -> str:
    # CSL's "article" is a preprint to Chicago; a magazine article prints as the portal's
    # quoted titles read: “Title.” 1935.
    return {"article": "article-magazine", "book": "book", "chapter": "chapter"}[work.kind]


def _shown(path: Path) -> str:
    """A page's path for a comment in a written file: on one line, whatever its name holds
    (a newline in a file name would end the comment and start YAML of the name's making)."""
    return printable(display_path(path))


def book_yaml(book: ImportedBook, files: Iterable[str], fallback_title: str) -> str:
    """The manifest: the page furniture as metadata, the lessons in number order."""
    furniture = book.furniture
    title = furniture.course_title or fallback_title
    pages = ", ".join(_shown(lesson.page.path) for lesson in book.lessons)
    lines = [
        f"# Imported by coursebook import from {pages}.",
        '# The page furniture (site name, course title, "About this course") is here; each',
        "# chapter is one lesson: group them under chapter titles where the course has them.",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"language: {json.dumps(_language(furniture.language))}",
    ]
    if furniture.course_id:
        lines.append(f"course_id: {json.dumps(furniture.course_id, ensure_ascii=False)}")
    if furniture.site_name:
        lines.append(f"publisher: {json.dumps(furniture.site_name, ensure_ascii=False)}")
    if furniture.published:
        lines.append(f"published: {furniture.published.isoformat()}")
    if furniture.updated:
        lines.append(f"updated: {furniture.updated.isoformat()}")
    if furniture.description:
        lines.append(f"description: {json.dumps(furniture.description, ensure_ascii=False)}")
    lines += ["sources: sources.yaml", "chapters:"]
    lines += [f"  - {file}" for file in files]
    return "\n".join(lines) + "\n"


def _language(tag: str | None) -> str:
    if tag and re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", tag):
        return tag
    return "en"


def _title_from(folder: Path) -> str:
    """``my-course`` → "My course": a title until the book gets its own."""
    words = folder.absolute().name.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else "Imported lessons"
