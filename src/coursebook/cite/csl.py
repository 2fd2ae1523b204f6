"""Citations formatted by pandoc's citeproc, the reference CSL processor.

CSL is the style language Zotero, Mendeley and pandoc share. Rather than approximate it,
coursebook hands the work to pandoc's own citeproc (jgm/citeproc, which passes the CSL test
suite as well as any processor does), in **one pandoc run per build** (two side by side for
a style that says "Ibid.": see ``CitationEngine._variants``):

- Each chapter's citations are written as the lessons wrote them, in a Markdown Div of
  their own (``[see @a, p. 3]``, ``@a [p. 33]``, the citations of an authored note inside that
  note), so pandoc reads each exactly as it would read the lesson, locators and affixes
  included.
- A Lua filter (``lua/citeproc.lua``) numbers each chapter's notes as the book does and runs
  ``pandoc.utils.citeproc`` once over all the chapters, as pandoc formats a whole book:
  disambiguation (year suffixes, initials) and citation numbers are the book's, and
  positions (first, subsequent, "Ibid.") restart with every chapter (pandoc's
  ``reset-citation-positions``). The bibliography comes from the same run.
- pandoc gives back its document as JSON; :class:`~coursebook.cite.pandoc_document._Reader`
  takes each citation's formatted text and the bibliography's entries from it, and
  :func:`~coursebook.cite.pandoc_html.inline_html` writes them as XHTML.

Where coursebook sets citations differently from pandoc, on purpose (docs/book-format.md,
"Citations"):

- **"Ibid." only in print.** A pop-up note in an ebook has no "previous note", so a style that
  says "Ibid." formats each chapter twice: as it is (print), and with its ``ibid`` positions
  read as plain ``subsequent`` ones (:func:`~coursebook.cite.style_facts.without_ibid`; the
  EPUB and the preview).
- **A citation inside an authored note** is set inside it as pandoc sets it, without the
  parentheses pandoc puts around it (pandoc #6828, citeproc #92).
- The note number after the punctuation that follows a citation is placed by the rendering,
  not here.

What a run formatted is kept between builds (by the text pandoc is given, the style, the
language and the cited sources' data), so a book whose citations haven't changed runs no
pandoc at all. (Nothing smaller than the book can be kept: one new citation anywhere may
change how every other one of its author reads.)

This module owns the engine (:class:`CitationEngine`: the run, its files, its errors) and the
memo of what it formatted; what it is given and gives back are the types of
:mod:`.formatting`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.cache import Cache, cache_key
from ..core.limits import Limits, raise_hint
from ..core.pandoc import PandocError, PandocTimeout, pandoc_version, run_pandoc
from ..core.resources import package_file
from ..model import CitationStyle, Source
from ..source.bibtex import cited_text
from ..source.csl_entry import mended_url
from .formatting import AuthoredNote, Formatted, Formatting, Slot
from .pandoc_document import _Reader, chapter_markdown
from .style_facts import style_facts, without_ibid

ENGINE = "pandoc-citeproc-3"
"""Part of every cache key: formatted text from another way of formatting is not reused."""
SIDE_BY_SIDE = 2000
"""The most citations (and authored notes holding some) for which a style's two variants are
formatted by two pandoc processes side by side: pandoc's memory grows with the book (207 MB
for 1,118 citations, 483 MB for 4,558, measured with ``/usr/bin/time``), and two side by side
took a 160-lesson book's process tree to 1,061 MB, past the 700 MB its layout peaks at."""

# Pandoc's heap (GHC's runtime) grows to twice what it holds before a major collection; one
# and a half times makes it collect sooner. Measured on a 160-lesson book's citations (4,558,
# one variant, /usr/bin/time, three runs each): 443 MB against 537 MB at its largest, 6.0-9.0 s
# against 6.9-7.5 s, the same output; at 40 lessons, 190 MB against 207 MB. Pandoc's memory is
# most of a large build's peak (the citations are formatted while the lessons are held).
_LEANER_HEAP = ("+RTS", "-F1.5", "-RTS")
# With few citations, a larger allocation area (GHC's default is 4 MB; this pandoc is built
# with -H64m) spares pandoc many minor collections: the 40-lesson course's 1,118 citations
# (one variant, /usr/bin/time, five runs alternated) took 1.30 s (median) against 1.69 s,
# at 248 MB against 190 MB; the build's process tree peaked at 622 MB. Not with more: a
# 68-lesson course's 1,944 citations, side by side, took the tree to 714 MB against 591 MB
# (psutil every 20 ms), past the 700 MB a 160-lesson build keeps to.
_ROOMY_HEAP = ("+RTS", "-F1.5", "-A64m", "-RTS")
ROOMY_MOST = 1200
"""The most citations (and authored notes holding some) formatted with ``_ROOMY_HEAP``."""


class CiteprocError(Exception):
    """Pandoc could not format the citations; the message says why."""

    def __init__(self, message: str, code: str = "citation-style") -> None:
        super().__init__(message)
        self.code = code
        """``citation-style`` (pandoc failed on the style or the data), ``limit`` (it ran
        past citations_seconds) or ``output`` (its working files couldn't be written)."""


