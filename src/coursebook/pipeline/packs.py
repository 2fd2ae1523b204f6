"""Course packs: a book of some of the course's lessons, for this month's study-circle meetings.

``--lessons 15-16`` (lesson numbers and ranges), ``--lessons 16-the-nature-of-the-stalinist-state``
(lesson ids) or ``--lessons chapter-2`` (a whole chapter), comma-separated, select what goes in.
The pack keeps the chapters those lessons belong to, its notes and only the sources they cite,
and is numbered from 1; links to lessons left out become plain text.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..core.naming import MAX_SLUG_BYTES, derived_identifier, slugify
from ..model import Book, Chapter, Lesson


class SelectionError(ValueError):
    """A selection that names no lesson of the book; the message lists what there is."""


def select_lessons(book: Book, spec: str) -> Book:
    """The book cut down to the lessons ``spec`` names, in the book's order."""
    chosen = _chosen(book, spec)
    chapters: list[Chapter] = []
    for chapter in book.chapters:
        lessons = tuple(lesson for lesson in chapter.lessons if lesson.id in chosen)
        if not lessons:
            continue
        whole = len(lessons) == len(chapter.lessons)
        chapters.append(
            replace(
                chapter,
                number=len(chapters) + 1,
                lessons=lessons,
                intro=chapter.intro if whole else None,
            )
        )
    included = {lesson.path for chapter in chapters for lesson in chapter.lessons}
    left_out = frozenset(lesson.path for lesson in book.lessons if lesson.path not in included)
    title = book.meta.title
    return replace(
        book,
        chapters=tuple(chapters),
        appendices=(),
        pack=describe(chapters),
        left_out=left_out,
        meta=replace(
            book.meta,
            subtitle=" — ".join(p for p in (book.meta.subtitle, describe(chapters)) if p),
            identifier=derived_identifier(f"{title} | {spec}", book.meta.course_id),
        ),
    )


def describe(chapters: list[Chapter]) -> str:
    """ "Lessons 15–16", "Lesson 16", or the lessons' titles when they have no numbers."""
    lessons = [lesson for chapter in chapters for lesson in chapter.lessons]
    numbers = [lesson.number for lesson in lessons if lesson.number]
    if len(numbers) != len(lessons):
        return "; ".join(lesson.title for lesson in lessons)
    if len(numbers) == 1:
        return f"Lesson {numbers[0]}"
    return f"Lessons {numbers[0]}–{numbers[-1]}"


def pack_slug(book: Book) -> str:
    """``the-rise-of-stalinism-lessons-15-16``: a pack never overwrites the whole book."""
    if not book.pack:
        return slugify(book.meta.title)
    # The pack's part is kept whole however long the title: cut off, a pack's files would
    # take the whole book's names.
    return f"{slugify(book.meta.title, max_bytes=MAX_SLUG_BYTES // 2)}-{slugify(book.pack)}"


def _chosen(book: Book, spec: str) -> set[str]:
    chosen: set[str] = set()
    for token in (part.strip() for part in spec.split(",")):
        if not token:
            continue
        found = _lessons_for(book, token)
        if not found:
            raise SelectionError(
                f"--lessons: '{token}' names no lesson of this book; "
                f"its lessons are {_available(book)}"
            )
        chosen |= {lesson.id for lesson in found}
    if not chosen:
        raise SelectionError("--lessons: no lesson selected")
    return chosen


def _lessons_for(book: Book, token: str) -> list[Lesson]:
    lessons = list(book.lessons)
    if match := re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", token):
        low, high = int(match.group(1)), int(match.group(2))
        return [lesson for lesson in lessons if low <= _number(lesson) <= high]
    by_number = [lesson for lesson in lessons if lesson.number == token]
    if by_number:
        return by_number
    by_id = [lesson for lesson in lessons if lesson.id == token]
    if by_id:
        return by_id
    for chapter in book.chapters:
        if token in (f"chapter-{chapter.number}", chapter.title):
            return list(chapter.lessons)
    return []


def _number(lesson: Lesson) -> int:
    """The lesson's number; -1 when it has none (or not a plain number)."""
    return int(lesson.number) if lesson.number and lesson.number.isdigit() else -1


def _available(book: Book) -> str:
    return ", ".join(
        f"{lesson.number} ({lesson.id})" if lesson.number else lesson.id for lesson in book.lessons
    )
