"""The operator's toolkit: ``brain backup``, ``brain restore`` and ``brain doctor``.

A backup is one ``.tar.gz`` taken while the site serves::

    manifest.json              format, created_at, dialect, schema, revision, version, counts
    database/brain.sqlite3     SQLite: a copy made by SQLite's online backup API, or
    database/brain.pgdump      PostgreSQL: ``pg_dump --format=custom``
    instance/brain.cfg         the instance files worth keeping (INSTANCE_FILES, uploads/),
    instance/uploads/...       never the search index (rebuilt on restore), the rate-limit
    instance/secret_key        counters or the mail folder; the secret key only when asked

The database copy and the manifest's counts come from one snapshot: SQLite's backup copies
every page in one step (one read transaction, which in WAL mode never blocks the writers), and
on PostgreSQL the counts are read in a REPEATABLE READ transaction whose snapshot pg_dump
shares (``--snapshot``). Whatever commits during the backup is either wholly in it or not.

A restore goes into an empty database only (no members, boards, topics or posts); it brings
an older backup up to date with the migrations and rebuilds the search index.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import URL, create_engine, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from brain.extensions import db
from brain.i18n import TRANSLATIONS_DIR

ARCHIVE_FORMAT = 1  # bump when the layout changes; restore refuses formats it does not know
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/brain.sqlite3"
PG_MEMBER = "database/brain.pgdump"
INSTANCE_PREFIX = "instance/"
# What an instance folder holds that cannot be rebuilt. Left out on purpose: the database file
# (in the snapshot), search/ (rebuilt), ratelimits.sqlite (counters that expire within the
# hour), mail/ (copies of mail "sent" without an SMTP server, with password-reset links).
INSTANCE_FILES = ("brain.cfg", "demo-accounts.json")
INSTANCE_FOLDERS = ("uploads",)
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
# Tables whose rows make a database "not empty": restoring over them would lose what they hold.
CONTENT_TABLES = ("users", "boards", "topics", "posts")
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*\"?([^\s,\"]+)")


class Refused(click.ClickException):
    """The command did nothing, for the reason given (exit status 1)."""


# --- facts about a database ------------------------------------------------------------


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


def _package_version() -> str:
    try:
        return metadata.version("collective-brain")
    except metadata.PackageNotFoundError:
        return "unknown"


def _configured_schema() -> str | None:
    """The schema named by a ``-csearch_path=...`` connection option (the test suite runs
    each session in a schema of its own), or None: the database's default."""
    options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {})
    found = _SEARCH_PATH.search(
        f"{options.get('options', '')} {db.engine.url.query.get('options', '')}"
    )
    return found.group(1) if found else None


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
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


def _run_pg_tool(name: str, args: list[str], env: dict[str, str]) -> str:
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


# --- backup ---------------------------------------------------------------------------


def _sqlite_path() -> str:
    path = db.engine.url.database
    if not path or path == ":memory:":
        raise click.ClickException("An in-memory SQLite database cannot be backed up.")
    return path


