"""Full-text search in PostgreSQL (``BRAIN_SEARCH_BACKEND=postgres``): the index is a table of
the database every application server shares, so any number of servers search and index.

What is found is what the Whoosh backend finds, because the same code decides it: each post is
analysed in Python by brain.search.analysis (stemming, stop words, accent folding and the
Arabic light stemmer, per post language) and tagged by brain.search.concepts, and a query is
read by brain.search.query (its own reader: words, "phrases", -exclusions, glossary
expansion). Only the matching, the ranking and the counting happen in PostgreSQL: the analysed
words become a ``tsvector`` and the query a ``tsquery`` (brain.search.postgres_terms), answered
by a GIN index and ranked by ``ts_rank``. When more posts match than a reader can page
through (CANDIDATES), the newest CANDIDATES are the ones ordered and the total is estimated
(_newest_matches): reading every match costs ~3 µs each. PostgreSQL's own configurations
(``french`` + ``unaccent``…) stem differently from Snowball-with-our-rules, know nothing of the
glossary tags, and would have made the two backends find different posts; they would also have
needed the ``unaccent`` extension, which only a superuser can create.

The table is kept in step by the same outbox as Whoosh (brain.search.outbox): a post's change
and its outbox row commit together, and any server's drain applies it. Applying in the writer's
transaction instead would make every post pay for analysis and tagging, and a failure there
would refuse the post itself. Drains take outbox rows ``FOR UPDATE SKIP LOCKED`` (several
servers drain at once, none waits for another) and a lock per post, taken before the post is
read, so two drains of one post apply its changes in order.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing import get_context

from flask import Flask
from markupsafe import Markup
from sqlalchemy import (
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session, joinedload

from brain.models import Post, SearchOutbox, Topic
from brain.permissions import is_public_post, public_post_clause
from brain.search import concepts, excerpts
from brain.search.analysis import analysed
from brain.search.index import indexable_posts, refresh_statistics
from brain.search.interface import MAX_PAGE, PER_PAGE, Filters, Hit, Results, SearchUnavailable
from brain.search.outbox import Follower
from brain.search.postgres_rows import (
    CREATE_NEXT,
    INDEX_NEXT,
    INSERT_NEXT,
    SWAP_NEXT,
    UPSERT,
    document,
    search_posts,
    search_state,
    stamp,
    with_words,
)
from brain.search.postgres_terms import RANK_WEIGHTS, Translated, quoted, translate
from brain.search.query import build, parse
from brain.search.schema import LANGUAGES, MEETING, language_of

log = logging.getLogger(__name__)

BATCH = 500
# Matches read and ordered at most, for a search: every page a reader can reach.
CANDIDATES = MAX_PAGE * PER_PAGE
WINDOW_MARGIN = 1.5  # a window of post ids is sized to hold this many times what is wanted
# A window is read row by row along the primary key, each row's words matched, when the
# matches are dense: reading 1,000 / density rows then costs less than the GIN index's list
# of every match (density × posts entries, ~5 times cheaper an entry than a row read). So
# when density² × posts ≥ DENSE_ROWS: at 1,000,000 posts a word in 7 % of them or more (a
# word in a third of them: 10 ms where its GIN list takes 66); at 100,000, 22 %.
DENSE_ROWS = 5_000
# The planner knows the frequency of its most common lexemes only (ANALYZE: about 1,000 of
# them, each in more than ~1.5 % of the posts at 100,000); any other it takes to be in 0.5 %
# of the posts, a bound rather than an estimate. A word in 50 posts is then expected in
# 3,000 (one alternative per language), and the walk reads the table in windows, each ANDed
# with a bitmap of tens of thousands of post ids: 2.5 ms a window, where its matches took
# 0.1. So when the planner expects no more than PROBE_SHARE of the posts, its matches are
# first counted up to CANDIDATES + 1 (the count stops there): as many as that, and the
# estimate stands; fewer, and one statement over the whole table reads them all. (Its bound
# for one word in the six languages' alternatives is 3 % of the posts.)
PROBE_SHARE = 0.05
WORDS_INDEX = "ix_search_posts_words"  # migration 0016
REBUILD_BATCH = 1_000
# The first key of the per-post locks drains take (pg_advisory_xact_lock(key, post id)).
LOCK_SPACE = 0x5EA2C4
# Held by a rebuild, shared by drains. Advisory locks are the database's: the second key
# names the schema's search_state table, so a site in another schema is not held up.
REBUILD_SPACE = LOCK_SPACE + 1
_THIS_SCHEMA = "CAST(CAST(CAST('search_state' AS regclass) AS oid) AS integer)"
INDEXING_MEMORY = "256MB"  # a rebuild's maintenance_work_mem, for its GIN index
# As the Whoosh backend's (brain.search.whoosh_backend): the Meeting Point's limits.
MEETING_TEXT_LIMIT = 20_000
SIMILAR_KEY_TERMS = 6
SIMILAR_CANDIDATE_TERMS = 20
COMMON_TERM_SHARE = 0.02
COMMON_TERM_FLOOR = 20

t = search_posts.c
_indexable_rows = public_post_clause()


def _matches(tsquery: str):
    return t.words.op("@@")(cast(literal(tsquery), TSQUERY))


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _restrictions(
    readable_board_ids: list[int], unreadable_board_ids: list[int] | None, filters: Filters
) -> list:
    """The searcher's boards (the few unreadable ones masked, when they are known) and the
    optional filters, as the Whoosh backend reads them."""
    found = []
    if filters.board_ids is not None:
        allowed = [b for b in filters.board_ids if b in set(readable_board_ids)]
        found.append(t.board_id.in_(allowed))
    elif unreadable_board_ids is None:
        found.append(t.board_id.in_(readable_board_ids))
    elif unreadable_board_ids:
        found.append(t.board_id.not_in(unreadable_board_ids))
    if filters.language:
        found.append(t.language == filters.language)
    if filters.author_key:
        found.append(t.author == filters.author_key)
    if filters.since:
        found.append(t.created >= _naive_utc(filters.since))
    if filters.until:
        found.append(t.created <= _naive_utc(filters.until))
    return found


def _rank(translated: Translated) -> tuple[str, dict]:
    """``ts_rank`` of the wanted lexemes of the post's language, times that language's boost,
    as SQL on a row's ``language`` and ``words``, and its parameters: the typed language's
    words and concepts count fully, the glossary's equivalents in the other languages
    EXPANSION_BOOST; a narrower concept's tags weigh NARROWER_BOOST (their label,
    brain.search.postgres_terms).

    Up to CANDIDATES matches are ranked for a search, so ranking must cost little a post:
    not ``ts_rank_cd``, whose covers over a query of phrases and proximity alternatives cost
    ~20 µs a post where ``ts_rank`` of the lexemes costs ~1.5 µs; one ``tsvector`` read a
    post (a boost found by matching parts of the query again read it once a part); and only
    the lexemes the post's language can have (a post has no other: ~10 % faster)."""
    by_language = translated.wanted_by_language()
    parameters: dict = {"rank_weights": RANK_WEIGHTS}

    def score(number: int, language: str) -> str:
        parameters[f"rank_query_{number}"] = " | ".join(sorted(by_language[language]))
        # Narrower concepts only are boosted by their label.
        parameters[f"rank_boost_{number}"] = translated.boosts.get(language, 1.0)
        return (
            f"ts_rank(CAST(%(rank_weights)s AS real[]), words, "
            f"CAST(%(rank_query_{number})s AS tsquery), 1) * %(rank_boost_{number})s"
        )

    named = [language for language in by_language if language != "und"]
    cases = []
    for number, language in enumerate(named):
        parameters[f"rank_language_{number}"] = language
        cases.append(f"WHEN %(rank_language_{number})s THEN {score(number, language)}")
    # A post in a language that is not one of LANGUAGES is analysed as "und".
    otherwise = score(len(named), "und") if "und" in by_language else "0.0"
    if not cases:
        return otherwise, parameters
    return f"CASE language {' '.join(cases)} ELSE {otherwise} END", parameters


