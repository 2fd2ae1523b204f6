"""Reading the sources file into CSL data.

``sources.yaml`` (CSL-YAML, plus the shorthand of BOOK-FORMAT.md: ``author: Leon Trotsky`` and
``year: 1936``), ``sources.json`` (CSL-JSON, as Zotero exports it) and ``sources.bib``
(BibTeX or BibLaTeX, read by pandoc: :mod:`coursebook.bibtex`) all become
:class:`~coursebook.model.Source` objects holding CSL-JSON, so everything after this module
sees one shape of data whatever the file was.

This module owns reading a file whole (which file, which format, the entries by id) and the
cited entries of a large BibTeX file read later; the YAML and JSON files are read in
:mod:`.csl_files`, each entry checked in :mod:`.csl_entry`, against the vocabulary of
:mod:`.csl_vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from ..core.diagnostics import Diagnostics, Location
from ..core.gcpause import no_collections
from ..core.limits import Limits
from ..core.paths import read_text
from ..model import Source
from .bibtex import DEFERRED, DEFERRED_ABOVE, bibtex_entries, cited_text
from .csl_entry import _bib_source, _source
from .csl_files import _json_entries, _yaml_entries

SOURCE_FILES = ("sources.yaml", "sources.yml", "sources.json", "sources.bib", "sources.bibtex")


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
