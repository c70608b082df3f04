"""Fixtures: one migrated database per test run (SQLite, or a PostgreSQL schema when
BRAIN_TEST_DATABASE_URL is set), emptied after every test; small factories; a logged-in client."""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.pool import StaticPool

from brain import create_app, queue, search
from brain import database as db_setup
from brain.cli import compile_translations
from brain.extensions import db
from brain.meeting.version import Kept
from brain.models import ContentVersion, Counter, Post
from tests import factories
from tests.factories import (  # noqa: F401 - re-exported for test modules
    PASSWORD,
    csrf_token,
    database,
    fetch,
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
    submit,
)

PG_URL = os.environ.get("BRAIN_TEST_DATABASE_URL")
# BRAIN_TEST_COMMITS=1: every test with real commits and emptied tables, as before the
# one-transaction tests (to compare their speed, or to rule them out when a test misbehaves).
EVERY_TEST_COMMITS = os.environ.get("BRAIN_TEST_COMMITS") == "1"
LIMITED = ("LOGIN", "REGISTER", "RESET", "POSTING", "SEARCH")


@pytest.fixture(scope="session")
def database_settings(tmp_path_factory) -> Iterator[dict]:
    if not PG_URL:
        path = tmp_path_factory.mktemp("db") / "brain.db"
        yield {"DATABASE_URL": f"sqlite:///{path}"}
        return
    schema = f"brain_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {
            "DATABASE_URL": PG_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "connect_args": {"options": f"-csearch_path={schema}"},
            },
        }
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def session_app(database_settings, tmp_path_factory):
    compile_translations()  # as `make test` does: pages use the catalogs in the tree
    app = create_app(
        {
            **database_settings,
            "TESTING": True,
            "SECRET_KEY": "test secret",
            # Fast hashing keeps the suite quick; production uses scrypt (see test_auth).
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            # Index during the commit, so a test sees its writes in search at once.
            "SEARCH_INDEXER": "sync",
            # Queue tasks run at once, in the request that enqueues them.
            "QUEUE_URL": "immediate",
            # Pages straight from the views; test_pagecache turns the cache on.
            "PAGE_CACHE_SECONDS": 0,
            # Limits a test could reach by accident; test_rate_limits sets its own.
            **{f"RATELIMIT_{name}": "10000 per minute" for name in LIMITED},
        },
        instance_path=str(tmp_path_factory.mktemp("instance")),
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the schema is dropped


def _empty_tables() -> None:
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.execute(insert(ContentVersion), [{"id": row, "value": 0} for row in Counter])
    db.session.commit()
    Kept.forget_all()  # the Meeting Point's counter went back to 0


SAVEPOINT = "brain_test"


def _execute(connection, statement: str) -> None:
    cursor = connection.cursor()
    cursor.execute(statement)
    cursor.close()


class _OneTransaction:
    """An engine for one-transaction tests, put in place of the app's own during each test.

    It hands out one connection (a StaticPool) and turns the app's commits into savepoints: a
    commit releases the savepoint and opens the next, a rollback returns to it. So the app
    commits as usual, and the test's end undoes every write with one ROLLBACK, however many
    tables it touched. One engine serves the whole run, so SQLAlchemy's cache of compiled
    statements (one per engine) stays warm from test to test."""

    def __init__(self, real):
        self.real = real
        self.owner = threading.get_ident()
        self.opened: list = []
        self.engine = create_engine(real.url, creator=self._connect, poolclass=StaticPool)
        self.engine.dialect.do_commit = self._commit
        self.engine.dialect.do_rollback = self._rollback
        event.listen(self.engine, "before_cursor_execute", self._same_thread)
        db_setup.refuse_bad_text(self.engine)

    def _connect(self):
        pooled = self.real.raw_connection()  # configured as the app's own (SQLite pragmas...)
        connection = pooled.driver_connection
        pooled.detach()  # this test's to close
        if isinstance(connection, sqlite3.Connection):
            _execute(connection, "BEGIN")  # else the savepoint would be the transaction
        _execute(connection, f"SAVEPOINT {SAVEPOINT}")
        self.opened.append(connection)
        return connection

    @staticmethod
    def _commit(connection) -> None:
        _execute(connection, f"RELEASE SAVEPOINT {SAVEPOINT}")
        _execute(connection, f"SAVEPOINT {SAVEPOINT}")

    @staticmethod
    def _rollback(connection) -> None:
        _execute(connection, f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")

    def _same_thread(self, *_args) -> None:
        if threading.get_ident() != self.owner:
            raise RuntimeError(
                "This test reaches the database from another thread: it needs real commits. "
                "Mark it @pytest.mark.commits."
            )

    @contextmanager
    def around(self, app) -> Iterator[None]:
        """Every database use of *app* in the block — requests, the search indexer, the page
        cache's counter — goes through the one connection, rolled back at the end."""
        engines = db._app_engines[app]  # Flask-SQLAlchemy's engines of this app, by bind key
        # The two users of the engine that keep it: the search backend and the page cache.
        backend, cache = app.extensions["brain_search"], app.extensions["brain_page_cache"]
        kept = backend.engine, cache.engine
        engines[None] = backend.engine = cache.engine = self.engine
        try:
            yield
        finally:
            engines[None] = self.real
            backend.engine, cache.engine = kept
            for connection in self.opened:
                connection.rollback()  # the driver's own: the whole test's work is gone
            self.opened.clear()
            self.engine.dispose()  # closes it; the next test connects afresh


@pytest.fixture(scope="session")
def one_transaction(session_app) -> Iterator[_OneTransaction]:
    with session_app.app_context():
        tests = _OneTransaction(db.engine)
    yield tests
    tests.engine.dispose()


@pytest.fixture
def app(session_app, one_transaction, request):
    saved = dict(session_app.config)
    factories.APP = session_app
    # The task queue is one object per process: an app made by an earlier test (a second
    # server, a restore) may have pointed it elsewhere. Back to this app, tasks run at once.
    queue.init_app(session_app)
    if request.node.get_closest_marker("commits") or EVERY_TEST_COMMITS:
        yield session_app
        with session_app.app_context():
            _empty_tables()
    else:
        with one_transaction.around(session_app):
            yield session_app
        Kept.forget_all()  # the Meeting Point's counter went back
    with session_app.app_context():
        session_app.extensions["brain_search"].clear()
    session_app.config.clear()
    session_app.config.update(saved)


@pytest.fixture(scope="session")
def search_backends(session_app) -> dict:
    """The search backends the tests have asked for, by name, one each per run."""
    return {session_app.extensions["brain_search"].name: session_app.extensions["brain_search"]}


@pytest.fixture(params=search.BACKENDS)
def search_backend(request, app, one_transaction, search_backends) -> Iterator[search.Backend]:
    """Run the test once per search backend: the app searches with this one for the test.
    Ask for it before any fixture that writes posts (``usefixtures`` does), or those posts
    would be indexed by the other backend."""
    name = request.param
    own = app.extensions["brain_search"]
    if name == "postgres" and own.engine.dialect.name != "postgresql":
        pytest.skip("the postgres search backend needs a PostgreSQL test database")
    if name not in search_backends:
        search_backends[name] = search.create_backend(app, name, one_transaction.real)
    chosen = search_backends[name]
    if chosen is own:
        yield own
        return
    with app.app_context():
        assert not db.session.scalar(select(Post.id).limit(1)), (
            "posts were written before the search backend was chosen"
        )
    kept = chosen.engine, chosen.mode
    # This test's engine (one transaction, or real commits) and indexing mode ("sync").
    chosen.engine, chosen.mode = own.engine, own.mode
    app.extensions["brain_search"] = chosen
    try:
        yield chosen
    finally:
        with app.app_context():
            chosen.clear()  # a test with real commits leaves nothing in it for the next
        app.extensions["brain_search"] = own
        chosen.engine, chosen.mode = kept


@pytest.fixture(autouse=True)
def _isolated(request):
    """A test that takes ``session_app`` directly gets the same isolation as one taking
    ``app``: its writes are rolled back (or emptied) when it ends."""
    if "session_app" in request.fixturenames and "app" not in request.fixturenames:
        request.getfixturevalue("app")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def count_queries(app):
    """Use as ``with count_queries() as queries: ...``; ``len(queries)`` is the SQL count."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting
