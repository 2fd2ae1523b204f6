"""A page into a lesson: its title and number, and Markdown with citation marks."""

from __future__ import annotations

import re

from ...core.diagnostics import Diagnostics, Location
from .citations import _Reader
from .model import _LINK, ImportedLesson, Page
from .page_parts import _clean, parse_heading


def import_lesson(page: Page, diagnostics: Diagnostics) -> ImportedLesson | None:
    """The page's lesson: title and number from its heading, Markdown with citation marks."""
    parsed = parse_heading(page.heading) if page.heading else None
    if parsed is not None:
        number, title = parsed
    elif page.heading:
        number, title = None, page.heading
    elif page.html:
        diagnostics.error(
            Location(page.path, 1),
            "no lesson title found (a heading like 'Lesson 16: The nature of the state')",
            "import-no-title",
        )
        return None
    else:
        number, title = None, f"Untitled ({page.path.stem})"
        diagnostics.warning(
            Location(page.path, 1),
            f"no lesson heading found ('LESSON SIXTEEN: …'); titled '{title}': give the "
            "lesson its title and number in its front matter",
            "import-untitled",
        )
    reader = _Reader(page.path)
    parts: list[str] = []
    for block in page.blocks:
        text = reader.block(block)
        if block.kind == "heading":
            parts.append("## " + _markdown(text, block.links))
        elif block.kind == "quote":
            quoted = reader.attribution(block, text)
            paragraphs = [_markdown(p, block.links) for p in quoted.split("\n\n")]
            parts.append("\n>\n".join("> " + p for p in paragraphs))
        else:
            parts.append(_markdown(text, block.links))
    for location, written in reader.left:
        diagnostics.warning(location, f"left as text: {written}", "import-unrecognised")
    return ImportedLesson(
        page,
        _clean(title),
        number,
        "\n\n".join(parts) + "\n",
        tuple(reader.cites),
        tuple(reader.left),
    )


# Characters Markdown (or the citation syntax) would act on. Square brackets are kept as
# written ("[capitalist]" is the editor's insertion, and Markdown shows it as it is) unless
# they could open a citation, footnote or link; the lookaheads see the page's own text.
_ESCAPE = re.compile(r"[\\`*_<>@]|\[(?=\s*-?[\^@])|\](?=[(\[:])")


def _markdown(text: str, links: tuple[str, ...]) -> str:
    """Page text as Markdown that reads as the text: characters Markdown would act on are
    escaped (a page can't smuggle HTML or citations in), web links and citation marks kept."""
    pieces: list[str] = []
    cursor = 0
    for match in _LINK.finditer(text):
        pieces.append(_escape(text[cursor : match.start()]))
        url = links[int(match[2])].replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        pieces.append(f"[{_escape(match[1])}]({url})")
        cursor = match.end()
    pieces.append(_escape(text[cursor:]))
    result = "".join(pieces)
    # A line start Markdown would read as a heading, list, quotation or rule.
    return re.sub(r"^(#|[-+*] |\d+[.)] |=+$|-+$)", r"\\\1", result)


def _escape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\\" + m[0], text)
