"""The Jinja2 environment of the project's own templates (``render/templates/``): the one
every part of the rendering, and print's book document, is made with.
"""

from __future__ import annotations

import jinja2


def template_environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape(): that one skips .xhtml (LIBRARY-NOTES).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("coursebook.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
