"""Login sessions kept on the server, so that logging out ends a session everywhere.

A signed session cookie alone cannot be taken back: a copy made before logout would go on
working until it expired. So each login opens a row here, named by the digest of a random
key that only the cookie holds, and the member's login id carries that key
(``<user id>:<session epoch>:<key>``). Loading the member checks the row in the same query;
logging out deletes it, on every server at once since they share the database. A password
change or a ban still ends every session of the member (``User.session_epoch``).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import ColumnElement, bindparam, delete, select

from brain.extensions import db
from brain.models import LoginSession, User, utcnow
from brain.ops.text import parse_count

KEPT = timedelta(days=400)  # longer than a "keep me logged in" cookie lives
# The parameter naming the member in member_for's query: what comes with the member
# (``also``) may name them by it.
MEMBER_ID = "member_id"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_session(user: User) -> str:
    """Start a login session for *user*; returns the login id for Flask-Login."""
    key = secrets.token_urlsafe(24)
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.created_at < utcnow() - KEPT
        )
    )
    db.session.add(LoginSession(key_digest=_digest(key), user_id=user.id))
    user.login_key = key
    return user.get_id()


def end_session(login_id: str | None) -> None:
    """Forget the login session named by *login_id* (logging out)."""
    _user_id, _epoch, key = _parts(login_id)
    if key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_digest == _digest(key)))


def end_every_session(user: User) -> None:
    """End all of *user*'s sessions (password change, ban): the epoch moves on and the rows go."""
    user.session_epoch += 1
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def _parts(login_id: str | None) -> tuple[int | None, int | None, str]:
    pieces = (login_id or "").split(":")
    if len(pieces) != 3:
        return None, None, ""
    user_id, epoch, key = pieces
    return parse_count(user_id), parse_count(epoch), key[:64]


def member_for(login_id: str, *also: ColumnElement) -> tuple[User | None, tuple]:
    """The member whose open login session *login_id* names, else None; with the values of
    the scalar subqueries *also* (what every page of theirs reads too), in the same query."""
    user_id, epoch, key = _parts(login_id)
    if user_id is None or epoch is None or not key:
        return None, ()
    row = db.session.execute(
        _member_statement(also), {MEMBER_ID: user_id, "member_key": _digest(key)}
    ).first()
    user = row[0] if row is not None else None
    if user is None or user.session_epoch != epoch or user.is_banned:
        return None, ()
    user.login_key = key
    return user, tuple(row[1:])


@functools.lru_cache(maxsize=4)
def _member_statement(also: tuple[ColumnElement, ...]):
    """Built once for each set of companions: every page a member reads runs it."""
    return (
        select(User, *also)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == bindparam(MEMBER_ID), LoginSession.key_digest == bindparam("member_key"))
    )
