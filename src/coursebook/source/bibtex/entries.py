"""The entries of a .bib file as the book's sources: :func:`bibtex_entries` gives each as
pandoc reads it, with the line where it starts, and says what pandoc doesn't: entry types it
doesn't know, where in the file it stopped when it can't read it. A very large file gives
stand-ins, read when cited (:data:`DEFERRED`)."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...core.diagnostics import Diagnostics, Location
from ...core.pandoc import PandocError
from .reading import _read
from .scanner import Entry, Scan, scan

# Entry types pandoc knows, and the CSL type each becomes (its citeproc's getTypeAndGenre).
# "misc" becomes no type at all; so does every type not listed, which we point out.
PANDOC_TYPES = {
    "article": "article-journal",
    "book": "book",
    "booklet": "pamphlet",
    "bookinbook": "chapter",
    "collection": "book",
    "dataset": "dataset",
    "electronic": "webpage",
    "inbook": "chapter",
    "incollection": "chapter",
    "inreference": "entry-encyclopedia",
    "inproceedings": "paper-conference",
    "manual": "book",
    "mastersthesis": "thesis",
    "misc": "",
    "mvbook": "book",
    "mvcollection": "book",
    "mvproceedings": "book",
    "mvreference": "book",
    "online": "webpage",
    "patent": "patent",
    "periodical": "article-journal",
    "phdthesis": "thesis",
    "proceedings": "book",
    "reference": "book",
    "report": "report",
    "software": "software",
    "suppbook": "chapter",
    "suppcollection": "chapter",
    "suppperiodical": "article-journal",
    "techreport": "report",
    "thesis": "thesis",
    "unpublished": "manuscript",
    "www": "webpage",
    "artwork": "graphic",
    "audio": "song",
    "commentary": "book",
    "image": "graphic",
    "jurisdiction": "legal_case",
    "legislation": "legislation",
    "legal": "treaty",
    "letter": "personal_communication",
    "movie": "motion_picture",
    "music": "song",
    "performance": "speech",
    "review": "review",
    "standard": "legislation",
    "video": "motion_picture",
    "data": "dataset",
    "letters": "personal_communication",
    "newsarticle": "article-newspaper",
    "xdata": "",  # data for other entries, never an entry of its own
}


DEFERRED_ABOVE = 2_000
"""A file of more entries than this (a whole Zotero library exported, say) is read lazily:
its entries are found and located at once, and pandoc reads only those the book cites, when
the lessons have been read (:func:`coursebook.sources.with_cited_data`). Pandoc reads about
a thousand entries a second: fifty thousand would hold every build up for half a minute."""
DEFERRED = "coursebook-bibtex-entry"
"""The field of a deferred entry's stand-in data: the entry's text, as written."""


def bibtex_entries(
    text: str,
    path: Path,
    diagnostics: Diagnostics,
    language: str = "en-US",
    defer_above: int = DEFERRED_ABOVE,
) -> list[tuple[dict[str, Any], Location]]:
    """The entries of a .bib (or .bibtex) file as pandoc reads them, as CSL-JSON, each with
    the line where it starts. ``language`` is the book's: pandoc's reading depends on it
    (English titles are put in sentence case, "PhD thesis" is said in the book's language).
    A clean file of more than ``defer_above`` entries gives stand-ins, read when cited
    (:data:`DEFERRED`)."""
    found = scan(text)
    variant = "bibtex" if path.suffix.lower() == ".bibtex" else "biblatex"
    if found.clean and len(found.entries) > defer_above:
        _unknown_types(found.entries, path, diagnostics)
        return [
            ({"id": e.key, "type": "", DEFERRED: text[e.start : e.end]}, Location(path, e.line))
            for e in found.entries
            if e.key and e.kind != "xdata"
        ]
    try:
        items = _read(text, found, variant, language)
    except PandocError as error:
        _report_failure(str(error), text, found, path, diagnostics)
        # Its keys are still sources (with no data), so that the citations of them don't add
        # "unknown source" errors that aren't true; the build stops on the error above.
        keys = dict.fromkeys(e.key for e in found.entries if e.key and e.kind != "xdata")
        items = [{"id": key, "type": ""} for key in keys]
    _unknown_types(found.entries, path, diagnostics)
    _fields_given_twice(text, found.entries, path, diagnostics)
    lines = _lines(found.entries)
    located = []
    for item in items:
        if not isinstance(item, dict):
            continue
        queue = lines.get(str(item.get("id")))
        line = queue.popleft() if queue else 0  # 0: somewhere in the file
        located.append((_cleaned(item), Location(path, line)))
    return located


def _lines(entries: Iterable[Entry]) -> dict[str, deque[int]]:
    """The lines of the entries of each key, in file order (a key may be there twice)."""
    lines: dict[str, deque[int]] = defaultdict(deque)
    for entry in entries:
        if entry.kind != "xdata":
            lines[entry.key].append(entry.line)
    return lines


# A backslash before one of these, in a URL or DOI, is LaTeX's escape ("a\&b"): pandoc keeps
# it, but no address holds a backslash, and the link would lead nowhere.
_URL_ESCAPE = re.compile(r"\\([&%#_$~])")


def _cleaned(item: dict[str, Any]) -> dict[str, Any]:
    """The item, with the backslashes out of its URL and DOI (a copy: the memo keeps it)."""
    item = dict(item)
    for name in ("URL", "DOI"):
        value = item.get(name)
        if isinstance(value, str) and "\\" in value:
            item[name] = _URL_ESCAPE.sub(r"\1", value)
    return item


_FIELD_TOKEN = re.compile(r'\\.|[{}"]|,\s*([A-Za-z_][\w:.+-]*)\s*=')


def _fields_given_twice(
    text: str, entries: Sequence[Entry], path: Path, diagnostics: Diagnostics
) -> None:
    """A field written twice in one entry: pandoc takes the last without a word; the author
    is told which."""
    for entry in entries:
        if entry.end is None or entry.kind in ("comment", "preamble", "string"):
            continue
        seen: set[str] = set()
        depth, quoted = 0, False
        for token in _FIELD_TOKEN.finditer(text, entry.start, entry.end):
            char = token.group()
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 1:
                quoted = not quoted
            elif token.group(1) and depth == 1 and not quoted:
                name = token.group(1).lower()
                if name in seen:
                    line = text.count("\n", 0, token.start(1)) + 1
                    diagnostics.warning(
                        Location(path, line),
                        f"the entry '{entry.key}' gives '{name}' twice; pandoc takes the last",
                        "pandoc-compat",
                    )
                seen.add(name)


def _unknown_types(entries: Sequence[Entry], path: Path, diagnostics: Diagnostics) -> None:
    for entry in entries:
        if entry.kind not in PANDOC_TYPES:
            diagnostics.warning(
                Location(path, entry.line),
                f"unknown BibTeX entry type '@{entry.kind}': pandoc reads it as @misc, "
                "without a CSL type",
                "bibtex-type",
            )


# --- a file pandoc can't read ----------------------------------------------------------------

_PANDOC_POSITION = re.compile(r"Error at .*?\(line (\d+), column (\d+)\):\s*(.*)")


def _report_failure(
    message: str, text: str, found: Scan, path: Path, diagnostics: Diagnostics
) -> None:
    """Pandoc's complaint, at its line and column, naming the entry it is in. Pandoc stops at
    the first problem and reads nothing of the file, so there is one error."""
    where = _PANDOC_POSITION.search(message)
    if where is None:
        diagnostics.error(
            Location(path), f"BibTeX that pandoc can't read: {message}", "sources-format"
        )
        return
    line, column, problem = int(where.group(1)), int(where.group(2)), where.group(3).strip()
    unclosed = next((e for e in found.entries if e.end is None), None)
    if unclosed is not None and "end of input" in problem:
        diagnostics.error(
            Location(path, unclosed.line),
            f"the entry '{unclosed.key}' is never closed (a '}}' missing?); "
            "pandoc can't read the file",
            "sources-format",
        )
        return
    entry = _entry_at(found.entries, _offset(text, line, column))
    inside = f" in the entry '{entry.key}' (line {entry.line})" if entry else ""
    diagnostics.error(
        Location(path, line, column),
        f"BibTeX that pandoc can't read: {problem}{inside}",
        "sources-format",
    )


def _offset(text: str, line: int, column: int) -> int:
    position = 0
    for _ in range(line - 1):
        position = text.find("\n", position) + 1
        if position == 0:
            return len(text)
    return position + column - 1


def _entry_at(entries: Sequence[Entry], offset: int) -> Entry | None:
    for entry in reversed(entries):
        if entry.start <= offset:
            return entry if entry.end is None or offset < entry.end else None
    return None
