"""The book model from book.yaml's validated values: the files they name (lessons,
included courses, sources, glossary, about page, citation style, cover) read and checked,
every problem reported.

:func:`coursebook.source.loader.load` validates book.yaml and hands its values to
:class:`_BookReader`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics, Location, did_you_mean
from ..core.labels import has_labels
from ..core.limits import Limits, raise_hint
from ..core.naming import slugify
from ..core.paths import BookPaths, RefusedPath, read_file, read_text
from ..core.yamlio import Node, load_yaml
from ..model import (
    Book,
    Chapter,
    CheckedImage,
    CitationStyle,
    Course,
    GlossaryTerm,
    IndexTerm,
    Lesson,
    Metadata,
    Source,
)
from . import schema
from .csl_style import StyleError, named_style, style_from_file
from .images import ImageProblem, check_image
from .lesson_file import read_lesson
from .manifest import MANIFEST_NAMES, metadata
from .sources import find_sources_file, read_sources
from .stylesheet import clean_stylesheet

COVER_TYPES = ("image/png", "image/jpeg")


class _BookReader:
    """Turns validated book.yaml values into the book model, reading the files they name."""

    def __init__(
        self,
        root: Path,
        manifest: Path,
        values: dict[str, Any],
        diagnostics: Diagnostics,
        limits: Limits,
    ) -> None:
        self.root = root
        self.manifest = manifest
        self.values = values
        self.diagnostics = diagnostics
        self.paths = BookPaths.for_folder(root)
        self.includes: tuple[Course, ...] = ()
        self.seen: dict[Path, Location] = {}
        self.limits = limits
        self.total_bytes = 0
        self.settings: dict[str, Location] = {}
        self.bibtex: dict[Path, str] = {}
        self.unread: list[Location] = []
        """The lessons book.yaml names that couldn't be read (not found, refused)."""

    def read(self, location: Location, settings: dict[str, Location]) -> Book:
        self.settings = settings
        # The included folders first: lesson paths may point into them.
        self.includes = self._includes()
        self.paths = BookPaths(self.root, tuple(course.root for course in self.includes))
        about = self._about()
        chapters = self._chapters()
        appendices = tuple(
            lesson
            for node in self.values.get("appendices", ())
            if (lesson := self._lesson(node, "appendix")) is not None
        )
        sources_path, sources = self._sources()
        sources = self._merged_sources(sources)
        glossary_path, glossary = self._glossary()
        book = Book(
            root=self.root,
            manifest=self.manifest,
            meta=self._metadata(),
            chapters=chapters,
            sources=sources,
            location=location,
            appendices=appendices,
            cover=self._cover(),
            stylesheets=self._stylesheets(),
            citation_style=self._citation_style(),
            settings=settings,
            sources_path=sources_path,
            sources_per_chapter=self._sources_spec().per_chapter,
            includes=self.includes,
            glossary=glossary,
            glossary_path=glossary_path,
            index_terms=self._index_terms(),
            about=about,
            reading_speed=self.values.get("reading_speed", 200),
            bibtex=dict(self.bibtex),
            unread=tuple(self.unread),
        )
        self._check_unique_ids(book)
        self._check_includes_used(book)
        return book

    def _metadata(self) -> Metadata:
        v = self.values
        if "language" in v and not has_labels(v["language"]):
            self.diagnostics.warning(
                self.settings.get("language", Location(self.manifest)),
                f"coursebook has no words for language '{v['language']}' yet (\"Contents\", "
                '"Notes"…); English ones are used',
                "language-labels",
            )
        return metadata(v)

    # --- a reader of several courses ------------------------------------------------------

    def _includes(self) -> tuple[Course, ...]:
        courses: list[Course] = []
        for node in self.values.get("include", ()):
            course = self._include(node)
            if course is None:
                continue
            if any(other.root == course.root for other in courses):
                self.diagnostics.error(
                    node.location, f"'{node.value}' is included twice", "include"
                )
                continue
            courses.append(course)
        return tuple(courses)

    def _include(self, node: Node) -> Course | None:
        """A sibling course folder: relative, next to the book's folder, holding a
        book.yaml. Only its book.yaml, sources file and the lessons (and their images) the
        reader names are read."""
        written = str(node.value)
        if written.startswith(("/", "\\")) or re.match(
            r"^[A-Za-z]:[\\/]|^[A-Za-z][\w+.-]*:", written
        ):
            self.diagnostics.error(
                node.location,
                f"include: '{written}' must be a folder relative to book.yaml, "
                "such as ../other-course",
                "include",
            )
            return None
        folder = (self.manifest.parent / written).resolve()
        # Only folders next to the book's own (once links are followed): a reader may read
        # the courses beside it, never an arbitrary folder of the machine it is built on.
        if folder == self.root or folder.parent != self.root.parent:
            self.diagnostics.error(
                node.location,
                f"include: '{written}' is not a course folder next to this book's "
                "(a reader includes sibling folders, such as ../other-course)",
                "include",
            )
            return None
        manifest = next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)
        if manifest is None:
            self.diagnostics.error(
                node.location,
                f"include: '{written}' is not a course folder (no book.yaml)",
                "include",
            )
            return None
        scratch = Diagnostics()
        text = read_text(
            manifest, (folder,), self.diagnostics, self.limits.lesson_bytes, "lesson_bytes"
        )
        tree = load_yaml(text or "", manifest, scratch)
        values = schema.BOOK.validate(tree, scratch) if tree is not None else None
        # Its errors are the reader's too (its title and sources are used); its warnings
        # (an unknown key…) are its own authors' business.
        self.diagnostics.extend(scratch.errors)
        if values is None:
            return None
        sources = values.get("sources")
        spec = sources if isinstance(sources, schema.SourcesSpec) else schema.SourcesSpec()
        sources_path = None
        if spec.file is not None:
            try:
                sources_path = BookPaths(folder).resolve(spec.file.value, manifest.parent)
            except RefusedPath as refused:
                self.diagnostics.error(
                    spec.file.location, f"sources file: {refused}", "path-outside"
                )
        else:
            sources_path = find_sources_file(folder)
        return Course(folder, metadata(values), node.location, sources_path)

    def _merged_sources(self, own: dict[str, Source]) -> dict[str, Source]:
        """The book's sources and those of the courses it includes: one source per id. An
        id two files give different data is an error naming both."""
        merged = dict(own)
        for course in self.includes:
            if course.sources_path is None or not course.sources_path.is_file():
                continue
            for key, source in self._read_sources(course.sources_path).items():
                first = merged.get(key)
                if first is None:
                    merged[key] = source
                elif (first.type, dict(first.data)) != (source.type, dict(source.data)):
                    self.diagnostics.error(
                        source.location,
                        f"source '{key}' is also in {first.location}, with other data; "
                        "make them the same, or give one of them another id",
                        "source-conflict",
                    )
        return merged

    def _check_includes_used(self, book: Book) -> None:
        for course in book.includes:
            if not any(course.holds(lesson.path) for lesson in book.documents()):
                self.diagnostics.warning(
                    course.location,
                    f"no lesson of the included course '{course.meta.title}' is in the book",
                    "include-unused",
                )

    # --- glossary, index, about ----------------------------------------------------------

    def _optional_file(self, key: str, default: str) -> tuple[Path | None, Node | None]:
        node = self.values.get(key)
        if node is not None:
            return self._resolve(node, key), node
        candidate = self.root / default
        return (candidate if candidate.is_file() else None), None

    def _glossary(self) -> tuple[Path | None, tuple[GlossaryTerm, ...]]:
        path, _ = self._optional_file("glossary", "glossary.yaml")
        if path is None:
            return None, ()
        text = read_text(
            path, self.paths.roots, self.diagnostics, self.limits.sources_bytes, "sources_bytes"
        )
        tree = load_yaml(text or "", path, self.diagnostics)
        if tree is None:
            return path, ()
        if not isinstance(tree.value, list):
            self.diagnostics.error(
                tree.location,
                "the glossary must be a list of entries, each with 'term' and 'definition'",
                "glossary",
            )
            return path, ()
        terms: list[GlossaryTerm] = []
        seen: dict[str, GlossaryTerm] = {}
        for item in tree.value:
            values = schema.GLOSSARY_ENTRY.validate(item, self.diagnostics)
            if not values or "term" not in values or "definition" not in values:
                continue
            term = GlossaryTerm(
                values["term"], values["definition"], item.location, values.get("aliases", ())
            )
            clash = next((seen[f.casefold()] for f in term.forms if f.casefold() in seen), None)
            if clash is not None:
                self.diagnostics.error(
                    item.location,
                    f"the glossary already has '{clash.term}' (line {clash.location.line})",
                    "glossary",
                )
                continue
            seen.update({form.casefold(): term for form in term.forms})
            terms.append(term)
        return path, tuple(terms)

    def _index_terms(self) -> tuple[IndexTerm, ...]:
        return tuple(
            IndexTerm(spec.term, spec.location, spec.aliases)
            for spec in self.values.get("index", ())
        )

    def _about(self) -> Lesson | None:
        path, node = self._optional_file("about", "about.md")
        if path is None:
            return None
        text = read_text(
            path, self.paths.roots, self.diagnostics, self.limits.lesson_bytes, "lesson_bytes"
        )
        if text is None:
            return None
        self.seen[path] = node.location if node is not None else Location(path, 1)
        return read_lesson(path, text, "about", self.diagnostics, id_prefix="")

    def _chapters(self) -> tuple[Chapter, ...]:
        chapters: list[Chapter] = []
        for spec in self.values.get("chapters", ()):
            lessons = tuple(
                lesson for node in spec.lessons if (lesson := self._lesson(node, "lesson"))
            )
            intro = self._lesson(spec.intro, "intro") if spec.intro is not None else None
            if lessons:
                chapters.append(
                    Chapter(len(chapters) + 1, lessons, spec.location, spec.title, intro)
                )
        return tuple(chapters)

    def _resolve(self, node: Node, what: str) -> Path | None:
        try:
            path = self.paths.resolve(node.value, self.manifest.parent)
        except RefusedPath as refused:
            self.diagnostics.error(node.location, f"{what}: {refused}", "path-outside")
            return None
        if not path.is_file():
            if path.exists():
                self.diagnostics.error(
                    node.location,
                    f"{what} '{node.value}' is not a regular file (a folder, device or pipe)",
                    "path-outside",
                )
            else:
                self.diagnostics.error(
                    node.location,
                    f"{what} '{node.value}' not found{_closest_file(path, str(node.value))}",
                    "not-found",
                )
            return None
        return path

    def _lesson(self, node: Node, kind: str) -> Lesson | None:
        path = self._resolve(node, "lesson" if kind == "lesson" else kind)
        if path is None:
            self.unread.append(node.location)
            return None
        if path in self.seen:
            self.diagnostics.error(
                node.location,
                f"'{node.value}' is already in the book (line {self.seen[path].line})",
                "duplicate-lesson",
            )
            return None
        self.seen[path] = node.location
        if len(self.seen) > self.limits.lessons:
            if len(self.seen) == self.limits.lessons + 1:  # said once
                self.diagnostics.error(
                    node.location,
                    f"more than {self.limits.lessons:,} lessons ({raise_hint('lessons')})",
                    "limit",
                )
            return None
        text = read_text(
            path, self.paths.roots, self.diagnostics, self.limits.lesson_bytes, "lesson_bytes"
        )
        if text is None:
            return None
        self.total_bytes += len(text.encode("utf-8"))
        if self.total_bytes > self.limits.book_bytes:
            self.diagnostics.error(
                node.location,
                f"the lessons add up to more than {self.limits.book_bytes:,} bytes "
                f"({raise_hint('book_bytes')})",
                "limit",
            )
            return None
        return read_lesson(path, text, kind, self.diagnostics, self._id_prefix(path))

    def _id_prefix(self, path: Path) -> str:
        """Lessons of an included course have ids of their own ("rise-of-stalinism-15-…"):
        two courses may well both have a lesson file named 01-introduction.md."""
        for course in self.includes:
            if course.holds(path):
                return slugify(course.root.name, fallback="course") + "-"
        return ""

    def _sources_spec(self) -> schema.SourcesSpec:
        spec = self.values.get("sources")
        return spec if isinstance(spec, schema.SourcesSpec) else schema.SourcesSpec()

    def _sources(self) -> tuple[Path | None, dict[str, Source]]:
        node = self._sources_spec().file
        path = self._resolve(node, "sources file") if node else find_sources_file(self.root)
        if path is None:
            return None, {}
        return path, self._read_sources(path)

    def _read_sources(self, path: Path) -> dict[str, Source]:
        # The book's language: pandoc reads BibTeX as for a document in it.
        language = str(self.values.get("language", "en-US"))
        return read_sources(
            path,
            self.diagnostics,
            self.paths.roots,
            self.limits.sources_bytes,
            language,
            self.bibtex,
        )

    def _citation_style(self) -> CitationStyle | None:
        """The style book.yaml names (a bundled style's name, or a ``.csl`` file inside the
        book), checked; None for the default, or when the named one can't be used."""
        node = self.values.get("citation_style")
        try:
            if node is None:
                return named_style(None)
            if not node.value.endswith(".csl"):
                return named_style(node.value)
            path = self._resolve(node, "citation style")
            if path is None:
                return None
            data = read_file(
                path, self.paths.roots, self.diagnostics, self.limits.sources_bytes, "sources_bytes"
            )
            return style_from_file(node.value, data) if data is not None else None
        except StyleError as problem:
            where = node.location if node is not None else Location(self.manifest)
            self.diagnostics.error(where, str(problem), "citation-style")
            return None

    def _stylesheets(self) -> tuple[tuple[str, str], ...]:
        """The book's own stylesheets, read inside the book and cleaned (:mod:`.stylesheet`)."""
        kept = []
        for target, node in self.values.get("css", ()):
            path = self._resolve(node, "css")
            if path is None:
                continue
            text = read_text(
                path, self.paths.roots, self.diagnostics, self.limits.lesson_bytes, "lesson_bytes"
            )
            if text is not None:
                kept.append((target, clean_stylesheet(text, path, self.diagnostics)))
        return tuple(kept)

    def _cover(self) -> CheckedImage | None:
        """The cover image, checked as every image is (its bytes a PNG or JPEG that decodes
        whole, within the limits); an error at the ``cover:`` line when it can't be used."""
        node = self.values.get("cover")
        if node is None:
            return None
        path = self._resolve(node, "cover")
        if path is None:
            return None
        try:
            return check_image(path, self.paths.roots, self.limits, COVER_TYPES)
        except ImageProblem as problem:
            self.diagnostics.error(node.location, f"cover '{node.value}': {problem}", "cover")
            return None

    def _check_unique_ids(self, book: Book) -> None:
        seen: dict[str, Lesson] = {}
        for lesson in book.documents():
            if lesson.id in seen:
                other = seen[lesson.id]
                self.diagnostics.error(
                    lesson.location,
                    f"lesson id '{lesson.id}' is also used by {other.location}; "
                    "give one of them an 'id' in its front matter",
                    "duplicate-id",
                )
            seen[lesson.id] = lesson


def _closest_file(missing: Path, written: str) -> str:
    """`` (did you mean 'lessons/two.md'?)`` for a file of the same folder named like the
    one that isn't there, written the way the author wrote the path."""
    folder = missing.parent
    try:
        names = [entry.name for entry in folder.iterdir() if entry.is_file()]
    except OSError:
        return ""
    suggestion = did_you_mean(missing.name, names)
    if not suggestion:
        return ""
    name = suggestion.split("'")[1]
    prefix = written[: len(written) - len(written.rsplit("/", 1)[-1])]
    return f" (did you mean '{prefix}{name}'?)"
