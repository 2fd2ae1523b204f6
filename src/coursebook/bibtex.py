"""BibTeX and BibLaTeX sources, read with bibtexparser and mapped to CSL data.

The mapping follows what pandoc and Zotero do: entry types to CSL types, fields to CSL
variables, LaTeX to Unicode, ``{Braced}`` words protected from case changes. Each entry keeps
the line where it starts, so problems point at it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser import middlewares

from .diagnostics import Diagnostics, Location

# Entry types, BibTeX and BibLaTeX, to CSL types.
TYPES = {
    "article": "article-journal",
    "book": "book",
    "mvbook": "book",
    "booklet": "pamphlet",
    "collection": "book",
    "mvcollection": "book",
    "proceedings": "book",
    "mvproceedings": "book",
    "reference": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "bookinbook": "chapter",
    "suppbook": "chapter",
    "suppcollection": "chapter",
    "inreference": "entry-encyclopedia",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "manual": "report",
    "report": "report",
    "techreport": "report",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "online": "webpage",
    "www": "webpage",
    "electronic": "webpage",
    "unpublished": "manuscript",
    "letter": "personal_communication",
    "misc": "document",
    "periodical": "periodical",
    "patent": "patent",
    "dataset": "dataset",
    "software": "software",
    "movie": "motion_picture",
    "video": "motion_picture",
    "audio": "song",
    "music": "song",
    "artwork": "graphic",
    "image": "graphic",
    "jurisdiction": "legal_case",
    "legislation": "legislation",
    "standard": "standard",
}
# BibLaTeX's entrysubtype of @article.
ARTICLE_SUBTYPES = {"magazine": "article-magazine", "newspaper": "article-newspaper"}
THESIS_GENRES = {"phdthesis": "PhD diss.", "mastersthesis": "Master’s thesis"}

NAME_FIELDS = {
    "author": "author",
    "editor": "editor",
    "translator": "translator",
    "bookauthor": "container-author",
    "editora": "editor",
    "director": "director",
    "holder": "author",
}
TEXT_FIELDS = {
    "shorttitle": "title-short",
    "journal": "container-title",
    "journaltitle": "container-title",
    "booktitle": "container-title",
    "series": "collection-title",
    "volume": "volume",
    "issue": "issue",
    "pages": "page",
    "edition": "edition",
    "publisher": "publisher",
    "address": "publisher-place",
    "location": "publisher-place",
    "url": "URL",
    "doi": "DOI",
    "isbn": "ISBN",
    "issn": "ISSN",
    "note": "note",
    "type": "genre",
    "eventtitle": "event-title",
    "venue": "event-place",
    "chapter": "chapter-number",
    "version": "version",
    "pagetotal": "number-of-pages",
    "volumes": "number-of-volumes",
    "origtitle": "original-title",
    "howpublished": "medium",
    "language": "language",
    "library": "archive",
    "addendum": "note",
}
DATE_FIELDS = {"urldate": "accessed", "origdate": "original-date", "eventdate": "event-date"}
# Fields that say nothing a citation shows (Zotero and JabRef add them).
IGNORED = {
    "abstract",
    "file",
    "keywords",
    "annotation",
    "annote",
    "mendeley-tags",
    "langid",
    "timestamp",
    "owner",
    "groups",
    "eprinttype",
    "eprint",
    "urlyear",
    "copyright",
    "entrysubtype",
    "subtitle",
    "title",
    "year",
    "month",
    "date",
    "number",
    "institution",
    "school",
    "organization",
    "journalsubtitle",
    "booksubtitle",
    "maintitle",
    "issuetitle",
    "titleaddon",
    "day",
    "lccn",
    "mrnumber",
    "shortjournal",
    "pmid",
    "primaryclass",
    "archiveprefix",
}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def bibtex_entries(
    text: str, path: Path, diagnostics: Diagnostics
) -> list[tuple[dict[str, Any], Location]]:
    """The entries of a .bib file as CSL data, each with the line where it starts."""
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # we report problems ourselves
    library = bibtexparser.parse_string(  # type: ignore[attr-defined]
        text,
        append_middleware=[
            middlewares.NormalizeFieldKeys(),  # AUTHOR = {…} is author = {…}
            middlewares.LatexDecodingMiddleware(keep_braced_groups=True),
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
        ],
    )
    for failed in library.failed_blocks:
        location = Location(path, (failed.start_line or 0) + 1)
        if isinstance(failed, bibtexparser.model.DuplicateBlockKeyBlock):
            diagnostics.error(location, f"duplicate source id '{failed.key}'", "duplicate-source")
        else:
            diagnostics.error(
                location, "malformed BibTeX entry (unbalanced braces or quotes?)", "sources-format"
            )
    entries = []
    for entry in library.entries:
        location = Location(path, (entry.start_line or 0) + 1)
        entries.append((_csl(entry, location, diagnostics), location))
    return entries


def _csl(entry: Any, location: Location, diagnostics: Diagnostics) -> dict[str, Any]:
    fields = {field.key.lower(): field.value for field in entry.fields}
    kind = entry.entry_type.lower()
    csl_type = TYPES.get(kind)
    if csl_type is None:
        diagnostics.warning(
            location, f"unknown BibTeX entry type '@{kind}', read as a document", "source-type"
        )
        csl_type = "document"
    if kind == "article":
        csl_type = ARTICLE_SUBTYPES.get(_plain(fields.get("entrysubtype", "")), csl_type)
    data: dict[str, Any] = {"id": entry.key, "type": csl_type}
    _title(fields, data)
    if kind in THESIS_GENRES and "type" not in fields:
        data["genre"] = THESIS_GENRES[kind]
    publisher = (
        fields.get("publisher")
        or fields.get("institution")
        or fields.get("school")
        or fields.get("organization")
    )
    if publisher:
        fields["publisher"] = publisher
    _number(kind, fields, data)
    for name, value in fields.items():
        if name in NAME_FIELDS:
            data[NAME_FIELDS[name]] = [_name(part) for part in value]
        elif name in TEXT_FIELDS:
            data.setdefault(TEXT_FIELDS[name], _text(value))
        elif name in DATE_FIELDS:
            data[DATE_FIELDS[name]] = _date(_plain(value))
        elif name not in IGNORED:
            diagnostics.warning(
                location, f"BibTeX field '{name}' is not used", "source-unknown-field"
            )
    issued = _issued(fields)
    if issued:
        data["issued"] = issued
    return data


def _title(fields: dict[str, Any], data: dict[str, Any]) -> None:
    title = fields.get("title")
    if title:
        subtitle = fields.get("subtitle")
        data["title"] = _text(title) + (f": {_text(subtitle)}" if subtitle else "")
    container = (
        fields.get("journaltitle")
        or fields.get("journal")
        or fields.get("booktitle")
        or fields.get("maintitle")
    )
    if container:
        sub = fields.get("journalsubtitle") or fields.get("booksubtitle")
        fields["booktitle"] = container
        data["container-title"] = _text(container) + (f": {_text(sub)}" if sub else "")


def _number(kind: str, fields: dict[str, Any], data: dict[str, Any]) -> None:
    """BibTeX's ``number`` is an article's issue, a report's number, a series number."""
    number = fields.get("number")
    if not number:
        return
    if kind == "article":
        data["issue"] = _text(number)
    elif kind in ("report", "techreport", "patent", "manual", "standard"):
        data["number"] = _text(number)
    else:
        data["collection-number"] = _text(number)


