"""What only the PostgreSQL search backend has: its table (made by a migration on PostgreSQL
only), drains that share the outbox between servers, positions and limits of ``tsvector``, and
query text that must never reach PostgreSQL's parser. The behaviour both backends share is
tested in tests/test_search*.py, once per backend."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, inspect, select, text, update
from sqlalchemy.orm import Session

from brain.extensions import db
from brain.models import SearchOutbox
from brain.search import postgres as postgres_search
from tests.factories import make_board, make_reply, make_topic, make_user, opening_post

postgres = pytest.mark.parametrize("search_backend", ["postgres"], indirect=True)


@pytest.fixture
def writer(app, search_backend):
    return make_user(username="writer")


def found(backend, words: str, boards: list[int]) -> list[int]:
    return [hit.post_id for hit in backend.search(words, boards).hits]


def watched_search(backend, words: str, boards: list[int], watch):
    """*backend*'s search, calling *watch(connection, statement, parameters)* after each
    statement it runs."""

    def executed(connection, _cursor, statement, parameters, _context, _executemany):
        watch(connection, statement, parameters)

    event.listen(backend.engine, "after_cursor_execute", executed)
    try:
        return backend.search(words, boards)
    finally:
        event.remove(backend.engine, "after_cursor_execute", executed)


def test_the_table_exists_on_postgresql_only(app):
    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        postgresql = db.engine.dialect.name == "postgresql"
    assert ("search_posts" in tables) == postgresql


@postgres
def test_a_phrase_never_runs_across_a_sentence_end(writer, app, search_backend):
    board = make_board()
    across = make_topic(
        board=board, author=writer, title="Notes", body="We met the bakers. Weavers came."
    )
    inside = make_topic(board=board, author=writer, title="More", body="Bakers weavers came.")
    assert found(search_backend, '"bakers weavers"', [board.id]) == [inside.first_post_id]
    assert set(found(search_backend, "bakers weavers", [board.id])) == {
        across.first_post_id,
        inside.first_post_id,
    }


@postgres
def test_a_long_post_is_found_by_its_last_words(writer, app, search_backend):
    board = make_board()
    # Whoosh's positions would reach 45,000; PostgreSQL keeps them up to 16,383.
    sentences = " ".join(f"Number {n} is here." for n in range(900))
    topic = make_topic(
        board=board, author=writer, title="Long", body=f"{sentences} Zanzibar weavers met."
    )
    assert found(search_backend, '"zanzibar weavers"', [board.id]) == [topic.first_post_id]


@postgres
def test_a_word_too_long_for_postgresql_leaves_the_rest_of_the_post_searchable(
    writer, app, search_backend
):
    board = make_board()
    topic = make_topic(
        board=board, author=writer, title="Odd", body=f"{'x' * 3_000} and a beekeeper"
    )
    assert found(search_backend, "beekeeper", [board.id]) == [topic.first_post_id]
    assert found(search_backend, "x" * 290, [board.id]) == []


HOSTILE = [
    "\x00",
    "co\x00op",
    "\ud800 cooperative",
    "cooperative " * 10_000,
    "& | ! <-> ( ) : *",
    "'\\'' \\ '' '",
    "!cooperative",
    "-cooperative",
    '""""',
    "a:* & b:A",
    "(" * 1_000 + "cooperative" + ")" * 1_000,
]


