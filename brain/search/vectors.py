"""Queries answered a block of postings at a time, with numpy.

Whoosh finds and scores matches one document at a time in Python (~5 µs each): a word found in
a third of 100,000 posts cost 60–80 ms before the first result, and its top-20 optimisation
(skipping blocks that cannot make the top) hardly skips anything for common words. Here each
term's postings are decoded block by block into arrays, scored with the same BM25F formula
and statistics as Whoosh (so the ranking is Whoosh's), and the query's tree (And, Or, AndMaybe,
AndNot) becomes arithmetic on one array per segment. A phrase (or words near each other) is
the And of its words, then checked on the line of words of each post that has them all
(brain.search.sequences), and only of those the rest of an And already matched. Other parts
(ranges) are matched by Whoosh's matchers.

What this gives besides speed: the total is exact (a count of the array, no second pass), the
permission filter and mask are arrays built once per searcher and board list, and the posts'
lengths and dates are read from their columns once per segment, not once per match.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np
from whoosh import query as q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from brain.recent import MISSING, Recent
from brain.search import sequences
from brain.search.sequences import SEQUENCE_COLUMN
from brain.search.shown import SHOWN_COLUMN, Shown, decode, from_stored

# Field lengths are kept as one byte (Whoosh's length_to_byte); 0 means no length.
_LENGTHS = np.array([byte_to_length(b) if b else 1 for b in range(256)], dtype=np.float64)


@dataclass
class Found:
    docnums: list[int]  # the page's documents, best (or newest) first, as the searcher numbers
    total: int  # every match, exactly


class _Leaf:
    """One segment of a searcher, with what is read from it once."""

    def __init__(self, searcher, offset: int):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.offset = offset
        self.size = self.reader.doc_count_all()
        self._lengths: dict[str, np.ndarray] = {}
        self._columns: dict[str, np.ndarray] = {}
        self._live: np.ndarray | None = None
        self._lines = None
        self._shown = None

    def lines(self):
        """docnum → the document's line of words (brain.search.sequences), or None when the
        segment was written before the column existed."""
        if self._lines is None and self.reader.has_column(SEQUENCE_COLUMN):
            column = self.reader.column_reader(SEQUENCE_COLUMN, translate=False)
            self._lines = column.__getitem__  # one read of the file (pread) a line
        return self._lines

    def shown(self, docnum: int) -> Shown:
        """What a result shows of the document *docnum* (numbered within the segment)."""
        if self._shown is None:
            self._shown = _no_value
            if self.reader.has_column(SHOWN_COLUMN):
                column = self.reader.column_reader(SHOWN_COLUMN, translate=False)
                self._shown = column.__getitem__  # one read of the file (pread) a value
        value = self._shown(docnum)
        # Written before the column existed, its stored fields have it (a segment merged
        # since then has the column, empty for such a document).
        return decode(value) if value else from_stored(self.reader.stored_fields(docnum))

    def live(self) -> np.ndarray:
        """True for each document not deleted."""
        if self._live is None:
            live = np.ones(self.size, dtype=bool)
            if self.reader.has_deletions():
                deleted = np.fromiter(self.reader._perdoc.deleted_docs(), dtype=np.int64)
                live[deleted[deleted < self.size]] = False
            self._live = live
        return self._live

    def lengths(self, fieldname: str) -> np.ndarray:
        if fieldname not in self._lengths:
            column = _lengths_column(self.reader, fieldname)
            self._lengths[fieldname] = _LENGTHS[self._bytes(column, np.uint8)]
        return self._lengths[fieldname]

    def column(self, name: str) -> np.ndarray:
        if name not in self._columns:
            reader = None
            if self.reader.has_column(name):  # the stored numbers, not Python values
                reader = self.reader.column_reader(name, translate=False)
            if reader is None:
                values = np.zeros(self.size, dtype=np.int64)
            else:
                values = self._bytes(reader, None)
            self._columns[name] = values
        return self._columns[name]

    def _bytes(self, column, dtype) -> np.ndarray:
        """A fixed-size numeric column as an array, read in one piece when it can be."""
        size = self.size
        if column is None:
            return np.zeros(size, dtype=dtype or np.int64)
        typecode = getattr(column, "_typecode", None)
        if typecode is not None and hasattr(column, "_basepos"):
            width = column._fixedlen
            count = min(column._count, size)
            raw = column._dbfile.get(column._basepos, count * width) if count else b""
            values = np.frombuffer(raw, dtype=np.dtype(">" + typecode)).astype(dtype or np.int64)
            if count < size:
                values = np.concatenate(
                    [values, np.full(size - count, column._default, dtype=values.dtype)]
                )
            return values
        return np.fromiter((column[n] for n in range(size)), dtype=dtype or np.int64, count=size)


def _lengths_column(reader, fieldname: str):
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    perdoc = getattr(reader, "_perdoc", None)  # Whoosh's per-document reader of the segment
    if perdoc is None:
        return None
    return perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)


# Terms' postings decoded lately, by segment, field and term, shared by the threads of a
# process up to 32 MB. A segment's postings never change (deletions are kept apart,
# ``_Leaf.live``; a merge makes a new segment), so what is kept stays right. Decoding is most of
# a search of common words (a word in a third of 100,000 posts: ~230 blocks, each decompressed
# and unpacked), and the same common words come back in search after search; the arrays it
# made also pushed the rest of the page's work out of the processor's caches.
_decoded = Recent(32 * 1024 * 1024, weigh=lambda found: found[0].nbytes + found[1].nbytes)


def forget_decoded() -> None:
    """Drop the decoded postings (for measuring a search of words nobody searched lately)."""
    _decoded.clear()


def _postings(reader, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers and weights in one segment (read-only arrays)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:  # not one segment's reader (an empty index): read each time
        return _read_postings(reader, fieldname, text)
    key = (segment.segment_id(), fieldname, text)
    found = _decoded.get(key)
    if found is MISSING:
        found = _read_postings(reader, fieldname, text)
        for array in found:
            array.setflags(write=False)  # shared between threads: nobody may change them
        _decoded.put(key, found)
    return found


def _read_postings(reader, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return np.empty(0, dtype=np.int64), np.empty(0)
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        ids, weights = [], []
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            deltas, block_weights = matcher._data[0], matcher._data[1]
            count = matcher._blocklength
            ids.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
            if block_weights is None:
                weights.append(np.ones(count))
            elif isinstance(block_weights, float):
                weights.append(np.full(count, block_weights))
            else:
                weights.append(np.asarray(block_weights, dtype=np.float64))
            matcher._next_block()
        if not ids:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(ids), np.concatenate(weights)
    listed, weights = [], []
    while matcher.is_active():
        listed.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(listed, dtype=np.int64), np.asarray(weights, dtype=np.float64)


# A node's matches in one segment: their document numbers, ascending, and their scores.
_Matches = tuple[np.ndarray, np.ndarray]
_NO_IDS = np.empty(0, dtype=np.int64)
_NO_SCORES = np.empty(0)


class _Evaluation:
    """One query over one searcher: each node gives, per segment, its matches (``_Matches``).

    Only the matches are held, not an array over the whole segment per node: a query of a few
    words in six languages' fields is a few dozen nodes, and at 100,000 posts their arrays were
    tens of megabytes written and read for each search, which pushed the rest of the page's
    work out of the processor's caches (the page after the search cost 1–2 ms more)."""

    def __init__(self, searcher, leaves: list[_Leaf], scored: bool = True):
        self.searcher = searcher
        self.leaves = leaves
        self.scored = scored
        weighting = searcher.weighting
        self.bm25 = weighting if isinstance(weighting, BM25F) else None

    def node(self, query: q.Query, leaf: _Leaf) -> _Matches:
        kind = type(query)
        if kind is q.Term:
            return self._term(query, leaf)
        if kind is q.Or and not query.minmatch and not query.scale:
            return self._any(query, leaf)
        if kind is q.And:
            return self._every(query, leaf)
        if kind is q.AndMaybe:
            ids, scores = self.node(query.a, leaf)
            more_ids, more = self.node(query.b, leaf)
            _common, mine, theirs = np.intersect1d(
                ids, more_ids, assume_unique=True, return_indices=True
            )
            scores = scores.copy()
            scores[mine] += more[theirs]
            return ids, self._boosted(query, scores)
        if kind is q.AndNot:
            ids, scores = self.node(query.a, leaf)
            unwanted, _scores = self.node(query.b, leaf)
            kept = ~np.isin(ids, unwanted, assume_unique=True)
            return ids[kept], self._boosted(query, scores[kept])
        if query is q.NullQuery or kind is type(q.NullQuery):
            return _NO_IDS, _NO_SCORES
        return self._positional(query, leaf)

    def _positional(self, query: q.Query, leaf: _Leaf, within: np.ndarray | None = None):
        if isinstance(query, q.Phrase):
            return self._phrase(query, leaf, within)
        return self._by_whoosh(query, leaf, within)

    def _phrase(self, query: q.Phrase, leaf: _Leaf, within: np.ndarray | None = None):
        """The posts that have every word (scored as their sum, as Whoosh's phrase matcher
        scores), kept where the words come in order, at most query.slop apart."""
        words = tuple(query.words)
        ids, scores = self._every(q.And([q.Term(query.fieldname, word) for word in words]), leaf)
        if within is not None:
            inside = np.isin(ids, within, assume_unique=True)
            ids, scores = ids[inside], scores[inside]
        if len(ids):
            lines = leaf.lines()
            if lines is None:  # a segment written before the column existed
                return _NO_IDS, _NO_SCORES
            holds = sequences.finder(words, query.slop)
            kept = np.fromiter((holds(lines(n)) for n in ids.tolist()), dtype=bool, count=len(ids))
            ids, scores = ids[kept], scores[kept]
        return ids, self._boosted(query, scores)

    def _boosted(self, query: q.Query, scores: np.ndarray) -> np.ndarray:
        return scores * query.boost if query.boost != 1.0 else scores

    def _any(self, query: q.Or, leaf: _Leaf) -> _Matches:
        """The documents any part matches, each scored with the sum of its parts' scores
        (added in the parts' order, as one array per segment added them before)."""
        found = [
            part for part in (self.node(sub, leaf) for sub in query.subqueries) if len(part[0])
        ]
        if not found:
            return _NO_IDS, _NO_SCORES
        if len(found) == 1:
            ids, scores = found[0]
        else:
            every = np.concatenate([ids for ids, _scores in found])
            ids, where = np.unique(every, return_inverse=True)
            scores = np.bincount(
                where,
                weights=np.concatenate([scores for _ids, scores in found]),
                minlength=len(ids),
            )
        return ids, self._boosted(query, scores)

    def _every(self, query: q.And, leaf: _Leaf) -> _Matches:
        """The documents every part matches, scored with the sum of the parts' scores."""
        ids, scores = None, None
        for part in sorted(query.subqueries, key=self._cost(leaf)):
            if ids is not None and _by_positions(part):
                # Checked only where the rest of the And already matched.
                more_ids, more = self._positional(part, leaf, within=ids)
            else:
                more_ids, more = self.node(part, leaf)
            if ids is None:
                ids, scores = more_ids, more
            else:
                _common, mine, theirs = np.intersect1d(
                    ids, more_ids, assume_unique=True, return_indices=True
                )
                ids, scores = ids[mine], scores[mine] + more[theirs]
            if not len(ids):  # a word missing from this segment: nothing more to read
                return _NO_IDS, _NO_SCORES
        if ids is None:
            return _NO_IDS, _NO_SCORES
        return ids, self._boosted(query, scores)

    def _cost(self, leaf: _Leaf):
        """For an And: its words rarest first, so a word this segment lacks stops it first."""

        def cost(part: q.Query) -> float:
            if type(part) is not q.Term or part.fieldname not in self.searcher.schema:
                return float("inf")
            try:
                text = self.searcher.schema[part.fieldname].to_bytes(part.text)
                return leaf.reader.doc_frequency(part.fieldname, text)
            except ValueError:
                return 0

        return cost

    def _term(self, query: q.Term, leaf: _Leaf) -> _Matches:
        fieldname = query.fieldname
        schema = self.searcher.schema
        if fieldname not in schema:
            return _NO_IDS, _NO_SCORES
        field = schema[fieldname]
        try:
            text = field.to_bytes(query.text)
        except ValueError:
            return _NO_IDS, _NO_SCORES
        ids, weights = _postings(leaf.reader, fieldname, text)
        inside = ids < leaf.size
        ids, weights = ids[inside], weights[inside]
        if not len(ids):
            return _NO_IDS, _NO_SCORES
        if not self.scored:
            return ids, np.zeros(len(ids))
        if field.scorable and self.bm25 is not None:
            top = self.searcher
            idf = top.idf(fieldname, text)
            average = top.avg_field_length(fieldname) or 1
            b = self.bm25._field_B.get(fieldname, self.bm25.B)
            k1 = self.bm25.K1
            lengths = leaf.lengths(fieldname)[ids]
            scores = idf * (weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average))
        else:
            scores = weights
        return ids, self._boosted(query, scores)

    def _by_whoosh(self, query: q.Query, leaf: _Leaf, within: np.ndarray | None = None):
        """A part this module does not take apart (ranges, prefixes): Whoosh's own matcher,
        which visits only the documents that can match (and, given *within*, only those)."""
        matcher = query.matcher(
            leaf.searcher, leaf.searcher.boolean_context() if not self.scored else None
        )
        ids, values = [], []
        if within is not None:
            for candidate in within.tolist():
                if not matcher.is_active():
                    break
                if matcher.id() < candidate:
                    matcher.skip_to(candidate)
                    if not matcher.is_active():
                        break
                if matcher.id() == candidate:
                    ids.append(candidate)
                    if self.scored:
                        values.append(matcher.score())
        while within is None and matcher.is_active():
            ids.append(matcher.id())
            if self.scored:
                values.append(matcher.score())
            matcher.next()
        if not ids:
            return _NO_IDS, _NO_SCORES
        found = np.asarray(ids, dtype=np.int64)
        scores = np.asarray(values, dtype=np.float64) if self.scored else np.zeros(len(ids))
        return found, scores


