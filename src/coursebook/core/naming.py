"""Names derived from text: slugs for file names, stable identifiers."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid

# A fixed namespace so that the same title and course always give the same identifier.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://coursebook.invalid/book-identifier")


MAX_SLUG_BYTES = 120
"""File systems take names of up to 255 bytes; a slug becomes the outputs' names, their
temporary files' (``.<slug>-booklet.pdf.a1b2c3d4.tmp``) and the cache's, so it stays well
under. Bytes, not characters: a title in Chinese is three bytes a character in UTF-8."""


def slugify(text: str, fallback: str = "book", max_bytes: int = MAX_SLUG_BYTES) -> str:
    """``The rise of Stalinism`` → ``the-rise-of-stalinism``.

    Accents are folded to ASCII; a title with no Latin letters keeps its own letters (file
    systems take them) rather than becoming empty. A long slug is cut at a word's end (a
    hyphen) within ``max_bytes`` of UTF-8.
    """
    text = re.sub(r"[\u2010-\u2015]", "-", text)  # dashes separate words, as hyphens do
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-_")
    return _shortened(slug, max_bytes) or fallback


def _shortened(slug: str, max_bytes: int) -> str:
    data = slug.encode("utf-8")
    if len(data) <= max_bytes:
        return slug
    cut = data[:max_bytes].decode("utf-8", errors="ignore")  # never half a character
    if "-" in cut[len(cut) // 2 :]:
        cut = cut[: cut.rindex("-")]  # at a word's end, when one is near
    return cut.strip("-_")


def derived_identifier(title: str, course_id: str | None) -> str:
    """A ``urn:uuid:`` that stays the same across rebuilds of the same course."""
    name = f"{course_id or ''}|{title}"
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def element_prefix(document_id: str) -> str:
    """The prefix of every id inside a document, so ids never collide across documents.

    Document ids may start with a digit (``16-the-nature…``); element ids start with a letter
    for the readers and tools that still expect XML names.
    """
    return document_id if document_id[:1].isalpha() else f"l{document_id}"


def lesson_element_id(prefix: str, written: str) -> str:
    """The id an element of a lesson gets for the id its author wrote: the lesson's prefix,
    and the id as an XML name allows it (pandoc-crossref's ``fig:output`` has a colon, which
    an EPUB's XHTML refuses in an id: it becomes ``fig-output``)."""
    return f"{prefix}-{written.replace(':', '-')}"


_PACKAGE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def package_path(relative: str) -> str:
    """The name a file of the book (``images/Grain output 1932.png``) has inside an output
    package: the same where each folder and file name is plain ASCII letters, digits, ``.``,
    ``_`` and ``-``; otherwise that name made so, with a short hash of the whole path
    (``images/grain-output-1932-5d41402a.png``). EPUB forbids some characters in file
    names and wants the rest escaped in every link (EPUBCheck RSC-020, PKG-010 for a
    space); readers differ on non-ASCII names. Two files never get one name: the hash is of
    the path as written."""
    segments = relative.split("/")
    safe = []
    for index, segment in enumerate(segments):
        if _PACKAGE_SEGMENT.fullmatch(segment) and ".." not in segment:
            safe.append(segment)
            continue
        digest = hashlib.sha256("/".join(segments[: index + 1]).encode("utf-8")).hexdigest()[:8]
        stem, dot, suffix = segment.rpartition(".") if index == len(segments) - 1 else ("", "", "")
        if not dot or not stem:
            stem, suffix = segment, ""
        plain = slugify(stem, fallback="file", max_bytes=60)
        plain = plain if _PACKAGE_SEGMENT.fullmatch(plain) else "file"
        ending = re.sub(r"[^a-z0-9]", "", suffix.lower())[:10]
        safe.append(f"{plain}-{digest}" + (f".{ending}" if ending else ""))
    return "/".join(safe)
