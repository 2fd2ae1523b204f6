"""The CSL processor test suite, run through coursebook's citation engine.

Every fixture of the suite (``shared/csl-test-suite/humans/*.txt``, 845) is formatted the way
a build formats a book: by :class:`coursebook.cite.csl.CitationEngine` (pandoc's citeproc, through
the Lua filter, one pandoc run per fixture), given :class:`~coursebook.cite.formatting.Cite`,
:class:`~coursebook.cite.formatting.AuthoredNote` and the sources to list built from the
fixture. The script prints every failure (expected and got), every skip and its reason, the
pass rate by category (the file name before its first ``_``) and overall, and ends with one
line of JSON::

    {"passed": N, "total": 838, "skipped": K, "by_category": {"affix": {"passed": …}, …}}

    cd <checkout> && PYTHONPATH=$PWD/src:$PWD .venv/bin/python benchmarks/csl_suite.py \\
        [--only PATTERN] [--quiet] [--workers N]

How a fixture becomes a build's input:

- **INPUT** is the sources: each item a :class:`~coursebook.model.Source` whose data is the
  item as it is (nothing checked or dropped; an item without an ``id`` is ``ITEM-n``, n its
  place, as citeproc-js's runner names it). **CSL** is read by ``style_from_file`` as a
  book's ``.csl`` file is (a ``StyleError`` fails the fixture, with its message). The
  language is left empty, so that pandoc takes the style's ``default-locale`` (or en-US).
- **The citations** are those of CITATIONS, else CITATION-ITEMS, else (as pandoc's own runner
  does) one citation of every INPUT item (mode citation) or one citation per item (mode
  bibliography). CITATIONS is replayed as citeproc-js plays it: each entry (re)defines a
  citation by its ``citationID`` and names the citations before and after it, with their
  note numbers; the last entry's order is the document's, and RESULT lists its citations in
  that order (their ``>>[n]``/``..[n]`` marks dropped).
- **Each citation is written as a lesson writes it**, in pandoc's Markdown:
  ``[prefix @key, locator suffix; ...]``; pandoc reads it as it reads a lesson. The key is
  braced (``@{key}``) unless it is a plain one. A page number of digits alone is written as
  it is (``@a, 23``: pandoc takes it for a page in any language); any other locator in
  braces, where pandoc takes it whole, after its label's English term (``{chapter 3}``,
  ``{sub verbo x}``, ``{page 3-B}``), which pandoc looks up in the style's locale, so that a
  non-English locale would need its own words (no fixture needs them). A locator without a
  label is a page when it begins with a digit; otherwise it is left to name its label
  (``{vol. 1, fol. 186}``), as citeproc-js reads it. An affix's markup (``<i>``, ``<b>``,
  ``<sc>``, ``<sup>``, ``<sub>``, ``<span class="nocase">``) becomes Markdown (``*…*``,
  ``**…**``, ``[…]{.smallcaps}``, ``^…^``, ``~…~``, ``[…]{.nocase}``) and the rest of its
  ASCII punctuation is backslash-escaped, straight quotes aside (pandoc makes them curly, as
  citeproc-js does): raw HTML would reach the engine as RawInline, which it writes as
  escaped text. pandoc trims an affix and puts a space after a prefix, as it does for a
  lesson; an affix that needs otherwise (``(`` glued to the citation) can't be written.
- **Notes.** A citation with a note number (CITATIONS' ``noteIndex`` > 0) is put in an
  authored note (``AuthoredNote``), empty authored notes filling the gaps so that pandoc
  numbers it as the fixture does; citations sharing a note share the AuthoredNote. In a note
  style, a citation without a note number (CITATION-ITEMS, the fixtures without citations,
  ``noteIndex`` 0) is an authored note of its own. That is the layout in which the text is
  citeproc's own, the text the suite expects: pandoc leaves a citation that opens an
  authored note as citeproc set it, whereas it makes a citation of a note style's running
  text a note whose first letter it capitalizes (36 fixtures fewer pass so). A citation
  after another in the same note pandoc sets in parentheses and without its final period;
  the engine takes the parentheses off (a documented coursebook difference), not the period.
  In-text styles' citations without a note number are citations in the running text
  (``Cite``). What is compared is ``print_html`` (which keeps a style's "Ibid.").
- **Bibliography** mode takes the engine's bibliography, which comes from the same run as
  the citations (the given citations formatted first, as a chapter), limited to the cited
  sources (as a book's sources appendix lists every cited source), or every INPUT item when
  the fixture gives no citations (then listed as ``nocite``). An entry the style prints
  nothing for is left out, as a build leaves it out (and says so).
- **The output** is the engine's XHTML written in the suite's HTML: small capitals as
  ``<span style="font-variant:small-caps;">``, an ``<i>``, ``<b>`` or small capitals inside
  another of its kind (pandoc's Emph in Emph: CSL's flip-flop) as the suite's
  ``font-style:normal`` (``font-weight``, ``font-variant``) span, CSL's display spans as its
  divs, a character Unicode defines as a superscript form (``ª``, ``ᵉ``) as ``<sup>`` around
  its letter, links as their text, ``&`` ``<`` ``>`` as ``&#38;`` ``&#60;`` ``&#62;``, the
  bibliography in ``csl-bib-body`` and ``csl-entry`` divs. Expected and got are compared
  after collapsing runs of white space (not no-break spaces) and dropping those beside
  ``div`` tags.
- **Skipped:** the 7 fixtures that force a citation's ``position`` (first, subsequent,
  ibid), which an engine computes from the document; they are outside the 838 counted. A
  fixture the engine path can't express would be skipped with its reason and counted as
  failed (none is).

pandoc 3.9 (the pypandoc-binary wheel's) formats, two engine runs at a time (``--workers``):
766 of the 838 pass, in 20 to 60 seconds.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coursebook.cite.csl import CitationEngine, CiteprocError  # noqa: E402
from coursebook.cite.formatting import AuthoredNote, Cite, Formatting, Slot  # noqa: E402
from coursebook.cite.style_facts import style_facts  # noqa: E402
from coursebook.model import Location, Source  # noqa: E402
from coursebook.source.csl_style import StyleError, style_from_file  # noqa: E402

SUITE = next(
    (
        folder / "csl-test-suite" / "humans"
        for folder in (ROOT.parent / "shared", Path("/work/shared"))
        if (folder / "csl-test-suite" / "humans").is_dir()
    ),
    ROOT.parent / "shared" / "csl-test-suite" / "humans",
)
"""The suite's fixtures: in the workplace's shared folder next to the checkout, or where
this machine keeps it."""
WORKERS = 2


# --- the fixtures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteCitation:
    """One citation of a fixture: its items (CSL citation items) and its note number."""

    items: tuple[dict[str, Any], ...]
    note: int | None = None
    """``noteIndex`` (0: outside the notes), or None when the fixture gives none."""


@dataclass(frozen=True)
class Fixture:
    name: str
    mode: str
    result: str
    csl: bytes
    items: list[dict[str, Any]]
    citations: list[SuiteCitation]
    given: bool
    """The fixture gives its citations (CITATIONS or CITATION-ITEMS)."""
    forced_position: bool

    @property
    def category(self) -> str:
        return self.name.split("_", 1)[0]


def sections(text: str) -> dict[str, str]:
    """The fixture's sections by lower-case name (``>>== NAME ==>>`` … ``<<== NAME ==<<``,
    the number of ``=`` varying), as the suite's runners read them."""
    found: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in text.lstrip("\ufeff").split("\n"):
        if name is None and line.startswith(">>=="):
            name, lines = re.sub(r"[^A-Za-z-]", "", line).lower(), []
        elif name is not None and line.startswith("<<=="):
            found[name] = "\n".join(lines)
            name = None
        elif name is not None:
            lines.append(line)
    return found


