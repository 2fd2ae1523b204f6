"""Recognising citations: the works a page's prose names, each a :class:`~.model.Cite`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ...core.diagnostics import Location
from .model import _LINK, Block, Cite, Work

PARAGRAPH_CHARS = 50_000
"""Paragraphs longer than this are kept as text without looking for citations in them."""


# A title in quotes. A closing ’ is told from an apostrophe ("‘The Workers’ State, …’") by
# what follows it: punctuation, the end, or a lower-case word.
_QUOTED_TITLE = (
    r"(?:‘(?P<t1>[^‘\n]{1,200}?)’(?=$|[^\w\s’]|\s+(?:[a-z(“\"]|$))"
    r"|“(?P<t2>[^“”\n]{1,200}?)”|\"(?P<t3>[^\"\n]{1,200}?)\")"
)
_QUOTED = re.compile(_QUOTED_TITLE)
_QUOTATION = re.compile(r"“[^“”]*”|\"[^\"\n]*\"")
_PARENTHETICAL = re.compile(r"\(([^()\n]{1,300})\)")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)(?:[-–/](\d{2,4}))?\b")
_NAME = r"(?:[A-Z]\.\s?)*[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?(?:\s[A-Z][a-z]+){0,2}"
_NOT_NAMES = frozenset(
    [
        "He",
        "She",
        "It",
        "They",
        "We",
        "I",
        "You",
        "This",
        "That",
        "These",
        "Those",
        "The",
        "A",
        "An",
        "In",
        "On",
        "As",
        "But",
        "And",
        "Or",
        "So",
        "Some",
        "What",
        "When",
        "Where",
        "Why",
        "How",
        "Now",
        "Then",
        "Here",
        "There",
        "Yet",
        "Still",
        "Even",
        "Its",
        "His",
        "Her",
        "Their",
        "Our",
        "Under",
        "By",
        "For",
        "From",
        "With",
        "After",
        "Before",
        "Insofar",
        "While",
        "Unlike",
        "Every",
        "Stalinist",
        "Soviet",
    ]
)
_VERBS = (
    r"(?:wrote|writes|explained|explains|responded|responds|argued|argues|said|says|"
    r"sums up|summed up|concluded|concludes|described|describes|added|adds|continued|"
    r"continues|went on|goes on|noted|notes|observed|declared|insisted|maintained|warned|"
    r"stated|states|commented|replied|put it|made clear|makes clear|pointed out)"
)
_SPEAKER = re.compile(
    rf"\b(?P<name>{_NAME})(?:,[^,.;:“”\"A-Z]{{1,80}},|,)?\s+(?:also\s+|later\s+|then\s+)?{_VERBS}\b"
    rf"|\b(?:said|says|wrote|explained|by)\s+(?P<after>{_NAME})\b"
)
_PRONOUN = re.compile(r"^(?:He|She)\s+(?:also\s+|later\s+|then\s+)?" + _VERBS + r"\b")
_MENTION = re.compile(
    r"\b[Ii]n\s+(?:(?:an?|the|his|her|their)\s+)?"
    r"(?:(?:article|book|pamphlet|essay|speech|letter|work|document|programme|program)\s*,?\s*)?"
    + _QUOTED_TITLE
)
_CONTINUATION = re.compile(
    rf"^(?:He|She|They|{_NAME})\s+(?:went on|goes on|continued|continues|added|adds)\b"
)
_LOCATOR = re.compile(
    r"^(?:(?P<chap>chapter|chap\.|ch\.)|(?P<page>pages?|pp?\.)|(?P<part>part|pt\.)|"
    r"(?P<sec>section|sec\.)|(?P<vol>volume|vol\.))\s*(?P<value>[\w–-]+)$",
    re.IGNORECASE,
)
_LOCATOR_LABELS = {"chap": "chap.", "page": "p.", "part": "pt.", "sec": "sec.", "vol": "vol."}
_PREFIX = re.compile(r"^(?P<word>quoted|cited)\s+(?:by|in)\s+|^(?P<see>see|cf\.)\s+", re.I)


def parse_citation_text(text: str, attribution: bool = False) -> tuple[Work, str, str] | None:
    """A citation written in prose → (work, locator, prefix); None when it isn't one.

    ``Trotsky, ‘The Workers’ State, Thermidor and Bonapartism’,1935`` → author Trotsky, that
    title, 1935; ``Quoted by I. Deutscher, Stalin.`` → "quoted in" I. Deutscher's *Stalin*;
    ``“The Class Nature of the Soviet State”, in Writings 1933-34`` → that title, in that
    collection; ``Writings 1934-35.`` → that title. A lower-case remark ("see below"), a
    number or a word in capitals ("USSR") is not a citation.
    """
    text = text.strip().rstrip(".").strip()
    if not text or len(text) > 200 or len(text.split()) > 25:
        return None
    prefix = ""
    if match := _PREFIX.match(text):
        prefix = "quoted in" if match["word"] else match["see"].lower()
        text = text[match.end() :]
    locator = ""
    head, comma, last = text.rpartition(",")
    if comma and (found := _LOCATOR.match(last.strip())):
        label = next(name for name, value in found.groupdict().items() if value and name != "value")
        locator = f"{_LOCATOR_LABELS[label]} {found['value']}"
        text = head.strip()
    year = None
    if match := re.search(r",\s*(1[5-9]\d\d|20\d\d)$", text):
        year, text = int(match[1]), text[: match.start()].strip()
    container = None
    if match := re.search(r"[,”’\"]\s*in\s+(?P<container>[A-Z][^,]{2,80})$", text):
        container = match["container"].strip()
        text = text[: match.start() + 1].rstrip(",").strip()
    author, title, quoted = _author_and_title(text)
    if title is None and not (author and year):
        return None
    if title is not None and not _title_like(title):
        return None
    # An unquoted title alone only when it isn't a locator ("Chapter 9").
    alone = not (quoted or prefix or year or author or container or attribution)
    if alone and _LOCATOR.match(title or ""):
        return None
    if year is None:
        year = _year_in(title or "") or _year_in(container or "")
    kind: Literal["article", "book", "chapter"] = (
        "chapter" if container else "article" if quoted else "book"
    )
    return Work(title, author, year, container, None, kind), locator, prefix


def _author_and_title(text: str) -> tuple[str | None, str | None, bool]:
    """ "Trotsky, ‘Title’" / "I. Deutscher, Stalin" / "Title" → (author, title, quoted)."""
    if match := _QUOTED.search(text):
        title = match["t1"] or match["t2"] or match["t3"]
        before = text[: match.start()].strip().rstrip(",").strip()
        author = before if before and _name_like(before) else None
        if before and author is None:
            return None, None, False  # text before the title that isn't a name: not ours
        return author, title.strip().rstrip(","), True
    first, comma, rest = text.partition(",")
    if comma and _name_like(first.strip()):
        title = rest.strip() or None
        return first.strip(), title, False
    if _name_like(text) and len(text.split()) == 1 and text[:1].isupper():
        return text, None, False  # "Trotsky": an author alone
    return None, text.strip() or None, False


def _name_like(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 4
        and words[0] not in _NOT_NAMES
        and all(re.fullmatch(r"(?:[A-Z]\.)+|[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?", w) for w in words)
    )


def _title_like(title: str) -> bool:
    """Starts as a title does, and isn't a number, a year or an acronym."""
    if not re.match(r"[A-Z0-9‘“\"']", title) or not re.search(r"[a-z]", title):
        return False
    return len(title) >= 3


