"""SVG images cleaned by an allow-list, the way a lesson's HTML is.

An SVG file is a program as much as a picture: it can script (``<script>``, ``onload``, a
``javascript:`` link), change itself at run time (``<animate>``/``<set>`` can rewrite an
``href`` into ``javascript:``), embed other documents (``<foreignObject>``, an SVG inside a
``data:`` URL) and reach outside itself (``href``, ``url(…)`` in attributes and CSS,
``<?xml-stylesheet?>``, a DOCTYPE with a system URL or entities). A deny-list misses the next
trick, so :func:`clean_svg` keeps only what static vector graphics need — elements, attributes
and ``#fragment`` references from an allow-list — and builds a new tree from it. What a book
packs is that tree serialized afresh, never the author's bytes: whatever the parser tolerated
but we did not look at cannot ride along.

Sanitizing rather than rasterizing keeps what makes an SVG worth having in a book: vector
quality in print and text a screen reader can read.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from PIL import Image, UnidentifiedImageError

from ..core.limits import Limits

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Elements for static graphics, from the SVG 1.1 and SVG 2 element indexes, narrowed the way
# DOMPurify's svg and svgFilters profiles narrow them: no scripting, no animation, no fonts,
# no embedded documents. Names are case-sensitive, as in the XML they come from.
ELEMENTS = frozenset(
    {
        # structure
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "switch",  # picks the first child a renderer supports; harmless once children are clean
        "a",  # kept as a group; only a #fragment href survives
        # shapes
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        # text
        "text",
        "tspan",
        "textPath",
        # paint servers, clipping, masking, markers
        "linearGradient",
        "radialGradient",
        "stop",
        "pattern",
        "clipPath",
        "mask",
        "marker",
        # raster images, only as a checked PNG/JPEG/GIF/WebP data: URL (see _raster)
        "image",
        # CSS, only when it loads and runs nothing (see _sheet_danger)
        "style",
        # filters
        "filter",
        "feBlend",
        "feColorMatrix",
        "feComponentTransfer",
        "feComposite",
        "feConvolveMatrix",
        "feDiffuseLighting",
        "feDisplacementMap",
        "feDistantLight",
        "feDropShadow",
        "feFlood",
        "feFuncA",
        "feFuncB",
        "feFuncG",
        "feFuncR",
        "feGaussianBlur",
        "feImage",  # loads an image: kept only with a #fragment reference
        "feMerge",
        "feMergeNode",
        "feMorphology",
        "feOffset",
        "fePointLight",
        "feSpecularLighting",
        "feSpotLight",
        "feTile",
        "feTurbulence",
    }
)

# Attributes, from the SVG 1.1 property index (presentation attributes) and attribute index
# (geometry, paint servers, filters), plus SVG 2's additions and the accessibility attributes;
# the same ground as DOMPurify's svg and svgFilters attribute lists, without the animation
# timing attributes (begin, dur, attributeName, to, …), cursor and color-profile (which load),
# and event handlers. href is handled on its own (_href): only #fragment references.
ATTRIBUTES = frozenset(
    {
        # core and accessibility
        "id",
        "class",
        "style",  # cleaned declaration by declaration (_clean_style)
        "lang",
        "role",
        "aria-label",
        "aria-labelledby",
        "aria-describedby",
        "aria-hidden",
        "version",
        "baseProfile",
        "systemLanguage",  # <switch>'s language test: a list of language tags
        "type",  # <style>'s text/css (checked), the filter primitives' kinds
        "media",
        # geometry
        "x",
        "y",
        "width",
        "height",
        "rx",
        "ry",
        "cx",
        "cy",
        "r",
        "fx",
        "fy",
        "fr",
        "d",
        "points",
        "x1",
        "y1",
        "x2",
        "y2",
        "pathLength",
        "transform",
        "viewBox",
        "preserveAspectRatio",
        # text
        "dx",
        "dy",
        "rotate",
        "textLength",
        "lengthAdjust",
        "startOffset",
        "method",
        "spacing",
        "side",
        "path",
        # paint servers, clipping, masking, markers
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "offset",
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "markerUnits",
        "markerWidth",
        "markerHeight",
        "refX",
        "refY",
        "orient",
        # filter primitives
        "filterUnits",
        "primitiveUnits",
        "in",
        "in2",
        "result",
        "stdDeviation",
        "edgeMode",
        "mode",
        "values",
        "operator",
        "k1",
        "k2",
        "k3",
        "k4",
        "order",
        "kernelMatrix",
        "divisor",
        "bias",
        "targetX",
        "targetY",
        "preserveAlpha",
        "kernelUnitLength",
        "surfaceScale",
        "diffuseConstant",
        "specularConstant",
        "specularExponent",
        "scale",
        "xChannelSelector",
        "yChannelSelector",
        "baseFrequency",
        "numOctaves",
        "seed",
        "stitchTiles",
        "azimuth",
        "elevation",
        "z",
        "pointsAtX",
        "pointsAtY",
        "pointsAtZ",
        "limitingConeAngle",
        "tableValues",
        "slope",
        "intercept",
        "amplitude",
        "exponent",
        "radius",
        # presentation attributes (SVG 1.1 property index, SVG 2 additions)
        "alignment-baseline",
        "baseline-shift",
        "clip",
        "clip-path",
        "clip-rule",
        "color",
        "color-interpolation",
        "color-interpolation-filters",
        "color-rendering",
        "direction",
        "display",
        "dominant-baseline",
        "enable-background",
        "fill",
        "fill-opacity",
        "fill-rule",
        "filter",
        "flood-color",
        "flood-opacity",
        "font-family",
        "font-size",
        "font-size-adjust",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "glyph-orientation-horizontal",
        "glyph-orientation-vertical",
        "image-rendering",
        "isolation",
        "kerning",
        "letter-spacing",
        "lighting-color",
        "marker-end",
        "marker-mid",
        "marker-start",
        "mask",
        "mask-type",
        "mix-blend-mode",
        "opacity",
        "overflow",
        "paint-order",
        "pointer-events",
        "shape-rendering",
        "stop-color",
        "stop-opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "text-decoration",
        "text-rendering",
        "transform-origin",
        "unicode-bidi",
        "vector-effect",
        "visibility",
        "white-space",
        "word-spacing",
        "writing-mode",
    }
)
# Attributes that hold words for people or names, never CSS: CSS functions are not looked
# for in them (an aria-label may well say "image (left)"), script and url() still are.
_TEXT_ATTRIBUTES = frozenset(
    {"id", "class", "lang", "role", "aria-label", "aria-labelledby", "aria-describedby"}
)
# xml:space and xml:lang are the only namespaced attributes kept besides xlink:href.
_XML_ATTRIBUTES = frozenset({f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"})
# Elements whose href means something; on any other element it is dropped.
_HREF_ELEMENTS = frozenset(
    {
        "a",
        "use",
        "image",
        "feImage",
        "textPath",
        "linearGradient",
        "radialGradient",
        "pattern",
        "filter",
    }
)
# Elements that are nothing without their reference: they go when it does.
_NEEDS_HREF = frozenset({"image", "feImage", "use"})
# Elements with text and no element children we keep.
_TEXT_ONLY = frozenset({"title", "desc", "style"})
# What draws something; an SVG with none of these left is refused.
_DRAWING = frozenset(
    {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "image", "use"}
)
# Removed without a word: not drawn, and nothing an author needs to hear about.
_DROPPED_QUIETLY = frozenset({"metadata"})
_ANIMATION = frozenset(
    {"animate", "animateMotion", "animateTransform", "animateColor", "set", "discard", "mpath"}
)
# Editors' bookkeeping (Inkscape, Sodipodi, RDF/Dublin Core/Creative Commons metadata, Adobe,
# Sketch, Affinity, Figma, Visio, Open Swatchbook): harmless, dropped without a warning.
_EDITOR_NAMESPACES = (
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/",
    "http://creativecommons.org/ns#",
    "http://web.resource.org/cc/",
    "http://ns.adobe.com/",
    "http://www.bohemiancoding.com/sketch/ns",
    "http://www.serif.com/",
    "http://www.figma.com/figma/ns",
    "http://schemas.microsoft.com/visio/",
    "http://www.openswatchbook.org/uri/2009/osb",
)
# The DOCTYPEs of SVG 1.0 and 1.1 (matplotlib still writes one), and a bare <!DOCTYPE svg>:
# dropped without a warning when they declare nothing of their own.
_STANDARD_PUBLIC_IDS = frozenset(
    {
        "-//W3C//DTD SVG 1.0//EN",
        "-//W3C//DTD SVG 20010904//EN",
        "-//W3C//DTD SVG 1.1//EN",
        "-//W3C//DTD SVG 1.1 Basic//EN",
        "-//W3C//DTD SVG 1.1 Tiny//EN",
    }
)
_DTD_DECLARATION = re.compile(r"<!(?:ENTITY|ATTLIST|ELEMENT|NOTATION)\b")

# Raster images inside an SVG: matplotlib writes imshow plots and Inkscape embeds photos this
# way. A PNG, JPEG, GIF or WebP in a data: URL loads nothing and runs nothing, so it is kept —
# once decoded, identified by Pillow and counted against the pixel limit like any image of
# the book (a small data: URL can hold a decompression bomb). An SVG in a data: URL is a
# second document with all of the above inside it, so it goes, as does any other data: URL.
_RASTER_URL = re.compile(
    r"data:image/(png|jpeg|jpg|gif|webp)((?:;[a-z0-9_.+-]+=[a-z0-9_.+-]*)*);base64,(.*)",
    re.IGNORECASE | re.DOTALL,
)
_RASTER_FORMATS = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif", "WEBP": "webp"}
_FRAGMENT = re.compile(r"#[^\s\"'<>()\\]*")

# CSS is checked in a loosened form: comments gone, escapes and character references
# decoded, whitespace and controls removed, lower case. Whatever a CSS parser (or a renderer
# forgiving of tricks like ``java&#9;script:`` or ``u\72l(``) would see is in it.
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.DOTALL)
_SPACE = re.compile(
    r"[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]+"
)
_SCRIPT_SCHEME = re.compile(r"(?:java|vb|live)script:")
# CSS functions that load something or run code besides url(), which is checked on its own.
_LOADING_FUNCTIONS = re.compile(
    r"(?<![a-z0-9_-])(?:-[a-z]+-)?(?:image|image-set|cross-fade|element|src|expression|paint)\("
)
_BINDINGS = re.compile(r"behavior|binding|-o-link")
_AT_RULES_ALLOWED = frozenset({"media", "keyframes", "-webkit-keyframes", "supports"})
_PROPERTY = re.compile(r"-{0,2}[a-z][a-z0-9-]*")

# SVG as the default namespace (lxml-stubs don't allow the None key lxml takes for it);
# xlink is declared only if an xlink:href survives (cleanup_namespaces drops it otherwise).
_NSMAP: Any = {None: SVG_NS, "xlink": XLINK_NS}
_DEFAULT_PIXELS = Limits().image_pixels
_DEFAULT_ELEMENTS = 250_000
_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*")


class SvgError(ValueError):
    """The file is not an SVG we can use at all; the message says why, for the author."""


@dataclass(frozen=True)
class CleanSvg:
    """An SVG after :func:`clean_svg`."""

    data: bytes
    """The cleaned SVG: UTF-8 XML with a declaration, the same bytes for the same input."""
    removed: tuple[str, ...] = ()
    """What was taken out that an author should hear about, each distinct thing once, in the
    order found: ``"<script>"``, ``"the attribute onload"``, ``"an external reference '…'"``,
    ``"the DOCTYPE"``… Editors' metadata (Inkscape, Sodipodi, RDF) goes without a mention."""
    width: float | None = None
    """The root's width in CSS pixels, when it gives an absolute one."""
    height: float | None = None
    """The root's height in CSS pixels, when it gives an absolute one."""