@postgres
@pytest.mark.parametrize("words", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_query_text_gets_results_or_none(writer, search_backend, words):
    board = make_board()
    make_topic(board=board, author=writer, title="Cooperatives", body="A cooperative bakery.")
    results = search_backend.search(words, [board.id], page=10**9)
    assert results.total in (0, 1)


@postgres
@pytest.mark.parametrize("raw", ["%00", "co%00op", "%ED%A0%80+cooperative", "%FF%FE"])
def test_undecodable_query_text_gets_a_page(writer, client, search_backend, raw):
    make_topic(board=make_board(), author=writer, title="Bakery", body="A cooperative bakery.")
    assert client.get(f"/search?q={raw}").status_code in (200, 400)


@postgres
def test_operators_in_query_text_are_words_not_operators(writer, app, search_backend):
    board = make_board()
    bakery = make_topic(board=board, author=writer, title="Bakery", body="A cooperative bakery.")
    assert found(search_backend, "cooperative & !bakery", [board.id]) == [bakery.first_post_id]
    assert found(search_backend, "cooperative | zebra", [board.id]) == []


@postgres
def test_a_row_keeps_its_words_by_term_and_an_older_row_is_still_marked(
    writer, app, search_backend
):
    # Each row keeps its text's words by index term (migration 0019), as the Whoosh index
    # does: a result's excerpt is made from them. A row written before has none, and its
    # excerpt is made from the text, as before.
    from brain.search import excerpts

    board = make_board()
    kept = make_topic(board=board, author=writer, title="Tontines", body="A tontine in Thiès.")
    older = make_topic(board=board, author=writer, title="Notes", body="Tontines of Ziguinchor.")
    with app.app_context():
        db.session.execute(
            text("UPDATE search_posts SET forms = NULL WHERE post_id = :id"),
            {"id": older.first_post_id},
        )
        db.session.commit()
        forms = db.session.execute(
            text("SELECT post_id, forms, text FROM search_posts ORDER BY post_id")
        ).all()
    assert [(row.post_id, row.forms is None) for row in forms] == [
        (kept.first_post_id, False),
        (older.first_post_id, True),
    ]
    assert forms[0].forms == excerpts.forms(forms[0].text, "en")
    hits = {
        hit.post_id: str(hit.excerpt) for hit in search_backend.search("tontine", [board.id]).hits
    }
    assert '<mark class="match term1">tontine</mark> in Thiès' in hits[kept.first_post_id]
    assert '<mark class="match term0">Tontines</mark> of Ziguinchor' in hits[older.first_post_id]


@postgres
def test_check_queues_posts_analysed_by_another_version(writer, app, search_backend):
    board = make_board()
    topic = make_topic(board=board, author=writer, title="Bakery", body="A cooperative bakery.")
    with app.app_context():
        db.session.execute(text("UPDATE search_posts SET analysed = 'older'"))
        db.session.commit()
    assert search_backend.check()["pending"] == [topic.first_post_id]
    search_backend.drain(blocking=True)
    assert search_backend.check() == {"missing": [], "stale": [], "pending": []}


@postgres
@pytest.mark.commits
def test_two_servers_drain_one_outbox_together_and_lose_nothing(app, search_backend):
    board = make_board()
    author = make_user()
    search_backend.mode = "off"  # the posts wait in the outbox
    topic = make_topic(board=board, author=author, title="Harvest", body="Apiary one.")
    for n in range(99):
        make_reply(parent=opening_post(topic), author=author, body=f"Apiary {n} again.")
    with app.app_context():
        assert db.session.scalar(select(SearchOutbox.id).limit(1)) is not None
    engines = [create_engine(search_backend.engine.url, **_options(app)) for _ in range(2)]
    barrier = threading.Barrier(2)
    applied: list[int] = []

    def drain(engine) -> None:
        server = type(search_backend)(None, engine, "off")
        barrier.wait()
        applied.append(server.drain())

    threads = [threading.Thread(target=drain, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert sum(applied) == 100  # each post applied by one of them, none twice
    assert search_backend.check() == {"missing": [], "stale": [], "pending": []}
    assert search_backend.search("apiary", [board.id]).total == 100


@postgres
@pytest.mark.commits
def test_a_drain_waits_for_another_drain_of_the_same_post(writer, app, search_backend):
    """Two outbox rows of one post, held by two drains: the later edit is what stays."""
    board = make_board()
    search_backend.mode = "off"
    topic = make_topic(board=board, author=writer, title="Hives", body="Original words.")
    post_id = topic.first_post_id
    engine = create_engine(search_backend.engine.url, **_options(app))
    first = Session(engine)
    claimed = first.execute(
        select(SearchOutbox.id).with_for_update(skip_locked=True).limit(1)
    ).scalar_one()
    search_backend._apply(first, [post_id])  # holds the post's lock, reads the old words
    with app.app_context():
        db.session.execute(
            update(db.metadata.tables["posts"])
            .where(db.metadata.tables["posts"].c.id == post_id)
            .values(body_html="<p>Edited words.</p>", body_source="Edited words.")
        )
        db.session.add(SearchOutbox(post_id=post_id))
        db.session.commit()
    second = threading.Thread(target=search_backend.drain)
    second.start()  # skips the first row, waits for the post's lock
    second.join(timeout=1)
    assert second.is_alive()
    first.execute(SearchOutbox.__table__.delete().where(SearchOutbox.id == claimed))
    first.commit()
    second.join(timeout=30)
    first.close()
    engine.dispose()
    assert found(search_backend, "edited", [board.id]) == [post_id]
    assert found(search_backend, "original", [board.id]) == []


def _table_shape(app) -> tuple[list, list]:
    with app.app_context():
        indexes = db.session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'search_posts' AND schemaname = current_schema()"
            )
        ).all()
        constraints = db.session.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'search_posts'::regclass"
            )
        ).all()
    return sorted(indexes), sorted(constraints)


