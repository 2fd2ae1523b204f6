"""Pandoc's Markdown that authors already write: math, inline notes, fenced divs, figures.

Where pandoc is the oracle (which text is math), our reading is compared with pandoc's own
AST of the same text; the books are built and read back in every format."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
import pytest
from benchmarks.real_content import leaked
from lxml import etree

from coursebook.core.diagnostics import Diagnostics
from coursebook.core.pandoc import run_pandoc
from coursebook.parse.extraction import MATH_CLOSE, MATH_OPEN, extract, placeholder
from coursebook.pipeline.build import BuildResult, build

from .conftest import output

FEATURES = Path(__file__).parent / "books" / "features"
X = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"

SNIPPETS = [
    "Let $x$ be $y_1^*$ and $a*b*$.",
    "Prices rose from $5 to $6 and $20,000 to $30,000.",
    "A dollar \\$3 and $ x $ are no math; $x$5 neither, nor `$code$`.",
    "Inline $$display$$ inside a paragraph.",
    "$$\nE = mc^2 \\{x\\}\n$$",
    "Across lines $a +\nb$ and $$x\ny$$.",
    "In a note^[with $z$ inside] and [a link with $w$](https://x.org).",
    "*Emphasis with $m_1$ in it* and **$n$**.",
    "A $\\text{word with } \\$ $ sign.",
    "> Quoted $q^2$\n> continued $r$.",
    "- item $i$\n- item $$j$$",
    "Unclosed $x and $y",
    "Escaped \\$x$ and $x\\$ y$.",
]


def pandoc_math(text: str) -> list[tuple[str, bool]]:
    """Every math element of pandoc's AST of ``text``: (TeX, display)."""
    tree = json.loads(run_pandoc(["--from=markdown", "--to=json"], stdin=text.encode()))
    found: list[tuple[str, bool]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Math":
                kind, tex = node["c"]
                found.append((tex, kind["t"] == "DisplayMath"))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree["blocks"])
    return found


@pytest.mark.parametrize("text", SNIPPETS)
def test_math_is_found_where_pandoc_finds_it(text: str) -> None:
    extracted = extract(text, Path("lesson.md"), 1, set())
    ours = [(span.tex, span.display) for span in extracted.maths]
    # Pandoc reads a block quote's text without its markers, as we do.
    assert ours == pandoc_math(text)


def test_latex_delimiters_and_equation_labels() -> None:
    text = (
        "Inline \\(a_1\\) here.\n\n\\[\nb^2\n\\]\n\nNot math: \\[sic\\] and \\[@a\\].\n\n"
        "$$c = d$$ {#eq:first}\n\n$$e$$ {#eq-second}\n"
    )
    maths = extract(text, Path("lesson.md"), 10, {"a"}).maths
    assert [(m.tex, m.display, m.label) for m in maths] == [
        ("a_1", False, ""),
        ("\nb^2\n", True, ""),
        ("c = d", True, "eq:first"),
        ("e", True, "eq-second"),
    ]
    assert (maths[0].location.line, maths[0].location.column) == (10, 8)
    assert maths[2].written == "$$c = d$$ {#eq:first}"


def test_inline_notes_become_footnotes_holding_their_citations() -> None:
    text = "Text^[A note citing [@a, p. 2]\nover two lines with $x$.] and more.\n"
    extracted = extract(text, Path("lesson.md"), 5, {"a"})
    ((label, location),) = extracted.inline_notes
    assert (location.line, location.column) == (5, 5)
    assert f"Text[^{label}] and more." in extracted.text
    definition = extracted.text.split(f"[^{label}]: ", 1)[1]
    math = placeholder(MATH_OPEN, 0, MATH_CLOSE, 3)
    assert definition.startswith(f"A note citing \ue0000\ue001 over two lines with {math}.")
    assert extracted.citations[0].items[0].key == "a"