def _by_positions(query: q.Query) -> bool:
    """Whether *query* is one this module leaves to Whoosh's matchers."""
    return type(query) not in (q.Term, q.Or, q.And, q.AndMaybe, q.AndNot) and not (
        query is q.NullQuery or type(query) is type(q.NullQuery)
    )


_CACHE = threading.local()


def _leaves(searcher) -> list[_Leaf]:
    """The searcher's segments, remembered with it (its lifetime is one snapshot)."""
    cache = getattr(_CACHE, "leaves", None)
    if cache is None:
        cache = _CACHE.leaves = weakref.WeakKeyDictionary()
    found = cache.get(searcher)
    if found is None:
        found = cache[searcher] = [_Leaf(sub, offset) for sub, offset in searcher.leaf_searchers()]
    return found


def _restriction(searcher, leaves: list[_Leaf], query: q.Query | None) -> list | None:
    """*query* (a filter or a mask) as one array per segment, kept with the searcher: the same
    board list asks for the same arrays at every search."""
    if query is None:
        return None
    cache = getattr(_CACHE, "masks", None)
    if cache is None:
        cache = _CACHE.masks = weakref.WeakKeyDictionary()
    kept = cache.setdefault(searcher, {})
    if query not in kept:
        if len(kept) > 32:
            kept.clear()
        evaluation = _Evaluation(searcher, leaves, scored=False)
        masks = []
        for leaf in leaves:
            mask = np.zeros(leaf.size, dtype=bool)
            mask[evaluation.node(query, leaf)[0]] = True
            masks.append(mask)
        kept[query] = masks
    return kept[query]