def clean_svg(
    data: bytes,
    max_depth: int = 40,
    *,
    max_pixels: int = _DEFAULT_PIXELS,
    max_elements: int = _DEFAULT_ELEMENTS,
) -> CleanSvg:
    """The SVG in ``data`` with everything outside the allow-list removed.

    ``max_pixels`` bounds the raster images embedded in it, together; ``max_elements`` the
    elements a renderer would draw once every ``<use>`` and ``url(#…)`` is followed (a few
    nested ``<use>`` can otherwise ask for billions). Raises :class:`SvgError` for what can't
    be made safe or isn't an SVG: XML that isn't well-formed, entity declarations, a root
    other than ``<svg>``, nesting deeper than ``max_depth``, or nothing left to draw.
    """
    tree = _parse(data)
    cleaner = _Cleaner(max_pixels)
    _check_prolog(tree, data, cleaner)
    source = tree.getroot()
    if source.tag != f"{{{SVG_NS}}}svg":
        raise SvgError(_not_svg(source))
    _check_depth(source, max_depth)
    root = cleaner.copy(source, None)
    if root is None:  # the root's own attributes can't make it go, but be sure
        raise SvgError("the SVG has nothing left once its unsafe parts are removed")
    removed = tuple(cleaner.removed)
    if not any(etree.QName(element).localname in _DRAWING for element in root.iter()):
        raise SvgError(_nothing_left(removed))
    _check_expansion(root, max_elements)
    etree.cleanup_namespaces(root)
    return CleanSvg(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        removed,
        _length(root.get("width")),
        _length(root.get("height")),
    )


