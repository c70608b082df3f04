"""Small keyword-only factories and client helpers used by the tests."""

from __future__ import annotations

import re
from contextlib import contextmanager

from brain.extensions import db
from brain.models import Board, Post, Role, Topic, User
from brain.ops import posts as post_ops
from brain.ops.accounts import register_member

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


# The app under test; set by the ``app`` fixture. Factories work in a context of their own and
# return detached objects with their columns loaded, so a test never shares a database session
# (or flask.g) with the requests it makes through the test client.
APP = None


@contextmanager
def database():
    """An application context for reading or changing the database inside a test."""
    with APP.test_request_context("/"):
        yield db.session


def _detached(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


def fetch(model, ident):
    """A fresh, detached copy of a row (None if it does not exist)."""
    with database() as session:
        obj = session.get(model, ident)
        return None if obj is None else _detached(obj)


def make_user(
    *, username: str = "amina", role: Role = Role.MEMBER, display_name: str | None = None
) -> User:
    with database() as session:
        user = register_member(
            username, f"{username}@example.org", PASSWORD, display_name, role=role
        )
        session.commit()
        return _detached(user)


def make_board(*, slug: str = "cooperatives", name: str = "Cooperatives", **flags) -> Board:
    with database() as session:
        board = Board(slug=slug, name=name, description=f"About {name}", position=1, **flags)
        session.add(board)
        session.commit()
        return _detached(board)


def make_topic(
    *,
    board: Board,
    author: User,
    title: str = "Cooperative law reform",
    body: str = "What changed in your country?",
    language: str = "en",
    when=None,
) -> Topic:
    with database() as session:
        topic = post_ops.start_topic(
            session.get(Board, board.id),
            session.get(User, author.id),
            title,
            body,
            language,
            when=when,
        )
        session.commit()
        return _detached(topic)


def make_reply(
    *, parent: Post, author: User, body: str = "A reply", language: str = "en", when=None
) -> Post:
    with database() as session:
        post = post_ops.reply(
            session.get(Post, parent.id), session.get(User, author.id), body, language, when=when
        )
        session.commit()
        return _detached(post)


def opening_post(topic: Topic) -> Post:
    return fetch(Post, topic.first_post_id)


# --- client helpers ---------------------------------------------------------------------


def csrf_token(client, url: str | None = None) -> str:
    """The CSRF token of the client's session: from *url*, else from the home page (members)
    or the login form (guests' pages carry no token)."""
    for address in [url] if url else ["/", "/login"]:
        match = CSRF_FIELD.search(client.get(address).get_data(as_text=True))
        if match:
            return match.group(1) or match.group(2)
    raise AssertionError(f"no CSRF token on {url or '/ or /login'}")


def submit(client, url: str, data: dict | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token the site gave out."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def log_in(client, user: User, password: str = PASSWORD):
    response = submit(client, "/login", {"login": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response
