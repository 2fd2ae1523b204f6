"""The drawn cover's font files, found through fontconfig (see :func:`font_file`).

Found once a process, in a thread started when the EPUB's settings are read
(:func:`find_fonts`): fontconfig's ``fc-match`` is a program, and one started from the
process at the end of a 160-lesson build showed in the process tree as a second process of
399 MB until it ran (the tree's peak 810 MB, psutil every 20 ms); early, the process is
small, and the thread waits on the programs while the book is read.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from functools import cache

STYLES = ("regular", "bold", "italic")
_lock = threading.Lock()


def find_fonts() -> None:
    """Start finding the cover's font files, in a thread of their own."""
    threading.Thread(target=_find_all, name="cover fonts", daemon=True).start()


def _find_all() -> None:
    for style in STYLES:
        font_file(style)


def font_file(style: str) -> str | None:
    """The book face installed by the project's set-up (Charis SIL), else any serif, found
    through fontconfig, the same font matching WeasyPrint uses for the PDF; None without
    fontconfig."""
    with _lock:  # the thread's answer, not a second search
        return _found(style)


@cache
def _found(style: str) -> str | None:
    if shutil.which("fc-match") is None:
        return None
    pattern = {"bold": ":bold", "italic": ":italic", "regular": ""}[style]
    for family in ("Charis SIL", "serif"):
        result = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{family}{pattern}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0 and result.stdout.endswith((".ttf", ".otf")):
            return result.stdout
    return None
