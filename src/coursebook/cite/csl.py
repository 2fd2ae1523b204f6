"""Citations formatted by pandoc's citeproc, the reference CSL processor.

CSL is the style language Zotero, Mendeley and pandoc share. Rather than approximate it,
coursebook hands the work to pandoc's own citeproc (jgm/citeproc, which passes the CSL test
suite as well as any processor does), in **one pandoc run per build**:

- Each chapter's citations are written as the lessons wrote them, in a Markdown Div of
  their own (``[see @a, p. 3]``, ``@a [p. 33]``, the citations of an authored note inside that
  note), so pandoc reads each exactly as it would read the lesson, locators and affixes
  included.
- A Lua filter (``lua/citeproc.lua``) numbers each chapter's notes as the book does and runs
  ``pandoc.utils.citeproc`` once over all the chapters, as pandoc formats a whole book:
  disambiguation (year suffixes, initials) and citation numbers are the book's, and
  positions (first, subsequent, "Ibid.") restart with every chapter (pandoc's
  ``reset-citation-positions``). The bibliography comes from the same run.
- pandoc gives back its document as JSON; :class:`_Reader` takes each citation's formatted
  text and the bibliography's entries from it, and :func:`inline_html` writes them as
  XHTML.

Where coursebook sets citations differently from pandoc, on purpose (README, "Citations"):

- **"Ibid." only in print.** A pop-up note in an ebook has no "previous note", so a style that
  says "Ibid." formats each chapter twice: as it is (print), and with its ``ibid`` positions
  read as plain ``subsequent`` ones (:func:`without_ibid`; the EPUB and the preview).
- **A citation inside an authored note** is set inside it as pandoc sets it, without the
  parentheses pandoc puts around it (pandoc #6828, citeproc #92).
- The note number after the punctuation that follows a citation is placed by the rendering,
  not here.

What a run formatted is kept between builds (by the text pandoc is given, the style, the
language and the cited sources' data), so a book whose citations haven't changed runs no
pandoc at all. (Nothing smaller than the book can be kept: one new citation anywhere may
change how every other one of its author reads.)
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

from ..core.cache import Cache, cache_key
from ..core.limits import Limits, raise_hint
from ..core.pandoc import PandocError, PandocTimeout, pandoc_version, run_pandoc
from ..core.resources import package_file
from ..model import CitationStyle, Source
from ..source.bibtex import cited_text
from ..source.csl_style import CSL_NS

ENGINE = "pandoc-citeproc-3"
"""Part of every cache key: formatted text from another way of formatting is not reused."""


class CiteprocError(Exception):
    """Pandoc could not format the citations; the message says why."""

    def __init__(self, message: str, code: str = "citation-style") -> None:
        super().__init__(message)
        self.code = code
        """``citation-style`` (pandoc failed on the style or the data), ``limit`` (it ran
        past citations_seconds) or ``output`` (its working files couldn't be written)."""


# --- the style -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StyleFacts:
    """What a style does, read from its XML."""

    note: bool
    """Citations are notes (Chicago notes), not set in the text (author-date, numeric)."""
    ibid: bool
    """Its citations may read "Ibid." (a position of ibid is tested)."""
    bibliography: bool
    """It has a bibliography layout (92 of the bundled styles, notes only, have none)."""


def style_facts(xml: bytes) -> StyleFacts:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    citation = root.find(f"{{{CSL_NS}}}citation")
    return StyleFacts(
        note=root.get("class") == "note",
        ibid=any("ibid" in (e.get("position") or "") for e in root.iter(f"{{{CSL_NS}}}*"))
        and citation is not None,
        bibliography=root.find(f"{{{CSL_NS}}}bibliography") is not None,
    )


_NEVER = "coursebook-never-set"
"""A variable no source has: a condition on it is never true."""


def without_ibid(xml: bytes) -> bytes:
    """The style with its ``ibid`` and ``ibid-with-locator`` position tests never true, so
    that a citation in ibid position is set as a ``subsequent`` one (which it also is)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for test in root.iter(f"{{{CSL_NS}}}if", f"{{{CSL_NS}}}else-if"):
        positions = (test.get("position") or "").split()
        kept = [p for p in positions if p not in ("ibid", "ibid-with-locator")]
        if kept == positions:
            continue
        match = test.get("match", "all")
        if match == "all" or not kept:
            # Every test must hold, and one can't; or only ibid tests were named.
            test.attrib.pop("position")
            if match == "none":  # "none of [nothing]" would be true: keep it false
                test.set("match", "all")
            test.set("variable", f"{test.get('variable', '')} {_NEVER}".strip())
        else:
            test.set("position", " ".join(kept))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


# --- what is formatted ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cite:
    """One citation to format: its text as the lesson wrote it, and where it sits."""

    raw: str
    """``[see @a, p. 3; @b]``, ``[-@a]`` or ``@a [p. 33]``."""
    in_note: bool = False
    """Inside an authored note (else in the running text)."""
    after_text: bool = False
    """In a note: the note has text before the citation."""
    before_capital: bool = True
    """In a note: the text after it starts with a capital letter, or nothing follows (pandoc
    then keeps the final period of an author-in-text citation's note)."""


@dataclass(frozen=True)
class AuthoredNote:
    """An authored footnote: a note number of its own, and the citations it holds."""

    cites: tuple[Cite, ...] = ()


Slot = Cite | AuthoredNote
"""A chapter's notes and citations, in reading order: a citation in the running text, or an
authored note (with the citations inside it)."""


@dataclass(frozen=True)
class Formatted:
    """A citation's text, for each medium."""

    html: str
    """The EPUB's and the preview's: a note's text (note styles) or the citation as set in
    the text (in-text styles)."""
    print_html: str
    """The print edition's: the same, but "Ibid." where the style says so."""
    author: str = ""
    """``@a [p. 33]`` with a note style: the author's name, set in the sentence."""


@dataclass
class Formatting:
    """What one run formatted: each chapter's citations (in slot order, citations inside an
    authored note in their order), and the bibliography of every source cited, as (id,
    XHTML) in the style's order (empty where the style prints nothing for a source)."""

    chapters: list[list[Formatted]] = field(default_factory=list)
    bibliography: list[tuple[str, str]] = field(default_factory=list)


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
        try:
            output = self._in_folder(texts, keys, variants, nocite)
        except OSError as error:  # a full disk, a temporary folder that can't be written
            raise CiteprocError(
                f"could not write the files pandoc reads: {error.strerror}", code="output"
            ) from None
        reader = _Reader(json.loads(output), self.facts)
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
    ) -> bytes:
        """Pandoc's output for the chapters' ``texts``, run in a temporary folder holding the
        styles, the sources and the plan."""
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
                "variants": variants,
                "nocite": list(nocite),
            }
            (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
            document = "\n\n".join(
                f"::: {{#c{i} .chapter}}\n{text}\n:::" for i, text in enumerate(texts)
            )
            return self._pandoc(document, work)

    def _pandoc(self, document: str, work: Path) -> bytes:
        script = package_file("cite/lua/citeproc.lua")
        try:
            return run_pandoc(
                [
                    "--from=markdown",
                    "--to=json",
                    f"--lua-filter={script}",
                    f"--metadata=coursebook-plan:{work / 'plan.json'}",
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


_BIB_URL = re.compile(r"(\b(?:url|doi)\s*=\s*)(\{(?:[^{}]|\{[^{}]*\})*\}|\"[^\"]*\")", re.I)


def _bib_urls(text: str) -> str:
    """A BibTeX file with LaTeX's escapes out of its addresses (``a\\&b``): pandoc keeps
    the backslash, and the link would lead nowhere (the loader reads them so too)."""
    return _BIB_URL.sub(lambda m: m.group(1) + re.sub(r"\\([&%#_$~])", r"\1", m.group(2)), text)


def _cited(slots: Sequence[Slot]) -> list[str]:
    """The source keys the slots' citations name (as pandoc would find them)."""
    keys: list[str] = []
    for slot in slots:
        for cite in slot.cites if isinstance(slot, AuthoredNote) else (slot,):
            keys += [m.group(1) or m.group(2) for m in _KEYS.finditer(cite.raw)]
    return keys


_KEYS = re.compile(r"@(?:\{([^{}]+)\}|(\w(?:[\w:.#$%&+?<>~/-]*\w)?))")


# --- the document pandoc reads -------------------------------------------------------------------


def chapter_markdown(slots: Sequence[Slot], name: str = "c") -> str:
    """A chapter's citations as pandoc Markdown: each citation of the running text a
    paragraph of its own; each authored note a note, holding its citations as the author's
    text does (a word before the first when text precedes it; after each, a word whose first
    letter has the case of what follows). After each citation stands a token ``q<n>`` that
    lets :class:`_Reader` find it again. Note labels carry ``name``: they are the whole
    document's."""
    paragraphs: list[str] = []
    notes: list[str] = []
    counter = 0
    for slot in slots:
        if isinstance(slot, Cite):
            paragraphs.append(f"{_one_line(slot.raw)} q{counter}")
            counter += 1
            continue
        label = f"{name}n{len(notes)}"
        parts = ["w"] if slot.cites and slot.cites[0].after_text else []
        for cite in slot.cites:
            token = f"Q{counter}" if cite.before_capital else f"q{counter}"
            parts += [_one_line(cite.raw), token]
            counter += 1
        notes.append(f"[^{label}]: {' '.join(parts) or 'note'}")
        paragraphs.append(f"note[^{label}]")
    return "\n\n".join(paragraphs + notes)


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text.strip())


# --- what pandoc gives back ----------------------------------------------------------------------

_TOKEN = re.compile(r"^[qQ](\d+)$")


class _Reader:
    """The formatted citations and the bibliography in pandoc's JSON output."""

    def __init__(self, document: dict[str, Any], facts: StyleFacts) -> None:
        self.facts = facts
        self.variants = {
            block["c"][0][0].removeprefix("variant-"): block["c"][1]
            for block in document.get("blocks", [])
            if block.get("t") == "Div"
        }
        self.divs = {
            variant: {
                block["c"][0][0]: block["c"][1] for block in blocks if block.get("t") == "Div"
            }
            for variant, blocks in self.variants.items()
        }

    def chapter(self, cid: str, slots: Sequence[Slot], variants: Sequence[str]) -> list[Any]:
        cites = [
            c for slot in slots for c in (slot.cites if isinstance(slot, AuthoredNote) else (slot,))
        ]
        found = {
            variant: _cites_in(self.divs.get(variant, {}).get(cid, []), len(cites))
            for variant in variants
        }
        results = []
        for index, cite in enumerate(cites):
            printed = self._text(found["print"][index], cite)
            screen = self._text(found[variants[-1]][index], cite) if len(variants) > 1 else printed
            results.append([screen[0], printed[0], printed[1]])
        return results

    def _text(self, content: list[Any] | None, cite: Cite) -> tuple[str, str]:
        """(the citation's text, the author's name in the sentence) from a Cite's content."""
        if content is None:  # pandoc didn't read it as a citation
            return html.escape(cite.raw, quote=False), ""
        if self.facts.note and not cite.in_note:
            notes = [i for i, inline in enumerate(content) if inline.get("t") == "Note"]
            if notes:
                author = inline_html(content[: notes[0]]).strip()
                note = content[notes[0]]["c"]
                return blocks_html(note), author
        if self.facts.note and cite.in_note:
            content = _without_parentheses(content)
        return inline_html(content).strip(), ""

    def bibliography(self) -> list[list[str]]:
        entries = []
        for block in _walk_blocks(self.variants.get("print", [])):
            if block.get("t") != "Div":
                continue
            (identifier, classes, _), content = block["c"]
            if "csl-entry" in classes and identifier.startswith("ref-"):
                entries.append([identifier.removeprefix("ref-"), blocks_html(content)])
        return entries


def _cites_in(blocks: list[Any], expected: int) -> list[list[Any] | None]:
    """The content of each numbered citation (by the ``q<n>`` token after it), or None for
    one pandoc didn't read as a citation."""
    found: list[list[Any] | None] = [None] * expected
    last: list[Any] | None = None
    for inline in _walk_inlines(blocks):
        kind = inline.get("t")
        if kind == "Cite":
            last = inline["c"][1]
        elif kind == "Str" and (token := _TOKEN.match(inline["c"])):
            index = int(token.group(1))
            if index < expected:
                found[index] = last
            last = None
    return found


def _walk_blocks(blocks: list[Any]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield block
        if block.get("t") == "Div":
            yield from _walk_blocks(block["c"][1])


def _walk_inlines(value: Any) -> Iterator[dict[str, Any]]:
    """Every inline in document order, notes' contents where the note is; a citation's own
    content is not entered (its note is read from it)."""
    if isinstance(value, list):
        for item in value:
            yield from _walk_inlines(item)
    elif isinstance(value, dict) and "t" in value:
        yield value
        if value["t"] != "Cite" and "c" in value:
            yield from _walk_inlines(value["c"])


def _without_parentheses(content: list[Any]) -> list[Any]:
    """A citation inside an authored note, without the parentheses pandoc puts around it
    (``Str "("`` first, ``Str ")"`` last, each an inline of its own)."""
    if (
        len(content) >= 2
        and content[0] == {"t": "Str", "c": "("}
        and content[-1] == {"t": "Str", "c": ")"}
    ):
        return content[1:-1]
    return content


# --- pandoc's inlines as XHTML -------------------------------------------------------------------

# CSL's italics and bold are typography (a title's italics), not stress: <i> and <b>.
_WRAPPERS = {
    "Emph": "i",
    "Strong": "b",
    "Underline": "u",
    "Strikeout": "s",
    "Superscript": "sup",
    "Subscript": "sub",
}
_LINK_SCHEMES = ("https://", "http://", "mailto:")


def blocks_html(blocks: list[Any]) -> str:
    """A note's or an entry's blocks (a paragraph, as citeproc makes them) as inline XHTML;
    paragraphs after the first are separated by a line break."""
    parts = [inline_html(block["c"]) for block in blocks if block.get("t") in ("Para", "Plain")]
    return "<br/>".join(part.strip() for part in parts)


def inline_html(inlines: list[Any]) -> str:
    """Pandoc inlines as XHTML: text escaped, emphasis and the like as their elements,
    links kept only to the web and mail."""
    return "".join(_inline(inline) for inline in inlines)


def _inline(inline: dict[str, Any]) -> str:
    kind, content = inline.get("t"), inline.get("c", [])
    if kind == "Str":
        return html.escape(content, quote=False)
    if kind in ("Space", "SoftBreak"):
        return " "
    if kind == "LineBreak":
        return "<br/>"
    if kind in _WRAPPERS:
        tag = _WRAPPERS[kind]
        return f"<{tag}>{inline_html(content)}</{tag}>"
    if kind == "SmallCaps":
        return f'<span class="smallcaps">{inline_html(content)}</span>'
    if kind == "Quoted":
        quote, inner = content
        marks = ("“", "”") if quote["t"] == "DoubleQuote" else ("‘", "’")
        return f"{marks[0]}{inline_html(inner)}{marks[1]}"
    if kind == "Span":
        return _span(content[0], content[1])
    if kind == "Link":
        return _link(content[1], content[2][0])
    if kind in ("Code", "Math"):
        return html.escape(content[-1], quote=False)
    if kind == "RawInline":
        return html.escape(content[1], quote=False)
    if kind == "Cite":
        return inline_html(content[1])
    if kind == "Note":
        return ""
    if kind == "Image":
        return inline_html(content[1])
    return ""


_DISPLAY = ("csl-block", "csl-left-margin", "csl-right-inline", "csl-indent")
"""The spans citeproc makes of CSL's ``display`` attribute (an entry's number in the margin,
its text beside it, a heading block, an indented block): kept, as pandoc's own HTML keeps
them, so that a stylesheet can lay them out (flattened, a number and a title run together)."""


def _span(attributes: list[Any], content: list[Any]) -> str:
    classes = attributes[1]
    inner = inline_html(content)
    if "smallcaps" in classes or any(
        value == "font-variant:small-caps;" for key, value in attributes[2] if key == "style"
    ):
        return f'<span class="smallcaps">{inner}</span>'
    display = next((c for c in classes if c in _DISPLAY), None)
    if display is not None:
        return f'<span class="{display}">{inner}</span>'
    return inner


def _link(content: list[Any], url: str) -> str:
    """A link to the web or to mail (anything else is its text). An address printed as the
    link's text is ``class="url"``: print shows it as it is; other links print their address
    after them (print.css)."""
    text = inline_html(content)
    if not url.lower().startswith(_LINK_SCHEMES):
        return text
    shown = re.sub(r"<[^>]+>", "", text)
    address = html.escape(url, quote=True)
    kind = ' class="url"' if html.unescape(shown) == url else ""
    return f'<a{kind} href="{address}">{text}</a>'


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