def _issued(fields: dict[str, Any]) -> dict[str, Any] | None:
    if "date" in fields:
        return _date(_plain(fields["date"]))
    year = _plain(fields.get("year", ""))
    if not year:
        return None
    parts: list[int | str] = [int(year)] if year.isdigit() else []
    if not parts:
        return {"literal": year}
    month = _plain(fields.get("month", "")).lower()[:3]
    if month.isdigit():
        parts.append(int(month))
    elif month in MONTHS:
        parts.append(MONTHS[month])
    return {"date-parts": [parts]}


def _date(value: str) -> dict[str, Any]:
    """A BibLaTeX date (``1936``, ``1936-05``, ``1936-05-01``, ranges with ``/``)."""
    ranges = []
    for part in value.split("/"):
        match = re.fullmatch(r"\s*(\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", part)
        if match is None:
            return {"literal": value}
        ranges.append([int(p) for p in match.groups() if p])
    return {"date-parts": ranges}


def _name(parts: Any) -> dict[str, str]:
    """bibtexparser's name parts (first, von, last, jr) as a CSL name."""
    last = " ".join(parts.last)
    if not parts.first and not parts.von and last.startswith("{") and last.endswith("}"):
        return {"literal": _plain(last)}  # {World Health Organization}: a corporate name
    name = {"family": _plain(last)}
    if parts.first:
        name["given"] = _plain(" ".join(parts.first))
    if parts.von:
        name["non-dropping-particle"] = _plain(" ".join(parts.von))
    if parts.jr:
        name["suffix"] = _plain(" ".join(parts.jr))
    return name


def _text(value: Any) -> str:
    """Field text with LaTeX decoded; words braced against case changes keep their case."""
    text = str(value)
    text = re.sub(r"\{([^{}]*)\}", r'<span class="nocase">\1</span>', text)
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


def _plain(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value).replace("{", "").replace("}", "")).strip()
