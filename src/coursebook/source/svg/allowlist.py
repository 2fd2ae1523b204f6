"""What a cleaned SVG may hold: its namespaces, the elements and attributes of static vector
graphics (the allow-lists), and the sets that say how the others go (quietly, or reported)."""

from __future__ import annotations

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
