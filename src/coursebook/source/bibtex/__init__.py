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

The modules, from the file to the sources: :mod:`.scanner` (where each entry and macro is,
and a file cut down to the cited entries), :mod:`.reading` (pandoc's reading of the entries,
remembered and in parallel parts) and :mod:`.entries` (:func:`bibtex_entries`: each entry
located, and what pandoc doesn't say).
"""

from __future__ import annotations

from .entries import DEFERRED, DEFERRED_ABOVE, bibtex_entries
from .scanner import cited_text, scan

__all__ = ["DEFERRED", "DEFERRED_ABOVE", "bibtex_entries", "cited_text", "scan"]
