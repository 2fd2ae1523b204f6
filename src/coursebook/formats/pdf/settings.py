"""How the book is printed: paper, sides, extras (book.yaml's ``print:``, which this format
owns, and the command line's print options). Turned into the stylesheet rules that vary.

print.css holds everything that doesn't change with the paper; :func:`page_css` adds the page
size, the margins (mirrored for double-sided printing, the inner one wider for the binding),
the base font size that suits the page, and bleed and crop marks for a printer.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ...core.diagnostics import Diagnostics, did_you_mean
from ...core.yamlio import Node
from ...source.schema import Key, Schema, boolean, count, text
from ..base import SettingsError


@dataclass(frozen=True)
class Paper:
    name: str
    """As people call it: "A4", "Letter", "6 × 9 in"."""
    width: str
    height: str
    margins: tuple[str, str, str, str]
    """Top, bottom, inner (at the binding), outer."""
    font_size: str
    """The base size that, with the margins, gives 60 to 75 characters a line."""
    sheet: tuple[float, float]
    """The sheet (width, height in points, landscape) a booklet of these pages is printed on,
    two-up."""


# Each paper's type size and margins give the running text a measure of about 66 characters
# a line (books set 60 to 75; printed with benchmarks/print_audit.py): 11.5 pt on a 126 mm
# measure on the large papers, 10 pt on 108 mm on the small ones (Charis SIL sets about 0.46
# em a character). On A4 and Letter that leaves a wide outer margin, which a course pack
# needs for the reader's own notes; the inner margin is wider than a small book's for the
# binding of a thick pack.
PAPERS: dict[str, Paper] = {
    "a4": Paper(
        "A4", "210mm", "297mm", ("24mm", "28mm", "28mm", "56mm"), "11.5pt", (1190.6, 841.9)
    ),
    "letter": Paper(
        "Letter",
        "8.5in",
        "11in",
        ("0.95in", "1.1in", "1.1in", "2.4in"),
        "11.5pt",
        (1224.0, 792.0),
    ),
    "a5": Paper("A5", "148mm", "210mm", ("16mm", "19mm", "18mm", "22mm"), "10pt", (841.9, 595.3)),
    "half-letter": Paper(
        "Half Letter",
        "5.5in",
        "8.5in",
        ("0.6in", "0.7in", "0.6in", "0.65in"),
        "10pt",
        (792.0, 612.0),
    ),
    "6x9in": Paper(
        "6 × 9 in", "6in", "9in", ("0.65in", "0.75in", "0.8in", "0.95in"), "10pt", (864.0, 648.0)
    ),
}
PAPER_NAMES = tuple(PAPERS)
_PAPER_ALIASES = {"6x9": "6x9in", "halfletter": "half-letter", "usletter": "letter"}


def paper_key(name: str) -> str:
    """A paper's key in :data:`PAPERS` however it is written: "A5", "6 × 9 in", "Half
    Letter", "6x9"."""
    key = re.sub(r"[\s_]+", "", name.strip().lower()).replace("×", "x")
    return _PAPER_ALIASES.get(key, key)


VARIANTS = ("pdf/a-3b", "pdf/ua-1")
_LENGTH = re.compile(r"^\d+(\.\d+)?(mm|cm|in|pt)$")


class PrintOptionError(SettingsError):
    """An option that can't be printed; the message says which and why."""


@dataclass(frozen=True)
class PrintOptions:
    """What the printed book looks like beyond the stylesheets."""

    paper: str = "a4"
    double_sided: bool = True
    note_pages: int = 0
    """Ruled pages for the reader's notes after each lesson."""
    qr: bool = False
    """A QR code beside each source that has a full-text address."""
    bleed: str | None = None
    """Bleed around the trimmed page, e.g. "3mm"."""
    marks: bool = False
    """Crop and registration marks (for a printer)."""
    pdf_variant: str | None = None
    """``pdf/a-3b`` (archival) or ``pdf/ua-1`` (tagged, accessible)."""
    booklet: bool = False
    """Also write the pages imposed two-up for saddle-stitch printing."""
    signature: int | None = None
    """Sheets per gathering of the booklet (None: one gathering)."""

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            key = paper_key(self.paper)
            if key not in PAPERS:
                raise PrintOptionError(
                    f"unknown paper '{self.paper}'{did_you_mean(key, PAPER_NAMES)}; choose one "
                    f"of {', '.join(PAPER_NAMES)}"
                )
            object.__setattr__(self, "paper", key)  # "A5" is a5: frozen, so set once here
        if self.bleed is not None and not _LENGTH.match(self.bleed):
            raise PrintOptionError(f"bleed must be a length such as 3mm, found '{self.bleed}'")
        if self.pdf_variant is not None and self.pdf_variant not in VARIANTS:
            raise PrintOptionError(
                f"unknown PDF variant '{self.pdf_variant}'; choose {' or '.join(VARIANTS)}"
            )
        if not 0 <= self.note_pages <= 20:
            raise PrintOptionError("note pages must be between 0 and 20")
        if self.signature is not None and not (self.booklet and 1 <= self.signature <= 64):
            raise PrintOptionError("--signature takes 1 to 64 sheets, with --booklet")

    @property
    def paper_name(self) -> str:
        """The paper as people call it: "A4", "Letter", "6 × 9 in"."""
        return PAPERS[self.paper].name


