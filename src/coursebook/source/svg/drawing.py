"""What a cleaned SVG tree draws: how many elements once every reference is followed (a few
nested ``<use>`` can ask for billions, a reference back into itself is a loop), and the
size its root gives, in CSS pixels."""

from __future__ import annotations

import re

from lxml import etree

from .copying import _split
from .outcome import SvgError

_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px|pt|pc|mm|cm|in)?\s*")


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