# --- reading ------------------------------------------------------------------------------


class _NoLoading(etree.Resolver):
    """Answers any attempt to load an external DTD or entity with nothing.

    The parser options already forbid loading; this is the second lock on the same door.
    """

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        return self.resolve_string("", context, base_url=None)


def _parse(data: bytes) -> etree._ElementTree:
    # Comments go at once; processing instructions are kept to be reported, then dropped.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=False,
        strip_cdata=True,
    )
    parser.resolvers.add(_NoLoading())
    try:
        return etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as error:
        raise SvgError(f"not a well-formed SVG ({error.msg})") from None
    except ValueError as error:  # e.g. an encoding lxml doesn't know
        raise SvgError(f"not a well-formed SVG ({error})") from None


def _check_prolog(tree: etree._ElementTree, data: bytes, cleaner: _Cleaner) -> None:
    """Refuse entities; note a DOCTYPE and processing instructions, which never get copied."""
    # lxml-stubs lack DocInfo.doctype/system_url and DTD.iterentities, all in lxml since 2.x.
    info: Any = tree.docinfo
    dtd = info.internalDTD
    root = tree.getroot()
    entities = [] if dtd is None else [entity.name for entity in dtd.iterentities()]
    if entities or any(isinstance(node, etree._Entity) for node in root.iter()):
        raise SvgError(
            "the SVG declares entities in its DOCTYPE"
            + (f" ({', '.join(sorted(set(str(name) for name in entities)))})" if entities else "")
            + ", which can expand without bound or read other files; save it without them"
        )
    if info.doctype and not _standard_doctype(info, data):
        cleaner.report("the DOCTYPE")
    prolog = [*root.itersiblings(preceding=True), *root.itersiblings()]
    if any(isinstance(node, etree._ProcessingInstruction) for node in prolog):
        cleaner.report("a processing instruction")


