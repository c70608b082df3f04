"""The demo community on a throwaway instance, served on 127.0.0.1: what the layout test walks
through and what the README's screenshots show.

``demo_site(folder)`` builds an instance under *folder* (SQLite, its own search index and
rate-limit counts), loads the demo content the way ``brain setup`` does, adds what the demo
leaves empty (open reports, a moderation log, an edited post, an invitation) and serves it.
It yields a ``DemoSite``: the base URL, the demo passwords and one address per kind of page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, update

from brain import create_app
from brain.cli import compile_translations
from brain.demo import load_demo
from brain.extensions import db
from brain.models import (
    Board,
    BoardRead,
    Cooperation,
    Notification,
    Post,
    Topic,
    TopicRead,
    User,
)
from brain.ops import accounts, mailing, moderation
from brain.ops.posts import edit_post
from tests.live import served

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The member whose pages are shown (the administrator sees every page there is).
ADMIN = "admin"
# Rate limits the walk through every page never reaches (every request comes from 127.0.0.1).
LIMITS = ("LOGIN", "REGISTER", "RESET", "POSTING", "SEARCH")


@dataclass
class DemoSite:
    app: Flask
    base: str
    passwords: dict[str, str]
    # Page name → path, in the order a visitor walks through them. Guests' pages come first:
    # they are seen logged out; the others as the administrator.
    guest_pages: dict[str, str] = field(default_factory=dict)
    member_pages: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # what the screenshots show

    def forget_reading(self, username: str) -> None:
        """Make every post and notification unread again for *username*, so each walk through
        the pages shows the same "new" markers and counts, whatever an earlier one read."""
        with self.app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.username == username))
            db.session.execute(delete(TopicRead).where(TopicRead.user_id == user_id))
            db.session.execute(delete(BoardRead).where(BoardRead.user_id == user_id))
            db.session.execute(
                update(Notification).where(Notification.user_id == user_id).values(read_at=None)
            )
            db.session.commit()


def _settings(folder: Path) -> dict:
    return {
        "DATABASE_URL": f"sqlite:///{folder / 'brain.db'}",
        "SECRET_KEY": "demo site for the layout test and the screenshots",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # logging in often stays quick
        "SEARCH_INDEXER": "sync",  # search finds the demo posts as soon as they are written
        "QUEUE_URL": "immediate",  # notifications are made while the demo loads
        "PAGE_CACHE_SECONDS": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        **{f"RATELIMIT_{name}": "10000 per minute" for name in LIMITS},
    }


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _path(topic: Topic) -> str:
    return f"/t/{topic.id}-{quote(topic.slug)}"


def _deepest_topic(exclude: set[int]) -> Topic:
    depth = func.max(Post.depth)
    topic_id = db.session.scalar(
        select(Post.topic_id)
        .where(Post.topic_id.not_in(exclude))
        .group_by(Post.topic_id)
        .order_by(depth.desc(), Post.topic_id)
        .limit(1)
    )
    return db.session.get(Topic, topic_id)


def _busiest_topic(*conditions) -> Topic:
    return db.session.scalar(
        select(Topic).where(*conditions).order_by(Topic.post_count.desc(), Topic.id).limit(1)
    )


def _add_what_the_demo_leaves_empty(admin: User, meeting: Board) -> None:
    """Reports for the queue, entries in the moderation log, a revision, an invitation."""
    forum_posts = select(Post).join(Topic, Post.topic_id == Topic.id)
    replies = db.session.scalars(
        forum_posts.where(Topic.board_id != meeting.id, Post.depth > 0).order_by(Post.id)
    ).all()
    arabic = next(post for post in replies if post.language == "ar")
    english = next(post for post in replies if post.language == "en")
    reporters = [_user(name) for name in ("thabo", "marta")]
    for reporter in reporters:
        moderation.report_post(english, reporter, "Off topic: this is an advertisement.", 3)
    moderation.report_post(arabic, reporters[0], "Personal attack on another member.", 3)
    hidden = replies[3]
    moderation.hide_post(hidden, admin, "Shared a member's phone number.")
    moderation.restore_post(hidden, admin, "The number was removed by its author.")
    moved = db.session.scalar(select(Topic).where(Topic.board_id != meeting.id).limit(1))
    home = moved.board
    lounge = db.session.scalar(select(Board).where(Board.slug == "welcome"))
    if home.id != lounge.id:
        moderation.move_topic(moved, admin, lounge, "Belongs with the introductions.")
        moderation.move_topic(moved, admin, home, "Moved back: it is an announcement.")
    own = db.session.scalar(
        select(Post).where(Post.author_id == admin.id).order_by(Post.id).limit(1)
    )
    edit_post(own, admin, own.body_source + "\n\n*Edited: the date is now confirmed.*")
    accounts.create_invitation(admin, 14, "For the 2026 cohort")


def _pages(site: DemoSite, admin: User, meeting: Board) -> None:
    forum = Topic.board_id != meeting.id
    threaded = _busiest_topic(forum, Topic.language == "ar")
    flat = _busiest_topic(forum, Topic.language == "es")
    deep = _deepest_topic({threaded.id, flat.id})
    offer = _busiest_topic(Topic.cooperation.has(Cooperation.kind == "offer"))
    request = _busiest_topic(Topic.cooperation.has(Cooperation.kind == "request"))
    board = db.session.get(Board, deep.board_id)
    arabic_reply = db.session.scalar(
        select(Post)
        .where(Post.topic_id == threaded.id, Post.depth > 0, Post.language == "ar")
        .order_by(Post.id)
        .limit(1)
    )
    edited = db.session.scalar(select(Post).where(Post.edited_at.is_not(None)).limit(1))
    member = _user("amina")
    token = mailing.unsubscribe_token(member, "daily")
    site.guest_pages = {
        "login": "/login",
        "register": "/register",
        "reset request": "/reset",
        "unsubscribe": f"/unsubscribe/{token}",
    }
    site.member_pages = {
        "home": "/",
        "board": f"/b/{board.slug}",
        "topic (threaded)": _path(threaded),
        "topic (flat)": f"{_path(flat)}?view=flat",
        "deep thread": _path(deep),
        "new topic": f"/b/{board.slug}/new",
        "reply": f"/p/{arabic_reply.id}/reply",
        "edit": f"/p/{edited.id}/edit",
        "revisions": f"/p/{edited.id}/revisions",
        "report a post": f"/p/{arabic_reply.id}/report",
        "search with results": "/search?q=cooperatives",
        "profile": f"/u/{member.username}",
        "edit profile": "/settings/profile",
        "settings": "/settings",
        "settings: password": "/settings/password",
        "settings: delete account": "/settings/delete",
        "member directory": "/members",
        "notifications": "/notifications",
        "Meeting Point": "/meeting-point/",
        "Meeting Point overview": "/meeting-point/overview",
        "Meeting Point offer": _path(offer),
        "Meeting Point request": _path(request),
        "Meeting Point new": "/meeting-point/new",
        "Meeting Point details": f"/meeting-point/{offer.id}/details",
        "moderation reports": "/mod/reports",
        "moderation log": "/mod/log",
        "hide a post": f"/p/{arabic_reply.id}/hide",
        "move a topic": f"/t/{deep.id}/move",
        "admin": "/admin/",
        "admin boards": "/admin/boards",
        "admin board": f"/admin/boards/{board.id}",
        "admin members": "/admin/members",
        "admin member": f"/admin/members/{member.id}",
        "admin invitations": "/admin/invitations",
        "admin mail": "/admin/mail",
        "admin settings": "/admin/settings",
        "error 404": "/no-such-page",
    }
    site.topics = {"thread": _path(deep), "arabic": _path(threaded), "offer": _path(offer)}


@contextmanager
def demo_site(folder: Path) -> Iterator[DemoSite]:
    """The demo community on an instance in *folder*, served while the block runs."""
    compile_translations()  # the pages use the catalogs in the tree, as `brain setup` does
    app = create_app(_settings(folder), instance_path=str(folder))
    try:
        with app.app_context():
            upgrade()
        with app.test_request_context("/"):
            loaded = load_demo()
            db.session.flush()
            admin = _user(ADMIN)
            meeting = db.session.scalar(
                select(Board).where(Board.slug == app.config["MEETING_POINT_BOARD"])
            )
            _add_what_the_demo_leaves_empty(admin, meeting)
            db.session.commit()
            passwords = {account["username"]: account["password"] for account in loaded}
            site = DemoSite(app=app, base="", passwords=passwords)
            _pages(site, admin, meeting)
        with served(app) as base:
            site.base = base
            yield site
    finally:
        with app.app_context():
            db.engine.dispose()


def log_in(page: Page, site: DemoSite, username: str = ADMIN) -> None:
    """Log in with the English login form (its labels are found by their English names)."""
    page.goto(f"{site.base}/login?lang=en")
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(site.passwords[username])
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()
    assert urlsplit(page.url).path != "/login", f"{username} could not log in"
