"""Where each entry of a .bib text is, found without pandoc: a light scanner of pandoc's own
grammar, so that every entry has its line, and a text can be cut down to the entries a book
cites (with those they take fields from, and every macro) before pandoc reads it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

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
