"""The words coursebook adds to a book ("Contents", "Lesson", "Notes"…), by language.

The book's ``language`` picks the table (``pt-BR`` falls back to ``pt``, an unknown language to
English). Quotation marks for Python-Markdown's smarty extension come from the same table.
"""

from __future__ import annotations

from collections.abc import Mapping

_EN = {
    "contents": "Contents",
    "lesson": "Lesson",
    "chapter": "Chapter",
    "notes": "Notes",
    "sources": "Sources",
    "questions": "Discussion questions",
    "title_page": "Title page",
    "imprint": "Imprint",
    "cover": "Cover",
    "published": "Published",
    "updated": "Updated",
    "course": "Course",
    "edition": "Edition",
    "license": "Licence",
    "publisher": "Publisher",
    "identifier": "Identifier",
    "full_text": "Full text",
    "cited_in": "Cited in",
    "note": "note",
    "notes_plural": "notes",
    "and": "and",
    "page_abbr": "p.",
    "pages_abbr": "pp.",
    "cited_on": "Cited on",
    "back_to_text": "Back to the text",
    "note_label": "Note",
    "made_with": "Made with coursebook",
    "landmarks": "Landmarks",
    "pages": "Pages",
    "note_continued": "See the end of this lesson",
}

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": _EN,
    "es": _EN
    | {
        "contents": "Índice",
        "lesson": "Lección",
        "chapter": "Capítulo",
        "notes": "Notas",
        "sources": "Fuentes",
        "questions": "Preguntas para el debate",
        "title_page": "Portada",
        "imprint": "Créditos",
        "cover": "Cubierta",
        "published": "Publicado",
        "updated": "Actualizado",
        "course": "Curso",
        "edition": "Edición",
        "license": "Licencia",
        "publisher": "Editorial",
        "identifier": "Identificador",
        "full_text": "Texto completo",
        "cited_in": "Citado en",
        "note": "nota",
        "notes_plural": "notas",
        "and": "y",
        "page_abbr": "p.",
        "pages_abbr": "pp.",
        "cited_on": "Citado en",
        "back_to_text": "Volver al texto",
        "note_label": "Nota",
        "made_with": "Hecho con coursebook",
        "landmarks": "Puntos de referencia",
        "pages": "Páginas",
        "note_continued": "Véase el final de esta lección",
    },
    "pt": _EN
    | {
        "contents": "Sumário",
        "lesson": "Lição",
        "chapter": "Capítulo",
        "notes": "Notas",
        "sources": "Fontes",
        "questions": "Questões para debate",
        "title_page": "Folha de rosto",
        "imprint": "Créditos",
        "cover": "Capa",
        "published": "Publicado",
        "updated": "Atualizado",
        "course": "Curso",
        "edition": "Edição",
        "license": "Licença",
        "publisher": "Editora",
        "identifier": "Identificador",
        "full_text": "Texto completo",
        "cited_in": "Citado em",
        "note": "nota",
        "notes_plural": "notas",
        "and": "e",
        "page_abbr": "p.",
        "pages_abbr": "pp.",
        "cited_on": "Citado em",
        "back_to_text": "Voltar ao texto",
        "note_label": "Nota",
        "made_with": "Feito com coursebook",
        "landmarks": "Pontos de referência",
        "pages": "Páginas",
        "note_continued": "Veja o final desta lição",
    },
    "fr": _EN
    | {
        "contents": "Table des matières",
        "lesson": "Leçon",
        "chapter": "Chapitre",
        "notes": "Notes",
        "sources": "Sources",
        "questions": "Questions pour la discussion",
        "title_page": "Page de titre",
        "imprint": "Mentions légales",
        "cover": "Couverture",
        "published": "Publié",
        "updated": "Mis à jour",
        "course": "Cours",
        "edition": "Édition",
        "license": "Licence",
        "publisher": "Éditeur",
        "identifier": "Identifiant",
        "full_text": "Texte intégral",
        "cited_in": "Cité dans",
        "note": "note",
        "notes_plural": "notes",
        "and": "et",
        "page_abbr": "p.",
        "pages_abbr": "p.",
        "cited_on": "Cité",
        "back_to_text": "Retour au texte",
        "note_label": "Note",
        "made_with": "Réalisé avec coursebook",
        "landmarks": "Repères",
        "pages": "Pages",
        "note_continued": "Voir la fin de cette leçon",
    },
    "de": _EN
    | {
        "contents": "Inhalt",
        "lesson": "Lektion",
        "chapter": "Kapitel",
        "notes": "Anmerkungen",
        "sources": "Quellen",
        "questions": "Fragen zur Diskussion",
        "title_page": "Titelseite",
        "imprint": "Impressum",
        "cover": "Umschlag",
        "published": "Veröffentlicht",
        "updated": "Aktualisiert",
        "course": "Kurs",
        "edition": "Auflage",
        "license": "Lizenz",
        "publisher": "Verlag",
        "identifier": "Kennung",
        "full_text": "Volltext",
        "cited_in": "Zitiert in",
        "note": "Anmerkung",
        "notes_plural": "Anmerkungen",
        "and": "und",
        "page_abbr": "S.",
        "pages_abbr": "S.",
        "cited_on": "Zitiert auf",
        "back_to_text": "Zurück zum Text",
        "note_label": "Anmerkung",
        "made_with": "Erstellt mit coursebook",
        "landmarks": "Orientierungspunkte",
        "pages": "Seiten",
        "note_continued": "Siehe das Ende dieser Lektion",
    },
    "it": _EN
    | {
        "contents": "Indice",
        "lesson": "Lezione",
        "chapter": "Capitolo",
        "notes": "Note",
        "sources": "Fonti",
        "questions": "Domande per la discussione",
        "title_page": "Frontespizio",
        "imprint": "Colophon",
        "cover": "Copertina",
        "published": "Pubblicato",
        "updated": "Aggiornato",
        "course": "Corso",
        "edition": "Edizione",
        "license": "Licenza",
        "publisher": "Editore",
        "identifier": "Identificativo",
        "full_text": "Testo completo",
        "cited_in": "Citato in",
        "note": "nota",
        "notes_plural": "note",
        "and": "e",
        "page_abbr": "p.",
        "pages_abbr": "pp.",
        "cited_on": "Citato a",
        "back_to_text": "Torna al testo",
        "note_label": "Nota",
        "made_with": "Realizzato con coursebook",
        "landmarks": "Punti di riferimento",
        "pages": "Pagine",
        "note_continued": "Vedi la fine di questa lezione",
    },
}