def page_css(options: PrintOptions) -> str:
    """The page rules that depend on the options."""
    paper = PAPERS[options.paper]
    size = f"{paper.width} {paper.height}"
    top, bottom, inner, outer = paper.margins
    font = paper.font_size
    extra = ""
    if options.bleed:
        extra += f" bleed: {options.bleed};"
    if options.marks:
        extra += " marks: crop cross;"
    rules = [
        f"@page {{ size: {size}; margin: {top} {outer} {bottom} {outer};{extra} }}",
        f"html {{ font-size: {font}; }}",
        # A ruled page for notes fills what the page leaves below its title.
        f".note-page .ruled {{ height: calc({paper.height} - {top} - {bottom} - 18mm); }}",
        f".imprint {{ height: calc({paper.height} - {top} - {bottom} - 2mm); }}",
    ]
    if options.double_sided:
        rules += [
            f"@page :left {{ margin-left: {outer}; margin-right: {inner}; }}",
            f"@page :right {{ margin-left: {inner}; margin-right: {outer}; }}",
        ]
    else:
        middle = f"calc(({inner} + {outer}) / 2)"
        rules += [
            f"@page :left, :right {{ margin-left: {middle}; margin-right: {middle}; }}",
            # One side only: every page carries the chapter and its number on the right, and
            # no blank page is added to make chapters start on a right-hand page.
            "@page :left { @top-left { content: none; } @top-right { content: "
            "string(running-head); font-size: 8.5pt; font-style: italic; } "
            "@bottom-left { content: none; } @bottom-right { content: counter(page); "
            "font-size: 9pt; } }",
            ".chapter, .contents, .backmatter, .imprint { break-before: page; }",
        ]
    return "\n".join(rules)


# --- book.yaml's print: and the command line ------------------------------------------------

PRINT = Schema(
    "print",
    (
        Key("paper", text, "a4, letter, a5, half-letter or 6x9in"),
        Key("double_sided", boolean, "mirrored margins, chapters on right-hand pages"),
        Key("note_pages", count, "ruled pages for notes after each lesson"),
        Key("qr", boolean, "a QR code beside each source with a full-text address"),
        Key("bleed", text, "bleed for a printer, e.g. 3mm"),
        Key("marks", boolean, "crop marks for a printer"),
        Key("pdf_variant", text, "pdf/a-3b or pdf/ua-1"),
    ),
)
_NAMES = frozenset(field.name for field in fields(PrintOptions))


def print_options(
    node: Node | None, overrides: Mapping[str, Any], diagnostics: Diagnostics
) -> PrintOptions:
    """book.yaml's ``print:`` settings, each wrong value an error at its own line (and left
    at its default), then the caller's ``overrides`` (a wrong one raises
    :class:`PrintOptionError`)."""
    options = PrintOptions()
    if node is not None:
        options = _from_book(node, diagnostics)
    unknown = sorted(set(overrides) - _NAMES)
    if unknown:
        raise PrintOptionError(f"no print option '{unknown[0]}'")
    return replace(options, **overrides)


def _from_book(node: Node, diagnostics: Diagnostics) -> PrintOptions:
    values = PRINT.validate(node, diagnostics)
    if values is None:  # reported: not a mapping
        return PrintOptions()
    options = PrintOptions()
    for name, value in values.items():
        try:  # one value at a time, so that each problem is said at its own line
            options = replace(options, **{name: value})
        except PrintOptionError as problem:
            diagnostics.error(node.value[name].location, f"print: {problem}", "print-option")
    return options


def add_print_options(parser: argparse.ArgumentParser) -> None:
    printing = parser.add_argument_group(
        "print", "how the PDF is printed (these override book.yaml's print: settings)"
    )
    printing.add_argument(
        "--paper",
        metavar="PAPER",
        help=f"page size: {', '.join(PAPER_NAMES)}, in any case (default: a4)",
    )
    printing.add_argument(
        "--single-sided",
        action="store_true",
        help="same margins on every page, no blank pages between chapters",
    )
    printing.add_argument(
        "--note-pages", type=int, metavar="N", help="add N ruled pages for notes after each lesson"
    )
    printing.add_argument(
        "--qr",
        action="store_true",
        help="print a QR code beside each source with a full-text address",
    )
    printing.add_argument("--bleed", metavar="LENGTH", help="bleed for a printer, e.g. 3mm")
    printing.add_argument("--marks", action="store_true", help="crop marks for a printer")
    printing.add_argument(
        "--booklet",
        action="store_true",
        help="also write <slug>-booklet.pdf: the pages two-up on sheets twice as wide, in "
        "booklet order (--paper a5 for A4 sheets)",
    )
    printing.add_argument(
        "--signature", type=int, metavar="N", help="with --booklet: gatherings of N sheets"
    )
    printing.add_argument(
        "--pdf-variant",
        choices=VARIANTS,
        help="pdf/a-3b (archival) or pdf/ua-1 (tagged, accessible)",
    )


def print_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The print options given on the command line (the others come from book.yaml)."""
    given = {
        "paper": args.paper,
        "note_pages": args.note_pages,
        "bleed": args.bleed,
        "pdf_variant": args.pdf_variant,
        "double_sided": False if args.single_sided else None,
        "qr": True if args.qr else None,
        "marks": True if args.marks else None,
        "booklet": True if args.booklet else None,
        "signature": args.signature,
    }
    return {name: value for name, value in given.items() if value is not None}
