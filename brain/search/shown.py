"""What a search result shows of a post, read from the index in one piece.

A page of results needs, for each of its twenty hits, the post's id, its language and its text
(for the excerpt). Whoosh's stored fields keep them with the other stored values, pickled and
compressed together: reading one post's was ~15 µs (a read, zlib, unpickling every value), and
a third of a new search page's own work. Here they are one column value a post, written as
they are read, with the post's words by index term (brain.search.excerpts.forms, found when
the post is indexed, so an excerpt need not analyse the text):
``id \\x1f language \\x1f forms \\x1f text`` in UTF-8, one read of the column's file (~2 µs).

The text is no longer stored twice: documents written with the column have none in their
stored fields. A segment written before the column existed is read from its stored fields, as
before, until it is merged away or the index is rebuilt.
"""

from __future__ import annotations

from typing import NamedTuple

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN

from brain.search import excerpts

SHOWN_COLUMN = "shown"
_SEPARATOR = b"\x1f"  # never in an id, a language nor a word; the text, last, may hold anything


class Shown(NamedTuple):
    post_id: int
    language: str
    text: str
    forms: str | None = None  # the text's words by index term; None: not kept


def encode(shown: Shown) -> bytes:
    forms = shown.forms if shown.forms is not None else excerpts.forms(shown.text, shown.language)
    head = f"{int(shown.post_id)}\x1f{shown.language}\x1f{forms}\x1f".encode()
    # A lone surrogate (any text a browser sent) is kept as it is, not refused.
    return head + shown.text.encode("utf-8", "surrogatepass")


def decode(value: bytes) -> Shown:
    post_id, language, forms, text = value.split(_SEPARATOR, 3)
    return Shown(
        int(post_id),
        language.decode(),
        text.decode("utf-8", "surrogatepass"),
        forms.decode("utf-8", "surrogatepass"),
    )


def from_stored(stored: dict) -> Shown:
    """The same, from the stored fields of a document written before the column existed."""
    return Shown(int(stored["post_id"]), stored.get("language", "und"), stored.get("text", ""))


class ShownColumn(COLUMN):
    """The column field: given (post id, language, text), keeps them encoded with the text's
    words by index term."""

    def __init__(self):
        # Each value's place written with the column (Whoosh adds the places past 32,768
        # values only): a segment's reader, made anew with each searcher, then reads them in
        # one piece instead of adding up every value's length in Python (~1 ms at 30,000).
        super().__init__(VarBytesColumn(write_offsets_cutoff=0))

    def to_column_value(self, value):
        return value if isinstance(value, bytes) else encode(Shown(*value))
