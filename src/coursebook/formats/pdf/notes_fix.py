"""A fix to WeasyPrint's layout that keeps every note on its call's page.

WeasyPrint 70 (since its pull request #2437) handles a line that doesn't fit at the foot of
a page, where ``orphans`` or ``widows`` forbid breaking before it, by sending the notes
already at the foot of the page on to the next page until the line fits, and then sets that
line without laying out the notes called in it: those notes are printed nowhere, and the
ones sent on are printed a page after their calls. Measured on a generated 40-lesson course
(benchmarks/print_audit.py, A4): 2 notes lost and 11 on the wrong page out of 1,137.

Turned off, WeasyPrint breaks the page before the line as it always did (moving lines to
the next page for widows and orphans, their notes with them): a page may be a line
shorter, and no note leaves its call. The change is one assignment in
``weasyprint.layout.block._linebox_layout``, made on its source so the rest of the function
stays WeasyPrint's own. When that source has changed (another WeasyPrint), nothing is
patched, and the check after each layout (:mod:`.footnotes`) still catches every note out of
place.
"""

from __future__ import annotations

import inspect
import textwrap

_REPORTING = "report = not context.in_column and can_break_now and not could_break_before"
_patched: bool | None = None


def keep_notes_with_calls() -> bool:
    """Apply the fix (once per process); whether it is in place."""
    global _patched
    if _patched is None:
        _patched = _patch()
    return _patched


def _patch() -> bool:
    from weasyprint.layout import block

    function = block._linebox_layout
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):  # pragma: no cover - installed without its sources
        return False
    if source.count(_REPORTING) != 1:  # pragma: no cover - another WeasyPrint
        return False
    fixed = source.replace(_REPORTING, "report = False")
    namespace = dict(vars(block))
    exec(compile(fixed, inspect.getfile(function), "exec"), namespace)
    block._linebox_layout = namespace["_linebox_layout"]
    return True
