"""``brain restore``: a backup into an empty database only (no members, boards, topics or
posts). The refusals (not a backup, another kind of database, a newer revision, content
already there) come before anything changes; then the database is loaded, an older backup
brought up to date with the migrations, and the search index rebuilt.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from brain.extensions import db
from brain.maintenance.archive import (
    PG_MEMBER,
    SECRET_KEY_FILE,
    SQLITE_MEMBER,
    Refused,
    read_manifest,
    unpack,
)
from brain.maintenance.database import (
    configured_schema,
    database_facts,
    libpq,
    migration_scripts,
    run_pg_tool,
    sqlite_path,
)

# Tables whose rows make a database "not empty": restoring over them would lose what they hold.
CONTENT_TABLES = ("users", "boards", "topics", "posts")


def refuse_other_dialect(manifest: dict) -> None:
    here = db.engine.dialect.name
    if manifest["dialect"] != here:
        raise Refused(
            f"The archive holds a {manifest['dialect']} database and this site uses {here}: "
            f"a backup can only be restored into the same kind of database. Point "
            f"BRAIN_DATABASE_URL at a {manifest['dialect']} database, or move the data with "
            "a tool made for that."
        )


def refuse_unknown_revision(manifest: dict) -> None:
    """A backup made by a newer version cannot be migrated by this one: say so before
    anything is changed, not halfway through."""
    revision = manifest.get("revision")
    known = {script.revision for script in migration_scripts().walk_revisions()}
    if revision is not None and revision not in known:
        raise Refused(
            f"The backup is at database revision {revision}, which this version does not "
            f"know: it was made by a newer version ({manifest.get('version')}). Install that "
            "version to restore it."
        )


def refuse_non_empty() -> None:
    """Restore never merges: a database with content would lose it or end up mixed."""
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        found = {
            name: connection.scalar(text(f'SELECT count(*) FROM "{name}"'))  # noqa: S608 - fixed names
            for name in CONTENT_TABLES
            if name in present
        }
    held = {name: count for name, count in found.items() if count}
    if held:
        listed = ", ".join(f"{count} {name}" for name, count in held.items())
        raise Refused(
            f"The database {db.engine.url.render_as_string()} is not empty ({listed}): "
            "restore only goes into an empty database. Point BRAIN_DATABASE_URL at a new "
            "one, or drop this one first if you really mean to replace it."
        )


def _restore_sqlite(work: Path) -> None:
    """Write the snapshot into the configured file through the backup API: it replaces the
    whole database, -wal file included, which copying a file over it would not."""
    target = sqlite_path()
    db.session.remove()
    db.engine.dispose()
    with (
        closing(sqlite3.connect(work / SQLITE_MEMBER)) as source,
        closing(sqlite3.connect(target, timeout=30)) as destination,
    ):
        source.backup(destination)


def _pg_schemas(connection) -> set[str]:
    return set(connection.scalars(text("SELECT nspname FROM pg_namespace")))


def plan_postgresql(manifest: dict) -> tuple[str, str]:
    """(schema in the archive, schema to restore into), after checking that the restore can
    go through: the target schema holds nothing but the app's (empty) tables, and an archive
    schema of another name does not exist here already (it is restored, then renamed)."""
    source = manifest.get("schema") or "public"
    target = configured_schema() or "public"
    with db.engine.connect() as connection:
        schemas = _pg_schemas(connection)
        others = set()
        if target in schemas:
            others = set(inspect(connection).get_table_names(schema=target)) - _app_tables()
    if others:
        raise Refused(
            f"The schema {target} holds tables that are not the forum's "
            f"({', '.join(sorted(others))}): restore into an empty database or schema."
        )
    if source != target and source in schemas:
        raise Refused(
            f"The archive holds the schema {source}, which already exists in this database, "
            f"and the site uses {target}: restore into another database, or set the site's "
            f"search_path to {source}."
        )
    return source, target


def _app_tables() -> set[str]:
    # With the PostgreSQL search tables, which migrations make on PostgreSQL only.
    from brain.search.postgres_rows import metadata as search_tables

    tables = (*db.metadata.sorted_tables, *search_tables.sorted_tables)
    return {table.name for table in tables} | {"alembic_version"}


def _restore_postgresql(work: Path, source: str, target: str) -> None:
    """Drop the app's empty tables (``brain db upgrade`` may have made them), pg_restore, and
    when the archive's schema has another name than the site's, rename it into place."""
    names = ", ".join(f'"{target}"."{name}"' for name in sorted(_app_tables()))
    with db.engine.begin() as connection:
        if target in _pg_schemas(connection):
            connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
    db.session.remove()
    db.engine.dispose()
    address, env = libpq(db.engine.url)
    dump = work / PG_MEMBER
    args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if source == target:
        # The schema exists already; restore everything in the archive but its CREATE SCHEMA.
        listing = work / "restore.list"
        toc = run_pg_tool("pg_restore", ["--list", str(dump)], env)
        kept = [line for line in toc.splitlines() if f" SCHEMA - {target} " not in line]
        listing.write_text("\n".join(kept) + "\n")
        args.append(f"--use-list={listing}")
    run_pg_tool("pg_restore", [*args, f"--dbname={address}", str(dump)], env)
    if source != target:
        with db.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{target}"'))
            connection.execute(text(f'ALTER SCHEMA "{source}" RENAME TO "{target}"'))
    db.engine.dispose()


def restore_instance_files(work: Path, replace_secret_key: bool) -> tuple[list[str], list[str]]:
    """Copy the archived instance files that are not there yet; (restored, kept as they were).
    An existing file is never overwritten (brain.cfg may name this server's database), and the
    secret key only with *replace_secret_key*."""
    archived = work / "instance"
    instance = Path(current_app.instance_path)
    restored, kept = [], []
    if not archived.is_dir():
        return restored, kept
    for path in sorted(p for p in archived.rglob("*") if p.is_file()):
        relative = path.relative_to(archived)
        destination = instance / relative
        replace = replace_secret_key and str(relative) == SECRET_KEY_FILE
        if destination.exists() and not replace:
            kept.append(str(relative))
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
        restored.append(str(relative))
    return restored, kept


def restore(
    archive: Path, plan: tuple[str, str] | None, replace_secret_key: bool, work: Path
) -> dict:
    """Load the archive into this site's (checked, empty) database; *plan* is what
    plan_postgresql said, None for SQLite. Returns a summary."""
    unpack(archive, work)
    if plan:
        _restore_postgresql(work, *plan)
    else:
        _restore_sqlite(work)
    upgrade()  # an older backup comes up to this version's schema
    restored, kept = restore_instance_files(work, replace_secret_key)
    from brain.search import backend

    indexed = backend().rebuild()
    with db.engine.connect() as connection:
        facts = database_facts(connection)
    return {**facts, "restored_files": restored, "kept_files": kept, "indexed": indexed}


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--replace-secret-key",
    is_flag=True,
    help="Use the archive's secret key instead of the one already in the instance folder.",
)
@with_appcontext
def restore_command(archive: Path, yes: bool, replace_secret_key: bool) -> None:
    """Restore a backup into an empty database, migrate it and rebuild the search index."""
    manifest = read_manifest(archive)
    refuse_other_dialect(manifest)
    refuse_unknown_revision(manifest)
    refuse_non_empty()
    plan = plan_postgresql(manifest) if manifest["dialect"] == "postgresql" else None
    counts = manifest["counts"]
    if not yes:
        click.confirm(
            f"Restore the backup of {manifest['created_at']} ({counts['users']} members, "
            f"{counts['posts']} posts) into {db.engine.url.render_as_string()}?",
            abort=True,
        )
    with tempfile.TemporaryDirectory(prefix="brain-restore-") as work:
        summary = restore(archive, plan, replace_secret_key, Path(work))
    done = summary["counts"]
    click.echo(
        f"Restored {done['users']} members, {done['topics']} topics and {done['posts']} posts "
        f"(backup of {manifest['created_at']}, revision {manifest['revision']}; the database "
        f"is now at {summary['revision']}); {summary['indexed']} posts indexed for search."
    )
    if summary["restored_files"]:
        click.echo(f"Instance files restored: {', '.join(summary['restored_files'])}.")
    if summary["kept_files"]:
        click.echo(
            f"Already there, kept as they were: {', '.join(summary['kept_files'])}"
            + (
                " (--replace-secret-key uses the archive's key)."
                if SECRET_KEY_FILE in summary["kept_files"]
                else "."
            )
        )