@postgres
def test_a_rebuilt_table_has_the_indexes_and_keys_the_migrations_made(writer, app, search_backend):
    board = make_board()
    topic = make_topic(board=board, author=writer, title="Hives", body="Beekeepers met.")
    made = _table_shape(app)
    assert len(made[0]) == 3 and len(made[1]) == 2  # key, words, cooperation words; key, posts
    assert search_backend.rebuild() == 1
    assert _table_shape(app) == made
    assert found(search_backend, "beekeepers", [board.id]) == [topic.first_post_id]


@postgres
@pytest.mark.commits
def test_what_is_written_during_a_rebuild_waits_in_the_outbox_and_is_not_lost(
    writer, app, search_backend, monkeypatch
):
    """The rebuild fills a new table that replaces the old one: a drain writing to the old
    one meanwhile would be lost, so drains leave the outbox alone until the rebuild ends."""
    board = make_board()
    topic = make_topic(board=board, author=writer, title="Hives", body="Beekeepers met.")
    removed = make_reply(parent=opening_post(topic), author=writer, body="Beekeepers again.")
    kept = make_reply(parent=opening_post(topic), author=writer, body="Beekeepers thrice.")
    monkeypatch.setattr(postgres_search, "REBUILD_BATCH", 1)
    reading, go_on = threading.Event(), threading.Event()

    def progress(_count: int) -> None:
        reading.set()
        go_on.wait(timeout=60)

    rebuild = threading.Thread(target=search_backend.rebuild, kwargs={"progress": progress})
    rebuild.start()
    try:
        assert reading.wait(timeout=60)  # the rebuild has read every post it will index
        search_backend.mode = "off"
        later = make_topic(board=board, author=writer, title="Later", body="Beekeepers later.")
        assert search_backend.drain() == 0
        assert search_backend.pending() == 1
        before = [topic.first_post_id, removed.id, kept.id]
        assert sorted(found(search_backend, "beekeepers", [board.id])) == before
        with app.app_context():  # a post gone from the database while the rebuild reads
            db.session.execute(text("DELETE FROM posts WHERE id = :id"), {"id": removed.id})
            db.session.commit()
    finally:
        go_on.set()
        rebuild.join(timeout=60)
    assert not rebuild.is_alive()
    assert search_backend.drain() == 1
    after = [topic.first_post_id, kept.id, later.first_post_id]
    assert sorted(found(search_backend, "beekeepers", [board.id])) == after
    assert search_backend.check() == {"missing": [], "stale": [], "pending": []}


def _options(app) -> dict:
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    return {"connect_args": options.get("connect_args", {})}


@postgres
def test_a_new_analysis_queues_the_posts_once_on_each_servers_first_drain(
    writer, app, search_backend
):
    board = make_board()
    topic = make_topic(board=board, author=writer, title="Bakery", body="A cooperative bakery.")
    with app.app_context():
        db.session.execute(text("UPDATE search_posts SET analysed = 'older'"))
        db.session.execute(text("UPDATE search_state SET value = 'older'"))
        db.session.commit()
        assert search_backend._queue_outdated() == 1
        assert search_backend._queue_outdated() == 0  # the stamps are this version's now
        queued = db.session.scalars(select(SearchOutbox.post_id)).all()
    assert queued == [topic.first_post_id]