def test_a_formula_pandoc_cannot_set_is_warned_and_printed_as_written(
    make_book, tmp_path: Path
) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Math\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nGood $x^2$, bad $\\frac{a}{$ here.\n",
        }
    )
    diagnostics = Diagnostics()
    result = build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics)
    (problem,) = [d for d in diagnostics.items if d.code == "math"]
    assert (problem.location.line, problem.location.column) == (3, 17)
    assert "unexpected eof" in problem.message
    with zipfile.ZipFile(output(result, "epub")) as archive:
        page = archive.read("EPUB/text/one.xhtml").decode()
    assert '<code class="math-tex">$\\frac{a}{$</code>' in page
    assert page.count("<math ") == 1


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    out = tmp_path_factory.mktemp("features")
    return build(FEATURES, ("epub", "pdf"), out, diagnostics=Diagnostics())


def pandoc_lesson(result: BuildResult) -> etree._Element:
    with zipfile.ZipFile(output(result, "epub")) as archive:
        return etree.fromstring(archive.read("EPUB/text/l04-pandoc.xhtml"))


def test_the_epub_holds_mathml_the_package_declares(features: BuildResult) -> None:
    page = pandoc_lesson(features)
    formulas = list(page.iter(f"{MATHML}math"))
    assert [m.get("alttext") for m in formulas] == [
        "y = a x^2 + b",
        "x \\ge 0",
        "\\sum_{i=1}^{n} x_i = \\frac{n(n+1)}{2}",
        "e^{i\\pi} + 1 = 0",
        "\\begin{aligned} a &= b + c \\\\ d &= e \\end{aligned}",
        "11.8",  # in a simple table's cell, its columns kept in place
        "x^2",  # in a grid table's cell
        "n",  # in a table's header
        "\\alpha_1",  # in the inline note, listed after the text
    ]
    assert [m.get("display") for m in formulas][2:4] == ["block", "inline"]
    with zipfile.ZipFile(output(features, "epub")) as archive:
        opf = archive.read("EPUB/content.opf").decode()
    item = re.search(r'<item href="text/l04-pandoc.xhtml"[^>]*>', opf)
    assert item and 'properties="mathml"' in item.group()
    assert (
        'properties="mathml"'
        not in re.search(r'<item href="text/l01-first.xhtml"[^>]*>', opf).group()
    )


def test_inline_notes_divs_and_figures_in_the_epub(features: BuildResult) -> None:
    page = pandoc_lesson(features)
    notes = [
        "".join(a.itertext()) for a in page.iter(f"{X}aside") if a.get("role") == "doc-footnote"
    ]
    assert len(notes) == 3  # the inline note, and the citations in two captions
    assert "An inline note, written where it is called, citing" in notes[0]
    assert "Marx" in notes[0] and notes[0].rstrip().endswith(".")
    callouts = page.findall(f".//{X}div[@class='callout note']")
    assert len(callouts) == 1
    titles = [p.text for p in page.iter(f"{X}p") if p.get("class") == "callout-title"]
    assert titles == ["Note", "Try it", "Tip"]  # the last: "!!! tip", MkDocs' way
    assert page.find(f".//{X}div[@class='callout epigraph']") is not None
    figure = page.find(f".//{X}figure")
    assert figure.get("id") == "l04-pandoc-fig-output"
    image, caption = figure.find(f"{X}img"), figure.find(f"{X}figcaption")
    assert list(figure).index(image) < list(figure).index(caption)
    assert image.get("alt") == "Figure 1: Output in 1928 and 1932, after."
    assert image.get("style") == "width: 60%"  # {width=60%}, as pandoc writes it
    assert caption.find(f".//{X}a[@role='doc-noteref']") is not None
    assert caption.get("aria-hidden") is None  # its note call stays reachable


