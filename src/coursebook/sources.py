"""Reading the sources file into CSL data.

``sources.yaml`` (CSL-YAML, plus the shorthand of BOOK-FORMAT.md: ``author: Leon Trotsky`` and
``year: 1936``) and ``sources.json`` (CSL-JSON, as Zotero exports it) both become
:class:`~coursebook.model.Source` objects holding normalized CSL-JSON, so everything after this
module sees one shape of data whatever the file was.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .bibtex import bibtex_entries
from .diagnostics import Diagnostics, Location, did_you_mean
from .limits import Limits
from .model import Source
from .paths import read_text
from .yamlio import MAX_DEPTH, Node, load_yaml

SOURCE_FILES = ("sources.yaml", "sources.yml", "sources.json", "sources.bib")

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
    """The default sources file: the first of sources.yaml, sources.yml, sources.json."""
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
) -> dict[str, Source]:
    """All entries of a sources file by id, in file order; problems go to ``diagnostics``.
    The file is read only if it lies inside ``roots`` (by default, the folder it is in once
    links are followed: a file named on the command line)."""
    roots = roots if roots is not None else (path.resolve().parent,)
    text = read_text(path, roots, diagnostics, max_bytes, "sources_bytes")
    if text is None:
        return {}
    if path.suffix.lower() == ".json":
        entries = _json_entries(text, path, diagnostics)
    elif path.suffix.lower() in (".yaml", ".yml"):
        entries = _yaml_entries(text, path, diagnostics)
    elif path.suffix.lower() == ".bib":
        entries = [_as_node(data, at) for data, at in bibtex_entries(text, path, diagnostics)]
    else:
        diagnostics.error(
            Location(path),
            "sources must be a .yaml, .json or .bib file (CSL-YAML, CSL-JSON or BibTeX)",
            "sources-format",
        )
        return {}
    sources: dict[str, Source] = {}
    for entry in entries:
        source = _source(entry, diagnostics)
        if source is None:
            continue
        if source.id in sources:
            first = sources[source.id].location
            diagnostics.error(
                source.location,
                f"duplicate source id '{source.id}' (first at line {first.line})",
                "duplicate-source",
            )
            continue
        sources[source.id] = source
    return sources


# --- the two file formats ---------------------------------------------------------------------


def _yaml_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[Node]:
    root = load_yaml(text, path, diagnostics)
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
    return root.value


def _json_entries(text: str, path: Path, diagnostics: Diagnostics) -> list[Node]:
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
    entries = []
    for index, item in enumerate(data):
        line = lines[index] if index < len(lines) else 1
        location = Location(path, line)
        entries.append(_as_node(item, location))
    return entries


def _json_object_lines(text: str) -> tuple[list[int], tuple[int, int]]:
    """The line of each top-level object of a JSON array, and the deepest nesting with its
    line.

    The standard json module keeps no positions, so we find where each element of the top
    array opens by scanning brackets outside strings.
    """
    lines: list[int] = []
    depth = 0
    deepest = (0, 0)
    in_string = escaped = False
    line = 1
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            if depth == 1 and char == "{":
                lines.append(line)
            depth += 1
            deepest = max(deepest, (depth, -line))
        elif char in "]}":
            depth -= 1
    return lines, (deepest[0], -deepest[1])


def _as_node(value: Any, location: Location) -> Node:
    if isinstance(value, dict):
        return Node({str(k): _as_node(v, location) for k, v in value.items()}, location)
    if isinstance(value, list):
        return Node([_as_node(v, location) for v in value], location)
    return Node(value, location)


# --- one entry ------------------------------------------------------------------------------


def _source(entry: Node, diagnostics: Diagnostics) -> Source | None:
    location = entry.location
    if not isinstance(entry.value, dict):
        diagnostics.error(location, "each source must be a mapping of CSL fields", "sources-format")
        return None
    fields: dict[str, Node] = entry.value
    source_id = fields.get("id")
    if source_id is None or not isinstance(source_id.value, str | int) or not str(source_id.value):
        diagnostics.error(location, "a source needs an 'id'", "source-id")
        return None
    key = str(source_id.value)
    errors = len(diagnostics.errors)
    data: dict[str, Any] = {"id": key}
    for name, node in fields.items():
        if name == "id":
            continue
        try:
            _add_field(data, name, node, diagnostics)
        except ValueError as problem:
            diagnostics.error(node.location, f"source '{key}': '{name}': {problem}", "source-field")
    csl_type = data.get("type")
    if csl_type is None:
        diagnostics.error(
            location,
            f"source '{key}' needs a 'type' (book, chapter, article-journal…)",
            "source-type",
        )
    elif csl_type not in CSL_TYPES:
        diagnostics.error(
            fields["type"].location,
            f"source '{key}': unknown type '{csl_type}'{did_you_mean(csl_type, CSL_TYPES)}",
            "source-type",
        )
    # A source with errors is still returned (its errors are reported and the build will stop),
    # so that citations of it don't add "unknown source" errors that aren't true.
    if data.get("type") not in CSL_TYPES:
        data["type"] = "document"
    sound = len(diagnostics.errors) == errors
    return Source(id=key, type=data["type"], data=data, location=location, sound=sound)


def _add_field(data: dict[str, Any], name: str, node: Node, diagnostics: Diagnostics) -> None:
    value = node.plain()
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
            node.location,
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
