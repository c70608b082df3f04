"""The Whoosh schema: one text field per content language, so each post is analysed (stemmed,
stop-worded) as the language it is written in."""

from __future__ import annotations

from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from brain.i18n import content_language_codes
from brain.search.analysis import analyzer_for

LANGUAGES = tuple(content_language_codes())


def content_field(language: str) -> str:
    return f"content_{language if language in LANGUAGES else 'und'}"


def build_schema() -> Schema:
    fields = {
        "post_id": ID(stored=True, unique=True),
        "topic_id": ID(stored=True),
        "board_id": ID(stored=True),
        "author": ID(stored=True),
        "language": ID(stored=True),
        "created": DATETIME(stored=True, sortable=True),
        "opening": BOOLEAN(stored=True),
        # Plain text of the title (opening posts) and body, for highlighted excerpts.
        "text": STORED(),
        # Meeting Point details of an opening post: "kind:offer theme:cooperatives sdg:8 …".
        "coop": KEYWORD(lowercase=False, scorable=False),
    }
    for language in LANGUAGES:
        fields[content_field(language)] = TEXT(analyzer=analyzer_for(language), phrase=True)
    return Schema(**fields)