def _year_in(text: str) -> int | None:
    """The year a title or collection names: "Writings 1934-35" → 1935 (a range's end)."""
    found = list(_YEAR.finditer(text))
    match = found[-1] if found else None
    if match is None:
        return None
    if match[2]:
        end = match[2]
        return int(match[1][: 4 - len(end)] + end) if len(end) < 4 else int(end)
    return int(match[1])


@dataclass
class _Reader:
    """Recognising the citations of one page, block by block; remembers who is speaking
    (for citations that don't name their author) and the last citation (for "He went on")."""

    path: Path
    speaker: str | None = None
    carried: str | None = None
    """The speaker from before the block being read."""
    last: Cite | None = None
    cites: list[Cite] = field(default_factory=list)
    left: list[tuple[Location, str]] = field(default_factory=list)
    """Each parenthetical left as text: where, and as written."""

    def block(self, block: Block) -> str:
        """The block's text with citations as marks and the parentheticals they were made
        from removed."""
        if len(block.text) > PARAGRAPH_CHARS:
            # No lesson has such a paragraph; looking for citations in it would only cost time.
            at = Location(self.path, block.lines[0])
            self.left.append((at, f"a paragraph of {len(block.text):,} characters"))
            return block.text
        text, spans = block.text, _quotation_spans(block.text)
        edits: list[tuple[int, int, str]] = []  # (start, end, replacement), not overlapping
        cited: list[tuple[int, int]] = []  # (offset, index) of each citation made here
        urls = list(block.full_text)
        # Who speaks carries over only into a quotation set after its introduction, and into
        # a paragraph that goes on with "He explained…"; elsewhere it must be named again.
        if block.kind == "paragraph" and not _PRONOUN.match(text):
            self.speaker = None
        self.carried = self.speaker
        self._speakers(text, 0, len(text))
        for match in _PARENTHETICAL.finditer(text):
            if any(start < match.start() < end for start, end in spans):
                continue  # inside a quotation: the quoted author's own words
            inner = _LINK.sub(r"\1", match[1]).strip()
            start = _space_before(text, match.start())
            if inner.lower() == "full text":
                url = urls.pop(0) if urls else ""
                edits.append((start, match.end(), ""))
                if url and cited:
                    self._add_url(cited[-1][1], url)
                continue
            if _LOCATOR.match(inner) and self._mention_before(text, match.start()):
                continue  # "(Chapter 9)" after a title named in prose: taken with it
            found = parse_citation_text(inner)
            after_quote = re.search(r"[”\"’][.,;:!?]?\s*$", text[: match.start()]) is not None
            if found and (after_quote or self._strong(inner, found[0])):
                work = self._with_link(found[0], match[1], block.links)
                index = self._cite(work, found[1], found[2], block, match.start(), inner)
                end = match.end()
                # "…class.” (Title,1933)." : the quotation ended the sentence already.
                if (
                    re.search(r"[.?!][”\"’]\s*$", text[: match.start()])
                    and text[end : end + 1] == "."
                ):
                    end += 1
                edits.append((start, end, " " + _mark(index)))
                cited.append((match.start(), index))
            else:
                self.left.append((Location(self.path, block.line_at(match.start())), f"({inner})"))
        edits += self._mentions(block, spans, edits, cited)
        if not cited and block.kind != "heading":
            edits += self._continuation(block, spans)
        return _apply(text, edits)

    def _speakers(self, text: str, start: int, end: int) -> str | None:
        """Update who is speaking from ``text[start:end]``: "Trotsky sums up", "said Trotsky",
        "He explained" (the same speaker as before)."""
        for match in _SPEAKER.finditer(text, start, end):
            name = match["name"] or match["after"]
            if name and name.split()[0] not in _NOT_NAMES:
                self.speaker = name
        return self.speaker

    def _strong(self, inner: str, work: Work) -> bool:
        """A parenthetical away from a quotation is a citation only when it plainly is one:
        a quoted title, "Quoted by", or an author and a year."""
        return bool(_QUOTED.search(inner) or _PREFIX.match(inner) or (work.author and work.year))

    def _mention_before(self, text: str, offset: int) -> bool:
        return any(m.end() >= offset - 2 for m in _MENTION.finditer(text, 0, offset))

    def _with_link(self, work: Work, inner: str, links: tuple[str, ...]) -> Work:
        """A title that is itself a link to the text: its address is the source's URL."""
        if match := _LINK.search(inner):
            return replace(work, url=links[int(match[2])])
        return work

    def _cite(
        self, work: Work, locator: str, prefix: str, block: Block, at: int, written: str
    ) -> int:
        if work.author is None and not prefix:
            speaker = self._speaker_at(block.text, at)
            work = replace(work, author=speaker) if speaker else work
        cite = Cite(work, Location(self.path, block.line_at(at)), written, locator, prefix)
        self.cites.append(cite)
        self.last = cite
        return len(self.cites) - 1

    def _speaker_at(self, text: str, offset: int) -> str | None:
        speaker = None
        for match in _SPEAKER.finditer(text, 0, offset):
            name = match["name"] or match["after"]
            if name and name.split()[0] not in _NOT_NAMES:
                speaker = name
        return speaker or self.carried

    def _add_url(self, index: int, url: str) -> None:
        cite = self.cites[index]
        if cite.work.url is None:
            self.cites[index] = replace(cite, work=replace(cite.work, url=url))

    def _mentions(
        self,
        block: Block,
        spans: list[tuple[int, int]],
        edits: list[tuple[int, int, str]],
        cited: list[tuple[int, int]],
    ) -> list[tuple[int, int, str]]:
        """A work named in the prose before a quotation ("Trotsky responded in an article,
        ‘The Workers’ State, Thermidor and Bonapartism’,1935: “…”"): cited after the last
        quotation of that sentence, unless a parenthetical citation follows it anyway."""
        text, added = block.text, []
        urls = list(block.full_text)
        for match in _MENTION.finditer(text):
            if any(start < match.start() < end for start, end in spans):
                continue
            quotes = _sentence_quotations(text, spans, match.end())
            if not quotes:
                continue
            end = quotes[-1][1]
            if any(match.end() <= offset <= end + 3 for offset, _ in cited):
                continue
            following = text[end : end + 40]
            if re.match(r"[.,;:]?\s*\((?!full text)", following, re.I):
                continue  # a parenthetical citation right after: it is the citation
            title = match["t1"] or match["t2"] or match["t3"]
            between = text[match.end() : quotes[0][0]]
            locator = ""
            loc = re.match(r"\s*\(([^()]{1,30})\)", between)
            if loc and (found := _LOCATOR.match(loc[1].strip())):
                label = next(n for n, v in found.groupdict().items() if v and n != "value")
                locator = f"{_LOCATOR_LABELS[label]} {found['value']}"
                added.append((match.end() + loc.start(), match.end() + loc.end(), ""))
            year = _YEAR.search(between)
            by = re.search(rf"\bby\s+({_NAME})", between)
            author = by[1] if by else self._speaker_at(text, match.start())
            work = Work(title.strip(), author, int(year[1]) if year else None, kind="article")
            if re.search(r"\bin\s+(?:his|her|their|the)?\s*book\b", match[0]):
                work = replace(work, kind="book")
            if re.match(r"[.,;:]?\s*\(full text\)", following, re.I) and urls:
                work = replace(work, url=urls[0] or None)
            index = self._cite(work, locator, "", block, end, match[0])
            self.cites[index] = replace(
                self.cites[index], location=Location(self.path, block.line_at(match.start()))
            )
            added.append((end, end, " " + _mark(index)))
            cited.append((end, index))
        return added

    def _continuation(
        self, block: Block, spans: list[tuple[int, int]]
    ) -> list[tuple[int, int, str]]:
        """ "He went on to explain that … “…”": the same work as the citation before."""
        if self.last is None or not _CONTINUATION.match(block.text):
            return []
        quotes = _sentence_quotations(block.text, spans, 0)
        if not quotes:
            return []
        last = self.last
        end = quotes[-1][1]
        index = self._cite(last.work, last.locator, "", block, end, block.text[:40] + "…")
        return [(end, end, " " + _mark(index))]

    def attribution(self, block: Block, markdown: str) -> str:
        """The attribution line under a quotation, as a citation at the quotation's end."""
        found = parse_citation_text(block.attribution or "", attribution=True)
        if found is None:
            return markdown
        work = found[0] if found[0].url else replace(found[0], url=block.attribution_url)
        written = block.attribution or ""
        index = self._cite(work, found[1], found[2], block, len(block.text), written)
        at = Location(self.path, block.lines[-1] + 1)
        self.cites[index] = replace(self.cites[index], location=at)
        return markdown + " " + _mark(index)


def _mark(index: int) -> str:
    return f"\ue010{index}\ue011"


def _space_before(text: str, offset: int) -> int:
    while offset > 0 and text[offset - 1] == " ":
        offset -= 1
    return offset


def _quotation_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTATION.finditer(text)]


def _sentence_quotations(
    text: str, spans: list[tuple[int, int]], start: int
) -> list[tuple[int, int]]:
    """The quotations from ``start`` to the end of its sentence (sentence ends are looked
    for only outside quotations, whose own full stops don't end the author's sentence)."""
    found: list[tuple[int, int]] = []
    cursor = start
    for begin, end in spans:
        if begin < start:
            continue
        if re.search(r"[.?!]\s+[A-Z“‘\"]", text[cursor:begin]):
            break
        found.append((begin, end))
        cursor = end
    return found


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    pieces, cursor = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < cursor:
            continue
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
