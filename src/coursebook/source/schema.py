"""Typed, declarative schemas for book.yaml and lesson front matter.

Each key is declared once, with its type and a one-line description (the table of keys of
docs/book-format.md says the same in prose). Validation reports every problem with the line
of the offending value, collects them all before the build stops, and warns about unknown
keys with a suggestion.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.diagnostics import Diagnostics, Location, did_you_mean
from ..core.yamlio import Node


class Invalid(Exception):
    """A value does not have the declared type; the message says what was expected."""


Check = Callable[[Node, Diagnostics], Any]
"""Turns a located YAML value into a typed value, or raises :class:`Invalid`. Checks of nested
mappings report their own problems (with their own lines) into the diagnostics."""


@dataclass(frozen=True)
class Key:
    name: str
    check: Check
    doc: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    """Other names the key is read under ("author" for "authors", as ``new --author``)."""


@dataclass(frozen=True)
class Schema:
    """The keys a mapping may hold."""

    what: str
    """How messages name the mapping: "book.yaml", "front matter", "a chapter"."""
    keys: tuple[Key, ...]

    def with_keys_as_written(self, owned: Mapping[str, str]) -> Schema:
        """This schema, also allowing the keys of ``owned`` (name → what it holds), whose
        values are kept as written (located YAML) for whoever owns them to check."""
        extra = tuple(Key(name, as_written, doc) for name, doc in owned.items())
        return Schema(self.what, self.keys + extra)

    def validate(self, node: Node, diagnostics: Diagnostics) -> dict[str, Any] | None:
        """The typed values by key; None when the node is not a mapping at all."""
        if not isinstance(node.value, dict):
            diagnostics.error(
                node.location,
                f"{self.what} must be a mapping of keys, found {describe(node)}",
                "schema-type",
            )
            return None
        known = {key.name: key for key in self.keys}
        known |= {alias: key for key in self.keys for alias in key.aliases}
        result: dict[str, Any] = {}
        written: dict[str, str] = {}  # each key's name as written
        for name, value in node.value.items():
            key = known.get(name)
            at_key = node.keys.get(name, value.location) if node.keys else value.location
            if key is None:
                diagnostics.warning(
                    at_key,
                    f"unknown key '{name}' in {self.what}{did_you_mean(name, known)}",
                    "unknown-key",
                )
                continue
            if key.name in written:
                diagnostics.error(
                    at_key,
                    f"'{name}' and '{written[key.name]}' are the same key in {self.what}; give one",
                    "schema-type",
                )
                continue
            written[key.name] = name
            try:
                result[key.name] = key.check(value, diagnostics)
            except Invalid as problem:
                diagnostics.error(value.location, f"'{name}': {problem}", "schema-type")
        for key in self.keys:
            if key.required and key.name not in written:
                diagnostics.error(
                    node.location, f"{self.what} needs '{key.name}' ({key.doc})", "schema-missing"
                )
        return result


def as_written(node: Node, diagnostics: Diagnostics | None = None) -> Node:
    return node


def describe(node: Node) -> str:
    """A YAML value as messages show it: its kind, and the value when short."""
    value = node.value
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value).replace("\n", "\\n")
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


# --- value checks -------------------------------------------------------------------------


def text(node: Node, diagnostics: Diagnostics | None = None) -> str:
    """A non-empty string. Numbers are refused: YAML turns ``1984`` or ``no`` into other types,
    and quietly converting them back would hide what the author meant."""
    if not isinstance(node.value, str):
        hint = "; put it in quotes" if isinstance(node.value, bool | int | float) else ""
        raise Invalid(f"expected text, found {describe(node)}{hint}")
    if not node.value.strip():
        raise Invalid("must not be empty")
    return node.value.strip()


def name_or_number(node: Node, diagnostics: Diagnostics | None = None) -> str:
    """An id such as a course id or lesson number: text or a whole number."""
    if isinstance(node.value, int) and not isinstance(node.value, bool):
        return str(node.value)
    if not isinstance(node.value, str):
        raise Invalid(f"expected a number or text, found {describe(node)}")
    return text(node)


def text_list(node: Node, diagnostics: Diagnostics | None = None) -> tuple[str, ...]:
    """A list of strings; a single string is accepted as a list of one."""
    if isinstance(node.value, str):
        return (text(node),)
    if not isinstance(node.value, list):
        raise Invalid(f"expected a list of text, found {describe(node)}")
    return tuple(text(item) for item in node.value)


def date(node: Node, diagnostics: Diagnostics | None = None) -> dt.date:
    """A date written ``YYYY-MM-DD`` (YAML reads it as a date; a quoted one is parsed)."""
    value = node.value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as error:
            if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
                raise Invalid(f"'{value.strip()}' is not a date that exists ({error})") from None
    raise Invalid(f"expected a date written YYYY-MM-DD, found {describe(node)}")


_BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")


def language(node: Node, diagnostics: Diagnostics | None = None) -> str:
    """A BCP 47 language tag such as ``en``, ``es`` or ``pt-BR``."""
    if isinstance(node.value, bool):
        # The "Norway problem": YAML 1.1 reads a bare `no` as false.
        raise Invalid(
            f"expected a language tag such as 'en' or 'pt-BR', found {describe(node)}; "
            "put it in quotes (YAML reads a bare no/yes/on/off as a boolean)"
        )
    tag = text(node)
    if not _BCP47.match(tag):
        raise Invalid(f"'{tag}' is not a BCP 47 language tag such as 'en', 'es' or 'pt-BR'")
    return tag


_IDENTIFIER = re.compile(r"^(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|https?://\S+)$", re.IGNORECASE)


def identifier(node: Node, diagnostics: Diagnostics | None = None) -> str:
    """A unique publication identifier: ``urn:uuid:…``, ``urn:isbn:…`` or a URL."""
    value = text(node)
    if not _IDENTIFIER.match(value):
        raise Invalid(f"'{value}' is not a URN (urn:uuid:…, urn:isbn:…) or a URL")
    return value


_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def slug_id(node: Node, diagnostics: Diagnostics | None = None) -> str:
    """An id usable in links and file names: a letter, then letters, digits, ``-`` or ``_``."""
    value = text(node)
    if not _ID.match(value):
        raise Invalid(f"'{value}' is not a valid id (a letter, then letters, digits, - or _)")
    return value


def boolean(node: Node, diagnostics: Diagnostics | None = None) -> bool:
    """``true`` or ``false``."""
    if not isinstance(node.value, bool):
        raise Invalid(f"expected true or false, found {describe(node)}")
    return node.value


def count(node: Node, diagnostics: Diagnostics | None = None) -> int:
    """A whole number, zero or more."""
    if isinstance(node.value, bool) or not isinstance(node.value, int) or node.value < 0:
        raise Invalid(f"expected a whole number, found {describe(node)}")
    return node.value


def path(node: Node, diagnostics: Diagnostics | None = None) -> Node:
    """A relative path, kept with its location so the resolver can point at it."""
    text(node)
    return node


def path_list(node: Node, diagnostics: Diagnostics | None = None) -> tuple[Node, ...]:
    if not isinstance(node.value, list):
        raise Invalid(f"expected a list of file paths, found {describe(node)}")
    return tuple(path(item) for item in node.value)


# --- the schemas ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChapterSpec:
    """A chapter as book.yaml writes it, before its files are read."""

    location: Location
    lessons: tuple[Node, ...]
    title: str | None = None
    intro: Node | None = None


def chapters(node: Node, diagnostics: Diagnostics) -> tuple[ChapterSpec, ...]:
    """The reading order: each item a lesson path, or a mapping ``{title, lessons, intro}``."""
    if not isinstance(node.value, list) or not node.value:
        raise Invalid(f"expected a list of chapters, found {describe(node)}")
    specs = []
    for item in node.value:
        if isinstance(item.value, str):
            specs.append(ChapterSpec(item.location, (path(item),)))
        elif isinstance(item.value, dict):
            values = CHAPTER.validate(item, diagnostics)
            if values and "title" in values and "lessons" in values:
                specs.append(
                    ChapterSpec(
                        item.location, values["lessons"], values["title"], values.get("intro")
                    )
                )
        else:
            diagnostics.error(
                item.location,
                "each chapter is a lesson path or a mapping with 'title' and 'lessons', "
                f"found {describe(item)}",
                "schema-type",
            )
    return tuple(specs)


def lesson_paths(node: Node, diagnostics: Diagnostics | None = None) -> tuple[Node, ...]:
    """A non-empty list of lesson files."""
    paths = path_list(node)
    if not paths:
        raise Invalid("a chapter needs at least one lesson")
    return paths


CHAPTER = Schema(
    "a chapter",
    (
        Key("title", text, "the chapter's title", required=True),
        Key("lessons", lesson_paths, "the chapter's lesson files, in order", required=True),
        Key("intro", path, "a Markdown file introducing the chapter"),
    ),
)


@dataclass(frozen=True)
class SourcesSpec:
    """Where the sources are and how they are listed."""

    file: Node | None = None
    """The sources file as written; None for the default file."""
    per_chapter: bool = False
    """Also list each chapter's sources at its end (besides the appendix)."""