# --- the engine ----------------------------------------------------------------------------------


class CitationEngine:
    """Formats a book's citations and bibliographies with one style, through pandoc."""

    def __init__(
        self,
        style: CitationStyle,
        language: str,
        sources: Mapping[str, Source],
        cache: Cache | None = None,
        cache_name: str = "",
        seconds: float = Limits.citations_seconds,
        bibtex: Mapping[Path, str] | None = None,
    ) -> None:
        self.style = style
        self.seconds = seconds
        self.bibtex = dict(bibtex or {})
        """BibTeX files the sources come from, by path: pandoc reads those entries from
        them, as it would read the book's own file (braces keeping a word's case and all)."""
        self.language = language
        self.sources = sources
        self.facts = style_facts(style.xml)
        self._memo = _Memo(cache, cache_name)

    @property
    def is_note_style(self) -> bool:
        return self.facts.note

    @cached_property
    def _screen_xml(self) -> bytes:
        return without_ibid(self.style.xml) if self.facts.ibid else self.style.xml

    def format(self, chapters: Sequence[Sequence[Slot]], uncited: Sequence[str] = ()) -> Formatting:
        """Every chapter's citations and the bibliography, from the memo or from one pandoc
        run. ``uncited`` sources are in the bibliography too (pandoc's ``nocite``)."""
        texts = [chapter_markdown(slots, f"c{i}") for i, slots in enumerate(chapters)]
        keys = [k for slots in chapters for k in _cited(slots) if k in self.sources]
        nocite = [k for k in uncited if k in self.sources]
        key = self._key("\n\n".join([*texts, " ".join(nocite)]), [*keys, *nocite])
        known = self._memo.get(key)
        if known is None:
            known = self._run(texts, chapters, list(dict.fromkeys([*keys, *nocite])), nocite)
        self._memo.put(key, known)
        return Formatting(
            [[Formatted(*item) for item in chapter] for chapter in known["chapters"]],
            [(k, text) for k, text in known["bibliography"]],
        )

    def save_memo(self) -> None:
        """Keep what this build formatted for the next (with a cache)."""
        self._memo.save()

    def _key(self, text: str, keys: Sequence[str]) -> str:
        data = json.dumps(
            [_csl_json(self.sources[k]) for k in dict.fromkeys(keys)],
            sort_keys=True,
            ensure_ascii=False,
        )
        bibtex = [cache_key(str(path), text) for path, text in sorted(self.bibtex.items())]
        return cache_key(
            ENGINE, pandoc_version(), self.style.xml, self.language, text, data, *bibtex
        )

    def _run(
        self,
        texts: Sequence[str],
        chapters: Sequence[Sequence[Slot]],
        keys: Sequence[str],
        nocite: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Format the book's citations in one pandoc run."""
        variants = ["print", "screen"] if self.facts.ibid else ["print"]
        count = sum(len(slots) for slots in chapters)
        heap = _ROOMY_HEAP if count <= ROOMY_MOST else _LEANER_HEAP
        try:
            output = self._in_folder(texts, keys, variants, nocite, count <= SIDE_BY_SIDE, heap)
        except OSError as error:  # a full disk, a temporary folder that can't be written
            raise CiteprocError(
                f"could not write the files pandoc reads: {error.strerror}", code="output"
            ) from None
        reader = _Reader(output, self.facts)
        return {
            "chapters": [
                reader.chapter(f"c{i}", slots, variants) for i, slots in enumerate(chapters)
            ],
            "bibliography": reader.bibliography(),
        }

    def _in_folder(
        self,
        texts: Sequence[str],
        keys: Sequence[str],
        variants: list[str],
        nocite: Sequence[str] = (),
        side_by_side: bool = True,
        heap: Sequence[str] = _LEANER_HEAP,
    ) -> Any:
        """Pandoc's document (JSON) for the chapters' ``texts``, run in a temporary folder
        holding the styles, the sources and the plan (see :meth:`_variants`)."""
        with tempfile.TemporaryDirectory(prefix="coursebook-citeproc-") as folder:
            work = Path(folder)
            (work / "print.csl").write_bytes(self.style.xml)
            (work / "screen.csl").write_bytes(self._screen_xml)
            own = [k for k in keys if self.sources[k].location.path not in self.bibtex]
            (work / "references.json").write_text(
                json.dumps([_csl_json(self.sources[k]) for k in own], ensure_ascii=False),
                encoding="utf-8",
            )
            files = [str(work / "references.json")]
            for index, (path, text) in enumerate(self.bibtex.items()):
                # Only the entries cited (a file of 50,000 would take pandoc half a minute).
                mine = [k for k in keys if self.sources[k].location.path == path]
                bib = work / f"sources-{index}.bib"
                bib.write_text(_bib_urls(cited_text(text, mine)), encoding="utf-8")
                files.append(str(bib))
            plan = {
                "lang": self.language,
                "styles": {name: str(work / f"{name}.csl") for name in ("print", "screen")},
                "bibliography": files,
                "nocite": list(nocite),
            }
            plans = []
            for variant in variants:
                plans.append(work / f"plan-{variant}.json")
                plans[-1].write_text(json.dumps({**plan, "variants": [variant]}), "utf-8")
            document = "\n\n".join(
                f"::: {{#c{i} .chapter}}\n{text}\n:::" for i, text in enumerate(texts)
            )
            return self._variants(document, work, plans, side_by_side, heap)

    def _variants(
        self,
        document: str,
        work: Path,
        plans: Sequence[Path],
        side_by_side: bool,
        heap: Sequence[str],
    ) -> Any:
        """One pandoc run for each variant's plan, side by side if ``side_by_side``, their
        documents joined.

        A style that says "Ibid." is formatted twice (print and screen), and pandoc's
        citeproc runs on one core: at 40 lessons the two variants, one after the other in one
        run, were 5.4 s of a cold build's 6.2 s of citations (profiled), with the other core
        idle (the layout needs the citations). Each variant is one citeproc run over the
        whole book either way, so run apart they format the same."""
        if not side_by_side:
            return self._joined([json.loads(self._pandoc(document, work, p, heap)) for p in plans])
        with ThreadPoolExecutor(len(plans)) as pool:  # each thread waits on its pandoc
            runs = [pool.submit(self._pandoc, document, work, p, heap) for p in plans]
            return self._joined([json.loads(run.result()) for run in runs])

    @staticmethod
    def _joined(outputs: Sequence[Any]) -> Any:
        """The variants' documents as one (each variant is a Div of its own)."""
        joined = outputs[0]
        for output in outputs[1:]:
            joined["blocks"].extend(output["blocks"])
        return joined

    def _pandoc(self, document: str, work: Path, plan: Path, heap: Sequence[str]) -> bytes:
        script = package_file("cite/lua/citeproc.lua")
        try:
            return run_pandoc(
                [
                    *heap,
                    "--from=markdown",
                    "--to=json",
                    f"--lua-filter={script}",
                    f"--metadata=coursebook-plan:{plan}",
                ],
                stdin=document.encode("utf-8"),
                timeout=self.seconds,
                cwd=work,
                # Pandoc's BibTeX reader takes its language from LANG (the loader read the
                # file the same way): English titles are set in sentence case for it.
                env={"LANG": self.language},
            )
        except PandocTimeout:
            raise CiteprocError(
                f"formatting the citations timed out after {self.seconds:g} seconds "
                f"({raise_hint('citations_seconds')})",
                code="limit",
            ) from None
        except PandocError as error:
            raise CiteprocError(str(error)) from None


_BIB_URL = re.compile(
    r"(?P<name>\b(?:url|doi)\s*=\s*)(?P<value>\{(?:[^{}]|\{[^{}]*\})*\}|\"[^\"]*\")(?P<comma>\s*,)?",
    re.I,
)


def _bib_urls(text: str) -> str:
    """A BibTeX file with its addresses as the loader read them: LaTeX's escapes out
    (``a\\&b``: pandoc keeps the backslash, and the link would lead nowhere) and the URL
    mended (:func:`~coursebook.source.csl_entry.mended_url`), or left out."""

    def mend(match: re.Match[str]) -> str:
        value = re.sub(r"\\([&%#_$~])", r"\1", match.group("value"))
        if not match.group("name").lower().startswith("url"):
            return match.group("name") + value + (match.group("comma") or "")
        url = mended_url(value[1:-1].strip())
        if url is None:
            return ""
        return f"{match.group('name')}{{{url}}}{match.group('comma') or ''}"

    return _BIB_URL.sub(mend, text)


def _cited(slots: Sequence[Slot]) -> list[str]:
    """The source keys the slots' citations name (as pandoc would find them)."""
    keys: list[str] = []
    for slot in slots:
        for cite in slot.cites if isinstance(slot, AuthoredNote) else (slot,):
            keys += [m.group(1) or m.group(2) for m in _KEYS.finditer(cite.raw)]
    return keys


_KEYS = re.compile(r"@(?:\{([^{}]+)\}|(\w(?:[\w:.#$%&+?<>~/-]*\w)?))")


# --- the sources as pandoc reads them ------------------------------------------------------------


def _csl_json(source: Source) -> dict[str, Any]:
    data = {key: value for key, value in source.data.items()}
    data["id"] = source.id
    data["type"] = source.type
    return data


# --- the memo ------------------------------------------------------------------------------------


class _Memo:
    """Formatted chapters and bibliographies kept between builds, in one cache file per
    book: what a build used is kept, the rest dropped."""

    def __init__(self, cache: Cache | None, name: str) -> None:
        self.cache, self.name = cache, name
        stored = cache.get("citeproc", name) if cache is not None else None
        try:
            self.known: dict[str, Any] = json.loads(stored) if stored else {}
        except ValueError:
            self.known = {}
        self.used: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.known.get(key)

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self) -> None:
        if self.cache is not None and self.used and self.used != self.known:
            self.cache.put("citeproc", self.name, json.dumps(self.used, ensure_ascii=False))
