"""Every kind of problem coursebook reports, with an example and how to fix it.

Each problem printed ends with its code (``[unknown-source]``). The codes are stable: editors
and CI scripts may match on them. The table of docs/problem-codes.md is checked against this list
(tests/test_docs.py), and a test checks that every code the sources use is here.
"""

# ruff: noqa: E501  (messages and fixes are kept whole, as they are printed)

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    name: str
    severity: str
    """``error`` (nothing is written) or ``warning`` (the book builds; ``check --strict``
    fails)."""
    example: str
    """A message as printed, without the file and line."""
    fix: str


CODES = {
    code.name: code
    for code in (
        # --- the book folder and its files
        Code(
            "no-book",
            "error",
            "the book folder has no book.yaml",
            "Give the folder that holds book.yaml.",
        ),
        Code(
            "not-found",
            "error",
            "lesson 'lessons/03.md' not found",
            "Correct the path; paths are relative to the file that names them.",
        ),
        Code(
            "path-outside",
            "error",
            "image '../../etc/passwd' is outside the book folder",
            "Copy the file into the book folder and refer to it there; symbolic links may not leave the folder either.",
        ),
        Code("encoding", "error", "not UTF-8 text (invalid start byte)", "Save the file as UTF-8."),
        Code("unreadable", "error", "cannot read: Permission denied", "Make the file readable."),
        Code(
            "limit",
            "error",
            "a table of 10,000 rows, more than the limit of 5,000 (raise it with --limit table_rows=…)",
            "Split the content, or raise the limit with --limit NAME=VALUE if the book really needs it.",
        ),
        Code(
            "output",
            "error",
            "the output folder book/out is inside the book folder; choose another",
            "Build into a folder outside the book, or into the book's own dist/.",
        ),
        # --- YAML: book.yaml, front matter, sources.yaml
        Code(
            "yaml",
            "error",
            "invalid YAML: expected ',' or ']', but got '<stream end>'",
            "Fix the YAML syntax at that line (quote text containing ': ', '[' or '#').",
        ),
        Code(
            "schema-missing",
            "error",
            "book.yaml needs 'language' (BCP 47 tag, e.g. en, es, pt-BR)",
            "Add the key.",
        ),
        Code(
            "schema-type",
            "error",
            "'published': expected a date written YYYY-MM-DD, found 'last week'",
            "Write the value as the message asks.",
        ),
        Code(
            "unknown-key",
            "warning",
            "unknown key 'subjets' in book.yaml (did you mean 'subjects'?)",
            "Correct the key's spelling; unknown keys are ignored.",
        ),
        Code(
            "language-labels",
            "warning",
            'coursebook has no words for language \'eo\' yet ("Contents", "Notes"…); English ones are used',
            "Nothing to fix; the generated headings are in English.",
        ),
        Code(
            "print-option",
            "error",
            "print: unknown paper 'b5'; choose one of a4, letter, a5, half-letter, 6x9in",
            "Use one of the values the message lists.",
        ),
        Code(
            "cover",
            "error",
            "cover 'cover.png': its name says a PNG image, but the file is not an image at all",
            "Give a PNG or JPEG cover that decodes whole, within the image limits (about 1600 × 2560 pixels suits every store).",
        ),
        Code(
            "citation-style",
            "error",
            "unknown citation style 'chicago-notes-bibliograhy' (did you mean 'chicago-notes-bibliography'?)",
            "Use a style name of the CSL repository or a .csl file inside the book.",
        ),
        # --- lessons
        Code(
            "duplicate-lesson",
            "error",
            "'lessons/01.md' is already in the book (line 14)",
            "Name each lesson once in chapters:.",
        ),
        Code(
            "front-matter",
            "error",
            "front matter opened with --- is never closed",
            "End the front matter with a line of ---.",
        ),
        Code(
            "no-title",
            "error",
            "a lesson needs a title: 'title:' in its front matter or a '# Title' first line",
            "Give the lesson a title.",
        ),
        Code(
            "duplicate-id",
            "error",
            "the id 'same' is used twice in this lesson",
            "Give each {#id} a different name.",
        ),
        Code(
            "bad-link",
            "error",
            "link to '04-liberty': no such file (did you mean '04-liberty.md'?)",
            "Link to a lesson of the book by its file name, or to a web page with https://.",
        ),
        Code(
            "bad-anchor",
            "warning",
            "link to '#harm-principle', which is not a heading or anchor in 02.md; its text is kept without the link (did you mean 'the-harm-principle'?)",
            "Use the id of a heading (its title, lower-cased, words joined by -) or of an {#id}.",
        ),
        Code(
            "sanitized",
            "warning",
            "removed <script> (scripts don't run in a book)",
            "Remove the HTML; readers would not see it.",
        ),
        Code(
            "pandoc-compat",
            "warning",
            "an HTML comment comes before the front matter; the front matter is read after it (as pandoc reads it), and the comment is not printed",
            "Nothing to do for the book to build; to silence it, write what coursebook asks (front matter first, links to lesson files rather than web pages).",
        ),
        Code(
            "raw-markup",
            "warning",
            "':::' is printed as written: it looks like a fenced div's fence with no partner",
            "Write the syntax as pandoc reads it (here: open the div with '::: {.class}' and close it with ':::'), or escape it with a backslash to print it.",
        ),
        Code(
            "crossref",
            "warning",
            "no figure, table, equation or section of the book is labelled 'fig:output'; '@fig:output' is printed as written",
            "Label the figure ({#fig:output} after its image), table ({#tbl:…} after its caption), equation ({#eq:…} after $$…$$) or heading ({#sec:…}), or correct the reference.",
        ),
        Code(
            "math",
            "warning",
            "math '$\\frac{a}{$' can't be set (unexpected eof); its TeX is printed as written",
            "Write the formula in the TeX that pandoc's math converter (texmath) reads; a '$' meant as a dollar sign is written '\\$'.",
        ),
        Code(
            "unused-footnote",
            "warning",
            "footnote [^lonely] is never referred to",
            "Call the footnote with [^lonely] in the text, or remove it.",
        ),
        Code(
            "table-headers",
            "warning",
            "a table without header cells (<th>): readers that speak it can't say what the columns are",
            "Give the table a header row.",
        ),
        # --- images
        Code(
            "missing-alt",
            "warning",
            "image 'chart.png' has no alt text (describe it for readers who can't see it)",
            "Describe the image: `![A chart of grain output, 1926-1934](chart.png)`.",
        ),
        Code(
            "image",
            "error",
            "image 'chart.png': its name says a PNG image, but the file is a JPEG image",
            "Save the image again (a complete file, of the type its name says, within the limits); an SVG must be well-formed and draw something.",
        ),
        Code(
            "svg-cleaned",
            "warning",
            "image 'map.svg': removed from the SVG: <script>, the attribute onload",
            "Nothing must be done: the cleaned SVG is used. Remove those parts from the file to silence it.",
        ),
        Code(
            "image-type",
            "error",
            "image 'chart.tiff': use PNG, JPEG, GIF, SVG or WebP",
            "Convert the image to one of those types.",
        ),
        Code(
            "remote-image",
            "error",
            "image 'https://example.org/a.png' is on the network; save it in the book folder (or allow its host with --allow-remote HOST, for https)",
            "Save the image in the book folder, or build with --allow-remote HOST.",
        ),
        # --- sources and citations
        Code(
            "sources-format",
            "error",
            "BibTeX that pandoc can't read: unexpected '@' in the entry 'marx1867' (line 12)",
            "Fix the entry, or export the sources again.",
        ),
        Code(
            "json",
            "error",
            "invalid JSON: Expecting ',' delimiter",
            "Fix the JSON syntax at that line.",
        ),
        Code("source-id", "error", "a source needs an 'id'", "Give every source an id."),
        Code(
            "duplicate-source",
            "error",
            "duplicate source id 'trotsky1936' (first at line 1), with other data",
            "Give each source its own id.",
        ),
        Code(
            "repeated-source",
            "warning",
            "source 'trotsky1936' is given twice, the same both times (first at line 1)",
            "Remove one of the two entries.",
        ),
        Code(
            "source-type",
            "error",
            "source 'deutscher1949': unknown type 'novel-ish'",
            "Use a CSL type (book, chapter, article-journal…); the message suggests the nearest.",
        ),
        Code(
            "bibtex-type",
            "warning",
            "unknown BibTeX entry type '@novel': pandoc reads it as @misc, without a CSL type",
            "Use an entry type pandoc knows (@book, @article, @incollection, @online…).",
        ),
        Code(
            "source-field",
            "error",
            "source 'a': 'issued': expected a date (1936, 1936-05 or 1936-05-01), found 'soon'",
            "Write the field as CSL expects it.",
        ),
        Code(
            "source-unknown-field",
            "warning",
            "unknown CSL field 'colour'; it is ignored",
            "Correct the field's name or remove it.",
        ),
        Code(
            "source-url",
            "warning",
            "source 'mia2024': URL 'www.marxists.org/glossary' has no scheme; https://www.marxists.org/glossary is used",
            "Write the address in full, with https:// (or http://).",
        ),
        Code(
            "unknown-source",
            "error",
            "unknown source 'trotsky1935' (did you mean 'trotsky1936'?)",
            "Cite a source of the sources file by its id, or add the source.",
        ),
        Code(
            "empty-entry",
            "error",
            "source 'lenin1922' is cited, but the citation style prints no entry for it in the sources appendix: its data leave the entry empty (give it one of 'publisher', 'URL', 'archive', 'archive-place', 'container-title' or 'number')",
            "Give the source one of the fields named (where a reader can find it); a warning when the style lists no source of its type at all (then the appendix lists it as its first note reads).",
        ),
        Code(
            "citation-syntax",
            "warning",
            "'@b' after a comma inside a citation is not a citation; separate citations with ';'",
            "Write the citation as pandoc reads it: [see @a, p. 3; @b] (';' between sources, a comma before the locator).",
        ),
        Code(
            "unused-source",
            "warning",
            "source 'neverused' is never cited",
            "Cite it or remove it from the sources file.",
        ),
        # --- readers, glossary and index
        Code(
            "include",
            "error",
            "include: '../other' is not a course folder (no book.yaml)",
            "Name a sibling course folder (relative to book.yaml) that holds its own book.yaml.",
        ),
        Code(
            "include-unused",
            "warning",
            "no lesson of the included course 'The rise of Stalinism' is in the book",
            "Name some of its lessons in chapters, or remove it from include.",
        ),
        Code(
            "source-conflict",
            "error",
            "source 'trotsky1936' is also in ../course-a/sources.yaml:12, with other data",
            "Make the two entries the same, or give one of them another id (and cite that one).",
        ),
        Code(
            "glossary",
            "error",
            "the glossary already has 'Bonapartism' (line 4)",
            "Give each term (and alias) once in glossary.yaml, as a list of entries with term and definition.",
        ),
        Code(
            "glossary-unused",
            "warning",
            "glossary term 'Thermidor' is not used in any lesson",
            "Use it in a lesson (or add the form the lessons use to its aliases), or remove it.",
        ),
        Code(
            "index-unused",
            "warning",
            "index term 'Kulaks' is not used in any lesson",
            "Correct the term (or add the form the lessons use to its aliases), or remove it from index.",
        ),
        # --- the print layout
        Code(
            "long-note",
            "warning",
            "note 3 is too long for the foot of a page; it is printed at the end of its lesson",
            "Nothing must be done; shorten the note to keep it at the foot of the page.",
        ),
        Code(
            "note-placement",
            "error",
            "note 12, called on p. 57, could not be printed at the foot of that page or with a pointer there; it was printed on p. 58",
            "Report it: the layout could not keep a note with its call. Rewording the paragraph around the call moves the page break.",
        ),
        Code(
            "pdf-layout",
            "warning",
            "PDF layout: Ignored `float: top` at 1:1, invalid value.",
            "Usually the stylesheet; report it if it isn't yours.",
        ),
        # --- import
        Code(
            "import-not-text",
            "error",
            "not a text or HTML page (it holds binary data)",
            "Give the lesson page saved as HTML or as plain text (UTF-8).",
        ),
        Code(
            "import-too-large",
            "error",
            "the page is larger than 5,000,000 bytes; a lesson page is far smaller",
            "Check that it is the right file; save only the lesson's page.",
        ),
        Code(
            "import-empty",
            "error",
            "the page has no lesson text",
            "Give the page of a lesson; an empty file or a page of only menus has nothing to import.",
        ),
        Code(
            "import-no-title",
            "error",
            "no lesson title found (a heading like 'Lesson 16: The nature of the state')",
            "Check that the HTML page is a lesson page; it needs a heading (h1 or h2).",
        ),
        Code(
            "import-untitled",
            "warning",
            "no lesson heading found ('LESSON SIXTEEN: …'); titled 'Untitled (003)': give the lesson its title and number in its front matter",
            "Write the lesson's title and number in the front matter of its file, and rename the file to match.",
        ),
        Code(
            "import-unrecognised",
            "warning",
            "left as text: (see below)",
            "Nothing, if it is a remark; if it is a citation, write it as [@key] and add its source.",
        ),
        Code(
            "import-guessed-source",
            "warning",
            "'Transitional Programme' taken to be source 'trotsky1938transitional' of the sources file (author and year match, titles differ): check",
            "Check the citation against the source; correct its key if it is another work.",
        ),
    )
}
