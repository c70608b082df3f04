"""The session cookie, its signature checked once per process.

A member sends the same signed cookie with every page. Flask checks it on each request: it
derives the signing key, checks the signature and reads the contents (~30 µs, a fiftieth of a
member's kept page). Here a cookie checked once is remembered by its exact text, with the moment
it was signed: the same text is the same contents, and the moment still refuses it once it is
older than the session's lifetime. Each request gets its own copy of the contents (read again
from the serialized form), so a view that changes its session changes nobody else's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature


class CheckedOnce(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookies already checked remembered."""

    LIMIT = 10_000  # cookies remembered per process (the least recently used are forgotten)

    def __init__(self) -> None:
        self._checked: OrderedDict[tuple, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        text = request.cookies.get(self.get_cookie_name(app))
        if not text or not app.secret_key:
            return super().open_session(app, request)
        lifetime = app.permanent_session_lifetime.total_seconds()
        key = (app.secret_key, text)  # another key (rotated) checks the cookie again
        with self._lock:
            checked = self._checked.get(key)
            if checked is not None:
                self._checked.move_to_end(key)
        if checked is not None:
            contents, signed_at = checked
            if time.time() - signed_at <= lifetime:
                return self.session_class(self.serializer.loads(contents))
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        try:
            data, signed = signer.loads(text, max_age=int(lifetime), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            self._checked[key] = (self.serializer.dumps(data), signed.timestamp())
            while len(self._checked) > self.LIMIT:
                self._checked.popitem(last=False)
        return self.session_class(data)