def snapshot_sqlite(work: Path) -> dict:
    """Copy the live SQLite database with the online backup API (never a file copy, which
    could catch a page half-written or miss what is still in the -wal file)."""
    copy = work / "brain.sqlite3"
    with (
        closing(sqlite3.connect(_sqlite_path(), timeout=30)) as source,
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
    schema = _configured_schema()
    address, env = _libpq(db.engine.url)
    args = ["--format=custom", f"--dbname={address}", f"--file={dump}"]
    if schema:
        args.append(f"--schema={schema}")
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            facts = database_facts(connection)
            _run_pg_tool("pg_dump", [*args, f"--snapshot={snapshot}"], env)
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


def write_archive(output: Path, snapshot: dict, files: list[Path], manifest: dict) -> None:
    """Write the archive beside *output* and rename it into place, so a failed or interrupted
    backup never leaves a truncated file under the final name. Readable by its owner only:
    it holds password hashes and email addresses."""
    instance = Path(current_app.instance_path)
    handle, partial = tempfile.mkstemp(dir=output.parent, prefix=".brain-backup-")
    os.close(handle)
    try:
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(snapshot["file"], arcname=snapshot["database"])
            for path in files:
                archive.add(path, arcname=INSTANCE_PREFIX + str(path.relative_to(instance)))
        os.replace(partial, output)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


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


# --- restore --------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict:
    """The archive's manifest; Refused when the file is not a backup this version reads."""
    not_a_backup = Refused(f"{archive} is not a Collective Brain backup (brain backup makes one).")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
            names = tar.getnames()  # reads to the end: a truncated archive is refused here
    except (tarfile.TarError, OSError, EOFError, zlib.error, KeyError, ValueError) as problem:
        raise not_a_backup from problem
    if not isinstance(manifest, dict) or manifest.get("app") != "collective-brain":
        raise not_a_backup
    if manifest.get("database") not in names:
        raise Refused(f"{archive} is an incomplete backup: it holds no database.")
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise Refused(
            f"{archive} is a backup in format {manifest.get('format')}; this version reads "
            f"format {ARCHIVE_FORMAT}. Restore it with the version that wrote it "
            f"({manifest.get('version')})."
        )
    return manifest


def refuse_other_dialect(manifest: dict) -> None:
    here = db.engine.dialect.name
    if manifest["dialect"] != here:
        raise Refused(
            f"The archive holds a {manifest['dialect']} database and this site uses {here}: "
            f"a backup can only be restored into the same kind of database. Point "
            f"BRAIN_DATABASE_URL at a {manifest['dialect']} database, or move the data with "
            "a tool made for that."
        )


def _migration_scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(current_app.extensions["migrate"].directory)


def refuse_unknown_revision(manifest: dict) -> None:
    """A backup made by a newer version cannot be migrated by this one: say so before
    anything is changed, not halfway through."""
    revision = manifest.get("revision")
    known = {script.revision for script in _migration_scripts().walk_revisions()}
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
    target = _sqlite_path()
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
    target = _configured_schema() or "public"
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
    return {table.name for table in db.metadata.sorted_tables} | {"alembic_version"}


def _restore_postgresql(work: Path, source: str, target: str) -> None:
    """Drop the app's empty tables (``brain db upgrade`` may have made them), pg_restore, and
    when the archive's schema has another name than the site's, rename it into place."""
    names = ", ".join(f'"{target}"."{name}"' for name in sorted(_app_tables()))
    with db.engine.begin() as connection:
        if target in _pg_schemas(connection):
            connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
    db.session.remove()
    db.engine.dispose()
    address, env = _libpq(db.engine.url)
    dump = work / PG_MEMBER
    args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if source == target:
        # The schema exists already; restore everything in the archive but its CREATE SCHEMA.
        listing = work / "restore.list"
        toc = _run_pg_tool("pg_restore", ["--list", str(dump)], env)
        kept = [line for line in toc.splitlines() if f" SCHEMA - {target} " not in line]
        listing.write_text("\n".join(kept) + "\n")
        args.append(f"--use-list={listing}")
    _run_pg_tool("pg_restore", [*args, f"--dbname={address}", str(dump)], env)
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


def _unpack(archive: Path, work: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")  # refuses absolute paths, "..", device files


def restore(
    archive: Path, plan: tuple[str, str] | None, replace_secret_key: bool, work: Path
) -> dict:
    """Load the archive into this site's (checked, empty) database; *plan* is what
    plan_postgresql said, None for SQLite. Returns a summary."""
    _unpack(archive, work)
    if plan:
        _restore_postgresql(work, *plan)
    else:
        _restore_sqlite(work)
    upgrade()  # an older backup comes up to this version's schema
    restored, kept = restore_instance_files(work, replace_secret_key)
    from brain.search import indexer

    indexed = indexer().rebuild()
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


# --- doctor ---------------------------------------------------------------------------


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


Check = tuple[Status, str]
WEAK_SECRET_KEYS = frozenset(
    {"dev", "development", "secret", "secret key", "secret-key", "changeme", "change-me",
     "change me", "test", "test secret", "testing", "default", "password", "your-secret-key"}
)  # fmt: skip
MIN_SECRET_KEY = 24  # characters; the generated key has 64
NETWORK_TIMEOUT = 3.0  # seconds to wait for the mail server or Redis
OUTBOX_LAG = timedelta(minutes=1)  # older rows mean nobody is applying the search outbox
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


def check_secret_key() -> Check:
    key = str(current_app.config.get("SECRET_KEY") or "")
    if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY:
        return Status.FAIL, (
            "the secret key is weak (short or well known): anyone could sign sessions. Set "
            "BRAIN_SECRET_KEY to the output of: python3 -c 'import secrets; "
            "print(secrets.token_hex(32))'"
        )
    generated = Path(current_app.instance_path) / SECRET_KEY_FILE
    if generated.is_file() and generated.read_text().strip() == key:
        return Status.WARN, (
            f"the secret key is the one generated into {generated}: fine for one server; with "
            "several servers set BRAIN_SECRET_KEY to the same value on each"
        )
    return Status.OK, "set in the configuration"


def check_cookies() -> Check:
    config = current_app.config
    https = config.get("PREFERRED_URL_SCHEME") == "https"
    if config["SESSION_COOKIE_SECURE"]:
        if not https:
            return Status.WARN, (
                "cookies are Secure but links in emails say http://: set "
                "BRAIN_PREFERRED_URL_SCHEME=https"
            )
        return Status.OK, "session cookies only travel over HTTPS"
    if https:
        return Status.FAIL, (
            "the site is on HTTPS (PREFERRED_URL_SCHEME=https) but session cookies may travel "
            "unencrypted: set BRAIN_SESSION_COOKIE_SECURE=true"
        )
    if config["PROXIES"]:
        return Status.WARN, (
            f"behind a proxy (BRAIN_PROXIES={config['PROXIES']}) without Secure cookies: if the "
            "proxy serves HTTPS, set BRAIN_SESSION_COOKIE_SECURE=true and "
            "BRAIN_PREFERRED_URL_SCHEME=https"
        )
    return Status.OK, "plain HTTP (no proxy): behind HTTPS, set BRAIN_SESSION_COOKIE_SECURE=true"


def check_mail() -> Check:
    config = current_app.config
    server, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if not server:
        folder = Path(current_app.instance_path) / "mail"
        return Status.WARN, (
            f"no mail server: messages are written to {folder}/ and nobody receives them; set "
            "BRAIN_MAIL_SERVER and BRAIN_MAIL_PORT"
        )
    connect = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with connect(server, port, timeout=NETWORK_TIMEOUT) as smtp:
            smtp.ehlo()
            if config["MAIL_USE_TLS"] and not smtp.has_extn("starttls"):
                return Status.FAIL, (
                    f"{server}:{port} does not offer STARTTLS but BRAIN_MAIL_USE_TLS is on: "
                    "use the server's submission port (587), or BRAIN_MAIL_USE_SSL for port 465"
                )
    except (OSError, smtplib.SMTPException) as problem:
        return Status.FAIL, (
            f"cannot reach the mail server {server}:{port} ({problem}): check "
            "BRAIN_MAIL_SERVER, BRAIN_MAIL_PORT, BRAIN_MAIL_USE_SSL and the firewall"
        )
    return Status.OK, f"the mail server {server}:{port} answers"


def _redis_uris() -> dict[str, str]:
    return {
        name: value
        for name, value in current_app.config.items()
        if isinstance(value, str) and value.startswith(REDIS_SCHEMES)
    }


def check_redis() -> Check:
    import redis

    uris = _redis_uris()
    if not uris:
        return Status.OK, "no Redis configured (rate limits are counted on this machine)"
    for name, uri in uris.items():
        where = urlsplit(uri).hostname or urlsplit(uri).path  # never the password
        try:
            client = redis.Redis.from_url(
                uri.replace("redis+unix://", "unix://"),
                socket_connect_timeout=NETWORK_TIMEOUT,
                socket_timeout=NETWORK_TIMEOUT,
            )
            with closing(client):
                client.ping()
        except (redis.RedisError, OSError, ValueError) as problem:
            port = f":{urlsplit(uri).port}" if urlsplit(uri).port else ""
            return Status.FAIL, (
                f"Redis at {where}{port} ({name}) does not answer ({problem}): start it, or "
                f"correct BRAIN_{name}"
            )
    return Status.OK, f"Redis answers ({', '.join(uris)})"


def check_migrations() -> Check:
    from alembic.runtime.migration import MigrationContext

    scripts = _migration_scripts()
    heads = set(scripts.get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as problem:
        return (
            Status.FAIL,
            f"cannot read the database ({problem.__class__.__name__}): check BRAIN_DATABASE_URL",
        )
    if current == heads:
        return Status.OK, f"the database is at the latest revision ({', '.join(sorted(heads))})"
    if not current:
        return (
            Status.FAIL,
            "the database has no tables yet: run `brain db upgrade` (or `brain setup`)",
        )
    known = {script.revision for script in scripts.walk_revisions()}
    if current - known:
        return Status.FAIL, (
            f"the database is at revision {', '.join(sorted(current))}, which this version does "
            "not know (a newer version migrated it): install that version"
        )
    return Status.FAIL, (
        f"the database is at revision {', '.join(sorted(current))}, this version expects "
        f"{', '.join(sorted(heads))}: run `brain db upgrade`"
    )


def check_search_index() -> Check:
    from brain.models import SearchOutbox
    from brain.search import indexer

    drift = indexer().check()
    if drift["missing"] or drift["stale"]:
        return Status.FAIL, (
            f"{len(drift['missing'])} public posts missing from the index and "
            f"{len(drift['stale'])} entries for posts gone or hidden: run `brain search rebuild`"
        )
    if drift["pending"]:
        oldest = db.session.scalar(select(func.min(SearchOutbox.enqueued_at)))
        waited = datetime.now(UTC) - oldest
        if waited > OUTBOX_LAG:
            return Status.WARN, (
                f"{len(drift['pending'])} posts have waited in the search outbox for "
                f"{int(waited.total_seconds())} s: is the site running (BRAIN_SEARCH_INDEXER="
                f"{indexer().mode})? `brain search drain` applies them now"
            )
    return (
        Status.OK,
        f"the index matches the database ({len(drift['pending'])} updates in progress)",
    )


def stale_catalogs(directory: Path) -> list[Path]:
    """Catalogs under *directory* (``<lang>/LC_MESSAGES/messages.po``) with no .mo beside
    them, or one older than the .po: those languages show old or English text."""
    return [
        po
        for po in sorted(directory.glob("*/LC_MESSAGES/messages.po"))
        if not po.with_suffix(".mo").is_file()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]


def check_catalogs(directory: Path = TRANSLATIONS_DIR) -> Check:
    if not any(directory.glob("*/LC_MESSAGES/messages.po")):
        return Status.FAIL, f"no translation catalogs under {directory}: reinstall the package"
    stale = stale_catalogs(directory)
    if stale:
        languages = ", ".join(po.parent.parent.name for po in stale)
        return Status.FAIL, (
            f"catalogs not compiled or older than their .po ({languages}): run "
            "`brain translations compile`"
        )
    return Status.OK, "every catalog is compiled and up to date"


def check_data_files(required: list[Path] | None = None) -> Check:
    """The files the package cannot run without (brain.resources), or those *required*."""
    from brain import resources

    absent = resources.missing() if required is None else [p for p in required if not p.exists()]
    if absent:
        return Status.FAIL, (
            f"missing: {', '.join(str(path) for path in absent)}: reinstall the package "
            "(pip install collective-brain, or `make run` in a checkout)"
        )
    return Status.OK, "migrations, static files, templates, glossary and catalogs are present"


CHECKS = (
    ("secret key", check_secret_key),
    ("cookies", check_cookies),
    ("mail", check_mail),
    ("redis", check_redis),
    ("migrations", check_migrations),
    ("search index", check_search_index),
    ("translations", check_catalogs),
    ("data files", check_data_files),
)


def run_check(check) -> Check:
    """A check that breaks is reported as a failure of its own, not a traceback that hides
    the checks after it."""
    try:
        return check()
    except Exception as problem:  # reported; the other checks still run
        return Status.FAIL, f"the check could not run: {problem.__class__.__name__}: {problem}"


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the deployment: one line per check, exit status 1 when any fails."""
    failed = False
    for name, check in CHECKS:
        status, message = run_check(check)
        click.echo(f"{status:<4}  {name:<13} {message}")
        failed |= status is Status.FAIL
    if failed:
        raise SystemExit(1)