def search(
    searcher,
    query: q.Query,
    limit: int,
    wanted: q.Query | None = None,
    mask: q.Query | None = None,
    newest_first: bool = False,
) -> Found:
    """The first *limit* matches of *query* (best first, or newest first), among documents
    matching *wanted* and not *mask*, and how many match in all."""
    leaves = _leaves(searcher)
    allowed = _restriction(searcher, leaves, wanted)
    hidden = _restriction(searcher, leaves, mask)
    evaluation = _Evaluation(searcher, leaves)
    docnums, keys = [], []
    for n, leaf in enumerate(leaves):
        ids, scores = evaluation.node(query, leaf)
        kept = leaf.live()[ids]
        if allowed is not None:
            kept &= allowed[n][ids]
        if hidden is not None:
            kept &= ~hidden[n][ids]
        found = ids[kept]
        docnums.append(found + leaf.offset)
        keys.append(leaf.column("created")[found] if newest_first else scores[kept])
    if not docnums:
        return Found([], 0)
    docnums_all = np.concatenate(docnums)
    keys_all = np.concatenate(keys)
    total = len(docnums_all)
    if total > limit:
        # The limit-th best key, then everything better and the ties in document order.
        cut = np.partition(keys_all, total - limit)[total - limit]
        chosen = keys_all >= cut
        docnums_all, keys_all = docnums_all[chosen], keys_all[chosen]
    order = np.lexsort((docnums_all, -keys_all))[:limit]
    return Found([int(d) for d in docnums_all[order]], total)


