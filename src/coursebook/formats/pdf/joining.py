"""The book's PDF joined from the PDFs of its parts.

Each part of the print edition (see :mod:`.paging`) is written as a PDF of its own as soon as
it is laid out, so that no more than one part's pages are ever in memory, and a part that
didn't change comes from the cache as a PDF. This module joins them into one, as one
WeasyPrint document would have been written:

- the pages in order, the blank pages between parts copies of one blank page;
- the **named destinations** of every part (a link to another part is written by its part
  against a stand-in destination, listed in the part's catalog under ``/CoursebookStandIns``
  and dropped here: the part that holds the target gives the real one);
- the **outline**, each part's items after the last part's;
- the **page labels** (roman for the front matter, then arabic from 1);
- **one copy of each font**: WeasyPrint subsets a face in each part keeping glyph ids, so the
  subsets of one face are merged glyph by glyph into one font program, with one font
  dictionary (the widths and Unicode map of every part); a face that can't be merged so
  (a CFF font, a custom encoding) keeps a copy per part;
- the **structure tree** of a tagged PDF (PDF/UA): the parts' elements under one document
  element, their parent-tree keys renumbered;
- the first part's catalog otherwise: language, metadata (XMP), output intents (PDF/A),
  viewer preferences, document information.

Written with pikepdf (qpdf), which copies pages between PDFs with what they refer to; no
library joins PDFs keeping a structure tree, named destinations and fonts whole, so those
are done here, by what the PDF reference says of each.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

STAND_INS = "/CoursebookStandIns"
"""The catalog key under which a part lists the destinations that stand for other parts'."""


def write_part(document: Any, variant: str | None) -> bytes:
    """A part's WeasyPrint document as a PDF of its own. A link to a place in another part
    keeps its named destination through a stand-in anchor on the part's first page (else
    WeasyPrint drops the link), listed for :func:`join` to drop."""
    import pydyf

    present = {anchor for page in document.pages for anchor in page.anchors}
    elsewhere = sorted(
        {
            target
            for page in document.pages
            for kind, target, *_ in page.links
            if kind == "internal" and target not in present
        }
    )
    for name in elsewhere:
        document.pages[0].anchors[name] = (0, 0, 0, 0)

    def mark(_document: Any, pdf: Any) -> None:
        pdf.catalog[STAND_INS[1:]] = pydyf.Array(pydyf.String(name) for name in elsewhere)

    try:
        return bytes(document.write_pdf(pdf_variant=variant, finisher=mark))
    finally:
        for name in elsewhere:  # the document is as it was
            del document.pages[0].anchors[name]


@dataclass
class _Font:
    """One face of the book, as the parts have it."""

    dictionaries: list[Any] = field(default_factory=list)


def join(parts: Sequence[bytes], first_body: int, stream: BinaryIO) -> None:
    """Join the PDFs ``parts`` (in page order; the first gives the catalog) into ``stream``;
    pages from ``first_body`` on are numbered in arabic, those before in roman."""
    import pikepdf

    book = pikepdf.open(io.BytesIO(parts[0]))
    destinations: dict[str, Any] = {}
    outline: list[Any] = []
    tagged = "/StructTreeRoot" in book.Root
    structure = _Structure(book) if tagged else None
    owned: set[tuple[int, int]] = set()
    for index, data in enumerate(parts):
        source = pikepdf.open(io.BytesIO(data)) if index else book
        first = len(book.pages) if index else 0
        if index:
            with warnings.catch_warnings():
                # It warns that named destinations aren't carried: they are, below.
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                book.pages.extend(source.pages)
        pages = {source.pages[i].objgen: book.pages[first + i] for i in range(len(source.pages))}
        destinations.update(_destinations(source, pages))
        outline += _outline_items(source, pages, book)
        if structure is not None and index:
            structure.add(source, first)
        if index:
            _own_streams(book, owned)
            source.close()  # a part's objects let go as soon as it is copied
    if STAND_INS in book.Root:
        del book.Root[STAND_INS]
    _write_destinations(book, destinations)
    _write_outline(book, outline)
    _write_page_labels(book, first_body)
    _one_copy_of_each_font(book)
    if structure is not None:
        structure.finish()
    book.save(
        stream,
        deterministic_id=True,  # the same parts, the same bytes
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )


def _own_streams(book: Any, owned: set[tuple[int, int]]) -> None:
    """The data of every stream copied into ``book`` from a part, made the book's own.

    qpdf copies a stream's dictionary at once but its data only when the book is saved,
    reading it from the part, which must stay open until then: every part open at once, as
    parsed objects, took 200 MB to join the 42 parts of a 160-lesson book (of 8 MB). So
    each stream is given its data as soon as it is copied (the same bytes, compressed as they
    were), and the part is closed. ``owned`` holds the objects already visited."""
    import pikepdf

    waiting: list[Any] = [book.Root]
    while waiting:
        item = waiting.pop()
        if item.is_indirect:
            if item.objgen in owned:
                continue
            owned.add(item.objgen)
        if isinstance(item, pikepdf.Stream):
            raw = item.read_raw_bytes()
            compressed: Any = item.get("/Filter")  # the data's filters and their parameters,
            parameters: Any = item.get("/DecodeParms")  # as they were
            item.write(raw, filter=compressed, decode_parms=parameters)
            waiting += [value for value in item.stream_dict.values() if _container(value)]
        elif isinstance(item, pikepdf.Dictionary):
            waiting += [value for value in item.values() if _container(value)]
        elif isinstance(item, pikepdf.Array):
            waiting += [value for value in item if _container(value)]


def _container(value: Any) -> bool:
    import pikepdf

    return isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream))


def _destinations(source: Any, pages: dict[Any, Any]) -> dict[str, Any]:
    """The part's named destinations but its stand-ins, leading to the pages in ``book``."""
    import pikepdf

    names = source.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    stand_ins = {str(name) for name in source.Root.get(STAND_INS, [])}
    found = {}
    for name, destination in pikepdf.NameTree(names.Dests).items():
        if name in stand_ins:
            continue
        target = pages.get(destination[0].objgen)
        if target is None:  # pragma: no cover - WeasyPrint's destinations are on its pages
            continue
        found[name] = pikepdf.Array([target.obj, *map(_plain, list(destination)[1:])])
    return found


def _write_destinations(book: Any, destinations: dict[str, Any]) -> None:
    import pikepdf

    tree = pikepdf.NameTree.new(book)
    for name in sorted(destinations):
        tree[name] = destinations[name]
    names = book.Root.get("/Names")
    if names is None:
        book.Root.Names = pikepdf.Dictionary()
    book.Root.Names.Dests = tree.obj


@dataclass(frozen=True)
class _Item:
    title: str
    page: int | None
    """The page's index in the book."""
    view: tuple[Any, ...]
    """The rest of the destination (``/XYZ x y zoom``)."""
    is_closed: bool
    children: tuple[_Item, ...]


def _outline_items(source: Any, pages: dict[Any, Any], book: Any) -> list[_Item]:
    index = {page.objgen: i for i, page in enumerate(book.pages)}

    def item(entry: Any) -> _Item:
        destination = entry.destination
        page = None
        view: tuple[Any, ...] = ()
        if destination is not None and len(destination) and destination[0].objgen in pages:
            page = index[pages[destination[0].objgen].objgen]
            view = tuple(_plain(value) for value in list(destination)[1:])
        children = tuple(item(child) for child in entry.children)
        return _Item(str(entry.title), page, view, bool(entry.is_closed), children)

    with source.open_outline() as outline:
        return [item(entry) for entry in outline.root]


def _plain(value: Any) -> Any:
    """A destination's view parameter, as a value any PDF can take (a name, a number)."""
    import pikepdf

    if isinstance(value, pikepdf.Name):
        return pikepdf.Name(str(value))
    return value


def _write_outline(book: Any, items: list[_Item]) -> None:
    import pikepdf

    def made(item: _Item) -> Any:
        destination = (
            pikepdf.Array([book.pages[item.page].obj, *item.view])
            if item.page is not None
            else None
        )
        entry = pikepdf.OutlineItem(item.title, destination=destination)
        entry.is_closed = item.is_closed
        entry.children.extend(made(child) for child in item.children)
        return entry

    if "/Outlines" in book.Root:
        del book.Root["/Outlines"]
    if not items:
        return
    with book.open_outline() as outline:
        outline.root.extend(made(item) for item in items)


def _write_page_labels(book: Any, first_body: int) -> None:
    """A PDF viewer shows the numbers printed on the pages (roman, then arabic from 1), not
    the page's position: the PDF's /PageLabels say how they run."""
    import pikepdf

    ranges: list[Any] = [0, pikepdf.Dictionary(S=pikepdf.Name.r)] if first_body else []
    ranges += [first_body, pikepdf.Dictionary(S=pikepdf.Name.D)]
    book.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(ranges))


# --- fonts ----------------------------------------------------------------------------------


