"""Reading the sources file into CSL data.

``sources.yaml`` (CSL-YAML, plus the shorthand of BOOK-FORMAT.md: ``author: Leon Trotsky`` and
``year: 1936``), ``sources.json`` (CSL-JSON, as Zotero exports it) and ``sources.bib``
(BibTeX or BibLaTeX, read by pandoc: :mod:`coursebook.bibtex`) all become
:class:`~coursebook.model.Source` objects holding CSL-JSON, so everything after this module
sees one shape of data whatever the file was.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics, Location, did_you_mean
from ..core.gcpause import no_collections
from ..core.limits import Limits
from ..core.paths import read_text
from ..core.yamlio import MAX_DEPTH, Node, load_yaml
from ..model import Source
from .bibtex import DEFERRED, DEFERRED_ABOVE, bibtex_entries, cited_text

SOURCE_FILES = ("sources.yaml", "sources.yml", "sources.json", "sources.bib", "sources.bibtex")

# CSL 1.0.2 item types and variables (https://docs.citationstyles.org/en/stable/specification.html).
CSL_TYPES = frozenset(
    [
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    ]
)
NAME_VARIABLES = frozenset(
    [
        "author",
        "chair",
        "collection-editor",
        "compiler",
        "composer",
        "container-author",
        "contributor",
        "curator",
        "director",
        "editor",
        "editorial-director",
        "editor-translator",
        "executive-producer",
        "guest",
        "host",
        "illustrator",
        "interviewer",
        "narrator",
        "organizer",
        "original-author",
        "performer",
        "producer",
        "recipient",
        "reviewed-author",
        "script-writer",
        "series-creator",
        "translator",
    ]
)
DATE_VARIABLES = frozenset(
    ["accessed", "available-date", "event-date", "issued", "original-date", "submitted"]
)
TEXT_VARIABLES = frozenset(
    [
        "abstract",
        "annote",
        "archive",
        "archive_collection",
        "archive_location",
        "archive-place",
        "authority",
        "call-number",
        "chapter-number",
        "citation-key",
        "citation-label",
        "collection-number",
        "collection-title",
        "container-title",
        "container-title-short",
        "dimensions",
        "division",
        "DOI",
        "edition",
        "event",
        "event-title",
        "event-place",
        "first-reference-note-number",
        "genre",
        "ISBN",
        "ISSN",
        "issue",
        "jurisdiction",
        "keyword",
        "language",
        "license",
        "locator",
        "medium",
        "note",
        "number",
        "number-of-pages",
        "number-of-volumes",
        "original-publisher",
        "original-publisher-place",
        "original-title",
        "page",
        "page-first",
        "part-number",
        "part-title",
        "PMCID",
        "PMID",
        "printing-number",
        "publisher",
        "publisher-place",
        "references",
        "reviewed-genre",
        "reviewed-title",
        "scale",
        "section",
        "source",
        "status",
        "supplement-number",
        "title",
        "title-short",
        "URL",
        "version",
        "volume",
        "volume-title",
        "volume-title-short",
        "year-suffix",
    ]
)
KNOWN_FIELDS = NAME_VARIABLES | DATE_VARIABLES | TEXT_VARIABLES | {"id", "type", "year"}


def find_sources_file(root: Path) -> Path | None:
    """The default sources file: the first of :data:`SOURCE_FILES` that exists."""
    for name in SOURCE_FILES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def read_sources(
    path: Path,
    diagnostics: Diagnostics,
    roots: Sequence[Path] | None = None,
    max_bytes: int = Limits.sources_bytes,
    language: str = "en-US",
    bibtex: dict[Path, str] | None = None,
    defer: bool = True,
) -> dict[str, Source]:
    """All entries of a sources file by id, in file order; problems go to ``diagnostics``.
    The file is read only if it lies inside ``roots`` (by default, the folder it is in once
    links are followed: a file named on the command line). ``language`` is the book's (a
    BibTeX file is read by pandoc as for a document in that language). The text of a BibTeX
    file goes into ``bibtex``, by its path, when given: the citations' engine hands it to
    pandoc as it is. With ``defer`` (a book's own file), a large BibTeX file is read lazily
    (see :func:`with_cited_data`); without, every entry is read now."""
    roots = roots if roots is not None else (path.resolve().parent,)
    text = read_text(path, roots, diagnostics, max_bytes, "sources_bytes")
    if text is None:
        return {}
    if bibtex is not None and path.suffix.lower() in (".bib", ".bibtex"):
        bibtex[path] = text
    # A large file makes hundreds of thousands of small objects that all live on: the
    # cyclic collector, walking them again and again, would double the time.
    with no_collections():
        found = _read(text, path, diagnostics, language, defer)
        if found is not None:
            return _by_id(found, diagnostics)
    diagnostics.error(
        Location(path),
        "sources must be a .yaml, .json or .bib file (CSL-YAML, CSL-JSON or BibTeX)",
        "sources-format",
    )
    return {}


def _read(
    text: str, path: Path, diagnostics: Diagnostics, language: str, defer: bool = True
) -> Iterator[Source | None] | None:
    """The sources of the file, by its name's extension; None when it has no known one."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return (_source(entry, diagnostics) for entry in _json_entries(text, path, diagnostics))
    if suffix in (".yaml", ".yml"):
        return (_source(entry, diagnostics) for entry in _yaml_entries(text, path, diagnostics))
    if suffix in (".bib", ".bibtex"):
        limit = DEFERRED_ABOVE if defer else len(text)  # never more entries than characters
        entries = bibtex_entries(text, path, diagnostics, language, limit)
        return (_bib_source(data, at, diagnostics) for data, at in entries)
    return None


def with_cited_data(
    sources: Mapping[str, Source],
    keys: Iterable[str],
    bibtex: Mapping[Path, str],
    diagnostics: Diagnostics,
    language: str = "en-US",
) -> dict[str, Source]:
    """The sources, the cited ones of a large BibTeX file (deferred when it was loaded: see
    :data:`coursebook.bibtex.DEFERRED_ABOVE`) now read by pandoc, with the same checks as
    any entry, at their own lines."""
    result = dict(sources)
    deferred: dict[Path, list[str]] = {}
    for key in dict.fromkeys(keys):
        source = sources.get(key)
        if source is not None and DEFERRED in source.data:
            deferred.setdefault(source.location.path, []).append(key)
    for path, wanted in deferred.items():
        text = cited_text(bibtex.get(path, ""), wanted)
        scratch = Diagnostics()  # its lines would be those of the cut text
        read = bibtex_entries(text, path, scratch, language, defer_above=len(wanted) + 1)
        for problem in scratch.errors:  # pandoc could not read one of them
            first = sources[wanted[0]].location
            message = f"{problem.message} (in one of the entries cited)"
            diagnostics.error(first, message, "sources-format")
        for data, _ in read:
            key = str(data.get("id", ""))
            if key in wanted:  # an entry it takes fields from is not a cited one
                located = sources[key].location
                result[key] = _bib_source(data, located, diagnostics)
    return result


def _by_id(sources: Iterable[Source | None], diagnostics: Diagnostics) -> dict[str, Source]:
    """The sources by id. An id given twice is pandoc's case too, and pandoc takes the last:
    the same data twice is a warning, other data an error naming both lines."""
    result: dict[str, Source] = {}
    first_line: dict[str, int] = {}
    for source in sources:
        if source is None:
            continue
        earlier = result.get(source.id)
        if earlier is None:
            first_line[source.id] = source.location.line
        elif (earlier.type, earlier.data) == (source.type, source.data):
            diagnostics.warning(
                source.location,
                f"source '{source.id}' is given twice, the same both times "
                f"(first at line {first_line[source.id]})",
                "repeated-source",
            )
        else:
            diagnostics.error(
                source.location,
                f"duplicate source id '{source.id}' (first at line {first_line[source.id]}), "
                "with other data",
                "duplicate-source",
            )
        result[source.id] = source
    return result


# --- the file formats -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry of a YAML or JSON sources file, as plain data, with where it is."""

    value: Any
    """A mapping of CSL fields, or whatever else the file holds in its place."""
    location: Location
    places: Mapping[str, Location]
    """Where the value of each field is, when the format tells (YAML)."""

    def place(self, name: str) -> Location:
        return self.places.get(name, self.location)


def _yaml_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[_Entry]:
    root = load_yaml(text, path, diagnostics, fast=True)
    if root is None:
        return []
    if isinstance(root.value, dict) and "references" in root.value:
        root = root.value["references"]
    if not isinstance(root.value, list):
        diagnostics.error(
            root.location,
            "the sources file must be a list of entries (or 'references:' holding one)",
            "sources-format",
        )
        return []
    return [_yaml_entry(node) for node in root.value]


def _yaml_entry(node: Node) -> _Entry:
    if not isinstance(node.value, dict):
        return _Entry(node.plain(), node.location, {})
    fields: dict[str, Node] = node.value
    return _Entry(
        {name: value.plain() for name, value in fields.items()},
        node.location,
        {name: value.location for name, value in fields.items()},
    )


def _json_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[_Entry]:
    """CSL-JSON entries, each located at the line where its object starts."""
    lines, (depth, deepest_line) = _json_object_lines(text)
    if depth > MAX_DEPTH:  # json.loads would recurse until a RecursionError
        diagnostics.error(
            Location(path, deepest_line),
            f"invalid JSON: nested more than {MAX_DEPTH} levels deep",
            "json",
        )
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        diagnostics.error(
            Location(path, error.lineno, error.colno), f"invalid JSON: {error.msg}", "json"
        )
        return []
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        diagnostics.error(Location(path, 1), "CSL-JSON must be a list of entries", "sources-format")
        return []
    # The lines are those of the objects, in order: an element that is not one has none.
    object_lines = iter(lines)
    return [
        _Entry(item, Location(path, next(object_lines, 1) if isinstance(item, dict) else 1), {})
        for item in data
    ]


# A JSON string: it can't hold a line break, nor (unescaped) a quote.
_JSON_STRING = re.compile(r'"(?:[^"\\\n]++|\\.)*+"')
_BRACKET = re.compile(r"[\[\]{}]")


def _json_object_lines(text: str) -> tuple[list[int], tuple[int, int]]:
    """The line of each entry object (in the top array, or in the array of the top object's
    'references'), and the deepest nesting with its line.

    The standard json module keeps no positions, so we find where each object opens by
    following the brackets outside strings (the strings blanked out first, keeping lines).
    """
    bare = _JSON_STRING.sub('""', text)
    lines: list[int] = []
    entry_depth = 2 if bare.lstrip().startswith("{") else 1
    opened: list[str] = []
    deepest = (0, 0)
    line, counted = 1, 0
    for found in _BRACKET.finditer(bare):
        char = found.group()
        if char in "]}":
            if opened:
                opened.pop()
            continue
        depth = len(opened)
        is_entry = depth == entry_depth and char == "{" and opened[-1] == "["
        if is_entry or depth + 1 > deepest[0]:  # only then is its line needed
            line += bare.count("\n", counted, found.start())
            counted = found.start()
            if is_entry:
                lines.append(line)
            if depth + 1 > deepest[0]:
                deepest = (depth + 1, line)
        opened.append(char)
    return lines, deepest


# --- one entry ------------------------------------------------------------------------------


def _source(entry: _Entry, diagnostics: Diagnostics) -> Source | None:
    location = entry.location
    if not isinstance(entry.value, dict):
        diagnostics.error(location, "each source must be a mapping of CSL fields", "sources-format")
        return None
    fields: dict[str, Any] = entry.value
    source_id = fields.get("id")
    if not isinstance(source_id, str | int) or not str(source_id):
        diagnostics.error(location, "a source needs an 'id'", "source-id")
        return None
    key = str(source_id)
    errors = len(diagnostics.errors)
    data: dict[str, Any] = {"id": key}
    for name, value in fields.items():
        if name == "id":
            continue
        try:
            _add_field(data, name, value, entry.place(name), diagnostics)
        except ValueError as problem:
            diagnostics.error(
                entry.place(name), f"source '{key}': '{name}': {problem}", "source-field"
            )
    csl_type = data.get("type")
    if csl_type is None:
        diagnostics.error(
            location,
            f"source '{key}' needs a 'type' (book, chapter, article-journal…)",
            "source-type",
        )
    elif csl_type not in CSL_TYPES:
        diagnostics.error(
            entry.place("type"),
            f"source '{key}': unknown type '{csl_type}'{did_you_mean(csl_type, CSL_TYPES)}",
            "source-type",
        )
    # A source with errors is still returned (its errors are reported and the build will stop),
    # so that citations of it don't add "unknown source" errors that aren't true.
    if data.get("type") not in CSL_TYPES:
        data["type"] = "document"
    _with_scheme(data, entry.place("URL"), diagnostics)
    sound = len(diagnostics.errors) == errors
    return Source(id=key, type=data["type"], data=data, location=location, sound=sound)


def _bib_source(data: dict[str, Any], location: Location, diagnostics: Diagnostics) -> Source:
    """A source from pandoc's CSL-JSON for a BibTeX entry: kept as pandoc made it (its type
    may be "", for @misc), with its dates checked as those of the other formats are."""
    key = str(data.get("id", ""))
    errors = len(diagnostics.errors)
    for name in DATE_VARIABLES & data.keys():
        date = data[name]
        try:
            for parts in (date.get("date-parts") or ()) if isinstance(date, dict) else ():
                _check_parts(parts)
        except ValueError as problem:
            diagnostics.error(location, f"source '{key}': '{name}': {problem}", "source-field")
    _with_scheme(data, location, diagnostics)
    csl_type = data.get("type")
    sound = len(diagnostics.errors) == errors
    return Source(key, csl_type if isinstance(csl_type, str) else "", data, location, sound)


# An address with a scheme (https:, mailto:, doi:…). Without one, a link is relative: it
# leads to a file of the book that doesn't exist (EPUBCheck's RSC-007).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+-]*:")
_HOST = re.compile(r"(?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:[/?#]|$)")


def _with_scheme(data: dict[str, Any], location: Location, diagnostics: Diagnostics) -> None:
    """A URL that starts with a host name (``www.example.org/x``) gets ``https://``."""
    url = data.get("URL")
    if not isinstance(url, str) or _SCHEME.match(url) or not _HOST.match(url):
        return
    data["URL"] = "https:" + url if url.startswith("//") else "https://" + url
    diagnostics.warning(
        location,
        f"source '{data['id']}': URL '{url}' has no scheme; {data['URL']} is used",
        "source-url",
    )


def _add_field(
    data: dict[str, Any], name: str, value: Any, location: Location, diagnostics: Diagnostics
) -> None:
    if name == "year":  # shorthand
        data.setdefault("issued", _date(value))
    elif name in NAME_VARIABLES:
        data[name] = _names(value)
    elif name in DATE_VARIABLES:
        data[name] = _date(value)
    elif name == "type" or name in TEXT_VARIABLES:
        data[name] = _text(value)
    elif name.startswith("_") or name.startswith("custom"):
        pass  # Zotero and pandoc put private data here
    else:
        diagnostics.warning(
            location,
            f"unknown CSL field '{name}'{did_you_mean(name, KNOWN_FIELDS)}; it is ignored",
            "source-unknown-field",
        )


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected text, found {value!r}")
    if isinstance(value, int | float | str):
        return str(value).strip()
    raise ValueError("expected text")


# Lower-case words that start a family name ("Ludwig van Beethoven").
_PARTICLE = re.compile(r"^(?:[a-z']+|d'|l')$")


def _names(value: Any) -> list[dict[str, str]]:
    """CSL names from CSL objects, "Given Family" strings or "Family, Given" strings."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, Mapping):
            name = {str(k): _text(v) for k, v in item.items()}
            if not ({"family", "literal"} & name.keys()):
                raise ValueError("a name needs 'family' (and 'given') or 'literal'")
            names.append(name)
        elif isinstance(item, str) and item.strip():
            names.append(_parse_name(item.strip()))
        else:
            raise ValueError(f"expected a name, found {item!r}")
    return names


def _parse_name(text: str) -> dict[str, str]:
    if "," in text:
        family, _, given = text.partition(",")
        return {"family": family.strip(), "given": given.strip()}
    words = text.split()
    if len(words) == 1:
        return {"family": words[0]}
    # Family name = last word, plus any lower-case particles before it.
    start = len(words) - 1
    while start > 1 and _PARTICLE.match(words[start - 1]):
        start -= 1
    name = {"given": " ".join(words[:start]), "family": words[-1]}
    if start < len(words) - 1:
        name["non-dropping-particle"] = " ".join(words[start:-1])
    return name


def _date(value: Any) -> dict[str, Any]:
    """CSL date from a year, a YAML date, "YYYY[-MM[-DD]]", or CSL's own date object; a
    month or day that doesn't exist (1859-02-30) is refused."""
    date = _date_of(value)
    for parts in date.get("date-parts") or ():
        _check_parts(parts)
    return date


def _check_parts(parts: Any) -> None:
    if not isinstance(parts, list | tuple) or not parts:
        return  # CSL's own forms are the engine's to read
    try:
        year, month, day = ([int(p) for p in parts] + [0, 0])[:3]
    except (TypeError, ValueError):
        raise ValueError(f"expected numbers in date-parts, found {list(parts)!r}") from None
    if len(parts) >= 2 and not (1 <= month <= 12 or 21 <= month <= 24):  # 21–24: seasons
        raise ValueError(f"month {month} of {year} doesn't exist")
    if len(parts) >= 3 and 1 <= month <= 12 and not 1 <= day <= _days_in(year, month):
        raise ValueError(f"{year}-{month:02}-{day:02} is not a date that exists")


def _days_in(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _date_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dt.date):
        return {"date-parts": [[value.year, value.month, value.day]]}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"date-parts": [[value]]}
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", value)
        if match:
            return {"date-parts": [[int(part) for part in match.groups() if part]]}
        return {"literal": value.strip()}
    if isinstance(value, Mapping):
        if "date-parts" in value or "literal" in value or "raw" in value:
            return dict(value)
        if "year" in value:  # pandoc's CSL-YAML form
            parts = [value[k] for k in ("year", "month", "day") if k in value]
            return {"date-parts": [[int(p) for p in parts]]}
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return _date_of(value[0])
    raise ValueError(f"expected a date (1936, 1936-05 or 1936-05-01), found {value!r}")
