"""SVG images are cleaned by an allow-list: nothing that scripts, animates or reaches outside
the image survives, and an ordinary drawing comes out as it went in."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from coursebook.core.limits import Limits
from coursebook.source.images import ImageProblem, check_image, image_data
from coursebook.source.svg import SVG_NS, XLINK_NS, CleanSvg, SvgError, clean_svg

SVG = f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" viewBox="0 0 10 10">'
RECT = '<rect width="10" height="10" fill="red"/>'
_RASTER_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*")
_DANGEROUS_ELEMENTS = {
    "script",
    "foreignObject",
    "iframe",
    "animate",
    "animateMotion",
    "animateTransform",
    "animateColor",
    "set",
    "discard",
    "handler",
    "listener",
    "image",
    "feImage",
}


def png(width: int = 4, height: int = 3, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, kind)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parsed(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def assert_safe_tree(data: bytes) -> None:
    """Nothing in the cleaned SVG can script, animate, or load anything but itself."""
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<svg")
    assert data.count(b"<?") == 1, "a processing instruction"
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    root = parsed(data)
    assert root.getroottree().docinfo.internalDTD is None
    for element in root.iter():
        assert isinstance(element.tag, str), element  # no PI, comment or entity
        name = etree.QName(element)
        assert name.namespace == SVG_NS, name
        assert name.localname not in _DANGEROUS_ELEMENTS - {"image", "feImage"}, name
        for key, raw in element.attrib.items():
            attribute, value = etree.QName(key).localname, str(raw)
            assert not attribute.lower().startswith("on"), attribute
            loose = re.sub(r"\s+", "", value).lower()
            assert "javascript:" not in loose and "vbscript:" not in loose, value
            for match in re.finditer(r"url\(", loose):
                assert loose[match.end() :].lstrip("'\"").startswith("#"), value
            if attribute == "href":
                assert value.startswith("#") or (
                    name.localname == "image" and _RASTER_DATA.fullmatch(value)
                ), value
        if name.localname == "image":
            assert _RASTER_DATA.fullmatch(
                element.get("href") or element.get(f"{{{XLINK_NS}}}href") or ""
            )
        if name.localname == "feImage":
            assert (element.get("href") or element.get(f"{{{XLINK_NS}}}href") or "").startswith("#")
        if name.localname == "style":
            css = re.sub(r"/\*.*?\*/|\s+", "", element.text or "", flags=re.DOTALL).lower()
            assert "@import" not in css and "javascript:" not in css and "\\" not in css
            for match in re.finditer(r"url\(", css):
                assert css[match.end() :].lstrip("'\"").startswith("#"), css


def assert_safe(data: bytes) -> None:
    """As above, and not a trace of the hostile payloads anywhere in the bytes."""
    assert_safe_tree(data)
    text = data.decode("utf-8").lower()
    for bad in ("javascript", "127.0.0.1", "data:image/svg", "alert", "<script", "onload"):
        assert bad not in text, bad
    assert "http" not in text.replace(SVG_NS, "").replace(XLINK_NS, "")


def clean(text: str | bytes, **limits: int) -> CleanSvg:
    return clean_svg(text.encode("utf-8") if isinstance(text, str) else text, **limits)


# --- hostile SVGs -------------------------------------------------------------------------

INNER_SVG = b64(f'<svg xmlns="{SVG_NS}" onload="alert(1)"><script>alert(2)</script></svg>'.encode())
HOSTILE = {
    "script": (f"{SVG}{RECT}<script>alert(1)</script></svg>", "<script>"),
    "script with CDATA": (
        f"{SVG}{RECT}<script type='text/ecmascript'><![CDATA[alert(1)]]></script></svg>",
        "<script>",
    ),
    "onload": (
        f'<svg xmlns="{SVG_NS}" onload="alert(1)">{RECT}</svg>',
        "the attribute onload",
    ),
    "onclick on a shape": (
        f'{SVG}<rect width="1" height="1" onclick="alert(1)"/></svg>',
        "the attribute onclick",
    ),
    "animate an href": (
        f'{SVG}<a href="#x"><animate attributeName="href" to="javascript:alert(1)"/>'
        f"{RECT}</a></svg>",
        "<animate> (SVG animation can change links and scripts at run time)",
    ),
    "set an xlink:href": (
        f'{SVG}<a xlink:href="#x"><set attributeName="xlink:href" to="javascript:alert(1)"/>'
        f"{RECT}</a></svg>",
        "<set> (SVG animation can change links and scripts at run time)",
    ),
    "animateMotion and animateTransform": (
        f'{SVG}<rect width="1" height="1"><animateTransform attributeName="transform"'
        ' type="rotate" from="0" to="360" dur="1s"/><animateMotion path="M0 0 L1 1"/></rect>'
        "</svg>",
        "<animateTransform> (SVG animation can change links and scripts at run time)",
    ),
    "javascript link": (
        f'{SVG}<a href="javascript:alert(1)">{RECT}</a></svg>',
        "a javascript: URL",
    ),
    "javascript link with a tab and mixed case": (
        f'{SVG}<a xlink:href="JaVa&#x09;ScRiPt:alert(1)">{RECT}</a></svg>',
        "a javascript: URL",
    ),
    "javascript link with a leading space and newline": (
        f'{SVG}<a href=" &#10;java&#13;script:alert(1)">{RECT}</a></svg>',
        "a javascript: URL",
    ),
    "an SVG with a script in a data: URL": (
        f'{SVG}{RECT}<image href="data:image/svg+xml;base64,{INNER_SVG}" width="5"/></svg>',
        "a data: URL other than a PNG, JPEG, GIF or WebP image",
    ),
    "an HTML data: URL": (
        f'{SVG}{RECT}<image xlink:href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"'
        ' width="5"/></svg>',
        "a data: URL other than",
    ),
    "fill from a loopback URL": (
        f'{SVG}<rect width="1" height="1" fill="url(http://127.0.0.1:9/x)"/></svg>',
        "an external reference 'http://127.0.0.1:9/x'",
    ),
    "fill from a URL hidden by a CSS escape": (
        f'{SVG}<rect width="1" height="1" fill="u\\72l(http://127.0.0.1:9/x)"/></svg>',
        "an external reference",
    ),
    "style attribute with a loopback URL": (
        f'{SVG}<rect width="1" height="1" style="fill:url(http://127.0.0.1/x)"/></svg>',
        "an external reference 'http://127.0.0.1/x'",
    ),
    "style attribute with expression and a binding": (
        f'{SVG}<rect width="1" height="1" style="width:expression(alert(1));'
        '-moz-binding:u\\rl(http://127.0.0.1/b.xml#x);behavior:url(x.htc)"/></svg>',
        "CSS that loads or runs something",
    ),
    "@import": (
        f"{SVG}<style>@import url(http://127.0.0.1/x.css);</style>{RECT}</svg>",
        "<style> (",
    ),
    "@import without url()": (
        f"{SVG}<style>@import 'http://127.0.0.1/x.css';</style>{RECT}</svg>",
        "<style> (",
    ),
    "@font-face": (
        f"{SVG}<style>@font-face {{ font-family: x; src: local(x) }}</style>{RECT}</svg>",
        "<style> (a CSS @font-face)",
    ),
    "style with a background URL": (
        f"{SVG}<style>rect {{ fill: url('http://127.0.0.1/p.svg#x') }}</style>{RECT}</svg>",
        "<style> (an external reference 'http://127.0.0.1/p.svg#x')",
    ),
    "xml-stylesheet": (
        f'<?xml-stylesheet href="http://127.0.0.1/s.css"?>{SVG}{RECT}</svg>',
        "a processing instruction",
    ),
    "processing instruction inside": (
        f'{SVG}<?xml-stylesheet href="http://127.0.0.1/s.css"?>{RECT}</svg>',
        "a processing instruction",
    ),
    "DOCTYPE with a system URL": (
        f'<!DOCTYPE svg SYSTEM "http://127.0.0.1/x.dtd">{SVG}{RECT}</svg>',
        "the DOCTYPE",
    ),
    "DOCTYPE giving <svg> a default onload": (
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" '
        '[<!ATTLIST svg onload CDATA "alert(1)">]>'
        f"{SVG}{RECT}</svg>",
        "the DOCTYPE",
    ),
    "foreignObject with an iframe": (
        f'{SVG}{RECT}<foreignObject width="9" height="9"><iframe xmlns="http://www.w3.org/1999/'
        'xhtml" src="http://127.0.0.1/"/></foreignObject></svg>',
        "<foreignObject>",
    ),
    "XHTML script in the SVG": (
        f'{SVG}{RECT}<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></svg>',
        "<script> (not SVG)",
    ),
    "use of another file": (
        f'{SVG}{RECT}<use href="http://127.0.0.1/a.svg#x"/></svg>',
        "an external reference 'http://127.0.0.1/a.svg#x'",
    ),
    "feImage from the network": (
        f'{SVG}<filter id="f"><feImage href="http://127.0.0.1/x.png"/></filter>{RECT}</svg>',
        "an external reference 'http://127.0.0.1/x.png'",
    ),
    "image from the network": (
        f'{SVG}{RECT}<image xlink:href="http://127.0.0.1/x.png" width="5" height="5"/></svg>',
        "an external reference 'http://127.0.0.1/x.png'",
    ),
    "image from a file": (
        f'{SVG}{RECT}<image href="file:///etc/passwd" width="5" height="5"/></svg>',
        "an external reference 'file:///etc/passwd'",
    ),
    "xml:base": (
        f'{SVG}<g xml:base="http://127.0.0.1/">{RECT}</g></svg>',
        "an external reference 'http://127.0.0.1/'",
    ),
    "gradient from another file": (
        f'{SVG}<linearGradient id="g" xlink:href="http://127.0.0.1/g.svg#h"/>{RECT}</svg>',
        "an external reference 'http://127.0.0.1/g.svg#h'",
    ),
    "handler and listener": (
        f'{SVG}{RECT}<handler type="application/ecmascript">alert(1)</handler>'
        '<listener event="click" handler="#h"/></svg>',
        "<handler>",
    ),
    "a cursor": (
        f'{SVG}<cursor xlink:href="http://127.0.0.1/c.png"/>'
        f'<rect width="1" height="1" cursor="url(http://127.0.0.1/c.png),auto"/></svg>',
        "<cursor>",
    ),
}


@pytest.mark.parametrize(("svg", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_svgs_come_out_harmless(svg: str, expected: str) -> None:
    cleaned = clean(svg)
    assert_safe(cleaned.data)
    assert any(expected in removed for removed in cleaned.removed), cleaned.removed
    assert clean(cleaned.data) == CleanSvg(cleaned.data, (), cleaned.width, cleaned.height)


def test_an_animation_leaves_its_target_alone() -> None:
    cleaned = clean(HOSTILE["animate an href"][0])
    link = parsed(cleaned.data).find(f"{{{SVG_NS}}}a")
    assert link is not None and link.get("href") == "#x" and len(link) == 1


def test_a_link_keeps_its_drawing_but_not_its_target() -> None:
    root = parsed(clean(HOSTILE["javascript link"][0]).data)
    link = root.find(f"{{{SVG_NS}}}a")
    assert link is not None and dict(link.attrib) == {}
    assert link.find(f"{{{SVG_NS}}}rect") is not None


def test_only_the_bad_declarations_of_a_style_go() -> None:
    cleaned = clean(
        f'{SVG}<rect width="1" height="1" style="fill:url(http://127.0.0.1/x); stroke: blue;'
        ' stroke-width: 2"/></svg>'
    )
    rect = parsed(cleaned.data).find(f"{{{SVG_NS}}}rect")
    assert rect is not None and rect.get("style") == "stroke:blue;stroke-width:2"


def test_a_removed_element_leaves_its_neighbours_text() -> None:
    cleaned = clean(
        f"{SVG}<text x='1' y='5'>one <script>alert(1)</script>two <tspan>three"
        "</tspan><set attributeName='x' to='2'/> four</text></svg>"
    )
    text = parsed(cleaned.data).find(f"{{{SVG_NS}}}text")
    assert text is not None and "".join(text.itertext()) == "one two three four"


@pytest.mark.parametrize(
    "svg",
    [
        # a DOCTYPE with an internal entity
        f'<!DOCTYPE svg [<!ENTITY a "aaa">]>{SVG}<text>&a;</text></svg>',
        # the billion laughs
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + f"]>{SVG}<text>&lol9;</text></svg>",
        # an external entity
        f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>{SVG}<text>&x;</text></svg>',
        # an external parameter entity
        '<!DOCTYPE svg [<!ENTITY % x SYSTEM "http://127.0.0.1/x.dtd"> %x;]>'
        f"{SVG}<text>&y;</text></svg>",
        # an entity, not used
        f'<!DOCTYPE svg [<!ENTITY ns_svg "{SVG_NS}">]>{SVG}{RECT}</svg>',
    ],
    ids=["internal entity", "billion laughs", "external entity", "parameter entity", "unused"],
)
def test_entities_are_refused(svg: str) -> None:
    # libxml2 refuses the billion laughs itself ("entity amplification"); we refuse the rest.
    with pytest.raises(SvgError, match=r"declares entities|entity amplification"):
        clean(svg)


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ("this is not XML", "not a well-formed SVG"),
        ("", "not a well-formed SVG"),
        (f"{SVG}<rect></svg>", "not a well-formed SVG"),
        (f"{SVG}<text>&undeclared;</text></svg>", "not a well-formed SVG"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "the root element is <html>"),
        ("<svg><rect width='1' height='1'/></svg>", "lacks the SVG namespace"),
        (f'<svg xmlns="{SVG_NS}.evil">{RECT}</svg>', "the root element is <svg>"),
        (f"{SVG}{'<g>' * 40}{RECT}{'</g>' * 40}</svg>", "nests elements more than 40 deep"),
        (f"{SVG}<script>alert(1)</script></svg>", "nothing left to draw once <script> is"),
        (f"{SVG}<defs/></svg>", "the SVG draws nothing"),
        (f'{SVG}<g id="g"><use href="#g"/></g></svg>', "go round in a loop"),
        (
            f'{SVG}<pattern id="p"><rect width="1" height="1" fill="url(#p)"/></pattern>'
            f'<rect width="1" height="1" fill="url(#p)"/></svg>',
            "go round in a loop",
        ),
    ],
)
def test_unusable_svgs_are_refused(svg: str, message: str) -> None:
    with pytest.raises(SvgError, match=re.escape(message)):
        clean(svg)


def test_the_depth_limit_is_a_parameter() -> None:
    svg = f"{SVG}{'<g>' * 10}{RECT}{'</g>' * 10}</svg>"
    clean_svg(svg.encode(), max_depth=12)  # <svg>, ten <g> and the <rect>
    with pytest.raises(SvgError, match="more than 11 deep"):
        clean_svg(svg.encode(), max_depth=11)


def use_bomb(levels: int) -> str:
    """Each level uses the one below ten times: 10**levels rectangles from a few lines."""
    groups = "".join(
        f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, levels + 1)
    )
    return f'{SVG}<defs><g id="a0">{RECT}</g>{groups}</defs><use href="#a{levels}"/></svg>'


def test_use_bombs_are_refused() -> None:
    with pytest.raises(SvgError, match="draw more than 250,000 elements"):
        clean(use_bomb(7))
    assert clean(use_bomb(2)).removed == ()
    with pytest.raises(SvgError, match="more than 1,000"):
        clean(use_bomb(3), max_elements=1000)


def test_embedded_rasters_are_checked() -> None:
    picture = png(20, 20)
    svg = f'{SVG}<image width="5" height="5" href="data:image/png;base64,{b64(picture)}"/></svg>'
    assert clean(svg).removed == ()
    with pytest.raises(SvgError, match="400 pixels together, more than the limit of 399"):
        clean(svg, max_pixels=399)
    twice = svg.replace("</svg>", svg[svg.index("<image") :])
    with pytest.raises(SvgError, match="800 pixels together"):
        clean(twice, max_pixels=500)


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP"])
def test_raster_formats_survive_and_are_reencoded(kind: str) -> None:
    data = png(3, 2, kind)
    encoded = b64(data)
    wrapped = "\n".join(encoded[i : i + 20] for i in range(0, len(encoded), 20))
    media = kind.lower()
    svg = (
        f'{SVG}<image width="3" height="2" xlink:href="data:image/{media};base64,{wrapped}"/></svg>'
    )
    cleaned = clean(svg)
    assert cleaned.removed == ()
    image = parsed(cleaned.data).find(f"{{{SVG_NS}}}image")
    assert image is not None
    assert image.get(f"{{{XLINK_NS}}}href") == f"data:image/{media};base64,{encoded}"


@pytest.mark.parametrize(
    ("url", "removed"),
    [
        (f"data:image/png;base64,{b64(png(1, 1, 'GIF'))}", "is GIF, not the png it says"),
        ("data:image/png;base64,bm90IGFuIGltYWdl", "not a readable PNG"),
        ("data:image/png;base64,***", "not a readable PNG"),
        ("data:image/png,%89PNG%0D%0A", "a data: URL other than"),
        (f"data:image/bmp;base64,{b64(png(1, 1, 'BMP'))}", "a data: URL other than"),
    ],
)
def test_embedded_rasters_that_are_not_what_they_say_go(url: str, removed: str) -> None:
    svg = f'{SVG}{RECT}<image width="5" height="5" href="{url}"/></svg>'
    cleaned = clean(svg)
    assert_safe_tree(cleaned.data)
    assert any(removed in what for what in cleaned.removed), cleaned.removed


# --- ordinary drawings --------------------------------------------------------------------

CHART = f"""<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="200" height="120"
     viewBox="0 0 200 120" version="1.1">
  <title>Sales by year</title>
  <desc>A bar chart of sales, 2020 to 2022.</desc>
  <style type="text/css">
    .bar {{ fill: url(#g); stroke: #333 }}
    @media print {{ text {{ font-family: "DejaVu Sans", serif }} }}
  </style>
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="0" y2="1" gradientUnits="objectBoundingBox">
      <stop offset="0" stop-color="#4a90d9"/>
      <stop offset="1" stop-color="#1d3f72" stop-opacity="0.8"/>
    </linearGradient>
    <linearGradient id="g2" xlink:href="#g" gradientTransform="rotate(90)"/>
    <clipPath id="c"><rect x="10" y="10" width="180" height="100"/></clipPath>
    <marker id="m" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4" markerHeight="4"
            orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker>
    <filter id="f" x="-10%" y="-10%" width="120%" height="120%">
      <feGaussianBlur in="SourceAlpha" stdDeviation="2" result="blur"/>
      <feOffset in="blur" dx="1" dy="1" result="shadow"/>
      <feMerge><feMergeNode in="shadow"/><feMergeNode in="SourceGraphic"/></feMerge>
    </filter>
    <symbol id="tick" viewBox="0 0 2 6"><line x1="1" y1="0" x2="1" y2="6" stroke="#000"/>
    </symbol>
    <rect id="a" width="30" height="60" rx="2"/>
  </defs>
  <g clip-path="url(#c)" transform="translate(0, 0)" role="img" aria-label="bars">
    <use href="#a" x="30" y="40" class="bar" filter="url(#f)"/>
    <use xlink:href="#a" x="85" y="30" fill="url('#g2')"/>
    <rect x="140" y="20" width="30" height="80" style="fill: url(#g); stroke-width: 1.5"/>
  </g>
  <path d="M10 110 H190" stroke="black" stroke-dasharray="4 2" marker-end="url(#m)"/>
  <use href="#tick" x="30" y="108" width="2" height="6"/>
  <circle cx="180" cy="15" r="4" fill-opacity="0.5"/>
  <ellipse cx="20" cy="15" rx="4" ry="2"/>
  <polyline points="10,5 20,10 30,5" fill="none" stroke="green"/>
  <polygon points="40,5 50,10 60,5"/>
  <text x="100" y="118" text-anchor="middle" font-size="8" xml:space="preserve"
        dominant-baseline="auto">2020 <tspan font-weight="bold">2021</tspan> 2022</text>
  <a href="#a"><text x="5" y="8">top</text></a>
  <switch><text systemLanguage="de" x="1" y="1">Umsatz</text><text x="1" y="1">Sales</text>
  </switch>
</svg>
"""


def shape(element: etree._Element) -> tuple[object, ...]:
    return (
        element.tag,
        dict(element.attrib),
        element.text,
        element.tail,
        [shape(child) for child in element if isinstance(child.tag, str)],
    )


def test_an_ordinary_chart_keeps_every_element_attribute_and_word() -> None:
    cleaned = clean(CHART)
    assert cleaned.removed == ()
    assert shape(parsed(cleaned.data)) == shape(parsed(CHART.encode()))
    assert (cleaned.width, cleaned.height) == (200.0, 120.0)


def test_editor_metadata_goes_quietly() -> None:
    inkscape = f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg width="210mm" height="297mm" viewBox="0 0 210 297" version="1.1" id="svg5"
   inkscape:version="1.3 (0e150ed6c4, 2023-07-21)" sodipodi:docname="drawing.svg"
   xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
   xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
   xmlns="{SVG_NS}" xmlns:svg="{SVG_NS}"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
   xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <sodipodi:namedview id="namedview7" pagecolor="#ffffff" inkscape:zoom="0.7">
    <inkscape:page x="0" y="0" width="210" height="297" id="page1"/>
  </sodipodi:namedview>
  <defs id="defs2"><inkscape:path-effect effect="spiro" id="path-effect1"/></defs>
  <metadata><rdf:RDF><cc:Work rdf:about=""><dc:title>A drawing</dc:title>
    <cc:license rdf:resource="http://creativecommons.org/licenses/by/4.0/"/></cc:Work>
  </rdf:RDF></metadata>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
    <path style="fill:#ff0000;stroke:#000000;stroke-width:0.264583"
       d="m 30,40 h 50 v 30 z" id="path1" sodipodi:nodetypes="cccc"
       inkscape:connector-curvature="0"/>
    <text xml:space="preserve" style="font-size:10.5833px;line-height:1.25;font-family:sans-serif"
       x="40" y="100" id="text1"><tspan sodipodi:role="line" id="tspan1" x="40"
       y="100">Hello</tspan></text>
  </g>
</svg>
"""
    cleaned = clean(inkscape)
    assert cleaned.removed == ()
    assert_safe_tree(cleaned.data)
    root = parsed(cleaned.data)
    assert root.nsmap == {None: SVG_NS}
    assert [etree.QName(e).localname for e in root.iter()] == [
        "svg", "defs", "g", "path", "text", "tspan"
    ]  # fmt: skip
    path = root.find(f".//{{{SVG_NS}}}path")
    assert path is not None and dict(path.attrib) == {
        "style": "fill:#ff0000;stroke:#000000;stroke-width:0.264583",
        "d": "m 30,40 h 50 v 30 z",
        "id": "path1",
    }
    assert "".join(root.itertext()).strip() == "Hello"
    assert cleaned.width == pytest.approx(793.7, abs=0.1)


def test_a_matplotlib_figure_survives_whole() -> None:
    picture = b64(png(6, 4))
    figure = f"""<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="{XLINK_NS}" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6"
 xmlns="{SVG_NS}" version="1.1">
 <metadata>
  <rdf:RDF xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:cc="http://creativecommons.org/ns#"
   xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
   <cc:Work><dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/>
    <dc:creator><cc:Agent><dc:title>Matplotlib v3.8.0, https://matplotlib.org/</dc:title>
    </cc:Agent></dc:creator></cc:Work>
  </rdf:RDF>
 </metadata>
 <defs>
  <style type="text/css">*{{stroke-linejoin: round; stroke-linecap: butt}}</style>
 </defs>
 <g id="figure_1">
  <g id="patch_1">
   <path d="M 0 345.6 L 460.8 345.6 L 460.8 0 L 0 0 z" style="fill: #ffffff"/>
  </g>
  <g id="axes_1">
   <g clip-path="url(#p0a1b2c3d4e)">
    <image xlink:href="data:image/png;base64,{picture}" id="image1" transform="scale(1 -1)
translate(0 -266.4)" x="57.6" y="-41.472" width="357.12" height="266.4"/>
   </g>
   <g id="xtick_1">
    <g id="line2d_1">
     <defs><path id="m3b" d="M 0 0 L 0 3.5" style="stroke: #000000; stroke-width: 0.8"/></defs>
     <g><use xlink:href="#m3b" x="73.1" y="307.584" style="stroke: #000000; stroke-width: 0.8"/>
     </g>
    </g>
    <g id="text_1">
     <!-- 0 -->
     <g transform="translate(69.9 322.182) scale(0.1 -0.1)">
      <defs><path id="DejaVuSans-30" d="M 2034 4250 Q 1547 4250 1301 3770 z"
        transform="scale(0.015625)"/></defs>
      <use xlink:href="#DejaVuSans-30"/>
     </g>
    </g>
   </g>
  </g>
 </g>
 <defs><clipPath id="p0a1b2c3d4e"><rect x="57.6" y="41.472" width="357.12" height="266.112"/>
 </clipPath></defs>
</svg>
"""
    cleaned = clean(figure)
    assert cleaned.removed == ()
    assert_safe_tree(cleaned.data)
    original = parsed(figure.encode())
    metadata = original.find(f"{{{SVG_NS}}}metadata")
    assert metadata is not None
    original.remove(metadata)
    result = parsed(cleaned.data)
    assert [e.tag for e in result.iter()] == [
        e.tag for e in original.iter() if isinstance(e.tag, str)
    ]
    assert [dict(e.attrib) for e in result.iter()] == [
        dict(e.attrib) for e in original.iter() if isinstance(e.tag, str)
    ]
    assert (cleaned.width, cleaned.height) == (614.4, 460.8)


def test_a_drawio_switch_keeps_its_fallback_text() -> None:
    drawio = (
        f'{SVG}<switch><foreignObject requiredFeatures="http://www.w3.org/TR/SVG11/feature#'
        'Extensibility" width="9" height="9"><div xmlns="http://www.w3.org/1999/xhtml">Box</div>'
        '</foreignObject><text x="1" y="5">Box</text></switch>'
        '<a transform="translate(0,-5)" xlink:href="https://www.diagrams.net/doc/faq/svg-export'
        '-text-problems" target="_blank"><text x="1" y="9">Text is not SVG</text></a></svg>'
    )
    cleaned = clean(drawio)
    assert cleaned.removed == (
        "<foreignObject>",
        "an external reference 'https://www.diagrams.net/doc/faq/svg-export-text-problems'",
    )
    root = parsed(cleaned.data)
    assert "".join(root.itertext()) == "BoxText is not SVG"
    link = root.find(f"{{{SVG_NS}}}a")
    assert link is not None and dict(link.attrib) == {"transform": "translate(0,-5)"}


def test_other_encodings_come_out_as_utf8() -> None:
    svg = f'<?xml version="1.0" encoding="UTF-16"?>{SVG}<text>Grüße ✓</text></svg>'
    cleaned = clean_svg(svg.encode("utf-16"))
    assert cleaned.data.decode("utf-8").endswith("<text>Grüße ✓</text></svg>")


@pytest.mark.parametrize(
    ("width", "expected"),
    [("100", 100.0), ("1in", 96.0), ("72pt", 96.0), (" 2.5e1px ", 25.0), ("50%", None)],
)
def test_the_size_is_read_in_css_pixels(width: str, expected: float | None) -> None:
    cleaned = clean(f'<svg xmlns="{SVG_NS}" width="{width}">{RECT}</svg>')
    assert cleaned.width == expected and cleaned.height is None


def test_cleaning_is_deterministic_and_idempotent() -> None:
    for svg in [CHART, *(case for case, _ in HOSTILE.values())]:
        first = clean(svg)
        assert clean(svg) == first
        again = clean(first.data)
        assert again.data == first.data and again.removed == ()


def test_check_image_keeps_the_cleaned_svg(tmp_path: Path) -> None:
    """An image check cleans an SVG, says what it removed, and its bytes for the outputs
    are the cleaned SVG; an SVG that can't be cleaned is refused."""
    good, bad, broken = tmp_path / "good.svg", tmp_path / "bad.svg", tmp_path / "broken.svg"
    good.write_text(CHART)
    bad.write_text(HOSTILE["animate an href"][0])
    broken.write_text(f'<!DOCTYPE svg [<!ENTITY a "a">]>{SVG}{RECT}</svg>')
    roots = (tmp_path.resolve(),)
    assert check_image(good, roots, Limits()).cleaned == ()
    checked = check_image(bad, roots, Limits())
    assert checked.cleaned == (
        "<animate> (SVG animation can change links and scripts at run time)",
    )
    data = image_data(checked)
    assert data == clean_svg(bad.read_bytes()).data
    assert b"animate" not in data and b"javascript" not in data
    with pytest.raises(ImageProblem, match="declares entities"):
        check_image(broken, roots, Limits())


# --- any SVG-ish XML ----------------------------------------------------------------------

_TAGS = sorted(
    {
        "svg",
        "g",
        "a",
        "use",
        "image",
        "feImage",
        "filter",
        "rect",
        "text",
        "tspan",
        "style",
        "title",
        "switch",
        "linearGradient",
        "pattern",
        "metadata",
        *_DANGEROUS_ELEMENTS,
    }
)
_NAMESPACES = [SVG_NS, SVG_NS, SVG_NS, "http://www.w3.org/1999/xhtml", ""]
_ATTRIBUTES = [
    "href",
    f"{{{XLINK_NS}}}href",
    "fill",
    "style",
    "class",
    "id",
    "onload",
    "onClick",
    "attributeName",
    "to",
    "values",
    "src",
    "filter",
    "mask",
    "cursor",
    "aria-label",
    "{http://www.w3.org/XML/1998/namespace}base",
    "{http://www.inkscape.org/namespaces/inkscape}label",
    "{http://www.w3.org/1999/xhtml}onload",
]
_VALUES = [
    "#a",
    "#b",
    "a",
    "red",
    "javascript:alert(1)",
    "JaVa\tScRiPt:alert(1)",
    " java\nscript:alert(1)",
    "vbscript:msgbox(1)",
    "http://127.0.0.1/x",
    "//127.0.0.1/x",
    "url(#a)",
    "url(http://127.0.0.1/x)",
    "url( 'http://127.0.0.1/x' )",
    "u\\72l(http://127.0.0.1/x)",
    "url(#a) url(http://127.0.0.1/x)",
    "fill:url(http://127.0.0.1/x);stroke:red",
    "fill:red;behavior:url(#a)",
    "width:expression(alert(1))",
    "@import 'http://127.0.0.1/x.css'",
    "data:image/svg+xml;base64," + INNER_SVG,
    f"data:image/png;base64,{b64(png(1, 1))}",
    f"data:image/gif;base64,{b64(png(1, 1))}",
    "data:text/html,<script>alert(1)</script>",
    "#javascript:alert(1)",
    "#x) url(http://127.0.0.1/x",
]


_XML_CHARACTERS = st.characters(min_codepoint=0x20, max_codepoint=0x17F) | st.sampled_from("\t\n")


@st.composite
def svg_documents(draw: st.DrawFn) -> bytes:
    def element(depth: int) -> etree._Element:
        namespace = draw(st.sampled_from(_NAMESPACES))
        tag = draw(st.sampled_from(_TAGS))
        node = etree.Element(f"{{{namespace}}}{tag}" if namespace else tag)
        for name in draw(st.lists(st.sampled_from(_ATTRIBUTES), max_size=4, unique=True)):
            node.set(name, draw(st.sampled_from(_VALUES) | st.text(_XML_CHARACTERS, max_size=8)))
        if draw(st.booleans()):
            node.text = draw(st.sampled_from(["text", "rect{fill:red}", *_VALUES]))
        if depth < 4:
            for _ in range(draw(st.integers(0, 3))):
                child = element(depth + 1)
                child.tail = draw(st.sampled_from([None, " ", "tail"]))
                node.append(child)
        return node

    root = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS, "xlink": XLINK_NS})
    for _ in range(draw(st.integers(0, 4))):
        root.append(element(1))
    if draw(st.booleans()):
        etree.SubElement(root, f"{{{SVG_NS}}}rect", id="a")
    body = etree.tostring(root)
    prolog = draw(
        st.sampled_from(
            [
                b"",
                b'<?xml-stylesheet href="http://127.0.0.1/s.css"?>',
                b'<!DOCTYPE svg SYSTEM "http://127.0.0.1/x.dtd">',
                b'<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]>',
                b'<!DOCTYPE svg [<!ENTITY e "x">]>',
            ]
        )
    )
    return prolog + body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(svg_documents())
def test_any_svg_comes_out_safe_or_is_refused(data: bytes) -> None:
    try:
        cleaned = clean_svg(data)
    except SvgError:
        return
    assert_safe_tree(cleaned.data)
    again = clean_svg(cleaned.data)
    assert again.data == cleaned.data and again.removed == ()


_PIECES = [
    f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}">',
    "</svg>",
    "<svg>",
    "<rect width='1' height='1'/>",
    "<g>",
    "</g>",
    "<text>",
    "</text>",
    "<style>",
    "</style>",
    "<script>",
    "</script>",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml-stylesheet href='http://127.0.0.1/'?>",
    "<!DOCTYPE svg>",
    '<!DOCTYPE svg [<!ENTITY e "&e;">]>',
    "&e;",
    "&amp;",
    "&#0;",
    "&#x6A;avascript:",
    "<a href='",
    "'>",
    "</a>",
    "url(",
    ")",
    "@import ",
    "\\",
    '<?xml version="1.0" encoding="latin-1"?>',
    '<?xml version="1.0" encoding="no-such"?>',
    "é",
    "\x00",
    " ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_any_text_is_cleaned_or_refused_never_a_crash(pieces: list[str]) -> None:
    try:
        cleaned = clean_svg("".join(pieces).encode("utf-8"))
    except SvgError:
        return
    assert_safe_tree(cleaned.data)
