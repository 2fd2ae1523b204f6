"""Each build of the preview: the book loaded and rendered as a build would (going on past
its errors), and the page made of it: the web edition, the build's problems above the book."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import jinja2
from markupsafe import Markup

from ...core.cache import Cache
from ...core.diagnostics import (
    BookError,
    Diagnostic,
    Diagnostics,
    Severity,
    printable,
    problem_id,
)
from ...core.resources import package_file, stylesheet
from ...formats.html.page import PageExtras, WebPage, web_page
from ...parse.lessons import Image
from ...pipeline.build import BuildOptions, prepare
from ...pipeline.loading import format_settings, the_book
from ...pipeline.packs import SelectionError
from ...render.rendered_book import RenderedBook
from .server import PreviewState, Snapshot, internal_error


@dataclass(frozen=True)
class Outcome:
    """What one build of the preview came to."""

    rendered: RenderedBook | None
    """The book as rendered; None when it could not be rendered at all."""
    diagnostics: Diagnostics
    failure: str | None = None
    """What stopped the build, when that is not among the book's diagnostics."""
    seconds: float = 0.0


def render_preview(book_dir: Path, options: BuildOptions, cache: Cache) -> Outcome:
    """Load and render the book as a build would, going on past errors so that every problem is
    reported; never raises (except ``KeyboardInterrupt``)."""
    start = time.perf_counter()
    diagnostics = Diagnostics()
    rendered: RenderedBook | None = None
    failure: str | None = None
    try:
        book = the_book(book_dir, options.lessons, options.limits, diagnostics)
        format_settings(book, options.format_options, diagnostics)  # said as a build says them
        rendered = prepare(book, diagnostics, options, cache)
        if book.stand_in:  # checked for its problems; the last good book is shown instead
            rendered = None
    except BookError as error:  # its problems are in the diagnostics already
        if error.diagnostics is not diagnostics:
            diagnostics.extend(error.diagnostics)
        if not diagnostics.errors:
            failure = str(error)
    except SelectionError as problem:  # book.yaml may have changed under --lessons
        failure = str(problem)
    except MemoryError:
        failure = (
            f"out of memory (the limit is {options.limits.memory_mb:,} MB; "
            "raise it with --limit memory_mb=…)"
        )
    except Exception as bug:  # the preview must outlive a bug in coursebook
        failure = internal_error(bug)
    return Outcome(rendered, diagnostics, failure, time.perf_counter() - start)


class Builder:
    """Rebuilds the book and publishes the page; keeps the last rendering that worked, to show
    under the problems when the book cannot be rendered."""

    def __init__(
        self, book_dir: Path, options: BuildOptions, cache: Cache, state: PreviewState
    ) -> None:
        self.book_dir, self.options, self.cache, self.state = book_dir, options, cache, state
        self.last_good: RenderedBook | None = None

    def rebuild(self) -> Outcome:
        outcome = render_preview(self.book_dir, self.options, self.cache)
        if outcome.rendered is not None:
            self.last_good = outcome.rendered
        shown = self.last_good
        version = self.state.next_version()
        try:
            page = preview_page(outcome, shown, version)
        except Exception as bug:  # a fragment lxml can't read would be a renderer bug
            outcome = Outcome(None, outcome.diagnostics, internal_error(bug), outcome.seconds)
            shown = None
            page = preview_page(outcome, None, version)
        images = {image.href: image for image in shown.images} if shown else {}
        self.state.publish(Snapshot(version, page.html.encode("utf-8"), page.policy, images))
        return outcome


def report(outcome: Outcome, verb: str, out: TextIO, err: TextIO) -> None:
    """The problems on ``err``, one per line as the build command prints them, then one status
    line on ``out``. All printable: a diagnostic's ``str`` is, and a failure may quote the
    book."""
    for diagnostic in outcome.diagnostics.by_place():
        print(diagnostic, file=err)
    if outcome.failure:
        print(f"coursebook: {printable(outcome.failure)}", file=err)
    err.flush()
    print(status_line(outcome, verb), file=out, flush=True)


