"""The brain command: set-up, demo content, administrators, re-rendering, translations."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from brain.cli import compile_translations
from brain.extensions import db
from brain.models import Board, Post, Role, Topic, User


@pytest.fixture
def fresh_app(tmp_path):
    """An app on an empty SQLite database of its own (set-up creates it)."""
    from brain import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
            "TESTING": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SEARCH_INDEXER": "sync",
        },
        instance_path=str(tmp_path / "instance"),
    )


def test_setup_migrates_loads_the_demo_once_and_keeps_what_people_wrote(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "Demo content loaded" in result.output
    accounts = json.loads(_accounts(fresh_app).read_text())
    roles = {account["role"] for account in accounts}
    assert {"admin", "moderator", "member"} <= roles
    with fresh_app.app_context():
        boards = db.session.scalar(select(func.count(Board.id)))
        topics = db.session.scalar(select(func.count(Topic.id)))
        languages = set(db.session.scalars(select(Topic.language)))
        assert boards >= 5 and topics >= 18
        assert {"en", "fr", "es", "pt", "ar"} <= languages
        meeting = db.session.scalar(select(Board).where(Board.slug == "meeting-point"))
        # Everything posted on the Meeting Point is an offer, a request or an experience.
        posted = db.session.scalars(select(Topic).where(Topic.board_id == meeting.id)).all()
        assert len(posted) >= 12 and all(topic.cooperation for topic in posted)
        # Threaded: some replies answer replies, not only the opening post.
        assert db.session.scalar(select(func.max(Post.depth))) >= 3
        db.session.get(Topic, 1).title = "Changed by a person"
        db.session.commit()
    again = runner.invoke(args=["setup"])
    assert again.exit_code == 0 and "Demo content loaded" not in again.output
    with fresh_app.app_context():
        assert db.session.get(Topic, 1).title == "Changed by a person"


def _accounts(app):
    from pathlib import Path

    return Path(app.instance_path) / "demo-accounts.json"


def test_demo_passwords_work(fresh_app):
    from brain.ops.accounts import authenticate

    fresh_app.test_cli_runner().invoke(args=["setup"])
    account = json.loads(_accounts(fresh_app).read_text())[0]
    with fresh_app.app_context():
        assert authenticate(account["username"], account["password"]) is not None


def test_create_admin(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["setup", "--no-demo"])
    result = runner.invoke(
        args=["create-admin", "ops", "ops@example.org", "--password", "a strong password"]
    )
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ops"))
        assert user.role == Role.ADMIN
    short = runner.invoke(args=["create-admin", "x2", "x2@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output


def test_rerender_command_reports_what_it_changed(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["setup"])
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0 and "0 posts re-rendered" in result.output
    with fresh_app.app_context():
        db.session.get(Post, 1).renderer_version = 0
        db.session.commit()
    assert "1 posts re-rendered" in runner.invoke(args=["rerender"]).output


def test_translation_catalogs_compile(tmp_path):
    catalog = tmp_path / "fr" / "LC_MESSAGES"
    catalog.mkdir(parents=True)
    (catalog / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Boards"\nmsgstr "Forums"\n'
    )
    written = compile_translations(tmp_path)
    assert written == [catalog / "messages.mo"] and written[0].stat().st_size > 0
