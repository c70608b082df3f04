"""Registering members and checking their credentials."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from brain.extensions import db
from brain.models import Invitation, MemberEdition, Post, Role, User, utcnow
from brain.ops.errors import OperationError
from brain.ops.sessions import end_every_session
from brain.ops.text import (
    LIST_SEPARATORS,
    clean_text,
    has_forbidden_characters,
    has_invisible_characters,
    skeleton,
)

USERNAME = re.compile(r"^[\w][\w.-]{1,30}[\w]$", re.UNICODE)
KEY_MAX = 64  # User.username_key and User.username_skeleton
MIN_PASSWORD = 10
MAX_PASSWORD = 256


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """Checked when the account does not exist, so both cases cost one hash check."""
    return generate_password_hash("not the password", method=method)


def normalise_username(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def username_key(name: str) -> str:
    return unicodedata.normalize("NFKC", normalise_username(name).casefold())


def validate_username(name: str) -> str | None:
    """An error message, or None when *name* can be a username."""
    if has_invisible_characters(name) or has_forbidden_characters(name):
        return _l(
            "Usernames cannot contain invisible or direction-changing characters "
            "(zero-width spaces, joiners, bidirectional marks or overrides)."
        )
    if not USERNAME.match(name):
        return _l(
            "Use 3 to 32 letters, digits, dots, hyphens or underscores, "
            "starting and ending with a letter or digit."
        )
    # Case folding and look-alike mapping can lengthen a name ("ῧ" folds to three
    # characters): the keys that make names unique must fit their columns too.
    if len(username_key(name)) > KEY_MAX or len(skeleton(name)) > KEY_MAX:
        return _l("That username is too long. Please choose a shorter one.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def register_member(
    username: str,
    email: str,
    password: str,
    display_name: str | None = None,
    *,
    role: Role = Role.MEMBER,
    locale: str | None = None,
    approved: bool = True,
) -> User:
    """Create a member account; raises OperationError if the name or address is taken, or
    if the name looks like an existing one. Unapproved accounts wait for an administrator."""
    username = normalise_username(username)
    problem = validate_username(username)
    if problem:
        raise OperationError(problem, field="username")
    key, look, email = username_key(username), skeleton(username), email.strip().lower()
    _check_free(key, look, email)
    user = User(
        username=username,
        username_key=key,
        username_skeleton=look,
        email=email,
        password_hash=hash_password(password),
        display_name=(display_name or "").strip() or username,
        role=role,
        locale=locale,
        approved_at=utcnow() if approved else None,
        # What was written before they joined is not new to them (brain.ops.reading also
        # leaves out posts dated before it). As a mark, it keeps the unread counts of their
        # topic lists to posts written since: each count is then a short range of an index,
        # however long the conversations they never opened.
        read_all_up_to=db.session.scalar(select(func.max(Post.id))),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _check_free(key: str, look: str, email: str) -> None:
    """Raise OperationError when the name, a look-alike of it, or the address is taken."""
    if db.session.scalar(select(User.id).where(User.username_key == key)):
        raise OperationError(
            _l("That username is taken. Please choose another one."), field="username"
        )
    if db.session.scalar(select(User.id).where(User.username_skeleton == look)):
        raise OperationError(
            _l(
                "That username looks too much like an existing member's name "
                "(some letters look the same). Please choose another one."
            ),
            field="username",
        )
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise OperationError(
            _l(
                "An account with that email address already exists. Log in, or use another address."
            ),
            field="email",
        )


def registration_conflict(username: str, email: str) -> OperationError:
    """Why a registration lost a race (its INSERT hit a unique constraint): someone took
    the name or the address at the same moment. Called after the rollback."""
    username = normalise_username(username)
    try:
        _check_free(username_key(username), skeleton(username), email.strip().lower())
    except OperationError as problem:
        return problem
    return OperationError(
        _l("That username is taken. Please choose another one."), field="username"
    )


def authenticate(login: str, password: str) -> User | None:
    """The member whose username or email and password match, else None (same cost either way)."""
    login = login.strip()
    user = db.session.scalar(
        select(User).where(
            (User.username_key == username_key(login)) | (User.email == login.lower())
        )
    )
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def validate_password(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(min)d characters.", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("Use at most %(max)d characters.", max=MAX_PASSWORD)
    return None


def change_password(user: User, password: str) -> None:
    """Set a new password and end every session opened with the old one."""
    problem = validate_password(password)
    if problem:
        raise OperationError(problem, field="password")
    user.password_hash = hash_password(password)
    end_every_session(user)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


# Password reset: a signed, timed token naming the member and a digest of their current
# password hash. Setting a new password changes the hash, so a token works once and stops
# working whenever the password changes by any route.
_RESET_SALT = "password-reset"


def _password_digest(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"id": user.id, "pw": _password_digest(user)})


def user_for_reset_token(token: str) -> User | None:
    """The member a valid, unexpired, unused token belongs to; else None."""
    max_age = current_app.config["RESET_TOKEN_HOURS"] * 3600
    try:
        data = _reset_serializer().loads(token[:512], max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    user = db.session.get(User, data["id"]) if 0 < data["id"] < 2**31 else None
    if user is None or user.is_banned or data.get("pw") != _password_digest(user):
        return None
    return user


def create_invitation(actor: User, days: int, note: str = "") -> Invitation:
    invitation = Invitation(
        code=secrets.token_urlsafe(18),
        note=note.strip(),
        created_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation


def usable_invitation(code: str) -> Invitation | None:
    """The invitation with this code if it can still be used, else None."""
    code = code.strip()
    if not code or len(code) > 64:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.code == code))
    return invitation if invitation is not None and invitation.usable() else None


def redeem_invitation(invitation: Invitation, user: User) -> None:
    """Mark *invitation* used by *user*; a concurrent second use fails on the row update."""
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow(), used_by_id=user.id)
    )
    if claimed.rowcount != 1:
        raise OperationError(_l("This invitation has already been used."), field="invitation")


def revoke_invitation(invitation: Invitation) -> None:
    if invitation.revoked_at is None and invitation.used_at is None:
        invitation.revoked_at = utcnow()


def approve_member(member: User) -> bool:
    """Approve a pending account; False if it was not pending."""
    if member.approved_at is not None:
        return False
    member.approved_at = utcnow()
    return True


def set_role(member: User, role: Role, boards: list | None = None) -> None:
    """Make *member* a member, an administrator, or a moderator of *boards* (a list of
    Board); a member or administrator moderates no board in particular."""
    member.role = role
    member.moderated_boards = list(boards or []) if role is Role.MODERATOR else []


BIO_MAX = 2000
EXPERTISE_MAX = 300


def update_profile(
    member: User,
    *,
    display_name: str,
    country: str | None,
    organisation: str,
    spoken_languages: list[str],
    editions: list[str],
    expertise: str,
    bio: str,
) -> None:
    """Save what a member says about themselves; the bio is rendered and sanitized here."""
    from brain.ops.posts import render_body
    from brain.vocabulary.members import EDITION_CODES

    member.display_name = display_name.strip()
    member.country = country or None
    member.organisation = organisation.strip() or None
    member.spoken_languages = spoken_languages
    words = [word.strip() for word in LIST_SEPARATORS.split(expertise) if word.strip()]
    member.expertise = ", ".join(dict.fromkeys(words))[:EXPERTISE_MAX] or None
    bio = clean_text(bio).strip()
    member.bio = bio or None
    member.bio_html = render_body(bio) if bio else None
    wanted = [code for code in dict.fromkeys(editions) if code in EDITION_CODES]
    kept = [row for row in member.editions if row.edition in wanted]
    have = {row.edition for row in kept}
    member.editions = kept + [MemberEdition(edition=code) for code in wanted if code not in have]