def read_fixture(path: Path) -> Fixture:
    parts = sections(path.read_text(encoding="utf-8"))
    items = [
        item if "id" in item else {**item, "id": f"ITEM-{index}"}  # as citeproc-js's runner
        for index, item in enumerate(json.loads(parts["input"]), start=1)
    ]
    mode = parts.get("mode", "").strip()
    given = "citations" in parts or "citation-items" in parts
    if "citations" in parts:
        citations = replayed(json.loads(parts["citations"]))
    elif "citation-items" in parts:
        citations = [SuiteCitation(tuple(c)) for c in json.loads(parts["citation-items"])]
    elif mode == "citation":
        citations = [SuiteCitation(tuple({"id": item["id"]} for item in items))]
    else:
        citations = [SuiteCitation(({"id": item["id"]},)) for item in items]
    return Fixture(
        name=path.stem,
        mode=mode,
        result=parts.get("result", ""),
        csl=parts.get("csl", "").encode("utf-8"),
        items=items,
        citations=citations,
        given=given,
        forced_position=_forces_position(parts),
    )


def _forces_position(parts: dict[str, str]) -> bool:
    """A citation item of CITATIONS or CITATION-ITEMS (both read, as one fixture gives both)
    says which position it is in."""
    items: list[Any] = []
    for citation in json.loads(parts.get("citation-items", "[]")):
        items += citation
    for citation, _, _ in json.loads(parts.get("citations", "[]")):
        items += citation.get("citationItems", [])
    return any("position" in item for item in items)