def test_labelled_things_are_numbered_and_references_link_to_them(features: BuildResult) -> None:
    page = pandoc_lesson(features)
    caption = page.find(f".//{X}table/{X}caption")
    assert "".join(caption.itertext()).startswith("Table 1: Output, indexed to 1928.")
    assert page.find(f".//{X}table").get("id") == "l04-pandoc-tbl-output"
    figure = "".join(page.find(f".//{X}figcaption").itertext())
    assert figure.startswith("Figure 1: Output in 1928 and 1932")
    number = page.find(f".//{X}span[@class='equation']/{X}span[@class='equation-number']")
    assert number.text == "(1)"
    links = {a.text: a.get("href") for a in page.iter(f"{X}a") if "xref" in (a.get("class") or "")}
    assert links == {
        "Figure 1": "#l04-pandoc-fig-output",
        "Table 1": "#l04-pandoc-tbl-output",
        "Equation 1": "#l04-pandoc-eq-sum",
        "1": "#l04-pandoc-eq-sum",  # -@eq:sum: the number alone
        "Why it grew": "#l04-pandoc-sec-why",
    }
    heading = page.find(f".//{X}h2[@id='l04-pandoc-sec-why']")
    assert heading.get("class") == "pause"  # "{ #sec:why .pause }": attributes with spaces
    with zipfile.ZipFile(output(features, "epub")) as archive:
        assert "border-left-width: 0.3em" in archive.read("EPUB/css/book.css").decode()


def test_simple_and_grid_tables_spans_and_captions(features: BuildResult) -> None:
    page = pandoc_lesson(features)
    tables = list(page.iter(f"{X}table"))
    captions = ["".join(t.find(f"{X}caption").itertext()) for t in tables[:4]]
    assert captions[1:] == [
        "Table 2: Rates, in a simple table.",
        "A grid table.",
        "A multiline table.",
    ]
    # A header of math alone is named by its TeX (checkers count no MathML as text).
    header = tables[4].find(f".//{X}th/{MATHML}math")
    assert header.get("aria-label") == "n"
    assert all(m.get("aria-label") is None for m in tables[1].iter(f"{MATHML}math"))
    multiline = [["".join(c.itertext()) for c in row] for row in tables[3].iter(f"{X}tr")]
    assert multiline == [
        ["Year", "Note"],
        ["1928", "The plan begins, its targets raised twice."],
        ["1932", "Declared fulfilled."],
    ]
    simple = [
        [c.find(f"{MATHML}math").get("alttext") if len(c) else c.text for c in row]
        for row in tables[1].iter(f"{X}tr")
    ]
    assert simple == [["Country", "Rate"], ["Argentina", "2.0"], ["Bolivia", "11.8"]]
    assert tables[1].find(f".//{X}th").get("class") == "align-right"
    grid_cell = tables[2].findall(f".//{X}td")[1]
    assert next(li.text for li in grid_cell.iter(f"{X}li")) == "lists in cells"
    assert page.find(f".//{X}span[@class='smallcaps']").text == "small-capital"
    assert page.find(f".//{X}u").text == "underlined"


def test_a_reference_to_no_label_is_warned_and_printed_as_written(
    make_book, tmp_path: Path
) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Refs\nlanguage: fr\nchapters: [one.md, two.md]\n",
            "one.md": "# One\n\nSee @fig:nowhere and @fig-two.\n",
            "two.md": "# Two\n\n![Deux.](x.png){#fig-two}\n",
            "x.png": "",
        }
    )
    (folder / "x.png").write_bytes(_png())
    diagnostics = Diagnostics()
    result = build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics)
    (problem,) = [d for d in diagnostics.items if d.code == "crossref"]
    assert (problem.location.line, problem.location.column) == (3, 5)
    with zipfile.ZipFile(output(result, "epub")) as archive:
        page = archive.read("EPUB/text/one.xhtml").decode()
    assert '<span class="crossref-missing">@fig:nowhere</span>' in page
    assert '<a href="two.xhtml#two-fig-two" class="xref">Figure 1</a>' in page


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    data = BytesIO()
    Image.new("RGB", (20, 10), (90, 90, 90)).save(data, format="PNG")
    return data.getvalue()


