"""Glossary terms and index entries: found in each lesson's tree, gathered for the book.

Three kinds of marking, all made while a lesson is parsed (so both formats share them):

- **glossary terms** (``glossary.yaml``): the first use of each term in a lesson becomes a
  link to its entry in the glossary (``a.glossary-term``);
- **index marks written in a lesson**: ``[the bureaucracy]{.index}``, or with the entry
  named, ``[the caste]{.index term="Bureaucracy!as a caste"}`` (``!`` makes a sub-entry, as
  in makeindex); the Python-Markdown extension below reads them;
- **index terms listed in book.yaml** (``index:``): each paragraph (list item, table cell…)
  that uses the term is indexed at its first use there.

Matching is by whole words, ignoring case, longest form first, and never inside headings,
links, code, note calls or another mark. Glossary terms are not marked inside quotations: on
paper the mark would change the quoted text.

Nothing here is a library's job: Python-Markdown has no index or glossary extension that
works on a tree we already sanitized (markdown-it's and pandoc's are for their own trees).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree
from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from ..core.naming import slugify
from ..model import GlossaryTerm, IndexTerm

INDEX_CLASS = "index-mark"
GLOSSARY_CLASS = "glossary-term"
SUBENTRY = "!"

# Where no term is ever marked: headings (the contents would show the mark), links and
# marks (no link in a link), code, math, note calls and notes.
_NEVER_INSIDE = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "kbd", "samp", "sup", "sub"}
    | {"{http://www.w3.org/1998/Math/MathML}math"}
)
_NOT_GLOSSARY_INSIDE = _NEVER_INSIDE | {"blockquote", "q", "cite"}
# The blocks within which a listed index term is indexed once.
_BLOCKS = frozenset({"p", "li", "td", "th", "dd", "dt", "figcaption", "caption"})


@dataclass(frozen=True)
class IndexMark:
    """A place the index points to: ``term`` (``Main!sub``) at the element ``id``."""

    term: str
    id: str

    @property
    def heading(self) -> str:
        return self.term.split(SUBENTRY, 1)[0].strip()

    @property
    def subentry(self) -> str | None:
        parts = self.term.split(SUBENTRY, 1)
        return parts[1].strip() if len(parts) == 2 and parts[1].strip() else None


def glossary_id(term: GlossaryTerm | str) -> str:
    name = term if isinstance(term, str) else term.term
    return "glossary-" + slugify(name, fallback="term")


# --- the marking a lesson may write ---------------------------------------------------------

_MARK = r"\[(?P<text>[^\]\[]+)\]\{\s*\.index(?:\s+term\s*=\s*\"(?P<term>[^\"]*)\")?\s*\}"


class _IndexMarkProcessor(InlineProcessor):
    # types-Markdown types InlineProcessor.handleMatch as the older Pattern's.
    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[ElementTree.Element, int, int]:
        span = ElementTree.Element("span", {"class": INDEX_CLASS})
        span.text = m.group("text")  # Markdown goes on inside (emphasis, smart quotes…)
        term = m.group("term")
        if term is not None:
            span.set("data-index", term)
        return span, m.start(0), m.end(0)


class IndexMarks(Extension):
    """``[text]{.index}`` and ``[text]{.index term="Entry!sub-entry"}``: pandoc's bracketed
    span with a class, the one span syntax Markdown authors already know."""

    def extendMarkdown(self, md: Markdown) -> None:
        # Before links (160) and reference links (170), which would take the brackets.
        md.inlinePatterns.register(_IndexMarkProcessor(_MARK, md), "index_mark", 175)


def _apostrophes(term: str) -> str:
    """An entry named in ``term="…"`` is not smartened by Markdown as the text is: "Workers'
    state" gets the apostrophe the text has ("Workers’ state"), so the two are one entry."""
    return re.sub(r"(?<=\w)'", "’", term)


# --- marking a lesson's tree ----------------------------------------------------------------


def written_marks(tree: etree._Element, prefix: str) -> list[IndexMark]:
    """The ``[text]{.index}`` marks of a lesson, each given an id."""
    marks = []
    for number, span in enumerate(tree.iterfind(f".//span[@class='{INDEX_CLASS}']"), 1):
        text = " ".join("".join(str(t) for t in span.itertext()).split())
        written = str(span.attrib.pop("data-index", ""))
        term = _apostrophes(written.strip()) or text
        span.set("id", f"{prefix}-ix-{number}")
        if term:
            marks.append(IndexMark(term, span.get("id", "")))
    return marks


def mark_listed_terms(
    tree: etree._Element, terms: Sequence[IndexTerm], prefix: str
) -> list[IndexMark]:
    """Each block that uses a listed term gets an index mark at its first use there."""
    if not terms:
        return []
    forms = _forms(terms)
    marks: list[IndexMark] = []

    def mark(term: str) -> etree._Element:
        span = etree.Element("span", {"class": INDEX_CLASS, "id": f"{prefix}-ixl-{len(marks) + 1}"})
        marks.append(IndexMark(term, span.get("id", "")))
        return span

    for block in tree.iter(*_BLOCKS):
        _mark_first_uses(block, forms, mark, _NEVER_INSIDE, INDEX_CLASS, own_text_only=True)
    return marks


