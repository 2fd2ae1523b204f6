"""The Jinja2 environment of the project's own templates (``render/templates/``): the one
every part of the rendering, and print's book document, is made with.
"""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def template_environment() -> jinja2.Environment:
    """One environment for the process: Jinja2 compiles a template once per environment
    (a new one for each note list and part recompiled 143 templates, a second of an EPUB
    built after an edit at 40 lessons, profiled). Nothing adds to it after it is made."""
    # autoescape=True, not select_autoescape(): that one skips .xhtml (LIBRARY-NOTES).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("coursebook.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
