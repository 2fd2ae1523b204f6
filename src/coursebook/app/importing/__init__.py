"""``coursebook import PAGE... -o BOOK_DIR``: the portal's lesson pages as a book folder.

The portal's lessons are web pages whose citations are written in prose. Importing one::

    LESSON SIXTEEN: The nature of the Stalinist state            (a text page, or the HTML)
    … Trotsky responded in an article, ‘The Workers’ State, Thermidor and Bonapartism’,1935:
    “As the bureaucracy becomes more independent …”. (Full text)

becomes ``lessons/16-the-nature-of-the-stalinist-state.md``::

    ---
    title: "The nature of the Stalinist state"
    number: 16
    ---
    … Trotsky responded in an article, ‘The Workers’ State, Thermidor and Bonapartism’,1935:
    “As the bureaucracy becomes more independent …” [@trotsky1935workers].

with a draft entry for ``trotsky1935workers`` in ``sources.yaml`` (marked for review) and the
page furniture (site name, course title, "About this course") in ``book.yaml``.

The stages, top to bottom: :func:`read_page` (a file into blocks of text, HTML or plain),
:func:`import_lesson` (blocks into Markdown, citations recognised into :class:`Cite`s),
:func:`assemble` (every page's citations into one set of sources, each with one key), and
:func:`write_book` (the folder, written whole or not at all). Pages are hostile input: HTML
is parsed by lxml without network, entities or scripts, and sizes are capped.
"""

from __future__ import annotations

from .lessons import import_lesson
from .pages import read_page
from .sources import SourceIndex, assemble, source_families, source_titles, source_years
from .writing import ImportError_, check_new_folder, import_pages, write_book

__all__ = [
    "ImportError_",
    "SourceIndex",
    "assemble",
    "check_new_folder",
    "import_lesson",
    "import_pages",
    "read_page",
    "source_families",
    "source_titles",
    "source_years",
    "write_book",
]
