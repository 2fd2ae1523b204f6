"""CSS and URL values in an SVG, checked: whether a value, a declaration or a style sheet loads
or runs something, read as the most forgiving reader would read it, and the short words that
tell an author what was taken out."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

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