def _planned_rows(connection, where: str, parameters: dict) -> float:
    """How many rows PostgreSQL's planner expects the posts *where* holds to be (its
    statistics of the words: ANALYZE, which rebuild and optimize run, and autovacuum)."""
    explained = "EXPLAIN (FORMAT JSON) SELECT post_id FROM search_posts WHERE "
    plan = connection.exec_driver_sql(explained + where, parameters).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def _between(independent: float, anywhere: float) -> float:
    """How many posts hold a query's phrases, from the planner's two estimates: of the
    phrases' words as if independent of each other (*independent*: too few for words that
    go together, "supply chain" in 264 of 100,000 posts where 1,900 hold it) and of the words
    anywhere (*anywhere*: too many, 13,000). Their geometric mean (1,900 here) sizes the
    walk's first window. Sized by the first, the window spans the table, and reads every post
    with the words however many there are; by the second, it holds a fifth of what is
    wanted, and the next window, which the planner expects to hold few matches, checks the
    phrase in every post with the words before the window's bounds (a second window often
    costs more than the first)."""
    return math.sqrt(max(independent, 1.0) * max(anywhere, 1.0))


def _roughly(estimate: float) -> int:
    """*estimate* to two significant figures ("about 24,000 results", not "about 24,015")."""
    figures = 10 ** max(0, len(str(int(estimate))) - 2)
    return int(round(estimate / figures) * figures)


