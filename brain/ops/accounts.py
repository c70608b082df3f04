"""Registering members and checking their credentials."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from brain.extensions import db
from brain.models import Role, User
from brain.ops.errors import OperationError

USERNAME = re.compile(r"^[\w][\w.-]{1,30}[\w]$", re.UNICODE)
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
    if not USERNAME.match(name):
        return _l(
            "Use 3 to 32 letters, digits, dots, hyphens or underscores, "
            "starting and ending with a letter or digit."
        )
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
) -> User:
    """Create a member account; raises OperationError if the name or address is taken."""
    username = normalise_username(username)
    problem = validate_username(username)
    if problem:
        raise OperationError(problem, field="username")
    key = username_key(username)
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(User.username_key == key)):
        raise OperationError(
            _l("That username is taken. Please choose another one."), field="username"
        )
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise OperationError(
            _l(
                "An account with that email address already exists. Log in, or use another address."
            ),
            field="email",
        )
    user = User(
        username=username,
        username_key=key,
        email=email,
        password_hash=hash_password(password),
        display_name=(display_name or "").strip() or username,
        role=role,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


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