def _one_copy_of_each_font(book: Any) -> None:
    """Every part's font dictionaries of one face replaced by one, whose program holds every
    glyph any part uses (see the module's description)."""
    faces: dict[str, dict[Any, Any]] = {}
    for page in book.pages:
        for font in _page_fonts(page).values():
            faces.setdefault(str(font.get("/BaseFont", "")), {})[font.objgen] = font
    merged = {}
    for fonts in faces.values():
        group = list(fonts.values())
        if len(group) > 1 and (one := _merged_font(book, group)) is not None:
            merged.update({font.objgen: one for font in group})
    if not merged:
        return
    import pikepdf

    for page in book.pages:
        resources = page.obj.get("/Resources")
        if resources is None or "/Font" not in resources:
            continue
        used = pikepdf.Dictionary()
        for key, font in resources.Font.items():
            used[key] = merged.get(font.objgen, font)
        resources.Font = used


def _page_fonts(page: Any) -> dict[str, Any]:
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if resources is not None else None
    return dict(fonts.items()) if fonts is not None else {}


def _merged_font(book: Any, group: list[Any]) -> Any | None:
    """The first of ``group`` (font dictionaries of one face), made to serve them all; None
    when they can't be merged (the caller keeps them apart)."""
    import pikepdf

    if any(not _mergeable(font) for font in group):
        return None
    descendants = [font.DescendantFonts[0] for font in group]
    program = _merged_program([d.FontDescriptor.FontFile2.read_bytes() for d in descendants])
    if program is None:
        return None
    first, descendant = group[0], descendants[0]
    descriptor = descendant.FontDescriptor
    stream = book.make_stream(program)
    stream.Length1 = len(program)
    descriptor.FontFile2 = stream
    widths = _widths(descendants)
    descendant.W = _width_array(widths)
    if "/CIDSet" in descriptor:  # PDF 1.4 and below: the glyphs the program holds
        descriptor.CIDSet = book.make_stream(_cid_set(widths))
    first.ToUnicode = book.make_stream(_to_unicode([font.ToUnicode.read_bytes() for font in group]))
    descriptor.FontBBox = pikepdf.Array(
        [
            min(float(d.FontDescriptor.FontBBox[0]) for d in descendants),
            min(float(d.FontDescriptor.FontBBox[1]) for d in descendants),
            max(float(d.FontDescriptor.FontBBox[2]) for d in descendants),
            max(float(d.FontDescriptor.FontBBox[3]) for d in descendants),
        ]
    )
    return first


def _mergeable(font: Any) -> bool:
    """A CID TrueType font (what WeasyPrint writes for a TrueType face) with the identity
    encoding: glyph ids are the same in every part."""
    try:
        descendant = font.DescendantFonts[0]
        return (
            str(font.Subtype) == "/Type0"
            and str(font.Encoding) == "/Identity-H"
            and str(descendant.Subtype) == "/CIDFontType2"
            and str(descendant.get("/CIDToGIDMap", "/Identity")) == "/Identity"
            and "/FontFile2" in descendant.FontDescriptor
            and "/ToUnicode" in font
        )
    except (AttributeError, IndexError, KeyError, TypeError):
        return False


def _merged_program(programs: Sequence[bytes]) -> bytes | None:
    """One TrueType program with every glyph of the subsets ``programs`` (of one face, glyph
    ids kept): the one with the most glyph ids, the others' outlines copied into its empty
    slots."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        fonts = sorted(
            (TTFont(io.BytesIO(data), recalcTimestamp=False) for data in programs),
            key=lambda font: -len(font.getGlyphOrder()),
        )
        target = fonts[0]
        if "glyf" not in target:
            return None
        glyphs, metrics, order = target["glyf"], target["hmtx"], target.getGlyphOrder()
        for other in fonts[1:]:
            their = other["glyf"]
            for gid, name in enumerate(other.getGlyphOrder()):
                glyph = their[name]
                if glyph.numberOfContours != 0 and glyphs[order[gid]].numberOfContours == 0:
                    glyphs[order[gid]] = glyph
                    metrics[order[gid]] = other["hmtx"][name]
        out = io.BytesIO()
        target.save(out)
        return out.getvalue()
    except (TTLibError, KeyError, IndexError, AssertionError, ValueError, TypeError):
        return None


def _widths(descendants: Iterable[Any]) -> dict[int, Any]:
    """Each glyph's width, from the ``W`` arrays of the parts (``c [w1 w2 …]`` and
    ``c_first c_last w`` forms)."""
    import pikepdf

    widths: dict[int, Any] = {}
    for descendant in descendants:
        array = list(descendant.get("/W", []))
        at = 0
        while at + 1 < len(array):
            start = int(array[at])
            if isinstance(array[at + 1], pikepdf.Array):
                for offset, width in enumerate(array[at + 1]):
                    widths.setdefault(start + offset, width)
                at += 2
            else:
                for cid in range(start, int(array[at + 1]) + 1):
                    widths.setdefault(cid, array[at + 2])
                at += 3
    return widths


def _width_array(widths: dict[int, Any]) -> Any:
    import pikepdf

    array = pikepdf.Array()
    run: list[Any] = []
    previous = None
    for cid in sorted(widths):
        if previous is None or cid != previous + 1:
            if run:
                array.append(pikepdf.Array(run))
            array.append(cid)
            run = []
        run.append(widths[cid])
        previous = cid
    if run:
        array.append(pikepdf.Array(run))
    return array


def _cid_set(widths: dict[int, Any]) -> bytes:
    last = max(widths, default=0)
    bits = bytearray((last // 8) + 1)
    for cid in widths:
        bits[cid // 8] |= 0x80 >> (cid % 8)
    return bytes(bits)


_CMAP_HEAD = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo
<< /Registry (Adobe)
/Ordering (UCS)
/Supplement 0
>> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <ffff>
endcodespacerange
"""
_CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"


