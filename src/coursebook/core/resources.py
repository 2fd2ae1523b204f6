"""Where coursebook's own files are: the stylesheets, and files of the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # coursebook/, not coursebook/core/


@cache
def styles_dir() -> Path:
    """The stylesheets: inside the installed package, or the repository's ``styles/`` folder
    when running from a source checkout (an editable install maps only ``src/``)."""
    installed = _PACKAGE / "styles"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent.parent / "styles"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("coursebook's stylesheets are missing from this installation")


def stylesheet(name: str) -> Path:
    return styles_dir() / name


def package_file(name: str) -> Path:
    """A file shipped inside the package (``lua/citeproc.lua``)."""
    return _PACKAGE / name