def _standard_doctype(info: Any, data: bytes) -> bool:
    """A DOCTYPE that names the SVG 1.0/1.1 DTD or nothing, declaring nothing of its own."""
    if info.public_id not in _STANDARD_PUBLIC_IDS and (info.public_id or info.system_url):
        return False
    system = info.system_url or ""
    if system and not (system.startswith("http://www.w3.org/") and system.endswith(".dtd")):
        return False
    # lxml doesn't show an internal subset that declares no entities (an <!ATTLIST> giving
    # <svg> a default onload, say); the text does, in whatever encoding it came.
    try:
        text = data.decode(info.encoding or "utf-8", errors="replace")
    except LookupError:
        text = data.decode("latin-1")
    return _DTD_DECLARATION.search(text) is None


def _not_svg(root: etree._Element) -> str:
    name = etree.QName(root)
    if name.localname == "svg" and name.namespace is None:
        return f'the root <svg> lacks the SVG namespace (add xmlns="{SVG_NS}")'
    return f"the root element is <{name.localname}>, not an SVG <svg>"


def _check_depth(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > max_depth:
            raise SvgError(f"the SVG nests elements more than {max_depth} deep")


def _nothing_left(removed: tuple[str, ...]) -> str:
    if not removed:
        return "the SVG draws nothing"
    verb = "is" if len(removed) == 1 else "are"
    return f"the SVG has nothing left to draw once {', '.join(removed)} {verb} removed"


# --- cleaning -----------------------------------------------------------------------------


class _Cleaner:
    """Copies the allowed part of a tree into a new one, noting what it leaves behind."""

    def __init__(self, max_pixels: int) -> None:
        self.removed: dict[str, None] = {}  # an ordered set
        self.max_pixels = max_pixels
        self.pixels = 0

    def report(self, what: str) -> None:
        self.removed.setdefault(what, None)

    def copy(self, source: etree._Element, parent: etree._Element | None) -> etree._Element | None:
        """The cleaned copy of ``source``, appended to ``parent``; None if it goes."""
        local = self._kept_element(source)
        if local is None:
            return None
        attributes = self._attributes(local, source)
        if attributes is None:
            return None
        if local == "style" and not self._sheet_kept(source):
            return None
        tag = f"{{{SVG_NS}}}{local}"
        if parent is None:
            element = etree.Element(tag, nsmap=_NSMAP)
        else:
            element = etree.SubElement(parent, tag)
        for name, value in attributes:
            element.set(name, value)
        element.text = source.text
        self._children(local, source, element)
        return element

    def _children(self, local: str, source: etree._Element, element: etree._Element) -> None:
        last: etree._Element | None = None
        for child in source:
            if isinstance(child, etree._ProcessingInstruction):
                self.report("a processing instruction")
                copy = None
            elif local in _TEXT_ONLY:
                self._kept_element(child)  # reported if it would go anyway
                copy = None
            else:
                copy = self.copy(child, element)
            if copy is not None:
                copy.tail = child.tail
                last = copy
            elif child.tail:  # a removed element's tail is its parent's text
                if last is None:
                    element.text = (element.text or "") + child.tail
                else:
                    last.tail = (last.tail or "") + child.tail

    def _kept_element(self, source: etree._Element) -> str | None:
        """The local name of ``source`` if it may stay; otherwise None (reported if it matters)."""
        name = etree.QName(source)
        local = name.localname
        if name.namespace != SVG_NS:
            if not _editor(name.namespace):
                self.report(f"<{local}> (not SVG)")
            return None
        if local in ELEMENTS:
            return local
        if local in _ANIMATION:
            self.report(f"<{local}> (SVG animation can change links and scripts at run time)")
        elif local not in _DROPPED_QUIETLY:
            self.report(f"<{local}>")
        return None

    def _attributes(self, local: str, source: etree._Element) -> list[tuple[str, str]] | None:
        """The attributes ``source`` keeps, or None if the element can't stay without one."""
        kept: list[tuple[str, str]] = []
        for name, raw in source.attrib.items():
            value = str(raw)
            namespace, attribute = _split(str(name))
            if attribute.lower().startswith("on"):
                self.report(f"the attribute {attribute}")
            elif attribute == "href" and namespace in (None, XLINK_NS):
                href = self._href(local, value)
                if href is not None:
                    kept.append((str(name), href))
            elif namespace is None and attribute in ATTRIBUTES:
                cleaned = self._value(attribute, value)
                if cleaned is not None:
                    kept.append((attribute, cleaned))
            elif str(name) in _XML_ATTRIBUTES and _value_danger(value) is None:
                kept.append((str(name), value))
            else:
                self._dropped_attribute(namespace, attribute, value)
        if local in _NEEDS_HREF and not any(_split(name)[1] == "href" for name, _ in kept):
            return None
        if local == "style" and dict(kept).get("type", "text/css").strip() not in ("text/css", ""):
            self.report("<style> (not CSS)")
            return None
        return kept

    def _value(self, attribute: str, value: str) -> str | None:
        if attribute == "style":
            return self._clean_style(value)
        danger = _value_danger(value, css=attribute not in _TEXT_ATTRIBUTES)
        if danger is not None:
            self.report(danger)
            return None
        return value

    def _dropped_attribute(self, namespace: str | None, attribute: str, value: str) -> None:
        """Tell the author about a dropped attribute only if it reached for something."""
        if namespace is not None and _editor(namespace):
            return
        loose = _loosened(value)
        if _SCRIPT_SCHEME.search(loose):
            self.report("a javascript: URL")
        elif attribute in ("href", "src", "base") and value.strip() and not _is_fragment(value):
            self.report(f"an external reference '{_short(value)}'")
        elif "url(" in loose and _value_danger(value) is not None:
            self.report(f"an external reference '{_short(_url_target(value))}'")

    def _href(self, local: str, value: str) -> str | None:
        """A reference that may stay (normalized), or None, reported."""
        if _is_fragment(value):
            # A fragment is this document: harmless, but meaningless on <image> or a <rect>.
            return value.strip() if local in _HREF_ELEMENTS and local != "image" else None
        if local == "image" and value.strip().lower().startswith("data:image/"):
            return self._raster(value)
        self.report(_reference_danger(value))
        return None

    def _raster(self, value: str) -> str | None:
        """A data: URL holding a PNG, JPEG, GIF or WebP of allowed size, re-encoded; or None."""
        match = _RASTER_URL.fullmatch(value.strip())
        if match is None:
            self.report(_reference_danger(value))
            return None
        try:
            raw = base64.b64decode(_SPACE.sub("", match.group(3)), validate=True)
            with warnings.catch_warnings():
                # We count the pixels ourselves, against our own limit.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(raw), formats=list(_RASTER_FORMATS)) as picture:
                    kind, (width, height) = picture.format, picture.size
        except Image.DecompressionBombError:
            raise SvgError(
                "the SVG embeds an image of far more pixels than the limit of "
                f"{self.max_pixels:,} (a decompression bomb?)"
            ) from None
        except (binascii.Error, UnidentifiedImageError, OSError, ValueError):
            self.report("an embedded image that is not a readable PNG, JPEG, GIF or WebP")
            return None
        declared = match.group(1).lower().replace("jpg", "jpeg")
        if _RASTER_FORMATS.get(kind or "") != declared:
            self.report(f"an embedded image that is {kind}, not the {declared} it says")
            return None
        self.pixels += width * height
        if self.pixels > self.max_pixels:
            raise SvgError(
                f"the SVG embeds images of {self.pixels:,} pixels together, more than the "
                f"limit of {self.max_pixels:,} (raise it with --limit image_pixels=…)"
            )
        return f"data:image/{declared};base64,{base64.b64encode(raw).decode('ascii')}"

    def _clean_style(self, style: str) -> str:
        """The declarations of a style attribute that load and run nothing."""
        kept: list[str] = []
        dropped = False
        for declaration in _declarations(_CSS_COMMENT.sub("", style)):
            property_, colon, value = declaration.partition(":")
            prop = _loosened(property_)
            if not colon or not value.strip():
                continue  # not a declaration: every renderer ignores it
            danger = _value_danger(declaration)  # all of it: "javascript:alert(1)" parses
            if danger is None and (not _PROPERTY.fullmatch(prop) or _BINDINGS.search(prop)):
                danger = f"the style '{_short(declaration)}'"
            if danger is None and re.search(r"[@{}<>]", declaration):
                danger = f"the style '{_short(declaration)}'"
            if danger is not None:
                self.report(danger)
                dropped = True
                continue
            kept.append(f"{property_.strip()}:{value.strip()}")
        if not dropped and "/*" not in style:
            return style  # all of it checked and kept: the author's own spelling
        return ";".join(kept)

    def _sheet_kept(self, source: etree._Element) -> bool:
        """A <style> element stays only if its CSS loads and runs nothing."""
        if len(source):
            self.report("<style> (it holds markup, not just CSS)")
            return False
        danger = _sheet_danger(source.text or "")
        if danger is not None:
            self.report(f"<style> ({danger})")
            return False
        return True


def _split(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def _editor(namespace: str | None) -> bool:
    return namespace is not None and namespace.startswith(_EDITOR_NAMESPACES)


def _is_fragment(value: str) -> bool:
    value = value.strip()
    return bool(_FRAGMENT.fullmatch(value)) and not _SCRIPT_SCHEME.search(_loosened(value))


# --- CSS and URL values ---------------------------------------------------------------------


def _loosened(text: str, *, keep_space: bool = False) -> str:
    """``text`` as the most forgiving reader would see it, for checking only."""
    text = html.unescape(text)
    text = _CSS_COMMENT.sub("", text)
    text = _CSS_ESCAPE.sub(_unescape, text)
    return (text if keep_space else _SPACE.sub("", text)).lower()


def _unescape(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return match.group(2)
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _value_danger(value: str, *, css: bool = True) -> str | None:
    """Why an attribute value or CSS value can't stay (it loads or runs something), or None."""
    loose = _loosened(value)
    if _SCRIPT_SCHEME.search(loose):
        return "a javascript: URL"
    for match in re.finditer(r"url\(", loose):
        if not loose[match.end() :].lstrip("'\"").startswith("#"):
            return f"an external reference '{_short(_url_target(value))}'"
    if css and (_LOADING_FUNCTIONS.search(loose) or "@import" in loose):
        return f"CSS that loads or runs something ('{_short(value)}')"
    return None


def _sheet_danger(css: str) -> str | None:
    """Why a style sheet can't stay, or None."""
    danger = _value_danger(css)
    if danger is not None:
        return danger
    loose = _loosened(css)
    # At-rule names are read before whitespace goes: "@media print" is not "@mediaprint".
    for rule in re.findall(r"@([a-z-]*)", _loosened(css, keep_space=True)):
        if rule not in _AT_RULES_ALLOWED:
            return f"a CSS @{rule}"
    if _BINDINGS.search(loose):
        return "a CSS behavior or binding"
    return None


def _url_target(value: str) -> str:
    """The first url(…) target that isn't a #fragment, for the author's message."""
    for match in re.finditer(r"url\(\s*['\"]?([^'\")]*)", value, re.IGNORECASE):
        if not match.group(1).strip().startswith("#"):
            return match.group(1).strip()
    return value


def _reference_danger(value: str) -> str:
    value = value.strip()
    if _SCRIPT_SCHEME.search(_loosened(value)):
        return "a javascript: URL"
    if value.lower().startswith("data:"):
        return f"a data: URL other than a PNG, JPEG, GIF or WebP image ('{_short(value, 30)}')"
    return f"an external reference '{_short(value)}'"


def _declarations(style: str) -> Iterable[str]:
    """The declarations of a style attribute: split at ; outside quotes and brackets."""
    depth, quote, start = 0, "", 0
    for index, char in enumerate(style):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == ";" and depth == 0:
            yield style[start:index]
            start = index + 1
    yield style[start:]


def _short(value: str, length: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= length else value[: length - 1] + "…"


# --- the cleaned tree -----------------------------------------------------------------------


def _check_expansion(root: etree._Element, limit: int) -> None:
    """Refuse an SVG whose references make a renderer draw more than ``limit`` elements.

    Each element counts once, plus everything under it, plus — again — everything it refers
    to by ``href="#…"`` or ``url(#…)``; a reference back into itself is a loop.
    """
    ids: dict[str, etree._Element] = {}
    for element in root.iter():
        ids.setdefault(element.get("id") or "", element)
    ids.pop("", None)
    done: dict[etree._Element, int] = {}
    path: set[etree._Element] = {root}
    stack: list[tuple[etree._Element, list[etree._Element]]] = [(root, _successors(root, ids))]
    while stack:
        element, successors = stack[-1]
        following = next((s for s in successors if s not in done), None)
        if following is None:
            stack.pop()
            path.discard(element)
            done[element] = min(limit + 1, 1 + sum(done[s] for s in successors))
        elif following in path:
            name = etree.QName(following).localname
            raise SvgError(f"the SVG's references go round in a loop (through <{name}>)")
        else:
            path.add(following)
            stack.append((following, _successors(following, ids)))
    if done[root] > limit:
        raise SvgError(
            f"the SVG's references (<use>, url(#…)) make it draw more than {limit:,} elements"
        )


def _successors(element: etree._Element, ids: dict[str, etree._Element]) -> list[etree._Element]:
    """The children of ``element`` and what it refers to (a link of <a> is not drawn)."""
    found = list(element)
    for name, raw in element.attrib.items():
        value = str(raw)
        if _split(str(name))[1] == "href":
            if etree.QName(element).localname != "a" and value.startswith("#"):
                found.extend(_by_id(ids, [value[1:]]))
        elif "url(" in value:
            found.extend(_by_id(ids, re.findall(r"url\(\s*['\"]?#([^'\")\s]*)", value)))
    return found


def _by_id(ids: dict[str, etree._Element], names: list[str]) -> list[etree._Element]:
    return [ids[name] for name in names if name in ids]


def _length(value: str | None) -> float | None:
    match = _LENGTH.fullmatch(value or "")
    if match is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2) or ""]
