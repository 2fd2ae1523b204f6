"""A lesson's Markdown read into a clean tree (:class:`_MarkdownParser`): its citations taken
out as placeholders, Python-Markdown run within the limits, the HTML sanitized, and the
tree handed to a :class:`_Draft` to finish; short texts of ours (a question, a summary) as
inline XHTML."""

from __future__ import annotations

import string
from collections.abc import Mapping

import markdown
from lxml import etree
from markdown.extensions.toc import slugify_unicode

from ...core.diagnostics import Diagnostics, Location
from ...core.labels import labels_for, smarty_substitutions
from ...core.limits import Limits, TimeLimitExceeded, deadline, nesting_depth, raise_hint
from ...core.naming import element_prefix
from ...core.paths import BookPaths
from ...model import Book, Lesson
from .. import sanitize, terms
from ..citation_grammar import read
from ..citation_syntax import PLACEHOLDER
from ..extensions.captions import TableCaptions
from ..extensions.divs import CALLOUTS, FencedDivs
from ..extensions.fancy_lists import FancyLists
from ..extensions.figures import ImplicitFigures
from ..extensions.grid_tables import GridTables
from ..extensions.html_blocks import MarkdownInHtml
from ..extensions.simple_tables import SimpleTables
from ..extensions.spans import BracketedSpans
from ..extraction import MATH_PLACEHOLDER, REF_PLACEHOLDER, Extracted, extract
from ..math import Formula
from ..remote import RemoteImages
from .draft import _Draft
from .leaks import report_note_calls, report_raw_markup
from .math_marks import place_math
from .memo import ConvertedMemo
from .tree import _fragment, _inner_xhtml, restore_literal


