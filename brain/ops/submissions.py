"""One-time tokens for forms that create content.

A composer form carries a random token from the moment it is shown. The post it creates is
recorded under that token in the same transaction, so the same form sent again — a second
press of "Post" while the server is slow, a browser retrying after a restart — finds the
first post instead of making a duplicate. Two copies racing each other meet on the primary
key: one commits, the other's INSERT fails and the view shows the first.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from random import random

from sqlalchemy import delete, select

from brain.extensions import db
from brain.models import Submission, User, utcnow

_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEPT = timedelta(days=2)  # a resubmission comes within seconds; two days is generous


def new_token() -> str:
    return secrets.token_urlsafe(24)


def usable(token: str | None) -> str | None:
    """*token* if it has the shape of one this site gives out (else it is ignored)."""
    return token if token and _TOKEN.fullmatch(token) else None


def earlier_post(token: str | None, user: User) -> int | None:
    """The id of the post this member already created with *token*, if any."""
    token = usable(token)
    if token is None:
        return None
    return db.session.scalar(
        select(Submission.post_id).where(Submission.token == token, Submission.user_id == user.id)
    )


def record(token: str | None, user: User, post_id: int) -> None:
    """Remember that *token* created the post *post_id* (in the caller's transaction)."""
    token = usable(token)
    if token is None:
        return
    if random() < 0.02:  # noqa: S311 - occasional housekeeping, not security
        db.session.execute(delete(Submission).where(Submission.created_at < utcnow() - KEPT))
    # Added last, after any query: a racing twin's row must meet this one at the commit
    # (brain.web.commit_once), not in an autoflush along the way.
    db.session.add(Submission(token=token, user_id=user.id, post_id=post_id))