_WORDS_MATCH = "search_posts.words @@ CAST(%%(%s)s AS tsquery)"

# The rows of a window of post ids, newest first, ranked after the limit: only the kept rows'
# words are read. (OFFSET 0 keeps the limit inside: the planner would otherwise rank first.)
_WINDOW = """
SELECT post_id, created, {rank} AS rank FROM (
    SELECT post_id, created, language, words FROM search_posts
    WHERE {where}{bounds} ORDER BY post_id DESC LIMIT %(window_limit)s OFFSET 0
) AS window_rows ORDER BY post_id DESC
"""


# The planner prices a tsvector match like any operator, and prefers reading the whole table
# to the GIN index as soon as a word is common: 62 ms where the index takes 4 (20,000 posts,
# a word in 15 % of them). For the reading connection's transaction.
_NO_SEQUENTIAL_SCAN = text("SET LOCAL enable_seqscan = off")

# How many posts match, counted up to a limit (the count stops reading there).
_PROBE = """
SELECT count(*) FROM (SELECT 1 FROM search_posts WHERE {where} LIMIT %(counted)s) AS counted
"""


def _newest_matches(connection, restrictions: list, translated: Translated, newest_first: bool):
    """The matches a reader can page through, and how many posts match: (rows, total, exact).

    A reader sees at most CANDIDATES matches (MAX_PAGE pages), yet ordering every match reads
    every matching row, and its words to rank it: about 3 µs a match, 100 ms for a word in a
    third of 100,000 posts. So when more than CANDIDATES posts match, the CANDIDATES newest
    are the ones ranked (best first among them) or listed (newest first), and the total is
    estimated from how densely they lie among the post ids. They are found in windows of
    post ids walked back from the newest post: the first window sized for CANDIDATES by the
    planner's estimate of the matches, each next one by the density found so far. When the
    walk reaches the oldest post with CANDIDATES or fewer found, they are all the matches,
    and the total is exact. A window of sparse matches is read through the GIN index, one
    of dense matches row by row along the post ids (_dense).

    The statements are written once as SQL for the whole walk: built as expressions, each
    window cost more to compile than PostgreSQL took to answer it (a rare word)."""
    # A window is the words' GIN bitmap ANDed with a bitmap of the primary key's range: only
    # the window's matching rows are read (an index scan would read every row's words), unless
    # the matches are dense (DENSE_ROWS, _READING). Set as the ends are read (one round trip).
    bottom, top, _set, _set_too = connection.execute(
        select(
            func.min(t.post_id),
            func.max(t.post_id),
            func.set_config("enable_indexscan", "off", True),
            func.set_config("enable_seqscan", "off", True),  # (_NO_SEQUENTIAL_SCAN)
        )
    ).one()
    if top is None:
        return [], 0, True
    span = top - bottom + 1
    parameters: dict = {"match": translated.match}
    restricted = ""
    if restrictions:
        compiled = and_(*restrictions).compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        restricted, parameters = f" AND {compiled}", {**compiled.params, **parameters}
    # Through the GIN index, each alternative of the query is asked apart: a post one of them
    # matches exactly (plain words, concept tags) is not read again for another's phrases.
    # Row by row, the whole query at once: each match of a row's words reads them again.
    whole = f"{_WORDS_MATCH % 'match'}{restricted}"
    names = [f"match_{number}" for number in range(len(translated.alternatives))]
    apart = " OR ".join(_WORDS_MATCH % name for name in names)
    apart = f"({apart}){restricted}"
    parameters.update(zip(names, translated.alternatives, strict=True))
    expected = _planned_rows(connection, whole, {**parameters, "match": translated.loose})
    # Whether the matches are dense is asked of the match itself (a phrase's words are in
    # more posts than the phrase: its estimate would call many posts dense that are not).
    at_least = expected
    if translated.loose != translated.match:
        at_least = _planned_rows(connection, whole, parameters)
        expected = _between(at_least, expected)
    row_by_row, reading = _dense(at_least / span, span), False
    if CANDIDATES < expected <= span * PROBE_SHARE and translated.loose == translated.match:
        # (Not a phrase: its count would check the phrase in every candidate post.)
        probe = _PROBE.format(where=apart)
        counted = connection.exec_driver_sql(probe, {**parameters, "counted": CANDIDATES + 1})
        matches = counted.scalar()
        if matches <= CANDIDATES:
            expected = float(matches)  # else more than counted: the estimate stands
    rank, ranking = ("NULL", {}) if newest_first else _rank(translated)
    parameters.update(ranking)
    if expected > CANDIDATES:
        reach = math.ceil(span * CANDIDATES * WINDOW_MARGIN / expected)
    else:
        reach = span
    found: list = []
    high = top
    while True:
        if row_by_row != reading:
            connection.execute(_READING[row_by_row])
            reading = row_by_row
        low = max(high - reach, bottom - 1)
        bounds = " AND post_id > %(window_low)s" if low >= bottom else ""
        bounds += " AND post_id <= %(window_high)s" if high < top else ""
        where = whole if row_by_row else apart
        window = _WINDOW.format(rank=rank, where=where, bounds=bounds)
        limit = CANDIDATES + 1 - len(found)
        bound = {"window_low": low, "window_high": high, "window_limit": limit}
        found += connection.exec_driver_sql(window, {**parameters, **bound}).all()
        if len(found) > CANDIDATES:
            found = found[:CANDIDATES]
            oldest = found[-1].post_id
            return found, _roughly(CANDIDATES * span / (top - oldest + 1)), False
        if low < bottom:
            return found, len(found), True
        read = top - low
        wanted = (CANDIDATES + 1 - len(found)) * read / max(len(found), 1) * WINDOW_MARGIN
        reach = max(read, math.ceil(wanted))
        row_by_row = _dense(len(found) / read, span)
        high = low


