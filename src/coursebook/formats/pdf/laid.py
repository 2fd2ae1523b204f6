"""What the book needs to know of a part's pages once it is laid out, as kept between builds
and sent back by the processes that lay parts out."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, field

from ...core.diagnostics import Diagnostic
from ...render.pagemap import Place


@dataclass(frozen=True)
class LaidDocument:
    """Where a document of a part is in its pages (see :mod:`.pieces`)."""

    id: str
    digest: str
    """The hash of its HTML as printed."""
    first: int
    """The page it opens on, counted from the part's first."""
    side: str
    """The side of that page: "left" or "right"."""
    forced: bool
    """Whether it opens a new page whatever came before (``break-before: page``)."""


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
    documents: tuple[LaidDocument, ...] = ()
    """Where each of its documents is, for an edit to lay out only those it changed."""
    wrapper: str = ""
    """The hash of its HTML around its documents."""

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
                "documents": [astuple(document) for document in self.documents],
                "wrapper": self.wrapper,
            }
        )

    @classmethod
    def loads(cls, text: str) -> LaidPart:
        data = json.loads(text)
        places = tuple((p[0], p[1], p[2]) if p else None for p in data["places"])
        problems = tuple(Diagnostic.from_data(problem) for problem in data["problems"])
        documents = tuple(
            LaidDocument(str(i), str(digest), int(first), str(side), bool(forced))
            for i, digest, first, side, forced in data.get("documents", ())
        )
        return cls(
            data["count"],
            places,
            data["anchors"],
            data["links"],
            data.get("numbered"),
            problems,
            documents=documents,
            wrapper=data.get("wrapper", ""),
        )
