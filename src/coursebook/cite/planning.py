"""One chapter's plan: its notes numbered and its citations listed for the engine, in
reading order, with every source's uses recorded (:class:`_Planner`); then, once the engine
has formatted them, the plan filled in with their text (:meth:`_ChapterPlan.fill`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.diagnostics import Diagnostics, did_you_mean
from ..core.progress import Progress
from ..model import Book, Citation, Lesson, Note
from ..parse.citation_syntax import PLACEHOLDER
from ..parse.lessons import CALL, Footnote, ParsedLesson
from .book_notes import Call, LessonNotes, SourceUse
from .formatting import AuthoredNote, Cite, Formatted, Slot


@dataclass
class _PendingCitation:
    """A citation in the running text, waiting for its formatted text."""

    placeholder: str
    citation: Citation
    index: int
    """Its place among the chapter's formatted citations."""
    ref_id: str
    note: Note | None
    """Its note (without text yet), with a note style."""


@dataclass
class _PendingFootnote:
    placeholder: str
    note: Note
    footnote: Footnote
    indexes: dict[int, int]
    """Citation index in the lesson → place among the chapter's formatted citations."""


@dataclass
class _LessonPlan:
    lesson: ParsedLesson
    calls: list[_PendingCitation | _PendingFootnote] = field(default_factory=list)


@dataclass
class _ChapterPlan:
    lessons: list[_LessonPlan]
    slots: tuple[Slot, ...]

    def fill(self, formatted: Sequence[Formatted]) -> dict[str, LessonNotes]:
        return {plan.lesson.lesson.id: _filled(plan, formatted) for plan in self.lessons}


def _filled(plan: _LessonPlan, formatted: Sequence[Formatted]) -> LessonNotes:
    calls: dict[str, Call] = {}
    notes: list[Note] = []
    for pending in plan.calls:
        if isinstance(pending, _PendingCitation):
            text = formatted[pending.index]
            if pending.note is None:  # set in the text (an in-text style): "ibid." reads well
                # there in every medium, the citation before it being just before it
                calls[pending.placeholder] = Call(pending.ref_id, None, text.print_html)
                continue
            note = _with_text(pending.note, text.html, text.print_html)
            calls[pending.placeholder] = Call(pending.ref_id, note, text.author)
        else:

            def screen(match: re.Match[str], p: _PendingFootnote = pending) -> str:
                return formatted[p.indexes[int(match.group(1))]].html + _CITE_END

            def printed(match: re.Match[str], p: _PendingFootnote = pending) -> str:
                return formatted[p.indexes[int(match.group(1))]].print_html + _CITE_END

            body = pending.footnote.html
            note = _with_text(
                pending.note,
                _settled(PLACEHOLDER.sub(screen, body)),
                _settled(PLACEHOLDER.sub(printed, body)),
            )
            calls[pending.placeholder] = Call(note.call_id, note)
        notes.append(note)
    return LessonNotes(calls, tuple(notes))


_CITE_END = "\ue004"
"""Where a formatted citation ends inside an authored note, until its punctuation is settled
with the author's (private use: never in a book's text, which loses those characters)."""
_CLOSERS = r"(?:</[a-z]+>|[”’»])*"
_DOUBLED_STOP = re.compile(rf"([.!?]{_CLOSERS}){_CITE_END}\.")
_STOP_BEFORE_MARK = re.compile(rf"\.({_CLOSERS}){_CITE_END}([,;:])")


def _settled(note: str) -> str:
    """A citation's final period and the author's punctuation after it, not doubled (pandoc
    doubles them: "“The New Workers.”." and "14.; also"): before the author's period, the
    citation's stop serves; before a comma, semicolon or colon, the citation's period goes."""
    note = _DOUBLED_STOP.sub(r"\1", note)
    note = _STOP_BEFORE_MARK.sub(r"\1\2", note)
    return note.replace(_CITE_END, "")


def _with_text(note: Note, screen: str, printed: str) -> Note:
    return Note(
        note.number,
        note.prefix,
        screen,
        note.location,
        note.kind,
        note.source_ids,
        printed if printed != screen else "",
    )