class _MarkdownParser:
    def __init__(
        self,
        book: Book,
        diagnostics: Diagnostics,
        limits: Limits,
        remote: RemoteImages | None,
        memo: ConvertedMemo | None = None,
    ) -> None:
        self.book = book
        self.memo = memo
        self.remote = remote
        self.diagnostics = diagnostics
        self.limits = limits
        self.paths = BookPaths(book.root, book.roots[1:])
        self.md = self._new_markdown()

    def _new_markdown(self) -> markdown.Markdown:
        # One Markdown instance, reset between lessons (or footnotes leak into the next one).
        labels = labels_for(self.book.meta.language)
        self.divs = FencedDivs(
            titles={kind: labels.get(f"callout_{kind}", "") for kind in CALLOUTS}
        )
        md = markdown.Markdown(
            extensions=[
                terms.IndexMarks(),
                self.divs,
                ImplicitFigures(),
                TableCaptions(),
                BracketedSpans(),
                GridTables(),
                SimpleTables(),
                FancyLists(),
                "md_in_html",
                MarkdownInHtml(),
                "footnotes",
                "admonition",
                "tables",
                "attr_list",
                "def_list",
                "fenced_code",
                "smarty",
                "toc",
            ],
            extension_configs={
                "footnotes": {"UNIQUE_IDS": False, "BACKLINK_TEXT": "", "SEPARATOR": "-"},
                "smarty": {"substitutions": smarty_substitutions(self.book.meta.language)},
                "toc": {"slugify": slugify_unicode, "marker": ""},
                "tables": {"use_align_attribute": True},
            },
            output_format="xhtml",
        )
        # As in pandoc, a backslash escapes any ASCII punctuation: "\@" where "@" would start
        # a citation, "\$" where "$" would open math, "\:" at a fence's start...
        md.ESCAPED_CHARS.extend(c for c in string.punctuation if c not in md.ESCAPED_CHARS)
        return md

    def markdown(self, text: str) -> str:
        """Markdown of a short text of ours (a question, a summary) as clean HTML."""
        known = self.memo.get("inline", text) if self.memo is not None else None
        if known is not None:
            return sanitize.clean(known[0])
        self.md.reset()
        html = sanitize.clean(self.md.convert(text))
        if self.memo is not None:
            self.memo.put("inline", text, html, [])
        return html

    def convert(self, lesson: Lesson, text: str) -> tuple[str, list[sanitize.Removal]]:
        """A lesson's Markdown as clean HTML and what the allow-list removed from it, within
        the limits: nesting is measured before Markdown recurses into it, and conversion has
        a time limit (pathological inputs make its regular expressions crawl)."""
        depth, line = nesting_depth(text)
        if depth > self.limits.depth:
            self.diagnostics.error(
                Location(lesson.path, lesson.body_line + line - 1),
                f"nesting too deep: {depth} levels of quotes, lists or HTML elements (the "
                f"limit is {self.limits.depth}; {raise_hint('depth')})",
                "limit",
            )
            return "", []
        known = self.memo.get("lesson", text) if self.memo is not None else None
        if known is not None:  # converted by an earlier build (cleaned again all the same)
            return sanitize.clean(known[0]), known[1]
        try:
            with deadline(
                self.limits.markdown_seconds, f"reading {lesson.path.name}", "markdown_seconds"
            ):
                self.md.reset()
                raw = self.md.convert(text)
        except (TimeLimitExceeded, RecursionError) as problem:
            self.md = self._new_markdown()  # whatever state it was left in
            message = (
                str(problem)
                if isinstance(problem, TimeLimitExceeded)
                else ("nesting too deep for Markdown to read")
            )
            self.diagnostics.error(lesson.location, message, "limit")
            return "", []
        dropped = [sanitize.Removal(message, needle) for needle, message in self.divs.dropped]
        html, removed = sanitize.clean(raw), dropped + sanitize.removals(raw)
        if self.memo is not None:
            self.memo.put("lesson", text, html, removed)
        return html, removed

    def inline(self, text: str) -> str:
        """Markdown of one line (a question, a summary) as inline XHTML."""
        html = self.markdown(text)
        tree = _fragment(html)
        first = tree[0] if len(tree) and tree[0].tag == "p" else tree
        return _inner_xhtml(first)

    def extract(self, lesson: Lesson) -> Extracted:
        """The lesson's text with its citations, math and inline notes taken out."""
        reader = self.memo.reading if self.memo is not None else read
        return extract(
            lesson.body, lesson.path, lesson.body_line, self.book.sources, self.diagnostics, reader
        )

    def parse(
        self,
        lesson: Lesson,
        level: int,
        extracted: Extracted,
        formulas: Mapping[Formula, etree._Element | None],
    ) -> _Draft:
        """The lesson's draft, from its ``extracted`` text and the book's set ``formulas``."""
        citations = extracted.citations
        html, removed = self.convert(lesson, extracted.text)
        tree = _fragment(html)
        draft = _Draft(lesson, element_prefix(lesson.id), level, tree, citations, self.diagnostics)
        draft.inline_notes = dict(extracted.inline_notes)
        draft.crossrefs = extracted.crossrefs
        draft.report_removals(removed)
        restore_literal(tree, PLACEHOLDER, lambda index: citations[index].raw)
        restore_literal(tree, MATH_PLACEHOLDER, lambda index: extracted.maths[index].written)
        restore_literal(tree, REF_PLACEHOLDER, lambda index: extracted.crossrefs[index].written)
        place_math(tree, extracted.maths, formulas)
        report_raw_markup(tree, lesson.body, draft.location_at, self.diagnostics)
        report_note_calls(tree, lesson.body, draft.location_at, self.diagnostics)
        draft.dress_figures()
        draft.take_footnotes()
        draft.shift_headings()
        draft.namespace_ids()
        draft.keep_classes_apart()
        draft.align_to_class()
        draft.check_tables(self.limits.table_rows)
        draft.resolve_images(self.paths, self.limits, self.remote, self.memo)
        draft.collect_links(self.paths)
        draft.mark_terms(self.book)  # after the links are collected: its links aren't the author's
        draft.questions = tuple(self.inline(q) for q in lesson.questions)
        draft.summary = self.inline(lesson.summary) if lesson.summary else None
        return draft