def replayed(entries: list[Any]) -> list[SuiteCitation]:
    """The document CITATIONS leaves: each entry is ``[citation, before, after]``, the
    citation (re)defined by its ``citationID``, ``before`` and ``after`` the ids and note
    numbers of the citations around it. The last entry's order is the document's."""
    defined: dict[str, dict[str, Any]] = {}
    for citation, _, _ in entries:
        defined[str(citation.get("citationID"))] = citation
    last, before, after = entries[-1]
    last_id = str(last.get("citationID"))
    order = [(str(i), n) for i, n in before]
    order.append((last_id, last.get("properties", {}).get("noteIndex")))
    order += [(str(i), n) for i, n in after]
    return [
        SuiteCitation(tuple(defined[cid]["citationItems"]), note)
        for cid, note in order
        if cid in defined
    ]


# --- the citations as a lesson writes them ------------------------------------------------------

_PLAIN_KEY = re.compile(r"\w(?:[\w:.#$%&+?<>~/-]*\w)?")
_TAG = re.compile(r"<(/?)(i|b|sc|sup|sub|span)\b([^>]*)>")
_MARKS = {"i": ("*", "*"), "b": ("**", "**"), "sup": ("^", "^"), "sub": ("~", "~")}


def citation_markdown(citation: SuiteCitation) -> str:
    """``[prefix @key, {label locator} suffix; ...]``."""
    return "[" + "; ".join(item_markdown(item) for item in citation.items) + "]"


def item_markdown(item: dict[str, Any]) -> str:
    """One citation item: ``prefix @key, locator suffix``."""
    key = str(item["id"])
    locator = str(item["locator"]).strip() if item.get("locator") is not None else ""
    suffix = str(item.get("suffix") or "")
    glued = bool(suffix) and not locator and not suffix[0].isspace()
    text = f"@{key}" if _PLAIN_KEY.fullmatch(key) and not glued else f"@{{{key}}}"
    prefix = affix_markdown(str(item.get("prefix") or "")).strip()
    if prefix:  # pandoc trims a prefix and puts one space after it
        text = f"{prefix} {text}"
    if locator:
        text += ", " + locator_markdown(str(item.get("label") or ""), locator)
    return text + affix_markdown(suffix)


def locator_markdown(label: str, locator: str) -> str:
    """The locator as a lesson writes it. A page number of digits alone as it is (pandoc
    takes it for a page in any language); anything else in braces, where pandoc takes it
    whole, after its label's English term (pandoc looks the word up in the style's locale).
    A locator without a label is a page when it starts with a digit; otherwise its words
    are left to say what it is (``{vol. 1, fol. 186}``), as citeproc-js reads them."""
    value = locator.strip()
    if not label and not value[:1].isdigit():
        return f"{{{escaped(value)}}}"
    label = label or "page"
    if label == "page" and value.isascii() and value.isdigit():
        return value
    return f"{{{label.replace('-', ' ')} {escaped(value)}}}"


