"""Database set-up: SQLite pragmas for the embedded default, and the last line of defence
for text on its way into the database."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import String, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from brain.extensions import db


class InvalidText(ValueError):
    """Text the database cannot hold: a NUL character, or more characters than its column.

    Forms and URL guards refuse such input first, with a message on the field; this is
    raised only when something slipped past them, and becomes a 400, never a 500."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers continue while one writer commits; several gunicorn workers share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _has_nul(parameters) -> bool:
    # Every statement passes here: a plain loop, no generator per value.
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, list | tuple):
        parameters = (parameters,)
    for value in parameters:
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, list | tuple | dict) and _has_nul(value):
            return True
    return False


def _refuse_nul(_conn, _cursor, _statement, parameters, _context, _executemany) -> None:
    # PostgreSQL text cannot hold NUL (psycopg raises); SQLite would store a string that
    # the rest of the system truncates. Whatever the route, the answer is a 400.
    if parameters and _has_nul(parameters):
        raise InvalidText("NUL character in a value sent to the database")


def _refuse_overlong(session: Session, _context, _instances) -> None:
    """Check every new or changed string against its column's length before the INSERT or
    UPDATE: PostgreSQL refuses an over-long value with an error, SQLite stores it whole."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attribute in state.mapper.column_attrs:
            column = attribute.columns[0]
            limit = getattr(column.type, "length", None)
            if not isinstance(column.type, String) or not limit:
                continue
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and len(value) > limit:
                raise InvalidText(
                    f"{state.mapper.class_.__name__}.{attribute.key}: "
                    f"{len(value)} characters, at most {limit}"
                )


def refuse_bad_text(engine: Engine) -> None:
    """Check every statement's values on *engine* for text the database cannot hold."""
    event.listen(engine, "before_cursor_execute", _refuse_nul)


def init_app(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        refuse_bad_text(engine)
    if not event.contains(Session, "before_flush", _refuse_overlong):
        event.listen(Session, "before_flush", _refuse_overlong)
