"""The operator's toolkit: `brain backup` while the site writes, `brain restore` into an empty
database (and its refusals), and every `brain doctor` check failing and passing when it should.
On SQLite and, with BRAIN_TEST_DATABASE_URL, on PostgreSQL (a fresh database per restore)."""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import tarfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, make_url, select, text

from brain import create_app, queue
from brain.cli import compile_translations
from brain.extensions import db
from brain.i18n import TRANSLATIONS_DIR
from brain.maintenance.doctor import (
    CHECKS,
    Status,
    check_catalogs,
    check_cookies,
    check_data_files,
    check_mail,
    check_migrations,
    check_queue,
    check_redis,
    check_search_index,
    check_secret_key,
)
from brain.maintenance.restore import restore_instance_files
from brain.models import NotificationEvent, OutgoingMail, Post, SearchOutbox, Topic, User
from brain.ops.posts import reply
from tests.conftest import PG_URL
from tests.factories import database, make_board, make_reply, make_topic, make_user, opening_post
from tests.test_mail import Inbox, _free_port

STRONG_KEY = secrets.token_hex(32)


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def _backup(app, output: Path, *options: str) -> Path:
    result = _invoke(app, "backup", "--output", str(output), *options)
    assert result.exit_code == 0, result.output
    return output


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}


def _rewrite_manifest(archive: Path, **changes) -> None:
    """The same archive with some manifest fields changed (an archive from elsewhere)."""
    members = _members(archive)
    manifest = {**json.loads(members["manifest.json"]), **changes}
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


# Backups are read by other connections and programs (pg_dump), restores write through a
# second app: real commits.
pytestmark = pytest.mark.commits


@pytest.fixture
def instance_files(app):
    """A secret key file and an uploads/ folder in the app's instance folder, as a site that
    was set up without BRAIN_SECRET_KEY and has uploads would have."""
    instance = Path(app.instance_path)
    (instance / "secret_key").write_text(STRONG_KEY)
    # Files earlier tests attached (browser tests commit for real) are not this site's.
    shutil.rmtree(instance / "uploads", ignore_errors=True)
    (instance / "uploads").mkdir()
    (instance / "uploads" / "poster.png").write_bytes(b"\x89PNG not really")
    (instance / "brain.cfg").write_text("SITE_NAME = 'Academy alumni'\n")
    yield instance
    (instance / "secret_key").unlink()
    (instance / "brain.cfg").unlink()
    shutil.rmtree(instance / "uploads")