def test_the_print_edition_sets_math_and_keeps_every_note(features: BuildResult) -> None:
    reader = pypdf.PdfReader(output(features, "pdf"))
    texts = [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]
    start = next(i for i, t in enumerate(texts) if "Written for pandoc" in t and "Output grew" in t)
    lesson = " ".join(texts[start:])
    assert "An inline note, written where it is called" in lesson
    assert "Output in 1928 and 1932" in lesson
    assert "A callout: its title comes from its class" in lesson
    for tex in ("\\sum", "x^2", "\\frac", "\\alpha", "$$", "{#eq", ":::", "^["):
        assert tex not in lesson, tex


@pytest.mark.parametrize("book", ["features", "sample", "circle/revolution-1917"])
def test_no_markdown_syntax_leaks_into_either_output(
    book: str, features: BuildResult, sample_build: BuildResult, tmp_path: Path
) -> None:
    """What isn't code in the EPUB, and the PDF's text, hold no Markdown syntax (the scan of
    benchmarks/real_content.py), in every test book that builds."""
    if book == "features":
        result = features
    elif book == "sample":
        result = sample_build
    else:
        folder = Path(__file__).parent / "books" / book
        result = build(folder, ("epub", "pdf"), tmp_path, diagnostics=Diagnostics())
    assert leaked(output(result, "epub"), output(result, "pdf")) == {}


def test_syntax_printed_as_written_is_warned_at_its_place(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Raw\nlanguage: en\nchapters: [one.md]\n",
            "one.md": (
                "# One\n\n::: box\nA box.\n:::\n\n:::\n\nText.\n\n:::\n\n"  # 7, 11: no div
                "Open $$ x + y and never closed.\n\n"  # 13
                "A word {.note} with attributes.\n\n"  # 15
                "+----+-----+\n| a | b |\n+----+-----+\n\n"  # 17: uneven
                "```\n:::\n```\n"  # code: meant
            ),
        }
    )
    diagnostics = Diagnostics()
    build(folder, ("epub",), tmp_path / "out", diagnostics=diagnostics)
    raw = [(d.location.line, d.location.column, d.message) for d in diagnostics.items]
    raw = [r for r in raw if "printed as written" in r[2]]
    assert [(line, column) for line, column, _ in raw] == [
        (7, 1),
        (11, 1),
        (13, 6),
        (15, 8),
        (17, 1),
    ]
    assert "fenced div's fence with no partner" in raw[0][2]
    assert "display math that is never closed" in raw[2][2]
    assert "'{.note}'" in raw[3][2]
    assert "grid table" in raw[4][2]


def test_a_formula_print_cannot_draw_is_warned_and_printed_as_tex(
    make_book, tmp_path: Path
) -> None:
    # ziamath 0.13 can't lay out this MathML (pandoc's, valid): the print edition says so.
    folder = make_book(
        {
            "book.yaml": "title: Drawn\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nA rate of $5\\text{-}8 \\times 10^{-5}$ and $x^2$.\n",
        }
    )
    diagnostics = Diagnostics()
    result = build(folder, ("pdf",), tmp_path / "out", diagnostics=diagnostics)
    (problem,) = [d for d in diagnostics.items if d.code == "math"]
    assert (problem.location.line, problem.location.column) == (3, 12)
    assert "can't be drawn in print" in problem.message
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(output(result, "pdf")).pages)
    assert "5\\text{-}8" in text.replace(" ", "")  # its TeX, where it is