def _weavers(writer, count: int):
    """*count* topics about weavers (the later ones say it more often), each followed by a
    reply about something else: the matches lie every other post id."""
    board = make_board()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    matching = []
    for number in range(count):
        when = start + timedelta(hours=2 * number)
        topic = make_topic(
            board=board,
            author=writer,
            title=f"Meeting {number}",
            body="The weavers met. " * (1 + number % 4) + "Then lunch.",
            when=when,
        )
        make_reply(
            parent=opening_post(topic), author=writer, body="Lunch was good.",
            when=when + timedelta(hours=1),
        )  # fmt: skip
        matching.append(topic.first_post_id)
    return board, matching


# Windows read through the GIN index (never dense), or row by row (always dense).
dense_or_not = pytest.mark.parametrize("dense_rows", [10**12, 0])
# The matches counted first whenever the planner expects more than CANDIDATES, or never.
probed_or_not = pytest.mark.parametrize("probe_share", [1.0, 0.0])


@postgres
@dense_or_not
@probed_or_not
@pytest.mark.parametrize("planned", [None, 0, 2, 40, 10_000])
def test_past_what_a_reader_can_reach_the_newest_matches_are_ordered_and_the_total_estimated(
    writer, app, search_backend, monkeypatch, planned, dense_rows, probe_share
):
    """A reader reaches CANDIDATES matches at most; past that, the newest CANDIDATES are the
    ones ordered, whatever the planner expected (it sizes the windows of the walk)."""
    board, matching = _weavers(writer, 12)
    monkeypatch.setattr(postgres_search, "CANDIDATES", 5)
    monkeypatch.setattr(postgres_search, "DENSE_ROWS", dense_rows)
    monkeypatch.setattr(postgres_search, "PROBE_SHARE", probe_share)
    if planned is not None:
        monkeypatch.setattr(postgres_search, "_planned_rows", lambda *_args: planned)
    newest = matching[-5:]

    by_date = search_backend.search("weavers", [board.id], newest_first=True)
    assert [hit.post_id for hit in by_date.hits] == newest[::-1]
    assert by_date.estimated
    # Five matches among the last ten post ids, out of twenty-four: about twelve.
    assert 10 <= by_date.total <= 14

    best = search_backend.search("weavers", [board.id])
    assert sorted(hit.post_id for hit in best.hits) == sorted(newest)
    assert best.total == by_date.total and best.estimated
    assert search_backend.search("weavers", [board.id], page=2).hits == []
    # Best first among them: in the order all twelve are ranked in when all are reachable.
    monkeypatch.setattr(postgres_search, "CANDIDATES", 100)
    every = search_backend.search("weavers", [board.id])
    assert not every.estimated
    assert [hit.post_id for hit in best.hits] == [
        hit.post_id for hit in every.hits if hit.post_id in newest
    ]
    assert [hit.post_id for hit in best.hits] != newest[::-1]  # not merely by date


@postgres
@dense_or_not
@probed_or_not
@pytest.mark.parametrize("planned", [None, 0, 40, 10_000])
def test_when_a_reader_can_reach_every_match_all_are_ordered_and_counted_exactly(
    writer, app, search_backend, monkeypatch, planned, dense_rows, probe_share
):
    board, matching = _weavers(writer, 12)
    monkeypatch.setattr(postgres_search, "CANDIDATES", 12)
    monkeypatch.setattr(postgres_search, "DENSE_ROWS", dense_rows)
    monkeypatch.setattr(postgres_search, "PROBE_SHARE", probe_share)
    if planned is not None:
        monkeypatch.setattr(postgres_search, "_planned_rows", lambda *_args: planned)
    results = search_backend.search("weavers", [board.id], newest_first=True)
    assert [hit.post_id for hit in results.hits] == matching[::-1]
    assert (results.total, results.estimated) == (12, False)
    lunch = search_backend.search("lunch", [board.id])
    # Every post says it: more than CANDIDATES, so estimated, from the density among ids.
    assert (lunch.total, lunch.estimated) == (24, True)


def _translated(text_typed: str):
    from brain.search.postgres_terms import translate
    from brain.search.query import build, parse

    query, _expansions = build(parse(text_typed))
    return translate(query)


