"""Pandoc's reading of a .bib text as CSL-JSON: each entry read once and remembered (the
preview and a program that loads a book again read only the entries that changed), and a
large file read in parts, in parallel, when that is sure to give what the whole file gives."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...core.pandoc import PandocError, pandoc_version, run_pandoc
from .scanner import Entry, Scan

_PART_ENTRIES = 500
"""Fewer entries than this per pandoc are not worth another process (pandoc reads about a
thousand entries a second)."""
_MEMO_ITEMS = 100_000
_memo: dict[str, dict[str, Any]] = {}
"""Pandoc's reading of each entry lately read, by :func:`_memo_keys`: the preview, or a
program that loads a book again, reads again only the entries that changed."""


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