@dataclass
class _Planner:
    """Numbers the notes of each chapter and lists its citations for the engine."""

    book: Book
    note_style: bool
    diagnostics: Diagnostics
    progress: Progress
    uses: dict[str, list[SourceUse]] = field(default_factory=dict)

    def chapter(self, lessons: Sequence[ParsedLesson]) -> _ChapterPlan:
        self.number = 0
        self.slots: list[Slot] = []
        self.cites = 0
        plans = [self._lesson(lesson) for lesson in lessons]
        return _ChapterPlan(plans, tuple(self.slots))

    def _lesson(self, parsed: ParsedLesson) -> _LessonPlan:
        plan = _LessonPlan(parsed)
        seen: set[str] = set()
        in_text = 0
        for match in CALL.finditer(parsed.html):
            placeholder = match.group(0)
            if placeholder in seen:  # the same footnote called again
                continue
            seen.add(placeholder)
            if match.group(1) is not None:
                citation = parsed.citations[int(match.group(1))]
                keys = self._known(citation)
                if not keys:
                    continue
                if not self.note_style:
                    in_text += 1
                    ref_id = f"{parsed.prefix}--cite-{in_text}"
                    self._record(parsed.lesson, keys, str(in_text), ref_id)
                    plan.calls.append(
                        _PendingCitation(
                            placeholder, citation, self._cite(citation.raw), ref_id, None
                        )
                    )
                    continue
                plan.calls.append(self._citation_note(parsed, placeholder, citation, keys))
            else:
                plan.calls.append(self._footnote(parsed, placeholder, int(match.group(2))))
        return plan

    def _citation_note(
        self, parsed: ParsedLesson, placeholder: str, citation: Citation, keys: list[str]
    ) -> _PendingCitation:
        self.number += 1
        note = Note(
            number=self.number,
            prefix=parsed.prefix,
            html="",
            location=citation.location,
            kind="citation",
            source_ids=tuple(keys),
        )
        self._record(parsed.lesson, keys, str(note.number), note.call_id)
        return _PendingCitation(placeholder, citation, self._cite(citation.raw), note.call_id, note)

    def _cite(self, raw: str, **where: bool) -> int:
        self.slots.append(Cite(raw, **where))
        self.cites += 1
        return self.cites - 1

    def _footnote(self, parsed: ParsedLesson, placeholder: str, index: int) -> _PendingFootnote:
        footnote = parsed.footnotes[index]
        self.number += 1
        ref_id = f"{parsed.prefix}--ref-{self.number}"
        sources: list[str] = []
        cites: list[Cite] = []
        indexes: dict[int, int] = {}
        body = footnote.html
        for match in PLACEHOLDER.finditer(body):
            citation = parsed.citations[int(match.group(1))]
            keys = self._known(citation)
            if not keys:
                continue
            sources += keys
            self._record(parsed.lesson, keys, str(self.number), ref_id)
            indexes[int(match.group(1))] = self.cites + len(cites)
            cites.append(
                Cite(
                    citation.raw,
                    in_note=True,
                    after_text=bool(_text(PLACEHOLDER.sub("", body[: match.start()]))),
                    before_capital=_starts_capital(body[match.end() :]),
                )
            )
        self.slots.append(AuthoredNote(tuple(cites)))
        self.cites += len(cites)
        note = Note(self.number, parsed.prefix, "", footnote.location, "authored", tuple(sources))
        body_without = PLACEHOLDER.sub(
            lambda m: "" if int(m.group(1)) not in indexes else m.group(0), body
        )
        footnote = Footnote(footnote.label, body_without, footnote.location)
        return _PendingFootnote(placeholder, note, footnote, indexes)

    def _known(self, citation: Citation) -> list[str]:
        """The citation's sources, by key; unknown keys are errors."""
        self.progress.advance()
        keys = []
        for item in citation.items:
            if item.key in self.book.sources:
                keys.append(item.key)
                continue
            self.diagnostics.error(
                item.location,
                f"unknown source '{item.key}'{did_you_mean(item.key, self.book.sources)}",
                "unknown-source",
            )
        return keys

    def _record(self, lesson: Lesson, keys: list[str], label: str, ref_id: str) -> None:
        for key in dict.fromkeys(keys):
            places = self.uses.setdefault(key, [])
            if not places or places[-1].ref_id != ref_id:
                places.append(SourceUse(lesson, label, ref_id))


def _text(fragment: str) -> str:
    """The words of an XHTML fragment, without tags."""
    return re.sub(r"<[^>]+>", "", fragment).strip()


def _starts_capital(rest: str) -> bool:
    """Whether the text after a citation in a note starts with a capital, or is empty (what
    decides whether pandoc keeps the final period of an author-in-text citation)."""
    words = _text(PLACEHOLDER.sub("", rest))
    return not words or words[0].isupper()