def test_a_books_own_stylesheet_is_cleaned_and_used_by_each_format(
    make_book, tmp_path: Path
) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Styled\nlanguage: en\nchapters: [one.md]\n"
            "css: {all: look.css, print: paper.css}\n",
            "one.md": "# One\n\n::: box\nBoxed.\n:::\n",
            "look.css": "@import url(http://127.0.0.1:9/x.css);\n"
            ".box { border: 1px solid teal; background: url(http://127.0.0.1:9/x.png) }\n"
            'p::after { content: "</style><script>x()</script>" }\n',
            "paper.css": "@page :left, :right { margin-left: 6cm }\n",
        }
    )
    diagnostics = Diagnostics()
    result = build(folder, ("epub", "pdf", "html"), tmp_path / "out", diagnostics=diagnostics)
    removed = [(d.location.path.name, d.location.line, d.message) for d in diagnostics.items]
    assert [r for r in removed if r[0] == "look.css"] == [
        ("look.css", 1, "removed @import (a book loads nothing)"),
        ("look.css", 2, "removed 'background': a book loads nothing (url())"),
    ]
    with zipfile.ZipFile(output(result, "epub")) as archive:
        css = archive.read("EPUB/css/book.css").decode()
    assert ".box {border: 1px solid teal;" in css and "url(" not in css
    assert "6cm" not in css  # print's own stylesheet is print's
    page = output(result, "html").read_text(encoding="utf-8")
    assert "teal" in page and "</style><script>" not in page
    reader = pypdf.PdfReader(output(result, "pdf"))
    lefts: list[float] = []
    for page in reader.pages:
        page.extract_text(
            visitor_text=lambda text, cm, tm, *_: lefts.append(tm[4]) if "Boxed" in text else None
        )
    assert lefts and min(lefts) >= 6 / 2.54 * 72 - 1  # the book's @page margin, 6 cm


def test_fancy_lists_callouts_asides_and_details(features: BuildResult) -> None:
    page = pandoc_lesson(features)
    lists = [(ol.get("type"), ol.get("start")) for ol in page.iter(f"{X}ol")]
    assert ("A", None) in lists and ("i", "4") in lists
    tip = page.find(f".//{X}div[@class='callout tip']")
    assert tip.find(f"{X}p[@class='callout-title']").text == "Tip"
    aside = page.find(f".//{X}aside[@class='aside-note']")
    assert "".join(aside.itertext()).strip() == "An aside of the author’s, kept as an aside."
    assert page.find(f".//{X}details/{X}summary").text == "More"
    # Markdown inside the raw HTML is read, as pandoc reads it.
    assert page.find(f".//{X}details/{X}p/{X}em").text == "opens"
    reader = pypdf.PdfReader(output(features, "pdf"))
    page_text = next(
        t for p in reader.pages if "A list in Roman numerals" in (t := p.extract_text())
    )
    # The markers, as WeasyPrint draws them (pypdf reads them after the page's text).
    assert re.search(r"^iv\. *$", page_text, re.M) and re.search(r"^v\. *$", page_text, re.M)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Details that the reader opens." in " ".join(text.split())  # print shows it open


def test_math_in_a_sources_title_is_set_like_the_lessons(make_book, tmp_path: Path) -> None:
    folder = make_book(
        {
            "book.yaml": "title: Bench\nlanguage: en\nsources: refs.bib\nchapters: [one.md]\n",
            "refs.bib": "@misc{yao2024,\n  title = {$\\tau$-bench: A Benchmark},\n"
            "  author = {Yao, Shunyu},\n  year = {2024},\n  url = {https://example.org}\n}\n",
            "one.md": "# One\n\nAs measured [@yao2024].\n",
        }
    )
    result = build(folder, ("epub",), tmp_path / "out", diagnostics=Diagnostics())
    with zipfile.ZipFile(output(result, "epub")) as archive:
        page = etree.fromstring(archive.read("EPUB/text/one.xhtml"))
    note = next(a for a in page.iter(f"{X}aside") if a.get("role") == "doc-footnote")
    assert [m.get("alttext") for m in note.iter(f"{MATHML}math")] == ["\\tau"]
    assert "\\tau" not in "".join(t for t in note.itertext() if t.strip() != "\\tau")


def test_print_sets_every_formula_without_a_layout_warning(make_book, tmp_path: Path) -> None:
    """A formula all above the baseline (``^{2}``) or all below it sits where it should:
    WeasyPrint takes every size and offset the math images are given."""
    folder = make_book(
        {
            "book.yaml": "title: Offsets\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nUp ${}^{2}$, down ${}_{2}$, both $x_1^2$.\n",
        }
    )
    diagnostics = Diagnostics()
    build(folder, ("pdf",), tmp_path / "out", diagnostics=diagnostics)
    assert [d.message for d in diagnostics.items if d.code == "pdf-layout"] == []