def affix_markdown(text: str) -> str:
    """A prefix or suffix, its HTML-ish markup as Markdown, its text escaped."""
    out: list[str] = []
    tags: list[str] = []
    open_marks: list[int] = []
    position = 0
    for match in _TAG.finditer(text):
        out.append(escaped(html.unescape(text[position : match.start()])))
        position = match.end()
        closing, tag, attributes = match.groups()
        if not closing:
            tags.append(_kind(tag, attributes))
            open_marks.append(len(tags) - 1)
            out.append(f"\x00{open_marks[-1]}\x02")
        elif open_marks:
            out.append(f"\x01{open_marks.pop()}\x02")
    out.append(escaped(html.unescape(text[position:])))
    return _wrapped("".join(out), tags)


def _kind(tag: str, attributes: str) -> str:
    if tag == "sc" or "small-caps" in attributes:
        return "smallcaps"
    if tag == "span":
        return "nocase" if "nocase" in attributes else "span"
    return tag


_MARKED = re.compile(r"\x00(\d+)\x02([^\x00\x01]*)\x01\1\x02")


def _wrapped(text: str, tags: list[str]) -> str:
    """The marked stretches (``\\x00n\\x02`` … ``\\x01n\\x02``, n the tag's index) as Markdown,
    innermost first, the white space at either end of each put outside its marks (Markdown's
    emphasis can't begin or end with a space)."""
    while match := _MARKED.search(text):
        tag, inner = tags[int(match.group(1))], match.group(2)
        core = inner.strip()
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        if core and tag in _MARKS:
            if tag in ("sup", "sub"):  # a space in a superscript must be escaped
                core = core.replace(" ", "\\ ")
            inner = f"{lead}{_MARKS[tag][0]}{core}{_MARKS[tag][1]}{trail}"
        elif core and tag in ("smallcaps", "nocase"):
            inner = f"{lead}[{core}]{{.{tag}}}{trail}"
        text = text[: match.start()] + inner + text[match.end() :]
    return re.sub(r"[\x00\x01]\d+\x02", "", text)  # marks of tags left open or never opened


