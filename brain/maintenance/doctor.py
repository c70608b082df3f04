"""``brain doctor``: checks of a deployment (secret key, cookies, mail, Redis, migrations,
search index, task queue, translations, data files), one line each, exit status 1 when any
fails.
"""

from __future__ import annotations

import smtplib
from contextlib import closing
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from brain.extensions import db
from brain.i18n import TRANSLATIONS_DIR
from brain.maintenance.archive import SECRET_KEY_FILE
from brain.maintenance.database import migration_scripts


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
QUEUE_LAG = timedelta(minutes=5)  # events or mail waiting longer: is the worker running?
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

    scripts = migration_scripts()
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
    from brain.search import backend

    search = backend()
    drift = search.check()
    if drift["missing"] or drift["stale"]:
        return Status.FAIL, (
            f"{len(drift['missing'])} public posts missing from the {search.name} index and "
            f"{len(drift['stale'])} entries for posts gone or hidden: run `brain search rebuild`"
        )
    if drift["pending"]:
        oldest = db.session.scalar(select(func.min(SearchOutbox.enqueued_at)))
        waited = datetime.now(UTC) - oldest
        if waited > OUTBOX_LAG:
            return Status.WARN, (
                f"{len(drift['pending'])} posts have waited in the search outbox for "
                f"{int(waited.total_seconds())} s: is the site running (BRAIN_SEARCH_INDEXER="
                f"{search.mode})? `brain search drain` applies them now"
            )
    return Status.OK, (
        f"the {search.name} index (BRAIN_SEARCH_BACKEND) matches the database "
        f"({len(drift['pending'])} updates in progress)"
    )


def check_queue(now: datetime | None = None) -> Check:
    """Is the task queue's worker doing its work? Notification events and mail left waiting
    say it is not; mail given up says the mail server refused it."""
    from brain.models import NotificationEvent, OutgoingMail
    from brain.ops.notifications import MAX_ATTEMPTS

    huey = current_app.extensions["brain_queue"]
    if huey.immediate:
        return Status.OK, "tasks run at once (BRAIN_QUEUE_URL=immediate): no worker needed"
    try:
        queued = huey.pending_count()
    except Exception as error:  # any storage: SQLite file, Redis
        return Status.FAIL, f"the task queue cannot be read ({error}): check BRAIN_QUEUE_URL"
    now = now or datetime.now(UTC)
    failed = db.session.execute(
        select(func.count(), func.max(NotificationEvent.last_error)).where(
            NotificationEvent.done_at.is_(None),
            NotificationEvent.attempts >= MAX_ATTEMPTS,
        )
    ).one()
    if failed[0]:
        return Status.FAIL, (
            f"{failed[0]} notification events failed their fan-out {MAX_ATTEMPTS} times and "
            f"are passed over (e.g. {failed[1]}): see the worker's log; fixed, set their "
            "attempts back to 0 to run them again"
        )
    oldest_event = db.session.scalar(
        select(func.min(NotificationEvent.created_at)).where(NotificationEvent.done_at.is_(None))
    )
    oldest_mail = db.session.scalar(
        select(func.min(OutgoingMail.next_attempt_at)).where(
            OutgoingMail.sent_at.is_(None), OutgoingMail.gave_up_at.is_(None)
        )
    )
    late = [
        f"{what} waiting since {int((now - since).total_seconds() // 60)} min"
        for what, since in (("notifications", oldest_event), ("mail", oldest_mail))
        if since is not None and now - since > QUEUE_LAG
    ]
    if late:
        return Status.FAIL, (
            f"{' and '.join(late)}: is `brain worker` running (systemctl status brain-worker)? "
            "Nothing is lost meanwhile; it catches up when it runs"
        )
    given_up = db.session.scalar(
        select(func.count()).select_from(OutgoingMail).where(OutgoingMail.gave_up_at.isnot(None))
    )
    if given_up:
        return Status.WARN, (
            f"{given_up} mails given up after their last attempt: see /admin/mail for the "
            "mail server's answers, and Retry now"
        )
    return Status.OK, f"the worker keeps up ({queued} tasks queued)"


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
    ("task queue", check_queue),
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
