"""Configuration defaults, overridable by ``BRAIN_*`` environment variables.

Precedence (lowest first): the defaults below, ``instance/brain.cfg`` (a Python file), the
environment, then the ``overrides`` passed to ``create_app`` (tests use these).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Settings a deployer may set as BRAIN_<NAME>; each is documented in the README.
ENV_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "SITE_NAME": str,
    "SESSION_COOKIE_SECURE": bool,
    "MAX_CONTENT_LENGTH": int,
    "TOPICS_PER_PAGE": int,
    "POSTS_PER_PAGE": int,
    "PASSWORD_HASH_METHOD": str,
    "PREFERRED_URL_SCHEME": str,
    "SEARCH_BACKEND": str,
    "SEARCH_INDEX_PATH": str,
    "SEARCH_INDEXER": str,
    "REPORT_THRESHOLD": int,
    "REGISTRATION_MODE": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_ENABLED": bool,
    "RATELIMIT_KEY_PREFIX": str,
    "RATELIMIT_LOGIN": str,
    "RATELIMIT_REGISTER": str,
    "RATELIMIT_RESET": str,
    "RATELIMIT_POSTING": str,
    "RATELIMIT_SEARCH": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_USE_SSL": bool,
    "MAIL_SENDER": str,
    "MAIL_DELAY_SECONDS": int,
    "SITE_URL": str,
    "RESET_TOKEN_HOURS": int,
    "INVITATION_DAYS": int,
    "MEETING_POINT_BOARD": str,
    "PROXIES": int,
    "PAGE_CACHE_SECONDS": int,
    "QUEUE_URL": str,
    "UPLOAD_MAX_BYTES": int,
    "UPLOAD_REQUEST_MAX_BYTES": int,
    "UPLOAD_QUOTA_BYTES": int,
    "UPLOAD_MAX_FILES": int,
    "RATELIMIT_UPLOAD": str,
}


class Defaults:
    SITE_NAME = "Collective Brain"
    DATABASE_URL = None  # None: SQLite file in the instance folder
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # A post body is at most 20,000 characters (4 bytes each at worst) plus the form around it.
    MAX_CONTENT_LENGTH = 256 * 1024
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 200

    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    TOPICS_PER_PAGE = 25
    POSTS_PER_PAGE = 20
    # Open reports from this many members hide a post until a moderator decides (0: never).
    REPORT_THRESHOLD = 3
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - the name of a hashing method
    # Until an administrator changes it on the settings page: open, approval or invitation.
    REGISTRATION_MODE = "open"
    RESET_TOKEN_HOURS = 2  # a password-reset link works this long, and once
    INVITATION_DAYS = 14  # default lifetime of a new invitation
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto headers are
    # then trusted, so rate limits count the visitor's address, not the proxy's.
    PROXIES = 0
    # Guests' pages (home, boards, topics, Meeting Point) are served from memory while nothing
    # changed, for at most this long (brain.pagecache); 0 turns the cache off.
    PAGE_CACHE_SECONDS = 30
    MEETING_POINT_BOARD = "meeting-point"  # slug of the board the Meeting Point lives on

    # Rate limits (Flask-Limiter). None: counted in instance/ratelimits.sqlite, shared by every
    # process on this machine (brain.ratelimit_store); for several servers use Redis, e.g.
    # redis://127.0.0.1:6379/0. "memory://" counts in each process alone.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_KEY_PREFIX = "brain"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = "10 per minute;50 per hour"
    RATELIMIT_REGISTER = "5 per hour"
    RATELIMIT_RESET = "5 per hour"
    RATELIMIT_POSTING = "6 per minute;60 per hour"
    RATELIMIT_SEARCH = "30 per minute"
    RATELIMIT_UPLOAD = "20 per minute;200 per hour"  # files sent by the composer's script

    # Files attached to posts and avatars (brain/ops/uploads.py), kept in instance/uploads/.
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # one file
    # A form that may carry files (writing a post, an avatar): anything larger is refused
    # with the 413 page before it is read. Other forms keep MAX_CONTENT_LENGTH.
    UPLOAD_REQUEST_MAX_BYTES = 25 * 1024 * 1024
    UPLOAD_QUOTA_BYTES = 200 * 1024 * 1024  # all of one member's files together
    UPLOAD_MAX_FILES = 10  # files on one post

    # Outgoing mail. With no MAIL_SERVER, messages are written to instance/mail/ instead
    # (handy with `make run`: the password-reset link is in the file).
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the start (port 465)
    MAIL_SENDER = "Collective Brain <no-reply@localhost>"
    # A notification mailed "immediately" waits this long, and is not sent if the member has
    # read it on the site meanwhile.
    MAIL_DELAY_SECONDS = 300
    # The site's public address, for the links in mail ("https://brain.example.org"); None:
    # the request's own address, or http://127.0.0.1:5000 where there is no request.
    SITE_URL = None

    # The task queue (brain/queue.py): None: instance/queue.sqlite; redis://… for several
    # servers; "immediate": tasks run at once in the caller (tests).
    QUEUE_URL = None

    # "whoosh": an index folder on this server; "postgres": full-text search in the PostgreSQL
    # database, for several servers (brain.search). Run `brain search rebuild` after switching.
    SEARCH_BACKEND = "whoosh"
    SEARCH_INDEX_PATH = None  # None: instance/search (Whoosh)
    # "thread": each process applies the outbox in a background thread right after commits;
    # "sync": during the commit (tests, scripts); "off": only `brain search drain` does.
    SEARCH_INDEXER = "thread"

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"


def _coerce(kind: type, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(raw)
    return raw


def from_environment(environ: os._Environ | dict) -> dict:
    """Read the ``BRAIN_*`` settings present in *environ*."""
    found = {}
    for name, kind in ENV_SETTINGS.items():
        raw = environ.get(f"BRAIN_{name}")
        if raw is not None and raw != "":
            found[name] = _coerce(kind, raw)
    return found


def instance_secret_key(instance_path: str) -> str:
    """A secret key generated once and kept in the instance folder (git ignores it)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