def test_the_planner_is_asked_about_a_phrase_s_words_not_their_order(app):
    """The planner takes a phrase's words as independent and expects it in too few posts:
    the walk's first window would then span the table. Its estimate is asked of the words."""
    with app.app_context():
        phrase = _translated('"supply chain" weavers')
        assert "<->" in phrase.match and "<" not in phrase.loose
        assert "'en:suppli' | 'en:chain'" in phrase.loose and "'en:weaver'" in phrase.loose
        # Left out, a phrase stays a phrase: its words anywhere would leave out more posts.
        excluded = _translated('weavers -"supply chain"')
        assert "!(('en:suppli' <-> 'en:chain')" in excluded.loose
        plain = _translated("weavers")
        assert plain.loose == plain.match


@postgres
def test_the_walk_is_sized_by_the_loose_estimate(writer, app, search_backend, monkeypatch):
    board = make_board()
    topic = make_topic(board=board, author=writer, title="Chains", body="A supply chain.")
    asked = []

    def planned(_connection, _where, parameters) -> float:
        asked.append(parameters["match"])
        return 1.0

    monkeypatch.setattr(postgres_search, "_planned_rows", planned)
    assert found(search_backend, '"supply chain"', [board.id]) == [topic.first_post_id]
    # Sized by its words anywhere; whether dense, by the phrase itself.
    assert len(asked) == 2 and "<->" not in asked[0] and "en:suppli" in asked[0]
    assert "'en:suppli' <-> 'en:chain'" in asked[1]


@postgres
@pytest.mark.parametrize("phrase", [False, True])
def test_few_matches_the_planner_expects_many_of_are_counted_then_read_at_once(
    writer, app, search_backend, monkeypatch, phrase
):
    """A word the planner has no statistics of is expected in 0.5 % of the posts a language:
    the walk would read the table in windows. Counted first, the few are read at once."""
    board, matching = _weavers(writer, 6)  # twelve posts
    monkeypatch.setattr(postgres_search, "CANDIDATES", 8)
    monkeypatch.setattr(postgres_search, "PROBE_SHARE", 1.0)
    monkeypatch.setattr(postgres_search, "_planned_rows", lambda *_args: 10.0)
    statements = []

    def watch(_connection, statement, parameters):
        if statement.lstrip().startswith(("SELECT count(*) FROM (SELECT 1", "SELECT post_id,")):
            statements.append((statement, parameters))

    words = '"weavers met"' if phrase else "weavers"
    results = watched_search(search_backend, words, [board.id], watch)
    assert sorted(hit.post_id for hit in results.hits) == sorted(matching)
    assert (results.total, results.estimated) == (6, False)
    counts = [p for st, p in statements if st.lstrip().startswith("SELECT count(*)")]
    windows = [st for st, _p in statements if st.lstrip().startswith("SELECT post_id,")]
    if phrase:
        # A phrase is not counted: its count would check it in every post with its words.
        assert counts == []
    else:
        assert [p["counted"] for p in counts] == [9]
        assert len(windows) == 1 and "post_id >" not in windows[0]  # the whole table


@postgres
def test_more_matches_than_counted_keep_the_planner_s_estimate(
    writer, app, search_backend, monkeypatch
):
    """Counted past CANDIDATES, the count says only "more": the walk's first window is
    sized by the planner's estimate, not by the count (which would make it the table)."""
    board, matching = _weavers(writer, 12)  # twenty-four posts
    monkeypatch.setattr(postgres_search, "CANDIDATES", 5)
    monkeypatch.setattr(postgres_search, "PROBE_SHARE", 1.0)
    monkeypatch.setattr(postgres_search, "_planned_rows", lambda *_args: 20.0)
    counts, lows = [], []

    def watch(_connection, statement, parameters):
        if statement.lstrip().startswith("SELECT count(*) FROM (SELECT 1"):
            counts.append(parameters["counted"])
        elif statement.lstrip().startswith("SELECT post_id,"):
            lows.append(parameters["window_low"])

    results = watched_search(search_backend, "weavers", [board.id], watch)
    assert sorted(hit.post_id for hit in results.hits) == sorted(matching[-5:])
    assert counts == [6]
    top, bottom = _post_id_range(app)
    reach = math.ceil((top - bottom + 1) * 5 * postgres_search.WINDOW_MARGIN / 20)
    assert lows[0] == top - reach


