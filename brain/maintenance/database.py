"""What backup, restore and the doctor ask of the database: the facts a manifest records, the
SQLite file, the PostgreSQL schema and client tools (pg_dump, pg_restore), and the migrations.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import click
from flask import current_app
from sqlalchemy import URL, func, select

from brain.extensions import db

_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*\"?([^\s,\"]+)")


def database_facts(connection) -> dict:
    """The Alembic revision and the number of members, topics and posts, as *connection*
    sees them (inside a snapshot, so they describe exactly what the backup holds)."""
    from alembic.runtime.migration import MigrationContext

    from brain.models import Post, Topic, User

    counts = {
        name: connection.scalar(select(func.count()).select_from(model))
        for name, model in (("users", User), ("topics", Topic), ("posts", Post))
    }
    revision = MigrationContext.configure(connection).get_current_revision()
    return {"revision": revision, "counts": counts}


def configured_schema() -> str | None:
    """The schema named by a ``-csearch_path=...`` connection option (the test suite runs
    each session in a schema of its own), or None: the database's default."""
    options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
    found = _SEARCH_PATH.search(
        f"{options.get('options', '')} {db.engine.url.query.get('options', '')}"
    )
    return found.group(1) if found else None


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address for pg_dump/pg_restore (no "+psycopg" driver part, no password) and
    the environment carrying the password, which would show in ``ps`` on the command line."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def run_pg_tool(name: str, args: list[str], env: dict[str, str]) -> str:
    program = shutil.which(name)
    if program is None:
        raise click.ClickException(
            f"{name} is not installed; install the PostgreSQL client tools of the server's "
            "version (Debian: apt-get install postgresql-client)."
        )
    done = subprocess.run(  # noqa: S603 - the arguments are our own
        [program, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise click.ClickException(f"{name} failed: {done.stderr.strip()}")
    return done.stdout


def sqlite_path() -> str:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return path


def migration_scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(current_app.extensions["migrate"].directory)
