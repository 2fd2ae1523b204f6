"""What the book needs to know of a part's pages once it is laid out, as kept between builds
and sent back by the processes that lay parts out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ...core.diagnostics import Diagnostic
from ...render.pagemap import Place


@dataclass
class LaidPart:
    """A part, laid out: what the book needs to know of its pages."""

    count: int
    places: tuple[Place | None, ...]
    """Where each page begins in the text; None for a page without any."""
    anchors: dict[str, int]
    """The page (counted from the part's first) of every id in the part."""
    links: dict[str, str]
    """The page numbers it prints for links to other parts, by target id."""
    numbered: int | None = None
    """The number its first page was laid out with, when its pages print it (a pointer to
    notes at the end of a lesson gives their page, WeasyPrint's ``target-counter``): laid
    out with another number, it is laid out again. None when its pages are the same
    whatever their numbers (only the margins print them: see :mod:`.folios`)."""
    problems: tuple[Diagnostic, ...] = ()
    """What its layout found (a note too long for the foot of a page): said again when the
    part comes from the cache."""
    pdf: bytes | None = field(default=None, repr=False)
    """The part as a PDF of its own (see :mod:`.joining`), when laid out for the PDF."""
    pdf_key: str = ""
    """The cache key of :attr:`pdf`."""

    def fits(self, number: int) -> bool:
        """Whether these are the part's pages when its first page is numbered ``number``."""
        return self.numbered is None or self.numbered == number

    def dumps(self) -> str:
        return json.dumps(
            {
                "count": self.count,
                "places": self.places,
                "anchors": self.anchors,
                "links": self.links,
                "numbered": self.numbered,
                "problems": [problem.as_data() for problem in self.problems],
            }
        )

    @classmethod
    def loads(cls, text: str) -> LaidPart:
        data = json.loads(text)
        places = tuple((p[0], p[1], p[2]) if p else None for p in data["places"])
        problems = tuple(Diagnostic.from_data(problem) for problem in data["problems"])
        numbered = data.get("numbered")
        return cls(data["count"], places, data["anchors"], data["links"], numbered, problems)
