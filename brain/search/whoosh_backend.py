"""The Whoosh backend: an index folder on this server (brain.search.index), queries read by
brain.search.query and scored with numpy (brain.search.vectors).

Each reading method reads one snapshot of the index from start to end, and raises
SearchUnavailable (logged here) when the index cannot be read at all.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from markupsafe import Markup
from sqlalchemy import Engine
from whoosh import query as q

from brain.search import concepts, excerpts, vectors
from brain.search.index import Indexer
from brain.search.interface import MAX_PAGE, PER_PAGE, Filters, Hit, Results, SearchUnavailable
from brain.search.query import build, parse
from brain.search.schema import MEETING, POSTS, Fields, meeting_field
from brain.search.shown import Shown

log = logging.getLogger(__name__)

MEETING_TEXT_LIMIT = 20_000
SIMILAR_KEY_TERMS = 6
SIMILAR_CANDIDATE_TERMS = 20
COMMON_TERM_SHARE = 0.02
COMMON_TERM_FLOOR = 20


class WhooshBackend:
    """Search through this server's Whoosh index, kept in step by its Indexer."""

    name = "whoosh"

    def __init__(self, directory: str, engine: Engine, mode: str = "thread"):
        self.indexer = Indexer(directory, engine, mode)

    @property
    def engine(self) -> Engine:
        return self.indexer.engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self.indexer.engine = engine

    @property
    def mode(self) -> str:
        return self.indexer.mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self.indexer.mode = mode

    @contextmanager
    def _reading(self) -> Iterator:
        """This thread's searcher, one snapshot for the whole block; any failure to read the
        index is logged and becomes SearchUnavailable, for the page to say so."""
        try:
            with self.indexer.reading() as searcher:
                yield searcher
        except SearchUnavailable:
            raise
        except Exception as error:
            log.exception("Reading the search index failed")
            raise SearchUnavailable from error

    # -- reading -------------------------------------------------------------------------

    def search(
        self,
        text: str,
        readable_board_ids: list[int],
        filters: Filters | None = None,
        page: int = 1,
        newest_first: bool = False,
        unreadable_board_ids: list[int] | None = None,
    ) -> Results:
        """Posts matching *text* in boards the searcher may read, best (or newest) first.
        Passing *unreadable_board_ids* (the other boards) lets the search mask those few
        instead of filtering on the many readable ones, which is much cheaper."""
        parsed = parse(text)
        query, expansions = build(parsed)
        results = Results(page=page, expansions=expansions, truncated=parsed.truncated)
        if query is None:
            results.empty_query = True
            return results
        page = max(1, min(page, MAX_PAGE))
        wanted, mask = _restrictions(readable_board_ids, unreadable_board_ids, filters or Filters())
        with self._reading() as searcher:
            found = vectors.search(
                searcher,
                query,
                page * PER_PAGE,
                wanted=wanted,
                mask=mask,
                newest_first=newest_first,
            )
            results.total = found.total
            results.pages = min(-(-results.total // PER_PAGE), MAX_PAGE)
            highlighted = _Highlighted(query)
            shown = vectors.shown(searcher, found.docnums[(page - 1) * PER_PAGE : page * PER_PAGE])
            results.hits = [Hit(each.post_id, _excerpt(each, highlighted)) for each in shown]
        return results

    def cooperation_topics(self, text: str) -> set[int] | None:
        """Cooperation posts whose opening post (title, description and details) matches
        *text*, at most MEETING_TEXT_LIMIT; None when *text* holds no searchable word.
        Unscored: the page lists by activity, so ranking every match would be wasted."""
        query, _expansions = build(parse(text), MEETING)
        if query is None:
            return None
        with self._reading() as searcher:
            topic_of = _topic_reader(searcher)
            found = vectors.matching(searcher, query)[:MEETING_TEXT_LIMIT]
            topics = vectors.column(searcher, "topic", found)
            # A segment written before the "topic" column existed has 0 there.
            older = {topic_of(int(docnum)) for docnum in found[topics == 0]}
            return set(topics[topics != 0].tolist()) | older

    def similar_cooperations(self, opening_post_id: int, limit: int = 150) -> dict[int, float]:
        """Cooperation posts whose opening text resembles this post's: topic id → score. The
        caller keeps those of the kinds and statuses it wants (in SQL, where that is cheap).

        "More like this" done cheaply: the post's few most distinctive words, searched in the
        Meeting Point's fields only. As in Lucene's MoreLikeThis, a word found in more than a
        small share of cooperation posts is left out: it says little about what a post is
        about, and matching it would walk thousands of postings."""
        with self._reading() as searcher:
            docnum = searcher.document_number(post_id=str(opening_post_id))
            if docnum is None:
                return {}
            (opening,) = vectors.shown(searcher, [docnum])
            fieldname = meeting_field(opening.language)
            kinds = searcher.reader().expand_prefix("coop", "kind:")  # each post has one kind
            posts = sum(searcher.doc_frequency("coop", kind) for kind in kinds)
            too_common = max(COMMON_TERM_FLOOR, COMMON_TERM_SHARE * posts)
            candidates = searcher.key_terms_from_text(
                fieldname, opening.text, numterms=SIMILAR_CANDIDATE_TERMS
            )
            key_terms = [
                word
                for word, _weight in candidates
                if searcher.doc_frequency(fieldname, word) <= too_common
            ][:SIMILAR_KEY_TERMS]
            if not key_terms:
                return {}
            hits = searcher.search(
                q.Or([q.Term(fieldname, word) for word in key_terms]), limit=limit, terms=False
            )
            topic_of = _topic_reader(searcher)
            return {topic_of(hit.docnum): hit.score for hit in hits if hit.docnum != docnum}

    # -- keeping in step: the Indexer's work ---------------------------------------------

    def notify(self) -> None:
        self.indexer.notify()

    def start(self) -> None:
        self.indexer.start()

    def pending(self) -> int:
        return self.indexer.pending()

    def drain(self, blocking: bool = False) -> int:
        return self.indexer.drain(blocking)

    def rebuild(self, progress: Callable[[int], None] | None = None, procs: int = 1) -> int:
        return self.indexer.rebuild(progress, procs)

    def check(self) -> dict[str, list[int]]:
        return self.indexer.check()

    def optimize(self) -> None:
        """Merge the index's segments into one."""
        self.indexer.optimize()

    def clear(self) -> None:
        self.indexer.clear()


def _restrictions(
    readable_board_ids: list[int], unreadable_board_ids: list[int] | None, filters: Filters
) -> tuple[q.Query | None, q.Query | None]:
    """(filter, mask) for Whoosh. Whoosh turns each into a set of document numbers at every
    search by walking postings, so the costly part is kept small: a searcher who may read
    every board gets no filter at all, one who may not gets the few unreadable boards masked
    (when they are known), and only the optional filters (a board, a language, an author,
    dates) become a filter."""
    parts: list[q.Query] = []
    mask = None
    if filters.board_ids is not None:
        allowed = [b for b in filters.board_ids if b in set(readable_board_ids)]
        parts.append(q.Or([q.Term("board_id", str(b)) for b in allowed] or [q.NullQuery]))
    elif unreadable_board_ids is None:
        boards = readable_board_ids
        parts.append(q.Or([q.Term("board_id", str(b)) for b in boards] or [q.NullQuery]))
    elif unreadable_board_ids:
        mask = q.Or([q.Term("board_id", str(b)) for b in unreadable_board_ids])
    if filters.language:
        parts.append(q.Term("language", filters.language))
    if filters.author_key:
        parts.append(q.Term("author", filters.author_key))
    if filters.since or filters.until:
        parts.append(q.DateRange("created", filters.since, filters.until))
    return (q.And(parts) if parts else None), mask


class _Highlighted:
    """The words to mark in a hit's text, per language: the query's words in that language's
    field, and the words of the glossary terms its concept tags stand for."""

    def __init__(self, query: q.Query, fields: Fields = POSTS):
        self._terms = [(name, text) for name, text in query.iter_all_terms() if text]
        self._fields = fields
        self._words: dict[str, frozenset[str]] = {}

    def __call__(self, language: str) -> frozenset[str]:
        if language not in self._words:
            fields = self._fields
            text_fields = {fields.text(language)}
            tag_field = fields.concepts(language)
            words: set[str] = set()
            for name, text in self._terms:
                text = text.decode("utf-8") if isinstance(text, bytes) else str(text)
                if name in text_fields:
                    words.add(text)
                elif name == tag_field:
                    words |= concepts.words_of(text, language)
            self._words[language] = frozenset(words)
        return self._words[language]


def _excerpt(shown: Shown, highlighted: _Highlighted) -> Markup:
    wanted = highlighted(shown.language)
    return excerpts.excerpt_or_beginning(shown.text, shown.language, wanted, shown.forms)


def _topic_reader(searcher):
    """docnum → topic id, from the "topic" column of each segment (a segment written before
    the column existed falls back to the stored fields). Whoosh's own reader over several
    segments misplaces documents when some segments lack the column, so each is read here."""
    leaves = searcher.leaf_searchers()
    offsets = [offset for _leaf, offset in leaves]
    columns = [
        leaf.reader().column_reader("topic") if leaf.reader().has_column("topic") else None
        for leaf, _offset in leaves
    ]

    def topic_of(docnum: int) -> int:
        n = bisect_right(offsets, docnum) - 1
        column = columns[n]
        found = column[docnum - offsets[n]] if column is not None else 0
        return found or int(searcher.stored_fields(docnum)["topic_id"])

    return topic_of