# Quotation marks per language: (left double, right double, left single, right single).
_QUOTES = {
    "en": ("“", "”", "‘", "’"),
    "es": ("«", "»", "“", "”"),
    "pt": ("“", "”", "‘", "’"),
    "fr": ("«\u202f", "\u202f»", "“", "”"),
    "de": ("„", "“", "‚", "‘"),
    "it": ("«", "»", "“", "”"),
}


def base_language(tag: str) -> str:
    return tag.split("-")[0].lower()


def labels_for(language: str) -> Mapping[str, str]:
    """The words for ``language``; English when coursebook has none for it."""
    return LABELS.get(base_language(language), _EN)


def has_labels(language: str) -> bool:
    return base_language(language) in LABELS


def smarty_substitutions(language: str) -> dict[str, str]:
    """Characters (not entities, which are fatal in XHTML) for Python-Markdown's smarty."""
    ldq, rdq, lsq, _ = _QUOTES.get(base_language(language), _QUOTES["en"])
    return {
        "left-double-quote": ldq,
        "right-double-quote": rdq,
        "left-single-quote": lsq,
        # smarty uses this one for apostrophes too, and an apostrophe is always ’.
        "right-single-quote": "’",
        "left-angle-quote": "«",
        "right-angle-quote": "»",
        "ndash": "–",
        "mdash": "—",
        "ellipsis": "…",
    }


_RTL = frozenset({"ar", "arc", "dv", "fa", "he", "ks", "ku", "ps", "sd", "ug", "ur", "yi"})


def direction(language: str) -> str:
    """``rtl`` for languages written right to left, else ``ltr``."""
    return "rtl" if base_language(language) in _RTL else "ltr"
