"""BibTeX and BibLaTeX sources, read by pandoc exactly as ``pandoc --bibliography`` reads them.

Pandoc turns the file into CSL-JSON (``pandoc -f biblatex -t csljson``, or ``-f bibtex`` for a
``.bibtex`` file, as pandoc's citeproc chooses by extension), so a book's notes are pandoc's
notes for the same file: braces, LaTeX accents and commands, ``@string`` macros, ``crossref``
and ``xdata``, upper-case field names and Zotero's and Better BibTeX's exports all read as
pandoc reads them. The text reaches pandoc on its standard input: only the confined opener
ever reads a book's files.

Our own part is what pandoc doesn't say: where each entry starts (a light scanner of the
same grammar, so every problem has its file and line), which entry types pandoc doesn't know,
and where in the file pandoc stopped when it can't read it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.diagnostics import Diagnostics, Location
from ..core.pandoc import PandocError, pandoc_version, run_pandoc

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

# --- the scanner --------------------------------------------------------------------------
# Pandoc's grammar (src/Text/Pandoc/Citeproc/BibTeX.hs): between entries anything but '@'
# and '%' is skipped, '%' starts a comment to the end of the line; '@comment{…}' and
# '@preamble{…}' are skipped, '@string{name = value}' defines a macro, and every other
# '@type{key, field = value, …}' is an entry. Values are {braced} (nesting, '\' escapes the
# next character) or "quoted" (braces nest inside; a lone '}' is text), or bare words.


def _braced(levels: int) -> str:
    """A regular expression for a braced group nested at most ``levels`` deep (Python's
    expressions can't count; deeper groups are left to :func:`_close_slowly`)."""
    inner = r"(?:[^{}\\]++|\\.)*+"
    pattern = r"\{" + inner + r"\}"
    for _ in range(levels - 1):
        pattern = r"\{(?:[^{}\\]++|\\.|" + pattern + r")*+\}"
    return pattern


_BRACED = _braced(8)
_QUOTED = r'"(?:[^"{\\]++|\\.|' + _BRACED + r')*+"'
# The rest of an entry after its opening brace, up to and with its closing brace.
_BODY = re.compile(r'(?:[^{}"%\\]++|\\.|%[^\n]*+|' + _BRACED + "|" + _QUOTED + r")*+\}", re.DOTALL)
_GROUP = re.compile(_BRACED, re.DOTALL)  # @comment{…} and @preamble{…}
_TOP = re.compile(r"[@%]")
_HEAD = re.compile(r"@([^\W\d_]+)\s*\{")
_KEY = re.compile(r"\s*([\w.:;?!`'()$/*@+=\-\[\]&]*)")
_LINKED = re.compile(r"(?i)(?:crossref|xdata)\s*=")


@dataclass(frozen=True, slots=True)
class Entry:
    """Where one entry of a .bib file is."""

    kind: str
    """The entry type, lower case: ``book``, ``incollection``…"""
    key: str
    line: int
    start: int
    """Offset of its '@' in the text."""
    end: int | None
    """Offset just past its closing brace; None when it never closes."""


@dataclass(frozen=True)
class Scan:
    entries: list[Entry]
    strings: list[tuple[int, int]]
    """Where each ``@string`` definition is (start and end offsets), in file order."""
    linked: bool
    """Some entry may take fields from another (``crossref``, ``xdata``)."""
    clean: bool
    """Every '@' outside the entries starts a comment, a preamble or a macro that closes, and
    every entry closes: pandoc may find a problem in an entry, but nowhere else."""


def scan(text: str) -> Scan:
    """The entries and macro definitions of a .bib text, as pandoc's grammar finds them."""
    entries: list[Entry] = []
    strings: list[tuple[int, int]] = []
    position = line_at = 0
    line = 1
    clean = True
    while (found := _TOP.search(text, position)) is not None:
        at = found.start()
        if found.group() == "%":
            position = _line_end(text, at)
            continue
        head = _HEAD.match(text, at)
        if head is None:  # pandoc stops here; it says so itself
            clean = False
            position = at + 1
            continue
        kind = head.group(1).lower()
        end = _close(text, head.end(), kind in ("comment", "preamble"))
        if kind == "string":
            strings.append((at, end if end is not None else len(text)))
        elif kind not in ("comment", "preamble"):
            line += text.count("\n", line_at, at)
            line_at = at
            key = _KEY.match(text, head.end())
            entries.append(Entry(kind, key.group(1) if key else "", line, at, end))
        if end is None:
            clean = False
            break  # the rest of the file is inside it
        position = end
    return Scan(entries, strings, _LINKED.search(text) is not None, clean)


_PARENTS = re.compile(r"(?i)\b(?:crossref|xdata)\s*=\s*[{\"]([^{}\"]*)[}\"]")


def cited_text(text: str, keys: Iterable[str]) -> str:
    """A .bib text cut down to the entries of ``keys``, those they take fields from
    (``crossref``, ``xdata``, followed through) and every ``@string``, in the file's order:
    what pandoc needs to read those entries exactly as from the whole file, without reading
    fifty thousand others. The whole text when it doesn't scan cleanly."""
    found = scan(text)
    if not found.clean:
        return text
    by_key: dict[str, list[Entry]] = defaultdict(list)
    for entry in found.entries:
        by_key[entry.key].append(entry)
    wanted: set[int] = set()
    todo = list(dict.fromkeys(keys))
    seen: set[str] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        for entry in by_key.get(key, ()):
            wanted.add(entry.start)
            body = text[entry.start : entry.end]
            for parents in _PARENTS.findall(body):
                todo += [p.strip() for p in parents.split(",") if p.strip()]
    spans = [(start, end) for start, end in found.strings]
    spans += [(e.start, e.end or len(text)) for e in found.entries if e.start in wanted]
    return "\n".join(text[start:end] for start, end in sorted(spans)) + "\n"


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end + 1


def _close(text: str, start: int, braces_only: bool) -> int | None:
    """The offset just past the brace that closes the group opened before ``start``."""
    found = _GROUP.match(text, start - 1) if braces_only else _BODY.match(text, start)
    return found.end() if found else _close_slowly(text, start, braces_only)


def _close_slowly(text: str, start: int, braces_only: bool) -> int | None:
    """:func:`_close`, character by character: for groups nested deeper than the regular
    expressions reach, and for those that never close."""
    depth, quoted, position = 1, False, start
    while position < len(text):
        char = text[position]
        position += 1
        if char == "\\":
            position += 1
        elif braces_only or depth > 1:
            depth += {"{": 1, "}": -1}.get(char, 0)
        elif char == '"':
            quoted = not quoted
        elif char == "{":
            depth += 1
        elif char == "}" and not quoted:
            depth -= 1
        elif char == "%" and not quoted:
            position = _line_end(text, position)
        if depth == 0:
            return position
    return None


# --- pandoc ---------------------------------------------------------------------------------

_PART_ENTRIES = 500
"""Fewer entries than this per pandoc are not worth another process (pandoc reads about a
thousand entries a second)."""
_MEMO_ITEMS = 100_000
_memo: dict[str, dict[str, Any]] = {}
"""Pandoc's reading of each entry lately read, by :func:`_memo_keys`: the preview, or a
program that loads a book again, reads again only the entries that changed."""


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
    lines = _lines(found.entries)
    located = []
    for item in items:
        if not isinstance(item, dict):
            continue
        queue = lines.get(str(item.get("id")))
        line = queue.popleft() if queue else 0  # 0: somewhere in the file
        located.append((_cleaned(item), Location(path, line)))
    return located


def _read(text: str, found: Scan, variant: str, language: str) -> list[Any]:
    """Pandoc's CSL-JSON for the entries of the text, in file order.

    Pandoc's reading of an entry depends on the entry, on the macros defined before it and on
    the entries it takes fields from (crossref, xdata), and on nothing else. So, when no entry
    takes fields from another, any of them can be read without the others: given the
    ``@string`` definitions before it, in order. Entries read lately are taken from the memo;
    the others are read in parts, in parallel, with every ``@string`` and ``@xdata`` (they
    give no entry, but pandoc must find them readable). When the file isn't clean (pandoc may
    find a problem outside the entries), when entries are linked, or should any part come out
    otherwise than the scanner expects, the whole text is read at once, and that decides.
    """
    if found.linked or not found.clean:
        return _pandoc(text, variant, language)
    entries = [e for e in found.entries if e.kind != "xdata"]
    keys = _memo_keys(text, found, entries, variant, language)
    items: list[dict[str, Any] | None] = [_memo.get(key) for key in keys]
    missing = [index for index, item in enumerate(items) if item is None]
    wanted = [entries[i] for i in missing] + [e for e in found.entries if e.kind == "xdata"]
    wanted.sort(key=lambda entry: entry.start)
    read = _read_parts(text, found.strings, wanted, variant, language)
    if read is None:
        return _pandoc(text, variant, language)
    for index, item in zip(missing, read, strict=True):
        items[index] = item
    _remember(dict(zip(keys, items, strict=True)))
    return items


def _memo_keys(
    text: str, found: Scan, entries: Sequence[Entry], variant: str, language: str
) -> list[str]:
    """For each entry, a digest of all its reading depends on (see :func:`_read`)."""
    macros = hashlib.sha256(f"{variant}\0{language}\0{pandoc_version()}".encode())
    strings = iter(found.strings)
    pending = next(strings, None)
    keys = []
    for entry in entries:
        while pending is not None and pending[0] < entry.start:
            macros.update(text[pending[0] : pending[1]].encode("utf-8", "surrogatepass"))
            pending = next(strings, None)
        digest = macros.copy()
        digest.update(text[entry.start : entry.end].encode("utf-8", "surrogatepass"))
        keys.append(digest.hexdigest())
    return keys


def _remember(read: dict[str, Any]) -> None:
    global _memo
    kept = {key: item for key, item in _memo.items() if key not in read}
    room = max(0, _MEMO_ITEMS - len(read))
    _memo = dict(list(kept.items())[-room:] if room else []) | read


def _read_parts(
    text: str,
    strings: Sequence[tuple[int, int]],
    entries: Sequence[Entry],
    variant: str,
    language: str,
) -> list[Any] | None:
    """Pandoc's CSL-JSON for ``entries`` (a clean file's, unlinked, in file order), read in
    one part for each processor when there are many, with every ``@string`` of the file;
    None if a part gives other ids than its entries' keys, or pandoc can't read it."""
    parts = _parts(entries, _processors())
    texts = [_part_text(text, strings, part, last=part is parts[-1]) for part in parts]
    try:
        if len(texts) == 1:
            done = [_pandoc(texts[0], variant, language)]
        else:
            with ThreadPoolExecutor(len(texts)) as pool:
                done = list(pool.map(lambda part: _pandoc(part, variant, language), texts))
    except PandocError:
        return None
    for items, part in zip(done, parts, strict=True):
        keys = [entry.key for entry in part if entry.kind != "xdata"]
        if [item.get("id") if isinstance(item, dict) else None for item in items] != keys:
            return None
    return [item for items in done for item in items]


def _parts(entries: Sequence[Entry], workers: int) -> list[Sequence[Entry]]:
    """The entries cut in (at most) two parts for each worker, of at least
    :data:`_PART_ENTRIES` entries each; one part, perhaps empty, at least."""
    count = max(1, min(2 * workers, len(entries) // _PART_ENTRIES))
    cuts = [len(entries) * i // count for i in range(count + 1)]
    return [entries[begin:end] for begin, end in itertools.pairwise(cuts)]


def _part_text(
    text: str, strings: Sequence[tuple[int, int]], part: Sequence[Entry], last: bool
) -> str:
    """The entries of ``part``, each after the ``@string`` definitions before it in the file
    (all of them, in order: a macro may be defined again); the last part ends with those
    after its entries, so that pandoc reads every one."""
    pieces = []
    strings_before = iter(strings)
    pending = next(strings_before, None)
    for entry in part:
        while pending is not None and pending[0] < entry.start:
            pieces.append(text[pending[0] : pending[1]])
            pending = next(strings_before, None)
        pieces.append(text[entry.start : entry.end])
    while last and pending is not None:
        pieces.append(text[pending[0] : pending[1]])
        pending = next(strings_before, None)
    return "\n".join(pieces)


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pandoc(text: str, variant: str, language: str) -> list[Any]:
    # Pandoc's BibTeX reader takes its language from LANG: set it, or the reading would
    # depend on the machine's locale (a German one keeps English titles in title case).
    data = text.encode("utf-8")
    # A bound, lest a file pandoc chokes on hang the build: a minute, and ten seconds a
    # megabyte (pandoc takes one or two).
    timeout = 60 + len(data) / 100_000
    output = run_pandoc(["-f", variant, "-t", "csljson"], data, timeout, env={"LANG": language})
    try:
        items = json.loads(output)
    except ValueError:
        raise PandocError("pandoc gave CSL-JSON that can't be read") from None
    if not isinstance(items, list):
        raise PandocError("pandoc gave CSL-JSON that is not a list")
    return items


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
