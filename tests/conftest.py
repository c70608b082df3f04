"""Fixtures: one migrated database per test run (SQLite, or a PostgreSQL schema when
BRAIN_TEST_DATABASE_URL is set), emptied after every test; small factories; a logged-in client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, insert, text

from brain import create_app
from brain.cli import compile_translations
from brain.extensions import db
from brain.meeting.version import Kept
from brain.models import ContentVersion, Counter
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


@pytest.fixture
def app(session_app):
    saved = dict(session_app.config)
    factories.APP = session_app
    yield session_app
    with session_app.app_context():
        _empty_tables()
        session_app.extensions["brain_search"].clear()
    session_app.config.clear()
    session_app.config.update(saved)


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
