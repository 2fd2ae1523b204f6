"""TeX math set as MathML, by pandoc's own converter (texmath), once for the whole book.

Pandoc is the reference for what ``$…$`` means, and the wheel's binary is already the
book's citation engine: every distinct formula of the book goes to it in one run (a JSON
document of math, written to HTML with ``--mathml``), so that the MathML is the MathML
pandoc would write, and a formula it can't convert is reported with texmath's reason. A
formula that can't be converted is a ``math`` warning at its place, and its TeX is printed
as written; the text around it is never altered.

The MathML is the book's neutral form of math: the EPUB and the web edition show it as it
is (with the TeX as ``alttext`` and annotation, for readers that speak it), the print edition
typesets it (:mod:`coursebook.formats.pdf.math`).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from ..core.diagnostics import Diagnostics
from ..core.pandoc import PandocError, run_pandoc
from .extraction import MathSpan

MATHML = "http://www.w3.org/1998/Math/MathML"
_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_API_VERSION = [1, 23, 1]
"""The pandoc-types version of the JSON document (pandoc 3.9's)."""

Formula = tuple[str, bool]
"""TeX and whether it is display math."""


def set_math(
    maths: Iterable[MathSpan], diagnostics: Diagnostics, timeout: float = 120
) -> dict[Formula, etree._Element | None]:
    """Each distinct formula of ``maths`` as a MathML ``<math>`` element, or None (reported
    at every place it is written) when pandoc can't convert it."""
    spans = list(maths)
    formulas = list(dict.fromkeys((span.tex, span.display) for span in spans))
    if not formulas:
        return {}
    try:
        converted, reasons = _convert(formulas, timeout)
    except PandocError as problem:
        diagnostics.error(spans[0].location, f"math could not be set: {problem}", "math")
        return dict.fromkeys(formulas)
    for span in spans:
        if converted.get((span.tex, span.display)) is None:
            reason = reasons.get(span.tex, "")
            diagnostics.warning(
                span.location,
                f"math {_short(span.written)} can't be set"
                + (f" ({reason})" if reason else "")
                + "; its TeX is printed as written",
                "math",
            )
    return converted


def _convert(
    formulas: list[Formula], timeout: float
) -> tuple[dict[Formula, etree._Element | None], dict[str, str]]:
    blocks = [
        {
            "t": "Para",
            "c": [{"t": "Math", "c": [{"t": "DisplayMath" if display else "InlineMath"}, tex]}],
        }
        for tex, display in formulas
    ]
    document = {"pandoc-api-version": _API_VERSION, "meta": {}, "blocks": blocks}
    with tempfile.TemporaryDirectory(prefix="coursebook-math-") as folder:
        log = Path(folder) / "log.json"
        html = run_pandoc(
            ["--from=json", "--to=html", "--mathml", "--quiet", f"--log={log}"],
            stdin=json.dumps(document).encode("utf-8"),
            timeout=timeout,
        ).decode("utf-8")
        reasons = _reasons(log)
    paragraphs = _PARAGRAPH.findall(html)
    if len(paragraphs) != len(formulas):
        raise PandocError(f"{len(paragraphs)} formulas came back for {len(formulas)}")
    return {
        formula: _mathml(formula, paragraph)
        for formula, paragraph in zip(formulas, paragraphs, strict=True)
    }, reasons


def _mathml(formula: Formula, paragraph: str) -> etree._Element | None:
    if not paragraph.startswith("<math"):
        return None
    math = etree.fromstring(paragraph)
    # What reading systems and screen readers say when they can't render the MathML.
    math.set("alttext", " ".join(formula[0].split()))
    return math


def _reasons(log: Path) -> dict[str, str]:
    """texmath's reason for each formula it could not convert: "unexpected eof"."""
    try:
        entries = json.loads(log.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    reasons: dict[str, str] = {}
    for entry in entries:
        if entry.get("type") == "CouldNotConvertTeXMath":
            lines = str(entry.get("message", "")).split("\n")
            said = next((line for line in lines if line.startswith("unexpected")), "")
            reasons[str(entry.get("contents", ""))] = said
    return reasons


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return f"'{flat}'" if len(flat) <= limit else f"'{flat[: limit - 1]}…'"