def mark_glossary_terms(
    tree: etree._Element, terms: Sequence[GlossaryTerm], prefix: str
) -> list[tuple[str, str]]:
    """The first use of each glossary term in a lesson becomes a link to its entry; returns
    (term, id of the link) for each term used."""
    if not terms:
        return []
    used: list[tuple[str, str]] = []

    def link(term: str) -> etree._Element:
        element = etree.Element("a", {"class": GLOSSARY_CLASS, "href": "#" + glossary_id(term)})
        element.set("id", f"{prefix}-{glossary_id(term)}")
        used.append((term, element.get("id", "")))
        return element

    # Index marks are entered: the link goes inside the mark.
    _mark_first_uses(
        tree, _forms(terms), link, _NOT_GLOSSARY_INSIDE, GLOSSARY_CLASS, own_text_only=False
    )
    return used


def _forms(terms: Sequence[GlossaryTerm] | Sequence[IndexTerm]) -> dict[str, str]:
    """Each form of each term (ignoring case), to the term it is a form of."""
    return {form.casefold(): term.term for term in terms for form in term.forms}


def _mark_first_uses(
    root: etree._Element,
    forms: Mapping[str, str],
    make: Callable[[str], etree._Element],
    skip: frozenset[str],
    skip_class: str,
    own_text_only: bool,
) -> None:
    """The first use under ``root`` of each term (by any of its ``forms``) is wrapped in the
    element ``make(term)`` gives."""
    done: set[str] = set()

    def wrap(form: str) -> etree._Element | None:
        term = forms[form.casefold()]
        if term in done:
            return None
        done.add(term)
        return make(term)

    _mark_text(root, _forms_pattern(forms), wrap, skip, skip_class, own_text_only)


Wrap = Callable[[str], etree._Element | None]
"""Makes the element to wrap a matched form in; None leaves that match alone."""


def _forms_pattern(by_form: Iterable[str]) -> re.Pattern[str]:
    forms = sorted(by_form, key=len, reverse=True)  # "Soviet Bonapartism" before "Bonapartism"
    alternatives = "|".join(re.escape(form) for form in forms)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


def _mark_text(
    root: etree._Element,
    pattern: re.Pattern[str],
    wrap: Wrap,
    skip: frozenset[str],
    skip_class: str,
    own_text_only: bool,
) -> None:
    """Wraps matches of ``pattern`` in the text of ``root`` in the element ``wrap(match)``
    gives (None: leave it), in document order, outside ``skip`` elements and elements of
    class ``skip_class``."""
    for element, attribute in list(_text_slots(root, skip, skip_class, own_text_only)):
        _wrap_in_slot(element, attribute, pattern, wrap)


def _text_slots(
    root: etree._Element, skip: frozenset[str], skip_class: str, own_text_only: bool
) -> Iterator[tuple[etree._Element, str]]:
    """(element, "text") and (element, "tail") slots holding the text under ``root``, in
    reading order, leaving out what is inside ``skip`` elements (or, ``own_text_only``,
    inside nested blocks, which are indexed on their own)."""

    def walk(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
        yield element, "text"
        for child in element:
            if not isinstance(child.tag, str):
                continue
            excluded = child.tag in skip or child.get("class") == skip_class
            nested = own_text_only and child.tag in _BLOCKS
            if not excluded and not nested:
                yield from walk(child)
            yield child, "tail"

    if root.tag in skip:
        return
    yield from walk(root)


def _wrap_in_slot(
    element: etree._Element,
    attribute: str,
    pattern: re.Pattern[str],
    wrap: Wrap,
) -> None:
    text = getattr(element, attribute)
    if not text:
        return
    for match in pattern.finditer(text):
        made = wrap(match.group(0))
        if made is None:
            continue
        before, after = text[: match.start()], text[match.end() :]
        made.text = match.group(0)
        made.tail = after
        if attribute == "text":
            element.text = before
            element.insert(0, made)
        else:
            element.tail = before
            element.addnext(made)
        # The rest of the text is now the new element's tail: go on there.
        _wrap_in_slot(made, "tail", pattern, wrap)
        return


# --- the book's index -----------------------------------------------------------------------


@dataclass(frozen=True)
class IndexPlace:
    mark: IndexMark
    document: str
    """The id of the document (lesson) it is in."""
    label: str
    """How the EPUB's index names the place: the lesson's label or title."""


@dataclass(frozen=True)
class IndexEntry:
    term: str
    places: tuple[IndexPlace, ...]
    subentries: tuple[IndexEntry, ...] = ()


def sort_key(term: str) -> tuple[str, str]:
    """Letters without accents, case or leading punctuation first; the term itself breaks
    ties (so "Stalin" and "stalin" keep one order)."""
    decomposed = unicodedata.normalize("NFKD", term)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"^[^\w]+", "", letters), term


def index_entries(places: Iterable[IndexPlace]) -> tuple[IndexEntry, ...]:
    """The index: entries in alphabetical order, each with its places in reading order and
    its sub-entries."""
    headings: dict[str, list[IndexPlace]] = {}
    subs: dict[str, dict[str, list[IndexPlace]]] = {}
    names: dict[str, str] = {}  # one spelling per entry: the first one written
    for place in places:
        key = place.mark.heading.casefold()
        names.setdefault(key, place.mark.heading)
        headings.setdefault(key, [])
        sub = place.mark.subentry
        if sub is None:
            headings[key].append(place)
        else:
            subs.setdefault(key, {}).setdefault(sub, []).append(place)
    entries = []
    for key in sorted(headings, key=lambda k: sort_key(names[k])):
        children = tuple(
            IndexEntry(sub, tuple(found))
            for sub, found in sorted(subs.get(key, {}).items(), key=lambda i: sort_key(i[0]))
        )
        entries.append(IndexEntry(names[key], tuple(headings[key]), children))
    return tuple(entries)


def initial(term: str) -> str:
    """The letter an entry is filed under ("É" under E; digits and signs under "#")."""
    first = sort_key(term)[0][:1].upper()
    return first if first.isalpha() else "#"