SOURCE_LISTS = ("appendix", "per-chapter")


def sources_setting(node: Node, diagnostics: Diagnostics) -> SourcesSpec:
    """``sources: sources.bib`` (a file), ``sources: per-chapter`` (per-chapter lists from the
    default file), or ``{file: sources.bib, lists: per-chapter}``."""
    if isinstance(node.value, str):
        if node.value.strip() == "per-chapter":
            return SourcesSpec(None, True)
        return SourcesSpec(path(node))
    values = SOURCES.validate(node, diagnostics)
    if values is None:
        raise Invalid("expected a file name, 'per-chapter', or a mapping with 'file' and 'lists'")
    return SourcesSpec(values.get("file"), values.get("lists") == "per-chapter")


def source_lists(node: Node, diagnostics: Diagnostics | None = None) -> str:
    value = text(node)
    if value not in SOURCE_LISTS:
        raise Invalid(f"expected one of {', '.join(SOURCE_LISTS)}, found '{value}'")
    return value


STYLESHEET_TARGETS = ("all", "epub", "print", "html")
"""Where a book's stylesheet applies: every format, or one (``print`` is the PDF)."""
STYLESHEETS = Schema(
    "css",
    tuple(
        Key(target, path, "for every format" if target == "all" else f"for the {target} only")
        for target in STYLESHEET_TARGETS
    ),
)


