"""book.yaml: the names it may have, and the book's metadata from its validated values.

Both the loader (the book's own book.yaml) and the book reader (the book.yaml of each course
it includes) need them.
"""

from __future__ import annotations

from typing import Any

from ..core.naming import derived_identifier
from ..model import Metadata

MANIFEST_NAMES = ("book.yaml", "book.yml")


def metadata(values: dict[str, Any]) -> Metadata:
    """A book's metadata from its validated book.yaml values."""
    title, course = values.get("title", ""), values.get("course_id")
    return Metadata(
        title=title,
        language=values.get("language", "en"),
        identifier=values.get("identifier") or derived_identifier(title, course),
        subtitle=values.get("subtitle"),
        authors=values.get("authors", ()),
        course_id=course,
        published=values.get("published"),
        updated=values.get("updated"),
        publisher=values.get("publisher"),
        license=values.get("license"),
        description=values.get("description"),
        edition=values.get("edition"),
        subjects=values.get("subjects", ()),
    )