def _to_unicode(cmaps: Iterable[bytes]) -> bytes:
    """One Unicode map from the parts' (WeasyPrint writes ``bfchar`` entries only): each
    glyph's text as the first part that uses it gives it."""
    import re

    entries: dict[bytes, bytes] = {}
    for cmap in cmaps:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for glyph, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
                entries.setdefault(glyph.lower(), text)
    items = sorted(entries.items(), key=lambda item: int(item[0], 16))
    body = b""
    for start in range(0, len(items), 100):  # at most 100 entries a block (the CMap spec)
        batch = items[start : start + 100]
        lines = b"\n".join(b"<%s> <%s>" % (glyph, text) for glyph, text in batch)
        body += b"%d beginbfchar\n%s\nendbfchar\n" % (len(batch), lines)
    return _CMAP_HEAD + body + _CMAP_TAIL


# --- the structure tree (PDF/UA) ------------------------------------------------------------


class _Structure:
    """The structure tree of the first part, grown with each part's: its elements under the
    first part's document element, its parent-tree keys after the last part's."""

    def __init__(self, book: Any) -> None:
        root = book.Root.StructTreeRoot
        self.book = book
        self.document = root.K[0] if isinstance(root.K, list) or _is_array(root.K) else root.K
        self.nums = list(root.ParentTree.get("/Nums", []))
        self.next = _next_key(self.nums, root)

    def add(self, source: Any, first: int) -> None:
        """The part ``source``, whose pages are now the book's from ``first``."""
        import pikepdf

        root = source.Root.get("/StructTreeRoot")
        if root is None:
            return
        offset = self.next
        theirs = list(root.ParentTree.get("/Nums", []))
        for at in range(0, len(theirs), 2):
            self.nums += [int(theirs[at]) + offset, _copied(self.book, theirs[at + 1])]
        self.next = offset + _next_key(theirs, root)
        for page in self.book.pages[first : first + len(source.pages)]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        document = root.K[0] if _is_array(root.K) else root.K
        kids = document.get("/K")
        if kids is None:
            return
        kids = list(kids) if _is_array(kids) else [kids]
        mine = self.document.get("/K")
        mine = list(mine) if mine is not None and _is_array(mine) else ([mine] if mine else [])
        for kid in kids:
            copied = _copied(self.book, kid)
            if isinstance(copied, pikepdf.Dictionary):
                copied.P = self.document
            mine.append(copied)
        self.document.K = pikepdf.Array(mine)

    def finish(self) -> None:
        import pikepdf

        root = self.book.Root.StructTreeRoot
        root.ParentTree = self.book.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        root.ParentTreeNextKey = self.next


def _copied(book: Any, value: Any) -> Any:
    """``value`` of another PDF, in ``book``: what it refers to copied (once: qpdf keeps a
    map of what it copied from each PDF, the pages among it)."""
    import pikepdf

    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return book.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copied(book, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copied(book, item) for key, item in value.items()})
    return value


def _is_array(value: Any) -> bool:
    import pikepdf

    return isinstance(value, pikepdf.Array)


def _next_key(nums: Sequence[Any], root: Any) -> int:
    """The first parent-tree key a part doesn't use."""
    used = [int(nums[at]) for at in range(0, len(nums), 2)]
    given = int(root.get("/ParentTreeNextKey", 0))
    return max([given, *(key + 1 for key in used)])