def matching(searcher, query: q.Query) -> np.ndarray:
    """Every live document matching *query*, unscored, as the searcher numbers them."""
    leaves = _leaves(searcher)
    evaluation = _Evaluation(searcher, leaves, scored=False)
    found = []
    for leaf in leaves:
        ids = evaluation.node(query, leaf)[0]
        found.append(ids[leaf.live()[ids]] + leaf.offset)
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _no_value(_docnum: int) -> bytes:
    return b""


def shown(searcher, docnums: list[int]) -> list[Shown]:
    """What a result shows of each of *docnums* (as the searcher numbers them)."""
    leaves = _leaves(searcher)
    starts = [leaf.offset for leaf in leaves]
    found = []
    for docnum in docnums:
        leaf = leaves[bisect_right(starts, docnum) - 1]
        found.append(leaf.shown(docnum - leaf.offset))
    return found


def column(searcher, name: str, docnums: np.ndarray) -> np.ndarray:
    """A numeric column's values for *docnums* (as the searcher numbers them)."""
    leaves = _leaves(searcher)
    values = np.zeros(len(docnums), dtype=np.int64)
    for leaf in leaves:
        inside = (docnums >= leaf.offset) & (docnums < leaf.offset + leaf.size)
        if inside.any():
            values[inside] = leaf.column(name)[docnums[inside] - leaf.offset]
    return values