def status_line(outcome: Outcome, verb: str) -> str:
    """``rebuilt in 0.21 s``, ``built in 0.3 s, 2 warnings`` or ``3 errors; the page shows
    them``."""
    errors, warnings = len(outcome.diagnostics.errors), len(outcome.diagnostics.warnings)
    also = f", {_plural(warnings, 'warning')}" if warnings else ""
    if errors:
        return f"{_plural(errors, 'error')}{also}; the page shows them"
    if outcome.failure:
        return "the book could not be built; the page shows why"
    return f"{verb} in {outcome.seconds:.2f} s{also}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- the page ---------------------------------------------------------------------------------

_PROBLEMS = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """\
{%- if errors or failure %}
<section id="problems" class="problems" role="alert" lang="en" dir="ltr"
 aria-labelledby="problems-title">
<h2 id="problems-title">{{ errors_title }}</h2>
<ul>
{%- for problem, place in errors %}
<li>{% if place %}<a href="#{{ place }}">{{ problem }}</a>{% else %}{{ problem }}{% endif %}</li>
{%- endfor %}
{%- if failure %}
<li>{{ failure }}</li>
{%- endif %}
</ul>
{%- if stale %}
<p>Below is the last version of the book that could be built.</p>
{%- endif %}
</section>
{%- endif %}
{%- if warnings %}
<section id="warnings" class="problems" lang="en" dir="ltr" aria-labelledby="warnings-title">
<h2 id="warnings-title">{{ warnings_title }}</h2>
<ul>
{%- for problem, place in warnings %}
<li>{% if place %}<a href="#{{ place }}">{{ problem }}</a>{% else %}{{ problem }}{% endif %}</li>
{%- endfor %}
</ul>
</section>
{%- endif %}"""
)
"""The build's problems, above the book (in English, as on the terminal)."""
PREVIEW_SOURCES = {"img-src": "'self'", "connect-src": "'self'"}
"""What the preview's page loads beyond the web edition: its images, its event stream."""


def preview_page(outcome: Outcome, shown: RenderedBook | None, version: str) -> WebPage:
    """The preview page: the web edition of the book as last rendered, the problems of this
    build above it, the reload script within it."""
    problems = outcome.diagnostics.by_place()  # as the terminal lists them
    place = _places(shown if shown is outcome.rendered else None)
    errors = [(str(d), place(d)) for d in problems if d.severity is Severity.ERROR]
    warnings = [(str(d), place(d)) for d in problems if d.severity is Severity.WARNING]
    banner = _PROBLEMS.render(
        errors=errors,
        failure=printable(outcome.failure) if outcome.failure else None,  # as on the terminal
        errors_title=_plural(len(errors) + (1 if outcome.failure else 0), "error"),
        stale=shown is not None and outcome.rendered is None,
        warnings=warnings,
        warnings_title=_plural(len(warnings), "warning"),
    )
    extras = PageExtras(
        title=f"{shown.book.meta.title} (preview)" if shown else "coursebook preview",
        banner=Markup(banner),
        # Read at each build, so that an edited stylesheet shows at the next reload.
        styles=(stylesheet("preview.css").read_text(encoding="utf-8"),),
        scripts=(package_file("app/preview/reload.js").read_text(encoding="utf-8"),),
        meta=(("coursebook-preview-version", version),),
        sources=PREVIEW_SOURCES,
    )
    return web_page(shown, _served, extras)


def _places(rendered: RenderedBook | None) -> Callable[[Diagnostic], str | None]:
    """Where on the page each problem is: its mark in the text (a citation or a link in
    error, see :func:`coursebook.render.notes.problem_mark`), else the start of its lesson,
    else nowhere. Only in this build's rendering: the last good one has other places."""
    if rendered is None:
        return lambda _: None
    marked = {m for d in rendered.documents for m in _MARK_ID.findall(d.html)}
    lessons = {lesson.path: lesson.id for lesson in rendered.book.documents()}

    def place(problem: Diagnostic) -> str | None:
        mark = problem_id(problem.location)
        return mark if mark in marked else lessons.get(problem.location.path)

    return place


_MARK_ID = re.compile(r'\bid="(problem-[0-9a-f]{12})"')


def _served(image: Image) -> str:
    """Where the preview serves an image: at its path in the book (see the server)."""
    return image.href
