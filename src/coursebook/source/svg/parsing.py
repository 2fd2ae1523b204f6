"""An SVG's bytes read into a tree without loading anything (no DTD, no entity, no network),
and what is refused or noted before any copying: entities, a DOCTYPE of its own, processing
instructions, a root other than ``<svg>``, nesting too deep."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from .allowlist import SVG_NS
from .copying import _Cleaner
from .outcome import SvgError

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