def _dense(density: float, posts: int) -> bool:
    """Whether matches this dense among *posts* are cheaper read row by row (DENSE_ROWS)."""
    return density * density * posts >= DENSE_ROWS


# The plan of the windows that follow: along the primary key, or the GIN bitmap ANDed with
# the window's (a transaction's settings: the search's own).
_READING = {
    True: select(
        func.set_config("enable_indexscan", "on", True),
        func.set_config("enable_bitmapscan", "off", True),
    ),
    False: select(
        func.set_config("enable_indexscan", "off", True),
        func.set_config("enable_bitmapscan", "on", True),
    ),
}


class _Highlighted:
    """The words to mark in a hit's text, per language (as the Whoosh backend marks them):
    the query's words in that language, and the words of the terms its concept tags stand
    for."""

    def __init__(self, translated: Translated):
        self._terms = translated.highlighted
        self._words: dict[str, frozenset[str]] = {}

    def __call__(self, language: str) -> frozenset[str]:
        if language not in self._words:
            analysed_as = language_of(language)
            words: set[str] = set()
            for term_language, tag, term in self._terms:
                if term_language != analysed_as:
                    continue
                words |= concepts.words_of(term, language) if tag else {term}
            self._words[language] = frozenset(words)
        return self._words[language]


def _excerpt(row, highlighted: _Highlighted) -> Markup:
    wanted = highlighted(row.language)
    return excerpts.excerpt_or_beginning(row.text, row.language, wanted, row.forms)


