"""Phrases and proximity, checked on each post's words in order instead of on positions kept
in the index.

A post's index words, in order, are kept in a column of the index (SEQUENCE_COLUMN), one
line of bytes a post: the words separated by spaces, and a bar between sentences
("cooper mov ledger | lesson member need train"). A phrase is then found in two steps: the
posts that have all its words, from the text field's postings (which keep no positions), and
among those, the ones whose line holds the words in order, each at most *slop* words after
the one before, in one sentence (a search for bytes when they are adjacent).

Keeping positions in the postings made every block of a common word's postings about fifteen
times costlier to read (each post's positions are decoded with it), and a phrase of two
common words read every block of both; the index was also written twice over (a field with
positions for phrases, one without for single words). A line costs one read of the column's
file and a search for bytes for each post that has all the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN

from brain.search.analysis import analysed

SEQUENCE_COLUMN = "sequence"
SENTENCE = b"|"


def line(words: list[tuple[str, int]]) -> bytes:
    """The column's value for a post whose index words are *words*, (word, position) in
    order (brain.search.analysis.analysed(): positions leap between sentences). Every word has
    a space on each side, so a phrase of adjacent words is one search for bytes."""
    parts: list[str] = []
    previous = None
    for word, position in words:
        if previous is not None and position != previous + 1:
            parts.append("|")
        parts.append(word)
        previous = position
    return f" {' '.join(parts)} ".encode() if parts else b""


class Lines(COLUMN):
    """The column field: given (text, language), keeps the text's line of words."""

    def __init__(self):
        # Each line's place written with the column, as brain.search.shown's (an index made
        # before keeps Whoosh's default: places past 32,768 lines only).
        super().__init__(VarBytesColumn(write_offsets_cutoff=0))

    def to_column_value(self, value):
        if isinstance(value, bytes):
            return value
        text, language = value
        return line(analysed(text, language))


@lru_cache(maxsize=2_000)
def finder(words: tuple[str, ...], slop: int) -> Callable[[bytes], bool]:
    """What tells whether a line holds *words* in order, each at most *slop* words after the
    one before (1: adjacent), never across a sentence's end."""
    encoded = [word.encode("utf-8") for word in words]
    if slop <= 1 or len(words) == 1:
        needle = b" " + b" ".join(encoded) + b" "
        return lambda found: needle in found
    first = b" " + encoded[0] + b" "
    between = rb"(?:[^ |]+ ){0,%d}" % (slop - 1)
    rest = re.compile(b"".join(between + re.escape(word) + b" " for word in encoded[1:])).match

    def holds(found: bytes) -> bool:
        at = found.find(first)
        while at >= 0:
            if rest(found, at + len(first)) is not None:
                return True
            at = found.find(first, at + 1)
        return False

    return holds
