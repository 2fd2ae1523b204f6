"""The allowed part of an SVG tree copied into a new one (:class:`_Cleaner`): elements and
attributes by the allow-lists, references only to ``#fragments`` of the same document,
embedded raster images decoded and counted, styles declaration by declaration; every thing
left behind noted for the author, once."""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from typing import Any

from lxml import etree
from PIL import Image, UnidentifiedImageError

from .allowlist import (
    _ANIMATION,
    _DROPPED_QUIETLY,
    _EDITOR_NAMESPACES,
    _HREF_ELEMENTS,
    _NEEDS_HREF,
    _TEXT_ATTRIBUTES,
    _TEXT_ONLY,
    _XML_ATTRIBUTES,
    ATTRIBUTES,
    ELEMENTS,
    SVG_NS,
    XLINK_NS,
)
from .css import (
    _BINDINGS,
    _CSS_COMMENT,
    _PROPERTY,
    _SCRIPT_SCHEME,
    _SPACE,
    _declarations,
    _loosened,
    _reference_danger,
    _sheet_danger,
    _short,
    _url_target,
    _value_danger,
)
from .outcome import SvgError

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

# SVG as the default namespace (lxml-stubs don't allow the None key lxml takes for it);
# xlink is declared only if an xlink:href survives (cleanup_namespaces drops it otherwise).
_NSMAP: Any = {None: SVG_NS, "xlink": XLINK_NS}


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