def _bo1(in_text: int, in_collection: int, documents: int) -> float:
    """Whoosh's Bo1 weight of a word (brain.search.whoosh_backend's key terms), with the
    number of posts that have the word standing in for its number of occurrences."""
    f = in_collection / max(documents, 1)
    return in_text * math.log2((1.0 + f) / f) + math.log2(1.0 + f)


class PostgresBackend(Follower):
    """brain.search.interface.Backend over the ``search_posts`` table."""

    name = "postgres"

    def __init__(self, app: Flask | None, engine, mode: str = "thread"):
        self.engine = engine  # tests swap it for one transaction's
        self.mode = mode
        self._follow_init()

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def _reading(self, settled: bool = True) -> Iterator:
        """A connection to read the table with, the sequential scan turned off (unless
        not *settled*: the caller's first statement turns it off, saving a round trip)."""
        try:
            with self.engine.connect() as connection:
                if settled:
                    connection.execute(_NO_SEQUENTIAL_SCAN)
                yield connection
        except SearchUnavailable:
            raise
        except Exception as error:
            log.exception("Reading the search table failed")
            raise SearchUnavailable from error

    def search(
        self,
        text: str,
        readable_board_ids: list[int],
        filters: Filters | None = None,
        page: int = 1,
        newest_first: bool = False,
        unreadable_board_ids: list[int] | None = None,
    ) -> Results:
        parsed = parse(text)
        query, expansions = build(parsed)
        results = Results(page=page, expansions=expansions, truncated=parsed.truncated)
        if query is None:
            results.empty_query = True
            return results
        page = max(1, min(page, MAX_PAGE))
        translated = translate(query)
        restrictions = _restrictions(readable_board_ids, unreadable_board_ids, filters or Filters())
        with self._reading(settled=False) as connection:
            found, total, exact = _newest_matches(
                connection, restrictions, translated, newest_first
            )
            if newest_first:
                found.sort(key=lambda row: (row.created, row.post_id), reverse=True)
            else:
                found.sort(key=lambda row: (row.rank, row.created, row.post_id), reverse=True)
            results.total, results.estimated = total, not exact
            shown_ids = [row.post_id for row in found[(page - 1) * PER_PAGE : page * PER_PAGE]]
            shown = {}
            if shown_ids:
                stored = select(t.post_id, t.language, t.text, t.forms).where(
                    t.post_id.in_(shown_ids)
                )
                shown = {row.post_id: row for row in connection.execute(stored)}
        results.pages = min(-(-results.total // PER_PAGE), MAX_PAGE)
        highlighted = _Highlighted(translated)
        for post_id in shown_ids:
            if post_id in shown:
                results.hits.append(Hit(post_id, _excerpt(shown[post_id], highlighted)))
        return results

    # -- the Meeting Point ---------------------------------------------------------------

    def cooperation_topics(self, text: str) -> set[int] | None:
        """Cooperation posts whose opening post matches *text* (at most
        MEETING_TEXT_LIMIT), unscored; None when *text* holds no searchable word."""
        query, _expansions = build(parse(text), MEETING)
        if query is None:
            return None
        found = (
            select(t.topic_id)
            .where(t.cooperation, _matches(translate(query).match))
            .limit(MEETING_TEXT_LIMIT)
        )
        with self._reading() as connection:
            return set(connection.scalars(found))

    def similar_cooperations(self, opening_post_id: int, limit: int = 150) -> dict[int, float]:
        """Cooperation posts whose opening text resembles this post's: its few most
        distinctive words (Bo1, as Whoosh's key terms), leaving out those found in more than
        a small share of cooperation posts, searched among cooperation posts."""
        with self._reading() as connection:
            row = connection.execute(
                select(t.language, t.text).where(t.post_id == opening_post_id)
            ).first()
            if row is None:
                return {}
            language = language_of(row.language)
            in_text = Counter(word for word, _position in analysed(row.text, language))
            if not in_text:
                return {}
            words = sorted(in_text)
            lexemes = [quoted(f"{language}:{word}") for word in words]
            counted = connection.execute(
                text(
                    """
                    SELECT w.n, (SELECT count(*) FROM search_posts s
                                 WHERE s.cooperation AND s.words @@ CAST(w.q AS tsquery))
                    FROM unnest(CAST(:lexemes AS text[])) WITH ORDINALITY AS w(q, n)
                    """
                ),
                {"lexemes": lexemes},
            ).all()
            posts_with = {words[n - 1]: count for n, count in counted}
            cooperations = connection.scalar(select(func.count()).where(t.cooperation)) or 0
            documents = connection.scalar(select(func.count()).select_from(search_posts)) or 0
            too_common = max(COMMON_TERM_FLOOR, COMMON_TERM_SHARE * cooperations)
            candidates = sorted(
                (-_bo1(in_text[word], posts_with[word], documents), word)
                for word in words
                if posts_with[word]
            )[:SIMILAR_CANDIDATE_TERMS]
            key_terms = [w for _score, w in candidates if posts_with[w] <= too_common]
            key_terms = key_terms[:SIMILAR_KEY_TERMS]
            if not key_terms:
                return {}
            query = " | ".join(quoted(f"{language}:{word}") for word in key_terms)
            score = func.ts_rank_cd(t.words, cast(literal(query), TSQUERY))
            hits = connection.execute(
                select(t.topic_id, score.label("score"))
                .where(t.cooperation, _matches(query), t.post_id != opening_post_id)
                .order_by(score.desc(), t.post_id)
                .limit(limit)
            ).all()
        return {hit.topic_id: float(hit.score) for hit in hits}

    # -- keeping in step -----------------------------------------------------------------

    def drain(self, blocking: bool = False) -> int:
        """Apply the outbox; how many posts were (re)indexed or removed. Rows another drain
        holds are skipped (it applies them), unless *blocking*: then they are waited for, as
        is a rebuild under way (without *blocking*, a rebuild leaves the outbox for later)."""
        applied = 0
        # Waiting for the lock returns nothing (void); trying, whether it was had.
        share = "pg_advisory_xact_lock_shared" if blocking else "pg_try_advisory_xact_lock_shared"
        shared = text(f"SELECT {share}(:space, {_THIS_SCHEMA})::text")
        while True:
            with Session(self.engine) as session:
                if session.scalar(shared, {"space": REBUILD_SPACE}) == "false":
                    return applied
                claimed = session.execute(
                    select(SearchOutbox.id, SearchOutbox.post_id)
                    .order_by(SearchOutbox.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=not blocking)
                ).all()
                if not claimed:
                    return applied
                post_ids = sorted({row.post_id for row in claimed})
                self._apply(session, post_ids)
                session.execute(
                    delete(SearchOutbox).where(SearchOutbox.id.in_([row.id for row in claimed]))
                )
                session.commit()
                applied += len(post_ids)

    def _apply(self, session: Session, post_ids: list[int]) -> None:
        # One post's lock, in post order (no deadlock), before reading it: a drain that
        # follows another on the same post reads what the other's commit left.
        session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:space, id) FROM "
                "(SELECT id FROM unnest(CAST(:ids AS integer[])) AS id ORDER BY id) AS posts"
            ),
            {"space": LOCK_SPACE, "ids": post_ids},
        )
        posts = session.scalars(
            select(Post)
            .options(
                joinedload(Post.author),
                joinedload(Post.topic).selectinload(Topic.cooperation),
            )
            .where(Post.id.in_(post_ids))
        ).all()
        rows = [with_words(document(post)) for post in posts if is_public_post(post)]
        kept = {row["post_id"] for row in rows}
        gone = [post_id for post_id in post_ids if post_id not in kept]
        if gone:
            session.execute(delete(search_posts).where(t.post_id.in_(gone)))
        if rows:
            session.execute(UPSERT, rows)

    def _first_pass(self) -> None:
        """Posts analysed by an older version go back in the outbox (one server scans)."""
        self._queue_outdated()

    def _queue_outdated(self, always: bool = False) -> int:
        """Queue the posts whose words an older analysis or glossary made (as the Whoosh
        backend does when it opens an older index); until then they are found as before.
        Unless *always*, only when the stamps kept in ``search_state`` are not this
        version's: every server's first drain asks, one of them looks through the table."""
        current = [stamp(language) for language in LANGUAGES]
        kept = ",".join(current)
        with Session(self.engine) as session:
            state = search_state.c
            found = session.scalar(
                select(state.value).where(state.name == "analysed").with_for_update()
            )
            if found == kept and not always:
                return 0
            queued = session.scalars(
                insert(SearchOutbox)
                .from_select(["post_id"], select(t.post_id).where(t.analysed.not_in(current)))
                .returning(SearchOutbox.id)
            ).all()
            self._keep_stamps(session)
            session.commit()
        return len(queued)

    @staticmethod
    def _keep_stamps(session: Session) -> None:
        kept = ",".join(stamp(language) for language in LANGUAGES)
        session.execute(
            text(
                "INSERT INTO search_state (name, value) VALUES ('analysed', :kept) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            {"kept": kept},
        )

    # -- whole-table operations ----------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None, procs: int = 1) -> int:
        """Index every post from scratch, in one transaction: a table with no index is
        filled, indexed, and takes search_posts' place as it commits, so searches read the
        old rows until then. Drains wait (their outbox rows stay) while it runs: what they
        would write to the old table would be dropped with it. With *procs* > 1 the analysis
        runs in that many processes."""
        count = 0
        refresh_statistics(self.engine)
        pool = ProcessPoolExecutor(procs, mp_context=get_context("fork")) if procs > 1 else None
        try:
            with Session(self.engine) as session:
                # Waits for the drains under way; the outbox rows after this one's are kept.
                session.execute(
                    text(f"SELECT pg_advisory_xact_lock(:space, {_THIS_SCHEMA})"),
                    {"space": REBUILD_SPACE},
                )
                session.execute(delete(SearchOutbox))
                self._keep_stamps(session)
                session.execute(text(CREATE_NEXT))
                for posts in session.scalars(indexable_posts(REBUILD_BATCH)).partitions():
                    documents = [document(post) for post in posts]
                    if pool is None:
                        rows = [with_words(row) for row in documents]
                    else:
                        rows = list(pool.map(with_words, documents, chunksize=50))
                    session.execute(INSERT_NEXT, rows)
                    count += len(rows)
                    if progress is not None:
                        progress(len(rows))
                session.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEXING_MEMORY}'"))
                for statement in (*INDEX_NEXT, *SWAP_NEXT):
                    session.execute(text(statement))
                session.commit()
        finally:
            if pool is not None:
                pool.shutdown()
        self.optimize()
        return count

    def check(self) -> dict[str, list[int]]:
        """Drift between the posts and the table; posts analysed by an older version are
        queued first, and so reported as pending."""
        self._queue_outdated(always=True)
        with Session(self.engine) as session:
            expected = set(session.scalars(select(Post.id).join(Post.topic).where(_indexable_rows)))
            pending = set(session.scalars(select(SearchOutbox.post_id)))
            indexed = set(session.scalars(select(t.post_id)))
        return {
            "missing": sorted(expected - indexed - pending),
            "stale": sorted(indexed - expected - pending),
            "pending": sorted(pending),
        }

    def optimize(self) -> None:
        """Merge the GIN index's pending entries and refresh the planner's statistics."""
        with Session(self.engine) as session:
            session.execute(
                text("SELECT gin_clean_pending_list('ix_search_posts_words'::regclass)")
            )
            session.execute(text("ANALYZE search_posts"))
            session.commit()

    def clear(self) -> None:
        """Empty the table and the outbox (tests, restores)."""
        with Session(self.engine) as session:
            session.execute(delete(SearchOutbox))
            session.execute(delete(search_posts))
            session.commit()
