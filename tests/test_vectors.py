"""Queries answered with numpy (brain.search.vectors): the same matches and scores as Whoosh's
own matchers, in one segment and in several, with deleted documents; and the decoded postings
it keeps, which stay within their bound and follow new segments."""

from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import query as q
from whoosh.fields import ID, TEXT, Schema
from whoosh.index import create_in

from brain.recent import MISSING, Recent
from brain.search import vectors

WORDS = [
    "coop",
    "fund",
    "loan",
    "group",
    "market",
    "fair",
    "trade",
    "tontine",
    "savings",
    "women",
    "rural",
    "credit",
    "union",
]


@pytest.fixture
def index(tmp_path):
    """Three segments of 300 random short texts, a few documents deleted."""
    schema = Schema(key=ID(stored=True, unique=True), body=TEXT, title=TEXT)
    made = create_in(tmp_path, schema)
    chance = random.Random(7)
    number = 0
    for _segment in range(3):
        writer = made.writer()
        for _ in range(100):
            words = chance.choices(WORDS, k=chance.randint(1, 12))
            title = chance.choices(WORDS, k=2)
            writer.add_document(key=str(number), body=" ".join(words), title=" ".join(title))
            number += 1
        writer.commit(merge=False)
    writer = made.writer()
    for gone in (3, 150, 299):
        writer.delete_by_term("key", str(gone))
    writer.commit(merge=False)
    return made


def _queries():
    body = [q.Term("body", word) for word in WORDS]
    title = [q.Term("title", word) for word in WORDS]
    return [
        body[0],
        q.Or([body[1], body[2], title[3]]),
        q.And([body[0], body[4]]),
        q.And([q.Or([body[5], title[5]]), q.Or([body[6], body[7]])]),
        q.AndMaybe(body[3], q.Or([body[8], title[9]])),
        q.Or([q.And([body[0], body[1]]), q.And([body[2], title[2]])], boost=2.0),
        q.And([body[0], q.Term("body", "nowhere")]),
        q.Term("missing_field", "coop"),
    ]


@pytest.mark.parametrize("number", range(len(_queries())))
def test_matches_and_scores_are_whooshs(index, number):
    query = _queries()[number]
    with index.searcher() as searcher:
        theirs = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
        vectors.forget_decoded()
        found = vectors.search(searcher, query, limit=10_000)
        again = vectors.search(searcher, query, limit=10_000)  # from the decoded postings
        matching = vectors.matching(searcher, query)
    assert found.total == len(theirs) == len(found.docnums)
    assert set(found.docnums) == set(theirs) == set(matching.tolist())
    assert again == found
    # Best first, ties in document order, and each score Whoosh's (to rounding).
    ranked = sorted(theirs, key=lambda docnum: (-round(theirs[docnum], 9), docnum))
    assert found.docnums == ranked


def test_and_not_is_the_first_part_without_the_second(index):
    """(Whoosh's own AndNot matcher keeps a document with both words when it skips between
    segments: the reference here is its two parts.)"""
    wanted, unwanted = (
        q.Or([q.Term("body", "fund"), q.Term("title", "coop")]),
        q.Term("body", "loan"),
    )
    with index.searcher() as searcher:
        first = {hit.docnum: hit.score for hit in searcher.search(wanted, limit=None)}
        second = {hit.docnum for hit in searcher.search(unwanted, limit=None)}
        found = vectors.search(searcher, q.AndNot(wanted, unwanted), limit=10_000)
    expected = {docnum: score for docnum, score in first.items() if docnum not in second}
    assert found.total == len(expected) and set(found.docnums) == set(expected)
    assert found.docnums == sorted(expected, key=lambda d: (-round(expected[d], 9), d))


def test_decoded_postings_stay_within_their_bound_and_are_read_only(index):
    kept = Recent(10 * 16 * 100, weigh=vectors._decoded.weigh)  # ten terms of 100 postings
    for number in range(25):
        kept.put(("segment", "body", number), (np.arange(100), np.ones(100)))
        assert kept.size <= kept.limit
    assert kept.get(("segment", "body", 0)) is MISSING  # the least recently used went first
    assert kept.get(("segment", "body", 24)) is not MISSING
    assert kept.size == sum(i.nbytes + w.nbytes for i, w in kept.entries.values())
    kept.put(("segment", "body", 24), (np.arange(10), np.ones(10)))  # kept again, smaller
    assert kept.size == sum(i.nbytes + w.nbytes for i, w in kept.entries.values())
    vectors.forget_decoded()
    with index.searcher() as searcher:
        vectors.search(searcher, q.Term("body", "coop"), limit=10)
    assert vectors._decoded.entries
    for ids, weights in vectors._decoded.entries.values():  # shared between threads
        assert not ids.flags.writeable and not weights.flags.writeable


def test_a_new_segment_is_read_not_taken_for_an_older_one(index):
    term = q.Term("body", "tontine")
    with index.searcher() as searcher:
        before = vectors.search(searcher, term, limit=10_000).total
    writer = index.writer()
    writer.add_document(key="new", body="tontine tontine", title="fund")
    writer.commit(merge=False)
    with index.searcher() as searcher:
        assert vectors.search(searcher, term, limit=10_000).total == before + 1
    writer = index.writer()
    writer.commit(optimize=True)  # one merged segment, with a new name
    with index.searcher() as searcher:
        assert vectors.search(searcher, term, limit=10_000).total == before + 1
