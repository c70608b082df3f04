"""The PostgreSQL backend's tables (made by migration 0016, on PostgreSQL only) and a post's
row in ``search_posts``: what the Whoosh backend keeps as a document (brain.search.index), with
the words as a ``tsvector`` (brain.search.postgres_terms)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from brain.models import Post
from brain.search import concepts, excerpts, glossary
from brain.search.analysis import ANALYSIS_VERSION, ANALYSIS_VERSIONS
from brain.search.index import cooperation_tokens, text_of
from brain.search.postgres_terms import vector
from brain.search.schema import language_of

# Not in db.metadata: the tables exist on PostgreSQL only (migration 0016), and SQLite's
# create_all and the tests' emptying of tables must not see them.
metadata = MetaData()
search_posts = Table(
    "search_posts",
    metadata,
    Column("post_id", Integer, primary_key=True),
    Column("topic_id", Integer, nullable=False),
    Column("board_id", Integer, nullable=False),
    Column("language", String(8), nullable=False),  # the post's, as written
    Column("author", String(64), nullable=False),  # username_key
    Column("created", DateTime, nullable=False),  # naive UTC
    Column("opening", Boolean, nullable=False),
    Column("cooperation", Boolean, nullable=False),  # the opening post of a Meeting Point topic
    Column("details", Text),  # cooperation_tokens(): "kind:offer theme:… sdg:8"
    Column("words", TSVECTOR, nullable=False),
    Column("text", Text, nullable=False),  # title and body as text, for excerpts
    # The text's words by index term (brain.search.excerpts.forms; migration 0019): NULL in
    # rows written before, whose excerpts analyse the text.
    Column("forms", Text),
    Column("analysed", String(40), nullable=False),  # stamp(): the analysis that made words
)
# What the table's words were made with (stamp() of every language), to notice a new version.
search_state = Table(
    "search_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)


def stamp(language: str) -> str:
    """What a row's words depend on: the analysis of its language and the glossary."""
    version = ANALYSIS_VERSIONS.get(language, 1)
    return f"{language}.{ANALYSIS_VERSION}.{version}.{concepts.signature(glossary.GLOSSARY)}"


def document(post: Post) -> dict:
    """The row of *post* (its topic, author and cooperation loaded), words not yet analysed."""
    topic = post.topic
    body = text_of(post.body_html)
    language = language_of(post.language)
    cooperation = post.is_opening and topic.cooperation is not None
    return {
        "post_id": post.id,
        "topic_id": topic.id,
        "board_id": topic.board_id,
        "language": post.language,
        "author": post.author.username_key,
        "created": post.created_at.astimezone(UTC).replace(tzinfo=None),
        "opening": post.is_opening,
        "cooperation": cooperation,
        "details": " ".join(cooperation_tokens(topic.cooperation)) if cooperation else None,
        "text": f"{topic.title}\n{body}" if post.is_opening else body,
        "analysed": stamp(language),
        "_language": language,
    }


def with_words(row: dict) -> dict:
    """*row* with its text analysed: its words, and its words by index term (brain.search.
    excerpts.forms, analysed as its excerpts are: in the post's language as written)."""
    row = dict(row)
    row["words"] = vector(row["text"], row.pop("_language"))
    row["forms"] = excerpts.forms(row["text"], row["language"])
    return row


def _insert_into(table: str) -> str:
    # Only this module's two table names reach it.
    into = f"INSERT INTO {table}"
    return (
        into
        + """ (post_id, topic_id, board_id, language, author, created, opening,
                         cooperation, details, words, text, forms, analysed)
    VALUES (:post_id, :topic_id, :board_id, :language, :author, :created, :opening,
            :cooperation, :details, CAST(:words AS tsvector), :text, :forms, :analysed)
    """
    )


UPSERT = text(
    _insert_into("search_posts")
    + """
    ON CONFLICT (post_id) DO UPDATE SET
        topic_id = excluded.topic_id, board_id = excluded.board_id,
        language = excluded.language, author = excluded.author, created = excluded.created,
        opening = excluded.opening, cooperation = excluded.cooperation,
        details = excluded.details, words = excluded.words, text = excluded.text,
        forms = excluded.forms, analysed = excluded.analysed
    """
)

# A rebuild fills a table with no index (NEXT), indexes it once it is full and puts it in
# search_posts' place: a GIN index built at once is sorted in memory, where one that takes
# a million posts a row at a time merges its pending list into an ever larger index (255
# posts/s at 1,000,000 posts, 1,333/s at 100,000). What migration 0016 makes, by name.
NEXT = "search_posts_next"
CREATE_NEXT = f"CREATE TABLE {NEXT} (LIKE search_posts INCLUDING DEFAULTS)"
INSERT_NEXT = text(_insert_into(NEXT))
INDEX_NEXT = (
    f"ALTER TABLE {NEXT} ADD CONSTRAINT {NEXT}_pk PRIMARY KEY (post_id)",
    f"CREATE INDEX {NEXT}_words ON {NEXT} USING gin (words)",
    f"CREATE INDEX {NEXT}_cooperation_words ON {NEXT} USING gin (words) WHERE cooperation",
)
# With the posts locked against writes: the rows of posts removed while the rebuild read
# (their removal had nothing to cascade to) go, the key to the posts is made, and the table
# takes the name, its indexes and constraints the names, of the one it replaces.
SWAP_NEXT = (
    "LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE",
    f"DELETE FROM {NEXT} AS next WHERE NOT EXISTS "  # noqa: S608 (a constant name)
    f"(SELECT FROM posts WHERE posts.id = next.post_id)",
    f"ALTER TABLE {NEXT} ADD CONSTRAINT {NEXT}_fk FOREIGN KEY (post_id) "
    f"REFERENCES posts (id) ON DELETE CASCADE",
    "DROP TABLE search_posts",
    f"ALTER TABLE {NEXT} RENAME TO search_posts",
    f"ALTER TABLE search_posts RENAME CONSTRAINT {NEXT}_pk TO pk_search_posts",
    f"ALTER TABLE search_posts RENAME CONSTRAINT {NEXT}_fk TO fk_search_posts_post_id_posts",
    f"ALTER INDEX {NEXT}_words RENAME TO ix_search_posts_words",
    f"ALTER INDEX {NEXT}_cooperation_words RENAME TO ix_search_posts_cooperation_words",
)