_ESCAPED = re.compile(r"""([!#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def escaped(text: str) -> str:
    """Text Markdown reads as it is: ASCII punctuation backslash-escaped (pandoc's Markdown
    allows that for any), straight quotes aside, which pandoc makes curly."""
    return _ESCAPED.sub(r"\\\1", text)


def layout(fixture: Fixture, note_style: bool) -> list[Slot]:
    """The chapter holding the fixture's citations, in order: a citation with a note number
    in an authored note of that number (empty ones filling the gaps; citations sharing a
    number share it), each citation of a note style without one in a note of its own, the
    rest in the running text."""
    slots: list[Slot] = []
    notes = 0  # as pandoc numbers them: every note, and every citation of the running text
    group: list[Cite] = []
    group_note: int | None = None

    def close() -> None:
        nonlocal group, group_note
        if group:
            slots.append(AuthoredNote(tuple(group)))
        group, group_note = [], None

    for citation in fixture.citations:
        raw = citation_markdown(citation)
        note = citation.note
        if not note:  # outside the notes: a note of its own (note styles) or running text
            close()
            slots.append(AuthoredNote((Cite(raw, in_note=True),)) if note_style else Cite(raw))
            notes += 1
            continue
        if group and note == group_note:
            group.append(Cite(raw, in_note=True))
            continue
        close()
        while notes < note - 1:
            slots.append(AuthoredNote())
            notes += 1
        notes += 1
        group, group_note = [Cite(raw, in_note=True)], note
    close()
    return slots


def bibliography_keys(fixture: Fixture) -> tuple[str, ...]:
    """The sources of the bibliography: those the fixture cites, in the order they are first
    cited (as a book's sources appendix holds every cited source); every INPUT item when it
    gives no citations."""
    if not fixture.given:
        return tuple(str(item["id"]) for item in fixture.items)
    cited = [str(item["id"]) for citation in fixture.citations for item in citation.items]
    known = {str(item["id"]) for item in fixture.items}
    return tuple(key for key in dict.fromkeys(cited) if key in known)


# --- running a fixture ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one fixture."""

    name: str
    category: str
    status: str
    """``passed``, ``failed`` or ``skipped``."""
    expected: str = ""
    got: str = ""
    reason: str = ""
    """Why it was skipped."""
    counted: bool = True
    """Among the runnable fixtures (a skip is then a failure); False for those forcing a
    position."""


def run_fixture(path: Path) -> Outcome:
    """One fixture through the engine: its outcome."""
    fixture = read_fixture(path)
    if fixture.forced_position:
        return Outcome(
            fixture.name,
            fixture.category,
            "skipped",
            reason="forces a citation's position (first, subsequent, ibid), which an engine "
            "computes from the document",
            counted=False,
        )
    expected = expected_text(fixture)
    try:
        got = formatted(fixture)
    except (StyleError, CiteprocError) as error:
        return Outcome(fixture.name, fixture.category, "failed", expected, f"ERROR: {error}")
    status = "passed" if normalized(got) == normalized(expected) else "failed"
    return Outcome(fixture.name, fixture.category, status, expected, got)


def formatted(fixture: Fixture) -> str:
    """What the engine makes of the fixture, in the suite's HTML."""
    style = style_from_file("fixture.csl", fixture.csl)
    sources = {
        str(item["id"]): Source(
            str(item["id"]), str(item.get("type", "")), item, Location(Path("fixture.json"), 1)
        )
        for item in fixture.items
    }
    engine = CitationEngine(style, "", sources)
    note_style = style_facts(style.xml).note
    bibliography = fixture.mode == "bibliography"
    chapters = [layout(fixture, note_style)] if fixture.given or not bibliography else []
    wanted = bibliography_keys(fixture) if bibliography else ()
    result: Formatting = engine.format(chapters, wanted)
    if bibliography:
        entries = dict(result.bibliography)
        order = [key for key, _ in result.bibliography if key in set(wanted)]
        return bibliography_html(entries[key] for key in order if entries[key].strip())
    return "\n".join(suite_html(cite.print_html) for cite in result.chapters[0])


def expected_text(fixture: Fixture) -> str:
    """RESULT, without the ``>>[n] `` and ``..[n] `` of a CITATIONS fixture's lines."""
    if fixture.mode != "citation":
        return fixture.result
    lines = fixture.result.split("\n")
    return "\n".join(re.sub(r"^(?:>>|\.\.)\[\d+\] ?", "", line) for line in lines)


def suite_html(xhtml: str) -> str:
    """The engine's XHTML as the suite writes its HTML: small capitals, underlining and
    the flip-flop of nested emphasis as the suite's styled spans, CSL's display spans as
    its divs, links as their text, superscript characters as ``<sup>``, ``&`` ``<`` ``>``
    as numeric references."""
    text = _styled(re.sub(r"</?a\b[^>]*>", "", xhtml))
    text = "".join(_superscript(c) for c in text)
    return text.replace("&amp;", "&#38;").replace("&lt;", "&#60;").replace("&gt;", "&#62;")


_STYLED = {
    "i": ("<i>", '<span style="font-style:normal;">'),
    "b": ("<b>", '<span style="font-weight:normal;">'),
    "smallcaps": (
        '<span style="font-variant:small-caps;">',
        '<span style="font-variant:normal;">',
    ),
}


def _styled(xhtml: str) -> str:
    """``<i>``, ``<b>`` and small capitals as the suite writes them. One inside another of
    its kind (pandoc's Emph in Emph: citeproc's flip-flop of italics within italics) is the
    suite's normal style, as in CSL (and in LaTeX's ``\\emph``)."""
    out: list[str] = []
    stack: list[tuple[str, str]] = []  # (kind, closing tag written)
    position = 0
    for match in re.finditer(r"<(/?)(\w+)([^>]*)>", xhtml):
        out.append(xhtml[position : match.start()])
        position = match.end()
        closing, tag, attributes = match.groups()
        if closing:
            out.append(stack.pop()[1] if stack else match.group(0))
            continue
        if attributes.rstrip().endswith("/"):  # <br/>
            out.append(match.group(0))
            continue
        kind = "smallcaps" if 'class="smallcaps"' in attributes else tag
        if kind in _STYLED:
            depth = sum(k == kind for k, _ in stack)
            written = _STYLED[kind][depth % 2]
        elif tag == "u":
            written = '<span style="text-decoration:underline;">'
        elif display := re.search(r'class="(csl-[\w-]+)"', attributes):
            written = f'<div class="{display.group(1)}">'  # CSL's display, as the suite has it
        else:
            written = match.group(0)
        out.append(written)
        stack.append((kind, "</" + written[1:].split(" ", 1)[0].rstrip(">") + ">"))
    out.append(xhtml[position:])
    return "".join(out)


def _superscript(character: str) -> str:
    """A character Unicode defines as another's superscript form (``ª``, ``²``, ``™``) as
    ``<sup>`` around that other, as the suite's HTML has it."""
    decomposition = unicodedata.decomposition(character)
    if not decomposition.startswith("<super>"):
        return character
    return "<sup>" + "".join(chr(int(c, 16)) for c in decomposition.split()[1:]) + "</sup>"


def bibliography_html(entries: Iterable[str]) -> str:
    """The entries in the suite's divs; an entry the style prints nothing for is left out,
    as a build leaves it out (and says so)."""
    lines = ['<div class="csl-bib-body">']
    lines += [f'  <div class="csl-entry">{suite_html(e)}</div>' for e in entries if e.strip()]
    return "\n".join([*lines, "</div>"])


def normalized(text: str) -> str:
    """Runs of white space (not no-break spaces) as one space, none around ``div`` tags."""
    text = re.sub(r"[ \t\r\n]+", " ", text.replace("&amp;", "&#38;")).strip()
    return re.sub(r" ?(</?div\b[^>]*>) ?", r"\1", text)


# --- the suite -----------------------------------------------------------------------------------


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def counted(self) -> list[Outcome]:
        """The runnable fixtures: all but those forcing a position."""
        return [o for o in self.outcomes if o.counted]

    @property
    def passed(self) -> int:
        return sum(o.status == "passed" for o in self.outcomes)

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    def by_category(self) -> dict[str, dict[str, int]]:
        totals = Counter(o.category for o in self.counted)
        passed = Counter(o.category for o in self.counted if o.status == "passed")
        return {c: {"passed": passed[c], "total": totals[c]} for c in sorted(totals)}

    def figures(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": len(self.counted),
            "skipped": len(self.skipped),
            "by_category": self.by_category(),
        }


def fixture_paths(pattern: str | None = None, suite: Path = SUITE) -> list[Path]:
    paths = sorted(suite.glob("*.txt"))
    if pattern:
        paths = [p for p in paths if pattern.lower() in p.name.lower()]
    return paths


def run_suite(paths: Sequence[Path], workers: int = WORKERS) -> Summary:
    """Every fixture, ``workers`` engine runs at a time (each is a pandoc process)."""
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(run_fixture, paths))
    return Summary(outcomes, time.monotonic() - start)


def report(summary: Summary, quiet: bool = False) -> None:
    if not quiet:
        for outcome in summary.outcomes:
            if outcome.status == "failed":
                print(f"FAILED {outcome.name}")
                print(_indented("expected", outcome.expected))
                print(_indented("got", outcome.got))
    for outcome in summary.skipped:
        print(f"SKIPPED {outcome.name}: {outcome.reason}")
    print()
    for category, counts in summary.by_category().items():
        rate = counts["passed"] / counts["total"] if counts["total"] else 0.0
        print(f"{category:<14} {counts['passed']:>4} / {counts['total']:<4} {rate:6.1%}")
    figures = summary.figures()
    rate = figures["passed"] / figures["total"] if figures["total"] else 0.0
    print(
        f"{'(all)':<14} {figures['passed']:>4} / {figures['total']:<4} {rate:6.1%}"
        f"   in {summary.seconds:.0f} s"
    )
    print(json.dumps(figures))


def _indented(label: str, text: str) -> str:
    lines = text.split("\n")
    return "\n".join(f"  {label if i == 0 else '':<9}| {line}" for i, line in enumerate(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", metavar="PATTERN", help="fixtures whose name holds PATTERN")
    parser.add_argument("--quiet", action="store_true", help="no failures listed")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help=f"engine runs at a time ({WORKERS})"
    )
    args = parser.parse_args(argv)
    paths = fixture_paths(args.only)
    if not paths:
        print(f"no fixtures in {SUITE}" + (f" matching {args.only!r}" if args.only else ""))
        return 1
    report(run_suite(paths, args.workers), args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
