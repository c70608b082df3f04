"""The Whoosh schema: one text field per content language, so each post is analysed (stemmed,
stop-worded) as the language it is written in.

The opening posts of the Meeting Point's cooperation posts are indexed a second time in
``meeting_*`` fields of their own. A Meeting Point search then walks postings of at most the
cooperation posts (a tenth of a forum or less) instead of every post's, and "more like this"
weighs words by how distinctive they are among cooperation posts."""

from __future__ import annotations

from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from brain.i18n import content_language_codes
from brain.search.analysis import analyzer_for

LANGUAGES = tuple(content_language_codes())


def _language(language: str) -> str:
    return language if language in LANGUAGES else "und"


def content_field(language: str) -> str:
    return f"content_{_language(language)}"


def meeting_field(language: str) -> str:
    return f"meeting_{_language(language)}"


MEETING_FIELDS = tuple(meeting_field(language) for language in LANGUAGES)


def build_schema() -> Schema:
    fields = {
        "post_id": ID(stored=True, unique=True),
        "topic_id": ID(stored=True),
        # The topic id again as a column: reading it for thousands of hits costs a lookup
        # each, where the stored fields would be unpickled whole (text included).
        "topic": COLUMN(NumericColumn("I")),
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
        analyzer = analyzer_for(language)
        fields[content_field(language)] = TEXT(analyzer=analyzer, phrase=True)
        fields[meeting_field(language)] = TEXT(analyzer=analyzer, phrase=True)
    return Schema(**fields)
