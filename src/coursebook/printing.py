"""How the book is printed: paper, sides, extras. Turned into the stylesheet rules that vary.

print.css holds everything that doesn't change with the paper; :func:`page_css` adds the page
size, the margins (mirrored for double-sided printing, the inner one wider for the binding),
the base font size that suits the page, and bleed and crop marks for a printer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Page size (CSS), margins (top, bottom, inner, outer) and the base font size that gives
# 60 to 70 characters a line on that page.
PAPERS: dict[str, tuple[str, tuple[str, str, str, str], str]] = {
    "a4": ("A4", ("24mm", "26mm", "26mm", "20mm"), "10.5pt"),
    "letter": ("letter", ("0.95in", "1.05in", "1.05in", "0.8in"), "10.5pt"),
    "a5": ("A5", ("16mm", "19mm", "18mm", "13mm"), "9.5pt"),
    "6x9in": ("6in 9in", ("0.65in", "0.75in", "0.75in", "0.55in"), "9.5pt"),
}
PAPER_NAMES = tuple(PAPERS)
VARIANTS = ("pdf/a-3b", "pdf/ua-1")
_LENGTH = re.compile(r"^\d+(\.\d+)?(mm|cm|in|pt)$")


class PrintOptionError(ValueError):
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
    variant: str | None = None
    """``pdf/a-3b`` (archival) or ``pdf/ua-1`` (tagged, accessible)."""

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise PrintOptionError(
                f"unknown paper '{self.paper}'; choose one of {', '.join(PAPER_NAMES)}"
            )
        if self.bleed is not None and not _LENGTH.match(self.bleed):
            raise PrintOptionError(f"bleed must be a length such as 3mm, found '{self.bleed}'")
        if self.variant is not None and self.variant not in VARIANTS:
            raise PrintOptionError(
                f"unknown PDF variant '{self.variant}'; choose {' or '.join(VARIANTS)}"
            )
        if not 0 <= self.note_pages <= 20:
            raise PrintOptionError("note pages must be between 0 and 20")

    @property
    def paper_name(self) -> str:
        """The paper as people call it: "A4", "Letter", "6 × 9 in"."""
        return {"a4": "A4", "letter": "Letter", "a5": "A5", "6x9in": "6 × 9 in"}[self.paper]


def page_css(options: PrintOptions) -> str:
    """The page rules that depend on the options."""
    size, (top, bottom, inner, outer), font = PAPERS[options.paper]
    extra = ""
    if options.bleed:
        extra += f" bleed: {options.bleed};"
    if options.marks:
        extra += " marks: crop cross;"
    rules = [
        f"@page {{ size: {size}; margin: {top} {outer} {bottom} {outer};{extra} }}",
        f"html {{ font-size: {font}; }}",
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
