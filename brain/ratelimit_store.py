"""Rate-limit counters in an SQLite file, shared by every process on one machine.

Flask-Limiter's own default (``memory://``) counts in each process, so N gunicorn workers let
N times the configured number of attempts through. This store needs nothing installed: every
worker opens the same file (``<instance>/ratelimits.sqlite`` unless
``RATELIMIT_STORAGE_URI`` names another store, such as Redis for several machines), and each
hit is one atomic upsert that returns the new count. It supports the fixed-window strategy,
Flask-Limiter's default and the one this app uses.

Importing this module registers the ``sqlite:///`` scheme with the ``limits`` package (slashes as
in SQLAlchemy: three, then the path; four for an absolute path).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from limits.storage import Storage

FILE_NAME = "ratelimits.sqlite"
PRUNE_EVERY = 60.0  # seconds between deletions of expired counters (by each process)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counter_expires ON counter (expires);
"""

# A counter whose window has passed starts again from this hit. In an UPDATE every expression
# reads the row as it was, so both CASEs test the old expiry.
_HIT = """
INSERT INTO counter (key, count, expires) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counter.expires <= :now THEN excluded.count
                 ELSE counter.count + excluded.count END,
    expires = CASE WHEN counter.expires <= :now THEN excluded.expires
                   ELSE counter.expires END
RETURNING count
"""


def uri_for(instance_path: str) -> str:
    """The storage URI of the counters' file in *instance_path*."""
    return f"sqlite:///{Path(instance_path).resolve() / FILE_NAME}"


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file: one connection per process (threads take
    turns on it), WAL so readers never wait for the writer, and a busy timeout so concurrent
    hits from other processes wait for their turn instead of failing."""

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        path = urlparse(uri or "").path[1:]  # sqlite:///relative, sqlite:////absolute
        if not path:
            raise ValueError(f"a file is needed in the rate-limit storage URI: {uri!r}")
        self.path = path
        self.timeout = float(options.get("timeout", 10.0))
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._inherited: list[sqlite3.Connection] = []
        self._pruned_at = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """This process's connection, opened at first use (call with the lock held)."""
        if self._connection is None or self._pid != os.getpid():
            if self._connection is not None:
                # Opened before a fork: closing it here could disturb the parent's locks.
                self._inherited.append(self._connection)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            # Counters may lose their last moments in a power cut, never their consistency.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _run(self, sql: str, parameters=()) -> list[tuple]:
        # fetchall: the statement, and so its transaction, ends before the lock is let go.
        with self._lock:
            return self._db().execute(sql, parameters).fetchall()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        ((count,),) = self._run(_HIT, {"key": key, "amount": amount, "now": now, "expiry": expiry})
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            self._run("DELETE FROM counter WHERE expires <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        rows = self._run(
            "SELECT count FROM counter WHERE key = ? AND expires > ?", (key, time.time())
        )
        return rows[0][0] if rows else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        rows = self._run("SELECT expires FROM counter WHERE key = ? AND expires > ?", (key, now))
        return rows[0][0] if rows else now

    def check(self) -> bool:
        try:
            self._run("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._lock:
            return self._db().execute("DELETE FROM counter").rowcount

    def clear(self, key: str) -> None:
        self._run("DELETE FROM counter WHERE key = ?", (key,))