def stylesheets(node: Node, diagnostics: Diagnostics) -> tuple[tuple[str, Node], ...]:
    """``css: book.css`` (for every format) or ``css: {all: …, epub: …, print: …, html: …}``:
    each stylesheet's file, by the formats it styles."""
    if isinstance(node.value, str):
        return (("all", path(node)),)
    values = STYLESHEETS.validate(node, diagnostics)
    if values is None:
        raise Invalid("expected a file name, or a mapping of all, epub, print, html to files")
    return tuple((target, values[target]) for target in STYLESHEET_TARGETS if target in values)


SOURCES = Schema(
    "sources",
    (
        Key("file", path, "the sources file"),
        Key("lists", source_lists, "appendix (the default) or per-chapter"),
    ),
)


@dataclass(frozen=True)
class IndexSpec:
    """A term of book.yaml's ``index:`` list, as written."""

    term: str
    location: Location
    aliases: tuple[str, ...] = ()


INDEX_TERM = Schema(
    "an index term",
    (
        Key("term", text, "the term as the index prints it", required=True),
        Key("aliases", text_list, "other forms that count as a use"),
    ),
)


def index_terms(node: Node, diagnostics: Diagnostics) -> tuple[IndexSpec, ...]:
    """Terms to index wherever they are used: each a string or ``{term, aliases}``."""
    if not isinstance(node.value, list):
        raise Invalid(f"expected a list of terms, found {describe(node)}")
    specs = []
    for item in node.value:
        if isinstance(item.value, str):
            specs.append(IndexSpec(text(item), item.location))
            continue
        values = INDEX_TERM.validate(item, diagnostics)
        if values and "term" in values:
            specs.append(IndexSpec(values["term"], item.location, values.get("aliases", ())))
    return tuple(specs)


GLOSSARY_ENTRY = Schema(
    "a glossary entry",
    (
        Key("term", text, "the term", required=True),
        Key("definition", text, "what it means (Markdown)", required=True),
        Key("aliases", text_list, "other forms that count as a use"),
    ),
)


def words_per_minute(node: Node, diagnostics: Diagnostics | None = None) -> int:
    """A reading speed: a whole number of words a minute, 50 to 1,000."""
    value = count(node)
    if not 50 <= value <= 1000:
        raise Invalid(f"expected words a minute between 50 and 1000, found {value}")
    return value


BOOK = Schema(
    "book.yaml",
    (
        Key("title", text, "the book's title", required=True),
        Key("subtitle", text, "a subtitle"),
        Key("authors", text_list, "list of names (or `author:`, one name)", aliases=("author",)),
        Key("language", language, "BCP 47 tag, e.g. en, es, pt-BR", required=True),
        Key("identifier", identifier, "urn:uuid:… or urn:isbn:…; derived when absent"),
        Key("course_id", name_or_number, "the portal's course id"),
        Key("published", date, "date of first publication, YYYY-MM-DD"),
        Key("updated", date, "date of the last update, YYYY-MM-DD"),
        Key("publisher", text, "the publisher"),
        Key("license", text, "the licence the book is published under"),
        Key("description", text, "a short description"),
        Key("edition", name_or_number, "the edition"),
        Key("subjects", text_list, "list of keywords"),
        Key("cover", path, "a cover image; generated when absent"),
        Key("css", stylesheets, "the book's own stylesheet, for all formats or each"),
        Key("sources", sources_setting, "the sources file, and per-chapter lists"),
        Key("citation_style", path, "a CSL style name or .csl file"),
        Key("chapters", chapters, "the reading order", required=True),
        Key("appendices", path_list, "Markdown files after the lessons"),
        Key("include", path_list, "sibling course folders this reader takes lessons from"),
        Key("glossary", path, "the glossary file (default: glossary.yaml, if there is one)"),
        Key("index", index_terms, "terms indexed wherever they are used"),
        Key("about", path, "how to use this reader (default: about.md, if there is one)"),
        Key("reading_speed", words_per_minute, "words a minute, for reading times (200)"),
    ),
)


FRONT_MATTER = Schema(
    "front matter",
    (
        Key("title", text, "the lesson's title"),
        Key("number", name_or_number, 'shown as "Lesson 16"'),
        Key("subtitle", text, "a subtitle"),
        Key("summary", text, "one or two sentences under the title"),
        Key("authors", text_list, "list of names (or `author:`, one name)", aliases=("author",)),
        Key("questions", text_list, "discussion questions"),
        Key("id", slug_id, "stable id for links"),
    ),
)


def schema_keys(schema: Schema) -> Sequence[tuple[str, str, bool]]:
    """(name, description, required) for documentation."""
    return [(key.name, key.doc, key.required) for key in schema.keys]