@pytest.fixture
def empty_target(tmp_path):
    """A second site with its own instance folder and an empty database of the same kind
    (on PostgreSQL a new database, dropped at the end); migrated as `brain db upgrade` would."""
    settings = {
        "TESTING": True,
        "SEARCH_INDEXER": "sync",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "PAGE_CACHE_SECONDS": 0,
    }
    name = None
    if PG_URL:
        name = f"brain_restore_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name)
        fresh = create_engine(url)
        with fresh.begin() as connection:
            connection.execute(text('CREATE SCHEMA "restored"'))  # not the archive's schema
        fresh.dispose()
        settings["DATABASE_URL"] = url.render_as_string(hide_password=False)
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-csearch_path=restored"}
        }
    else:
        settings["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.db'}"
    target = create_app(settings, instance_path=str(tmp_path / "restored-instance"))
    with target.app_context():
        upgrade()
    yield target
    with target.app_context():
        db.engine.dispose()
    if name:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


# --- backup while writing, restore ------------------------------------------------------


class Writer(threading.Thread):
    """Replies to a topic until stopped, one commit each, recording every post whose commit
    returned, with the moment it returned."""

    def __init__(self, app, parent_id: int, author_id: int):
        super().__init__(daemon=True)
        self.app, self.parent_id, self.author_id = app, parent_id, author_id
        self.acknowledged: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.test_request_context("/"):
                number = 0
                while not self.stop.is_set():
                    post = reply(
                        db.session.get(Post, self.parent_id),
                        db.session.get(User, self.author_id),
                        f"Sociocracy in practice, note {number}",
                        "en",
                    )
                    db.session.commit()
                    self.acknowledged.append((post.id, time.monotonic()))
                    number += 1
        except BaseException as problem:  # reported by the test
            self.failure = problem

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            assert self.failure is None, self.failure
            time.sleep(0.01)
        assert len(self.acknowledged) >= count


def _assert_consistent(session) -> None:
    """Counters agree with the rows, every reply's parent is in its topic above it."""
    for topic in session.scalars(select(Topic)):
        posts = session.scalars(select(Post).where(Post.topic_id == topic.id)).all()
        visible = [post for post in posts if post.is_visible]
        assert topic.post_count == len(posts)
        assert topic.reply_count == len(visible) - 1
        assert topic.last_post_id == max(post.id for post in visible)
        by_id = {post.id: post for post in posts}
        for post in posts:
            if post.parent_id is not None:
                parent = by_id[post.parent_id]
                assert post.tree_path.startswith(parent.tree_path)
    if session.get_bind().dialect.name == "sqlite":
        assert session.scalar(text("PRAGMA integrity_check")) == "ok"
        assert session.execute(text("PRAGMA foreign_key_check")).all() == []


def test_a_backup_taken_while_posts_are_written_restores_every_acknowledged_post(
    app, tmp_path, empty_target
):
    from brain.search import backend, search

    author = make_user(username="amina")
    board = make_board()
    topic = make_topic(board=board, author=author, body="How do you decide together?")
    writer = Writer(app, opening_post(topic).id, author.id)
    writer.start()
    try:
        writer.wait_for(8)
        for _attempt in range(20):  # until a write was acknowledged while the backup ran
            started = time.monotonic()
            archive = _backup(app, tmp_path / "live.tar.gz")
            finished = time.monotonic()
            if any(started <= moment <= finished for _id, moment in writer.acknowledged):
                break
        writer.wait_for(len(writer.acknowledged) + 3)  # and the site kept writing
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.failure is None, writer.failure
    before = {post_id for post_id, moment in writer.acknowledged if moment < started}
    written = {post_id for post_id, _moment in writer.acknowledged} | {topic.first_post_id}
    assert any(started <= moment <= finished for _post_id, moment in writer.acknowledged)
    manifest = json.loads(_members(archive)["manifest.json"])

    result = _invoke(empty_target, "restore", str(archive), "--yes")
    assert result.exit_code == 0, result.output
    assert "Restored 1 members, 1 topics" in result.output

    with empty_target.test_request_context("/"):
        restored = set(db.session.scalars(select(Post.id)))
        assert before <= restored  # nothing acknowledged before the backup is missing
        assert restored <= written  # and nothing half-written or invented
        assert manifest["counts"] == {"users": 1, "topics": 1, "posts": len(restored)}
        _assert_consistent(db.session)
        assert backend().check() == {"missing": [], "stale": [], "pending": []}
        found = search("sociocracy", readable_board_ids=[board.id])
        assert found.hits and {hit.post_id for hit in found.hits} <= restored


def test_restore_refuses_a_database_with_content_and_changes_nothing(app, tmp_path):
    author = make_user(username="amina")
    topic = make_topic(board=make_board(), author=author)
    archive = _backup(app, tmp_path / "site.tar.gz")
    later = make_reply(parent=opening_post(topic), author=author, body="Written after")

    result = _invoke(app, "restore", str(archive), "--yes")
    assert result.exit_code == 1
    assert "is not empty (1 users, 1 boards, 1 topics, 2 posts)" in result.output
    with database() as session:
        assert session.get(Post, later.id).body_source == "Written after"
        assert session.scalar(select(func.count(Post.id))) == 2


def test_restore_refuses_an_archive_of_the_other_kind_of_database(app, tmp_path, empty_target):
    archive = _backup(app, tmp_path / "site.tar.gz")
    here = "postgresql" if PG_URL else "sqlite"
    other = "sqlite" if PG_URL else "postgresql"
    _rewrite_manifest(archive, dialect=other)

    result = _invoke(empty_target, "restore", str(archive), "--yes")
    assert result.exit_code == 1
    assert f"holds a {other} database and this site uses {here}" in result.output


@pytest.mark.parametrize("kind", ["text", "tar without manifest", "truncated"])
def test_restore_refuses_what_is_not_a_backup(app, tmp_path, kind):
    make_user(username="amina")
    path = tmp_path / "thing.tar.gz"
    if kind == "text":
        path.write_text("name,email\namina,amina@example.org\n")
    elif kind == "tar without manifest":
        with tarfile.open(path, "w:gz") as tar:
            tar.add(Path(app.instance_path), arcname="instance")
    else:
        whole = _backup(app, tmp_path / "whole.tar.gz").read_bytes()
        path.write_bytes(whole[: len(whole) // 2])

    result = _invoke(app, "restore", str(path), "--yes")
    assert result.exit_code == 1
    assert "is not a Collective Brain backup" in result.output


def test_a_backup_holds_the_snapshot_and_configuration_but_not_the_secret_key(
    app, tmp_path, instance_files
):
    make_topic(board=make_board(), author=make_user(username="amina"))
    members = _members(_backup(app, tmp_path / "site.tar.gz"))
    database_member = "database/brain.pgdump" if PG_URL else "database/brain.sqlite3"
    instance = {name for name in members if name.startswith("instance/")}
    assert instance == {"instance/brain.cfg", "instance/uploads/poster.png"}
    assert database_member in members
    manifest = json.loads(members["manifest.json"])
    assert manifest["counts"] == {"users": 1, "topics": 1, "posts": 1}
    assert manifest["dialect"] == ("postgresql" if PG_URL else "sqlite")
    with app.app_context():
        assert check_migrations()[1].endswith(f"({manifest['revision']})")
    assert datetime.fromisoformat(manifest["created_at"]) > datetime.now(UTC) - timedelta(minutes=1)


def test_the_secret_key_is_in_the_backup_only_when_asked(app, tmp_path, instance_files):
    members = _members(_backup(app, tmp_path / "site.tar.gz", "--with-secret-key"))
    assert members["instance/secret_key"].decode() == STRONG_KEY


def test_restoring_files_keeps_those_already_there_and_the_key_unless_asked(tmp_path, app):
    archived = tmp_path / "work" / "instance"
    (archived / "uploads").mkdir(parents=True)
    (archived / "secret_key").write_text("archived key")
    (archived / "brain.cfg").write_text("SITE_NAME = 'archived'\n")
    (archived / "uploads" / "poster.png").write_bytes(b"poster")
    site = Path(app.instance_path)
    (site / "secret_key").write_text("this server's key")
    try:
        with app.app_context():
            restored, kept = restore_instance_files(tmp_path / "work", replace_secret_key=False)
            assert (site / "secret_key").read_text() == "this server's key"
            assert kept == ["secret_key"] and "uploads/poster.png" in restored
            restore_instance_files(tmp_path / "work", replace_secret_key=True)
            assert (site / "secret_key").read_text() == "archived key"
    finally:
        for name in ("secret_key", "brain.cfg"):
            (site / name).unlink()
        shutil.rmtree(site / "uploads")


def test_backup_says_why_when_it_cannot_write(app, tmp_path):
    result = _invoke(app, "backup", "--output", str(tmp_path / "missing" / "b.tar.gz"))
    assert result.exit_code == 1
    assert "the folder does not exist" in result.output


@pytest.mark.skipif(not PG_URL, reason="pg_dump is only used on PostgreSQL")
def test_backup_says_when_pg_dump_is_missing(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["backup", "--output", str(tmp_path / "b.tar.gz")], env={"PATH": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output
    assert not (tmp_path / "b.tar.gz").exists()


# --- doctor -----------------------------------------------------------------------------


def _check(app, check, **config):
    app.config.update(config)
    with app.app_context():
        return check()


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("test secret", Status.FAIL),
        ("changeme", Status.FAIL),
        ("short-key-1", Status.FAIL),
        (STRONG_KEY, Status.OK),
    ],
)
def test_doctor_secret_key(app, key, status):
    assert _check(app, check_secret_key, SECRET_KEY=key)[0] is status


def test_doctor_warns_about_a_key_only_in_the_instance_folder(app, instance_files):
    status, message = _check(app, check_secret_key, SECRET_KEY=STRONG_KEY)
    assert status is Status.WARN and "BRAIN_SECRET_KEY" in message


@pytest.mark.parametrize(
    ("secure", "scheme", "proxies", "status"),
    [
        (False, "https", 0, Status.FAIL),
        (False, "http", 1, Status.WARN),
        (True, "http", 1, Status.WARN),
        (True, "https", 1, Status.OK),
        (False, "http", 0, Status.OK),
    ],
)
def test_doctor_secure_cookies(app, secure, scheme, proxies, status):
    config = {"SESSION_COOKIE_SECURE": secure, "PREFERRED_URL_SCHEME": scheme, "PROXIES": proxies}
    status_found, message = _check(app, check_cookies, **config)
    assert status_found is status
    if status is Status.FAIL:
        assert "BRAIN_SESSION_COOKIE_SECURE=true" in message


def test_doctor_reaches_a_mail_server(app):
    controller = Controller(Inbox(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        status, _ = _check(app, check_mail, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    finally:
        controller.stop()
    assert status is Status.OK


def test_doctor_fails_when_the_mail_server_does_not_answer(app):
    status, message = _check(app, check_mail, MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    assert status is Status.FAIL and "BRAIN_MAIL_SERVER" in message


def test_doctor_says_where_mail_goes_without_a_server(app):
    status, message = _check(app, check_mail, MAIL_SERVER=None)
    assert status is Status.WARN and str(Path(app.instance_path) / "mail") in message


def test_doctor_redis(app):
    assert _check(app, check_redis)[0] is Status.OK  # none configured
    uri = "redis://127.0.0.1:6379/0"
    assert _check(app, check_redis, RATELIMIT_STORAGE_URI=uri)[0] is Status.OK
    closed = f"redis://:hush@127.0.0.1:{_free_port()}/0"
    status, message = _check(app, check_redis, RATELIMIT_STORAGE_URI=closed)
    assert status is Status.FAIL and "BRAIN_RATELIMIT_STORAGE_URI" in message
    assert "hush" not in message


def test_doctor_migrations(app):
    with app.app_context():
        assert check_migrations()[0] is Status.OK
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        scripts = ScriptDirectory(app.extensions["migrate"].directory)
        older = scripts.get_revision(head).down_revision
        try:
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": older})
            db.session.commit()
            status, message = check_migrations()
            assert status is Status.FAIL and "`brain db upgrade`" in message
        finally:
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
            db.session.commit()


def test_doctor_search_index(app, search_backend):
    topic = make_topic(board=make_board(), author=make_user(username="amina"))
    with app.app_context():
        status, message = check_search_index()
        assert status is Status.OK and f"the {search_backend.name} index" in message
        search_backend.clear()
        status, message = check_search_index()
        assert status is Status.FAIL and "`brain search rebuild`" in message
        search_backend.rebuild()
        long_ago = datetime.now(UTC) - timedelta(minutes=10)
        db.session.add(SearchOutbox(post_id=topic.first_post_id, enqueued_at=long_ago))
        db.session.commit()
        status, message = check_search_index()
        assert status is Status.WARN and "`brain search drain`" in message


def test_doctor_task_queue(app):
    now = datetime.now(UTC)
    with app.app_context():
        assert check_queue()[0] is Status.OK  # the tests' queue runs tasks at once
        queue.huey.immediate = False  # a queue a worker would take from
        try:
            assert check_queue(now) == (Status.OK, "the worker keeps up (0 tasks queued)")
            db.session.add(OutgoingMail(kind="reset", recipient="a@example.org", message="x"))
            db.session.commit()
            assert check_queue(now)[0] is Status.OK  # just written: the worker has time
            status, message = check_queue(now + timedelta(minutes=20))
            assert status is Status.FAIL and re.match(r"mail waiting since (19|20) min", message)
            assert "`brain worker`" in message
            db.session.execute(
                OutgoingMail.__table__.update().values(gave_up_at=now, last_error="550")
            )
            db.session.add(NotificationEvent(kind="approved", created_at=now))
            db.session.commit()
            status, message = check_queue(now + timedelta(minutes=6))
            assert status is Status.FAIL and message.startswith("notifications waiting")
            db.session.execute(
                NotificationEvent.__table__.update().values(attempts=5, last_error="KeyError: 7")
            )
            db.session.commit()
            status, message = check_queue(now + timedelta(minutes=6))
            assert status is Status.FAIL and "failed their fan-out 5 times" in message
            assert "KeyError: 7" in message
            db.session.execute(NotificationEvent.__table__.update().values(done_at=now))
            db.session.commit()
            status, message = check_queue(now + timedelta(minutes=6))
            assert status is Status.WARN and "/admin/mail" in message
        finally:
            queue.huey.immediate = True


def test_doctor_translation_catalogs(app, tmp_path):
    catalogs = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, catalogs, ignore=shutil.ignore_patterns("*.mo"))
    with app.app_context():
        assert check_catalogs(catalogs)[0] is Status.FAIL  # never compiled
        compile_translations(catalogs)
        assert check_catalogs(catalogs)[0] is Status.OK
        po = catalogs / "fr" / "LC_MESSAGES" / "messages.po"
        later = time.time() + 60  # edited after the last compile
        os.utime(po, (later, later))
        status, message = check_catalogs(catalogs)
        assert status is Status.FAIL and "(fr)" in message
        assert "`brain translations compile`" in message
        assert check_catalogs(tmp_path / "nothing")[0] is Status.FAIL


def test_doctor_data_files(app, tmp_path):
    with app.app_context():
        assert check_data_files()[0] is Status.OK
        status, message = check_data_files([TRANSLATIONS_DIR, tmp_path / "glossary.tsv"])
        assert status is Status.FAIL and "glossary.tsv" in message


def test_doctor_prints_a_line_per_check_and_fails_when_one_fails(app):
    app.config.update(SECRET_KEY=STRONG_KEY)
    healthy = _invoke(app, "doctor")
    assert healthy.exit_code == 0, healthy.output
    lines = healthy.output.splitlines()
    assert len(lines) == len(CHECKS) == 9
    assert all(line.split()[0] in {"ok", "warn"} for line in lines)
    app.config.update(SECRET_KEY="changeme")
    broken = _invoke(app, "doctor")
    assert broken.exit_code == 1
    assert any(line.startswith("FAIL  secret key") for line in broken.output.splitlines())
