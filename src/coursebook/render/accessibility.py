"""Accessibility metadata computed from what the book contains, never claimed.

EPUB Accessibility 1.1 asks a publication to say how it can be read (access modes), what helps
(features), what may harm (hazards), and to sum it up in words. Each value here follows from
the rendered book: images and their text alternatives, the navigation coursebook always
builds, the page list when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rendered_book import RenderedBook

CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@dataclass(frozen=True)
class Accessibility:
    access_modes: tuple[str, ...]
    sufficient: tuple[str, ...]
    """Each a comma-separated set of modes sufficient to read the whole book."""
    features: tuple[str, ...]
    hazards: tuple[str, ...]
    summary: str
    conforms_to: str | None
    """The conformance claim, only when every requirement we can check holds."""


def accessibility(rendered: RenderedBook, page_list: str | None = None) -> Accessibility:
    """The book's accessibility metadata. ``page_list`` names the print edition whose page
    numbers the EPUB carries, when it carries them."""
    images = rendered.images
    described = all(image.alt for image in images)
    modes = ("textual", "visual") if images else ("textual",)
    sufficient: tuple[str, ...] = ("textual",) if described else ("textual,visual",)
    if images and described:
        sufficient = ("textual", "textual,visual")
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if images and described:
        features.append("alternativeText")
    if page_list:
        features += ["printPageNumbers", "pageNavigation"]
    return Accessibility(
        access_modes=modes,
        sufficient=sufficient,
        features=tuple(features),
        hazards=("none",),
        summary=_summary(rendered, described, page_list),
        conforms_to=CONFORMANCE if described else None,
    )


def _summary(rendered: RenderedBook, described: bool, page_list: str | None) -> str:
    notes = sum(len(lesson.notes) for lesson in rendered.notes.lessons.values())
    lessons = len(rendered.book.lessons)
    parts = [
        f"This book has {lessons} {'lesson' if lessons == 1 else 'lessons'} in "
        f"{len(rendered.book.chapters)} "
        f"{'chapter' if len(rendered.book.chapters) == 1 else 'chapters'}, with a table of "
        "contents, structured headings and a navigation document.",
    ]
    if notes:
        parts.append(
            f"Its {notes} {'note is' if notes == 1 else 'notes are'} linked footnotes, each "
            "linking back to where it is called."
        )
    if rendered.notes.bibliography:
        parts.append("The sources appendix links back to every place each source is cited.")
    images = len(rendered.images)
    if images:
        parts.append(
            f"All {images} images have text alternatives."
            if described
            else f"Some of its {images} images have no text alternative."
        )
    else:
        parts.append("It has no images other than the cover.")
    if page_list:
        parts.append(f"Page numbers of the printed edition ({page_list}) are marked.")
    parts.append("There are no known hazards.")
    return " ".join(parts)
