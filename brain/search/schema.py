"""The Whoosh schema: one text field per content language, so each post is analysed (stemmed,
stop-worded) as the language it is written in.

The opening posts of the Meeting Point's cooperation posts are indexed a second time in
``meeting_*`` fields of their own. A Meeting Point search then walks postings of at most the
cooperation posts (a tenth of a forum or less) instead of every post's, and "more like this"
weighs words by how distinctive they are among cooperation posts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from brain.i18n import content_language_codes
from brain.search.analysis import Replaying, analyzer_for
from brain.search.concepts import Tagging
from brain.search.sequences import SEQUENCE_COLUMN, Lines
from brain.search.shown import SHOWN_COLUMN, ShownColumn

LANGUAGES = tuple(content_language_codes())


def language_of(language: str) -> str:
    """The index's name for a post's language: one of LANGUAGES, or "und"."""
    return language if language in LANGUAGES else "und"


def content_field(language: str) -> str:
    return f"content_{language_of(language)}"


def meeting_field(language: str) -> str:
    return f"meeting_{language_of(language)}"


def concept_field(language: str) -> str:
    """The glossary concepts a post names (brain.search.concepts), in its language's field:
    searched like the text, a concept's posts in the typed language rank above the others'."""
    return f"concepts_{language_of(language)}"


def meeting_concept_field(language: str) -> str:
    return f"meeting_concepts_{language_of(language)}"


@dataclass(frozen=True)
class Fields:
    """Where a query looks, per language: the text (its words, without positions: phrases
    are checked on the sequence column, brain.search.sequences), and the concepts found in
    it."""

    text: Callable[[str], str]
    concepts: Callable[[str], str]


POSTS = Fields(content_field, concept_field)
MEETING = Fields(meeting_field, meeting_concept_field)


MEETING_FIELDS = tuple(
    name(language) for language in LANGUAGES for name in (meeting_field, meeting_concept_field)
)


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
        # What a result shows: the post's id, language and plain text (the title of an
        # opening post, and the body), for the excerpts (brain.search.shown).
        SHOWN_COLUMN: ShownColumn(),
        # The plain text of documents written before that column existed.
        "text": STORED(),
        # Each post's index words in order, for phrases (brain.search.sequences).
        SEQUENCE_COLUMN: Lines(),
        # Meeting Point details of an opening post: "kind:offer theme:cooperatives sdg:8 …".
        "coop": KEYWORD(lowercase=False, scorable=False),
    }
    for language in LANGUAGES:
        analyzer = analyzer_for(language)
        fields[content_field(language)] = TEXT(analyzer=Replaying(analyzer, language), phrase=False)
        fields[meeting_field(language)] = TEXT(analyzer=Replaying(analyzer, language), phrase=False)
        fields[concept_field(language)] = TEXT(analyzer=Tagging(language), phrase=False)
        fields[meeting_concept_field(language)] = TEXT(analyzer=Tagging(language), phrase=False)
    return Schema(**fields)
