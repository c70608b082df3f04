"""``brain backup``: the database and instance files in one archive, taken while the site serves.

The database copy and the manifest's counts come from one snapshot: SQLite's backup copies
every page in one step (one read transaction, which in WAL mode never blocks the writers), and
on PostgreSQL the counts are read in a REPEATABLE READ transaction whose snapshot pg_dump
shares (``--snapshot``). Whatever commits during the backup is either wholly in it or not.
"""

from __future__ import annotations

import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from brain.extensions import db
from brain.maintenance.archive import (
    ARCHIVE_FORMAT,
    INSTANCE_FILES,
    INSTANCE_FOLDERS,
    PG_MEMBER,
    SECRET_KEY_FILE,
    SQLITE_MEMBER,
    write_archive,
)
from brain.maintenance.database import (
    configured_schema,
    database_facts,
    libpq,
    run_pg_tool,
    sqlite_path,
)


def _package_version() -> str:
    try:
        return metadata.version("collective-brain")
    except metadata.PackageNotFoundError:
        return "unknown"


def snapshot_sqlite(work: Path) -> dict:
    """Copy the live SQLite database with the online backup API (never a file copy, which
    could catch a page half-written or miss what is still in the -wal file)."""
    copy = work / "brain.sqlite3"
    with (
        closing(sqlite3.connect(sqlite_path(), timeout=30)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)  # every page in one step: one read transaction, one snapshot
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    with engine.connect() as connection:
        facts = database_facts(connection)
    engine.dispose()
    return {**facts, "database": SQLITE_MEMBER, "file": copy}


def snapshot_postgresql(work: Path) -> dict:
    """pg_dump the app's schema (or the whole database) inside the snapshot in which the
    manifest's counts are read."""
    dump = work / "brain.pgdump"
    schema = configured_schema()
    address, env = libpq(db.engine.url)
    args = ["--format=custom", f"--dbname={address}", f"--file={dump}"]
    if schema:
        args.append(f"--schema={schema}")
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            facts = database_facts(connection)
            run_pg_tool("pg_dump", [*args, f"--snapshot={snapshot}"], env)
    return {**facts, "database": PG_MEMBER, "file": dump, "schema": schema}


def _instance_files(with_secret_key: bool) -> tuple[list[Path], list[str]]:
    """(what to archive, names in the instance folder left out)."""
    instance = Path(current_app.instance_path)
    keep = [*INSTANCE_FILES, *INSTANCE_FOLDERS] + ([SECRET_KEY_FILE] if with_secret_key else [])
    chosen = [instance / name for name in keep if (instance / name).exists()]
    left_out = sorted(p.name for p in instance.iterdir() if p.name not in keep)
    return chosen, left_out


def _default_output() -> Path:
    return Path(f"brain-backup-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar.gz")


def backup(output: Path, with_secret_key: bool = False) -> dict:
    """Take the backup; returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="brain-backup-") as work:
        dialect = db.engine.dialect.name
        take = snapshot_sqlite if dialect == "sqlite" else snapshot_postgresql
        snapshot = take(Path(work))
        files, left_out = _instance_files(with_secret_key)
        manifest = {
            "format": ARCHIVE_FORMAT,
            "app": "collective-brain",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": dialect,
            "schema": snapshot.get("schema"),
            "revision": snapshot["revision"],
            "version": _package_version(),
            "counts": snapshot["counts"],
            "database": snapshot["database"],
            "instance_files": [path.name for path in files],
            "left_out": left_out,
        }
        write_archive(output, snapshot, files, manifest)
    return manifest


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Archive to write (default: brain-backup-YYYYMMDD-HHMMSS.tar.gz here); "
    "a folder puts the default name in it.",
)
@click.option(
    "--with-secret-key",
    is_flag=True,
    help="Include instance/secret_key (sessions signed with it stay valid after a restore).",
)
@with_appcontext
def backup_command(output: Path | None, with_secret_key: bool) -> None:
    """Back up the database and instance files into one archive, while the site serves."""
    if output is None:
        output = _default_output()
    elif output.is_dir():
        output = output / _default_output()
    if not output.parent.is_dir():
        raise click.ClickException(f"Cannot write {output}: the folder does not exist.")
    try:
        manifest = backup(output, with_secret_key)
    except (sqlite3.Error, SQLAlchemyError) as problem:
        raise click.ClickException(
            f"Cannot read the database ({problem}): check BRAIN_DATABASE_URL, and that "
            "`brain db upgrade` has been run."
        ) from problem
    except OSError as problem:
        raise click.ClickException(f"Cannot write {output}: {problem}") from problem
    counts = manifest["counts"]
    click.echo(
        f"Backup written to {output.resolve()} ({output.stat().st_size / 1e6:.1f} MB): "
        f"{counts['users']} members, {counts['topics']} topics, {counts['posts']} posts; "
        f"{manifest['dialect']} at revision {manifest['revision']}."
    )
    click.echo(f"Instance files: {', '.join(manifest['instance_files']) or 'none'}.")
    if manifest["left_out"]:
        click.echo(
            f"Not archived (rebuilt, transient or secret): {', '.join(manifest['left_out'])}."
        )
    if with_secret_key and SECRET_KEY_FILE not in manifest["instance_files"]:
        click.echo(
            "No instance/secret_key to include: the key comes from BRAIN_SECRET_KEY or "
            "brain.cfg; keep it with the rest of the configuration."
        )