def test_each_formula_is_drawn_once_and_the_layout_workers_are_given_the_drawings(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Print draws each formula once: checked, then set in its part with the same drawing
    (the names print gives its elements don't make it another formula); and a layout worker
    is given the book's drawings with the book, not drawing them again."""
    from coursebook.core.cache import Cache
    from coursebook.formats.pdf import math as print_math
    from coursebook.formats.pdf import parallel
    from coursebook.formats.pdf.paging import PartLayout
    from coursebook.formats.pdf.settings import PrintOptions
    from coursebook.pipeline.build import BuildOptions, prepare
    from coursebook.render.builddate import build_dates
    from coursebook.source.loader import load

    folder = make_book(
        {
            "book.yaml": "title: Math\nlanguage: en\nchapters: [one.md]\n",
            "one.md": "# One\n\nFirst $x^2$, then $\\frac{a}{b}$, then $x^2$ again.\n",
        }
    )
    drawn = formulas_drawn(monkeypatch)
    forget_drawings(monkeypatch)
    build(folder, ("pdf",), tmp_path / "out", BuildOptions(jobs=1))
    assert len(drawn) == len(set(drawn)) == 2, drawn

    diagnostics = Diagnostics()
    book = load(folder, diagnostics)
    rendered = prepare(book, diagnostics, BuildOptions(), Cache(tmp_path / "cache"))
    workers = parallel.Workers(1)
    try:
        workers.give(PartLayout, rendered, build_dates(book.meta), PrintOptions())
        in_worker = workers.submit(0, print_math.drawn).result(timeout=120)
    finally:
        workers.close(abandon=True)
    assert set(in_worker) == set(drawn)


def test_a_books_many_formulas_are_drawn_half_by_the_early_layout_worker(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many formulas (here a few: the threshold lowered), the worker started early
    draws half of them beside this process; a formula that can't be drawn is warned at its
    place whichever process drew it, and the PDF is the one process's, byte for byte."""
    from coursebook.formats.pdf import math as print_math
    from coursebook.pipeline.build import BuildOptions

    monkeypatch.setattr(print_math, "SHARED", 2)
    formulas = " ".join(f"$x^{{{n}}}$" for n in range(1, 6))
    folder = make_book(
        {
            "book.yaml": "title: Drawn\nlanguage: en\nchapters: [one.md]\n",
            "one.md": f"# One\n\n{formulas}, then $5\\text{{-}}8 \\times 10^{{-5}}$.\n",
        }
    )
    drawn = formulas_drawn(monkeypatch)
    results = {}
    for jobs in (2, 1):
        forget_drawings(monkeypatch)
        drawn.clear()
        diagnostics = Diagnostics()
        out = tmp_path / f"j{jobs}"
        results[jobs] = build(
            folder, ("pdf",), out, BuildOptions(jobs=jobs), diagnostics=diagnostics
        )
        (problem,) = [d for d in diagnostics.items if d.code == "math"]
        assert (problem.location.line, problem.location.column) == (3, 48)
        assert len(drawn) == (3 if jobs == 2 else 6), drawn  # the other half by the worker
    pdfs = {jobs: output(result, "pdf").read_bytes() for jobs, result in results.items()}
    assert pdfs[1] == pdfs[2]
    # The EPUB alone, whose page list needs the layout: drawn the same way, nothing said.
    forget_drawings(monkeypatch)
    drawn.clear()
    build(folder, ("epub",), tmp_path / "epub", BuildOptions(jobs=2))
    assert len(drawn) == 3, drawn


def forget_drawings(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's drawings (and failures) forgotten: every formula is drawn anew."""
    from coursebook.formats.pdf import math as print_math

    monkeypatch.setattr(print_math, "_DRAWN", {})
    monkeypatch.setattr(print_math, "_FAILED", {})


def formulas_drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formulas this process draws (by ziamath, not from what it drew), from now on."""
    from coursebook.formats.pdf import math as print_math

    drawn: list[str] = []
    draw = print_math._drawn

    def drawing(mathml: str) -> print_math.Drawing:
        drawn.append(mathml)
        return draw(mathml)

    monkeypatch.setattr(print_math, "_drawn", drawing)
    return drawn


DRAWN_WITHIN_THE_LIMIT = """
import sys
from coursebook.core.diagnostics import BookError, Diagnostics
from coursebook.core.limits import Limits
from coursebook.formats.pdf import math as print_math
from coursebook.formats.pdf.paging import PartLayout
from coursebook.pipeline.build import BuildOptions, build

drawn, laid_out = [], []
draw = print_math._drawn
print_math._drawn = lambda mathml: drawn.append(mathml) or draw(mathml)
PartLayout.lay_out = lambda *args, **kwargs: laid_out.append(True)
folder, out, formats = sys.argv[1], sys.argv[2], tuple(sys.argv[3:])
diagnostics = Diagnostics()
try:
    build(folder, formats, out, BuildOptions(jobs=1, limits=Limits(layout_seconds=0.02)),
          diagnostics=diagnostics)
except BookError:
    pass
print(repr(([d.code for d in diagnostics.items], len(drawn), len(laid_out))))
"""


@pytest.mark.parametrize("formats", [("pdf",), ("epub",)])
def test_a_books_formulas_are_drawn_within_the_layouts_time_limit(
    make_book, tmp_path: Path, formats: tuple[str, ...]
) -> None:
    """Drawing the formulas is part of laying the book out: a book of many formulas stops
    at the layout's time limit while they are drawn, an error naming the limit, nothing
    written. (In a process of its own: the limit is a timer of the main thread, which a
    test run by pytest-xdist is not in.)"""
    formulas = " ".join(
        f"$\\frac{{\\sum_{{i=1}}^{{{n}}} x_i^{{{n}}}}}{{\\sqrt{{n+{n}}}}}$" for n in range(100)
    )
    folder = make_book(
        {
            "book.yaml": "title: Drawn\nlanguage: en\nchapters: [one.md]\n",
            "one.md": f"# One\n\n{formulas}\n",
        }
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", DRAWN_WITHIN_THE_LIMIT, str(folder), str(out), *formats],
        capture_output=True,
        text=True,
        check=True,
    )
    codes, drawn, laid_out = ast.literal_eval(done.stdout.strip())
    assert codes.count("limit") == 1, done.stdout
    assert 0 < drawn < 100 and laid_out == 0, done.stdout  # stopped while drawing
    assert not out.exists() or not [*out.glob("*.pdf"), *out.glob("*.epub")]


def test_an_edit_draws_only_the_formulas_of_what_it_changed_for_the_page_list(
    make_book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first EPUB draws every formula ahead (its page list lays every part out); after an
    edit only the edited chapter's print HTML is made, and only its formulas are drawn."""
    from coursebook.formats.pdf import math as print_math
    from coursebook.pipeline.build import BuildOptions

    folder = make_book(
        {
            "book.yaml": "title: Drawn\nlanguage: en\nchapters: [one.md, two.md]\n",
            "one.md": "# One\n\nFirst $x^{1}$ and $y_{1}$.\n",
            "two.md": "# Two\n\nThen $x^{2}$.\n",
        }
    )
    drawn = formulas_drawn(monkeypatch)
    forget_drawings(monkeypatch)
    build(folder, ("epub",), tmp_path / "out", BuildOptions(jobs=1))
    assert len(drawn) == 3
    (folder / "two.md").write_text("# Two\n\nThen, edited, $x^{2}$.\n", "utf-8")
    monkeypatch.setattr(print_math, "_DRAWN", {})
    drawn.clear()
    build(folder, ("epub",), tmp_path / "out", BuildOptions(jobs=1))
    assert len(drawn) == 1, drawn
