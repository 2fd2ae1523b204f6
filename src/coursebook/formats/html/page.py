"""The web edition's page: every document of the shared rendering, one after another, in one
HTML5 file that carries its own stylesheet, script and images.

- **Notes** are listed after their lesson, as in the EPUB, each number linking back to its
  call: that is the page without scripts (a mail client's viewer, a reader who turned them
  off), and it works as it is. The page's one script (``notes.js``) adds the pop-up: a note
  opens in a dialog where it is called, and closing it returns to the call.
- **Images** are ``data:`` URLs, each re-read through the book's confined opener and checked
  against the bytes the build checked (an SVG as it was cleaned), so the file needs nothing
  beside it.
- **A Content-Security-Policy in the page** lets it load nothing and run nothing but its own
  stylesheet and script (named by their hashes) and its own images: the file is mailed
  around and opened from anywhere, and the book's markup, sanitized already, gets a second
  lock.

The preview serves this same page, adding its list of problems and its reload script through
:class:`PageExtras`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import jinja2
from lxml import etree
from markupsafe import Markup

from ...core.labels import direction, labels_for
from ...core.output import OutputError
from ...core.resources import package_file, stylesheet
from ...core.version import __version__
from ...core.xhtml import html_of_children, parse_fragment
from ...parse.lessons import Image
from ...render.notes import NOTES_SLOT, notes_section
from ...render.rendered_book import RenderedBook, RenderedDocument
from ...source.images import ImageProblem, image_data

ImageSource = Callable[[Image], str]
"""Where the page finds an image: a ``data:`` URL in the web edition, the preview's address
for it in the preview."""


@dataclass(frozen=True)
class PageExtras:
    """What a page adds to the web edition (the preview: its problems, its reload script)."""

    title: str | None = None
    """The page's title, instead of the book's."""
    banner: str = ""
    """Markup before the book, trusted (the caller escapes what it shows)."""
    styles: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    """``<meta name content>`` pairs."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """More sources allowed by the policy, by directive: ``{"connect-src": "'self'"}``."""


@dataclass(frozen=True)
class WebPage:
    html: str
    policy: str
    """Its Content-Security-Policy (in the page; a server sends it as a header too)."""


def web_edition(rendered: RenderedBook) -> bytes:
    """The web edition of a rendered book, as the bytes of its file."""
    return web_page(rendered, inline_image).html.encode("utf-8")


def web_page(
    rendered: RenderedBook | None, image_src: ImageSource, extras: PageExtras | None = None
) -> WebPage:
    """The book as one HTML5 page (see the module docstring); with no book (the preview of
    one that could not be rendered), the page without it."""
    extras = extras or PageExtras()
    language = rendered.book.meta.language if rendered else "en"
    own = rendered.book.css_for("html") if rendered else ""
    styles = (*_own_styles(), *((own,) if own else ()), *extras.styles)
    scripts = (_own_script(), *extras.scripts)
    attributes: set[str] = set()
    parts = _parts(rendered, image_src, attributes) if rendered else []
    policy = _policy(styles, scripts, extras.sources, attributes)
    html = _template().render(
        language=language,
        direction=direction(language),
        title=extras.title or (_title(rendered) if rendered else "coursebook"),
        meta=[*(_metadata(rendered) if rendered else ()), *extras.meta],
        policy=policy,
        styles=[_raw(text, "style") for text in styles],
        scripts=[_raw(text, "script") for text in scripts],
        banner=Markup(extras.banner),
        parts=parts,
        labels=rendered.labels if rendered else labels_for(language),
    )
    return WebPage(html, policy)


def _title(rendered: RenderedBook) -> str:
    meta = rendered.book.meta
    return meta.title + (f": {meta.subtitle}" if meta.subtitle else "")


def _parts(rendered: RenderedBook, image_src: ImageSource, attributes: set[str]) -> list[Markup]:
    """The documents as HTML; the ``style`` attributes they hold (an image's width, a
    formula's column alignment) added to ``attributes``, for the policy to allow."""
    images = {image.href: image for image in rendered.images}
    return [
        Markup(_document(document, rendered.labels, images, image_src, attributes))
        for document in rendered.documents
    ]


def inline_image(image: Image) -> str:
    """An image as a ``data:`` URL of the bytes the build checked."""
    try:
        data = image_data(image.checked)
    except ImageProblem as problem:  # changed since it was checked: nothing is written
        raise OutputError(f"image '{image.href}': {problem}") from None
    return f"data:{image.media_type};base64,{base64.b64encode(data).decode('ascii')}"


def _document(
    document: RenderedDocument,
    labels: Mapping[str, str],
    images: Mapping[str, Image],
    image_src: ImageSource,
    attributes: set[str],
) -> str:
    """One document of the rendering as HTML5: its notes listed after its text, its images
    where the page finds them. (Parsed as XML, the rendering's form, and written as HTML.)"""
    tree = parse_fragment(document.html.replace(NOTES_SLOT, notes_section(document, labels)))
    for img in tree.iter("img"):
        img.set("src", image_src(images[img.get("src", "")]))
    attributes.update(str(e.get("style")) for e in tree.iter() if e.get("style") is not None)
    etree.cleanup_namespaces(tree)  # the rendering's epub: prefix, unused: not written
    return html_of_children(tree)


def _metadata(rendered: RenderedBook) -> Iterable[tuple[str, str]]:
    meta = rendered.book.meta
    if meta.authors:
        yield "author", ", ".join(meta.authors)
    if meta.description:
        yield "description", meta.description
    yield "generator", f"coursebook {__version__}"


def _policy(
    styles: Iterable[str],
    scripts: Iterable[str],
    more: Mapping[str, str],
    attributes: Iterable[str] = (),
) -> str:
    """Nothing but the page's own images, stylesheets and scripts (by their hashes), and the
    ``style`` attributes the book's markup holds (each by its hash: ``'unsafe-hashes'``
    allows those values and no other)."""
    allowed = sorted(_hash(text) for text in attributes)
    directives = {
        "default-src": "'none'",
        "img-src": "data:",
        "style-src": " ".join(
            [_hash(text) for text in styles] + (["'unsafe-hashes'", *allowed] if allowed else [])
        ),
        "script-src": " ".join(_hash(text) for text in scripts),
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    for name, sources in more.items():
        directives[name] = f"{directives[name]} {sources}" if name in directives else sources
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _raw(text: str, element: str) -> Markup:
    """A stylesheet or script of our own, set in the page as it is (HTML reads the content
    of ``<style>`` and ``<script>`` as raw text: escaping it would change it)."""
    if f"</{element}" in text.lower():
        raise ValueError(f"a {element} that would end its own element")
    return Markup(text)


def _own_styles() -> tuple[str, ...]:
    return tuple(stylesheet(name).read_text(encoding="utf-8") for name in ("base.css", "web.css"))


def _own_script() -> str:
    return package_file("formats/html/notes.js").read_text(encoding="utf-8")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("coursebook.formats.html", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template("page.html")