def _post_id_range(app) -> tuple[int, int]:
    with app.app_context():
        return db.session.execute(text("SELECT max(post_id), min(post_id) FROM search_posts")).one()


def test_a_phrase_is_expected_between_its_words_independent_and_anywhere():
    # The planner's two estimates at 100,000 posts for "supply chain", which 1,900 hold.
    assert round(postgres_search._between(264, 13_380)) == 1_879
    assert postgres_search._between(0, 0) == 1.0  # an estimate of nothing is one row
    assert postgres_search._between(4, 4) == 4


@postgres
def test_a_phrase_s_first_window_is_sized_between_the_two_estimates(
    writer, app, search_backend, monkeypatch
):
    board, matching = _weavers(writer, 12)
    monkeypatch.setattr(postgres_search, "CANDIDATES", 5)
    # Posts' ids lie every other: 24 of them. Words anywhere: 80 expected, the phrase: 5.
    monkeypatch.setattr(
        postgres_search,
        "_planned_rows",
        lambda _connection, _where, parameters: 80.0 if "<->" not in parameters["match"] else 5.0,
    )
    lows = []

    def watch(_connection, statement, parameters):
        if statement.lstrip().startswith("SELECT post_id, created"):
            lows.append(parameters["window_low"])

    results = watched_search(search_backend, '"weavers met"', [board.id], watch)
    assert sorted(hit.post_id for hit in results.hits) == sorted(matching[-5:])
    top, bottom = _post_id_range(app)
    # Expected sqrt(80 × 5) = 20 matches: the first window reaches 5 × 1.5 / 20 of the span.
    reach = math.ceil((top - bottom + 1) * 5 * postgres_search.WINDOW_MARGIN / 20)
    assert lows[0] == top - reach


@postgres
def test_a_rebuild_gives_the_planner_statistics_of_what_it_reads_first(writer, app, search_backend):
    """Without statistics the planner joined each post to every topic: a rebuild of a million
    posts loaded in bulk (autovacuum not yet by, or off) did not finish in an hour."""
    board = make_board()
    make_topic(board=board, author=writer, title="Hives", body="Beekeepers met.")

    def described() -> int:
        with app.app_context():
            return db.session.scalar(
                text(
                    "SELECT count(*) FROM pg_statistic "
                    "WHERE starelid IN ('posts'::regclass, 'topics'::regclass)"
                )
            )

    with app.app_context():  # as after a bulk load: nothing known of the tables
        db.session.execute(
            text(
                "DELETE FROM pg_statistic WHERE starelid IN ('posts'::regclass, 'topics'::regclass)"
            )
        )
        db.session.commit()
    assert described() == 0
    assert search_backend.rebuild() == 1
    assert described() > 0


@postgres
@pytest.mark.parametrize(("dense_rows", "row_by_row"), [(0, True), (10**12, False)])
def test_dense_matches_are_read_row_by_row_and_sparse_ones_through_the_index(
    writer, app, search_backend, monkeypatch, dense_rows, row_by_row
):
    board, matching = _weavers(writer, 12)
    monkeypatch.setattr(postgres_search, "CANDIDATES", 5)
    monkeypatch.setattr(postgres_search, "DENSE_ROWS", dense_rows)
    plans, statements = [], []

    def explained(connection, statement, parameters):
        if statement.lstrip().startswith("SELECT post_id, created"):
            other = connection.connection.cursor()  # the search's own has rows to give
            other.execute("EXPLAIN " + statement, parameters)
            plans.append(" ".join(row[0] for row in other.fetchall()))
            other.close()
            statements.append(statement)

    results = watched_search(search_backend, "weavers", [board.id], explained)
    assert sorted(hit.post_id for hit in results.hits) == sorted(matching[-5:])
    assert plans and all(("Bitmap" not in plan) == row_by_row for plan in plans)
    assert all(("Index Scan Backward" in plan) == row_by_row for plan in plans)
    # Through the index, each language's alternative is asked apart; row by row, at once.
    assert all(("%(match_1)s" in statement) != row_by_row for statement in statements)
