"""One entry of a sources file checked into a :class:`~coursebook.model.Source` of CSL-JSON:
its id and type, each field read by its kind (names, dates, text), an address without a
scheme mended; an entry pandoc read from BibTeX has its dates checked the same way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from ..core.diagnostics import Diagnostics, Location, did_you_mean
from ..model import Source
from .csl_files import _Entry
from .csl_vocabulary import CSL_TYPES, DATE_VARIABLES, KNOWN_FIELDS, NAME_VARIABLES, TEXT_VARIABLES


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


_LATEX_URL = re.compile(r"\A\s*\\(?:url|href)\s*\{([^{}]*)\}(?:\{[^{}]*\})?\s*\Z")
"""``\\url{https://…}``: LaTeX's markup around an address, as some BibTeX files keep it."""


def mended_url(url: str) -> str | None:
    """``url`` as an address a reader can follow: LaTeX's ``\\url{…}`` taken off, a host
    name without its scheme (``www.example.org/x``) given ``https://``; None for anything
    else without a scheme (``doi/10.1177/…``), which would be a link to a file of the book
    that doesn't exist. The loader and the citation engine (which hands pandoc the BibTeX
    file itself) mend addresses alike."""
    if latex := _LATEX_URL.match(url):
        url = latex.group(1).strip()
    if _SCHEME.match(url):
        return url
    if _HOST.match(url):
        return "https:" + url if url.startswith("//") else "https://" + url
    return None


def _with_scheme(data: dict[str, Any], location: Location, diagnostics: Diagnostics) -> None:
    """The URL mended (:func:`mended_url`), and the author told how."""
    url = data.get("URL")
    if not isinstance(url, str):
        return
    mended = mended_url(url)
    if mended == url:
        return
    key = data.get("id", "")
    if mended is not None:
        data["URL"] = mended
        how = "is written in LaTeX" if _LATEX_URL.match(url) else "has no scheme"
        message = f"source '{key}': URL '{url}' {how}; {mended} is used"
    else:
        del data["URL"]
        doi = " (its DOI links to it)" if data.get("DOI") else ""
        message = (
            f"source '{key}': URL '{url}' is no address a reader can follow; it is left out{doi}"
        )
    diagnostics.warning(location, message, "source-url")


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
