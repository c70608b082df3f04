"""Rate limits: login, registration, reset, posting and search; a 429 page that says when to
retry; limits that hold across processes, in the instance folder's file by default or in
Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from types import SimpleNamespace

import pytest
import redis
from flask_migrate import upgrade

from brain import config, create_app, ratelimit_store
from brain.extensions import db, limiter
from tests.factories import log_in, make_board, make_topic, make_user, submit

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def limits(app):
    """Set limits for one test, with fresh counters."""

    def set_limits(**values):
        for name, value in values.items():
            app.config[f"RATELIMIT_{name.upper()}"] = value
        limiter.reset()

    yield set_limits
    limiter.reset()


def test_login_attempts_are_limited_with_a_page_that_says_when_to_retry(client, limits):
    limits(login="3 per minute")
    user = make_user()
    for _attempt in range(3):
        response = submit(client, "/login", {"login": user.username, "password": "wrong pass"})
        assert response.status_code == 200
    response = submit(client, "/login", {"login": user.username, "password": "wrong pass"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many requests" in html
    # How long, in words (a slow machine may take a second or more over the attempts).
    assert re.search(r"Please wait (1 minute|\d+ seconds) before trying again", html)
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # Reading the login page is not limited.
    assert client.get("/login").status_code == 200


def test_the_429_page_is_translated(client, limits):
    limits(login="1 per minute")
    client.set_cookie("lang", "fr")
    submit(client, "/login", {"login": "x", "password": "y"})
    response = submit(client, "/login", {"login": "x", "password": "y"})
    assert response.status_code == 429
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_posting_is_limited_per_member_across_topics_and_replies(client, limits, session_app):
    limits(posting="2 per minute")
    board = make_board()
    author = make_user(username="amina")
    topic = make_topic(board=board, author=author)
    log_in(client, author)
    reply_url = f"/p/{topic.first_post_id}/reply"
    # A preview does not count; posts do, wherever they are made.
    preview = submit(client, reply_url, {"body": "Draft", "language": "en", "preview": "1"})
    assert preview.status_code == 200
    assert submit(client, reply_url, {"body": "One", "language": "en"}).status_code == 302
    new_topic = {"title": "Second topic", "language": "en", "body": "Two"}
    assert submit(client, f"/b/{board.slug}/new", new_topic).status_code == 302
    assert submit(client, reply_url, {"body": "Three", "language": "en"}).status_code == 429
    # Another member, on the same address, still posts.
    other = session_app.test_client()
    log_in(other, make_user(username="kofi"))
    assert submit(other, reply_url, {"body": "Kofi", "language": "en"}).status_code == 302


def test_search_and_registration_and_reset_are_limited(client, limits):
    limits(search="2 per minute", register="1 per minute", reset="1 per minute")
    assert client.get("/search?q=tontine").status_code == 200
    assert client.get("/search?q=coop").status_code == 200
    assert client.get("/search?q=again").status_code == 429
    assert client.get("/search").status_code == 200  # the empty search page is free

    data = {"username": "kofi", "email": "kofi@example.org", "password": "x" * 12}
    data["confirm"] = data["password"]
    assert submit(client, "/register", data).status_code == 302
    client.post("/logout")
    fresh = client.application.test_client()
    data.update(username="lucia", email="lucia@example.org")
    assert submit(fresh, "/register", data).status_code == 429

    assert submit(fresh, "/reset", {"email": "a@example.org"}).status_code == 302
    assert submit(fresh, "/reset", {"email": "a@example.org"}).status_code == 429


# --- two processes, one Redis ------------------------------------------------------------

SERVER = """
import sys
from werkzeug.serving import make_server
from brain import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _start_servers(
    tmp_path, storage: str | None, prefix: str, count: int = 2, one_instance: bool = False
):
    """*count* servers on one database; *storage* None leaves the default store, and
    *one_instance* gives them one instance folder, as gunicorn's workers have."""
    database = tmp_path / "limits.db"
    if not database.exists():
        app = create_app({"DATABASE_URL": f"sqlite:///{database}"}, str(tmp_path / "setup"))
        with app.app_context():
            upgrade()
    processes, ports = [], []
    for index in range(count):
        env = {
            **os.environ,
            "BRAIN_DATABASE_URL": f"sqlite:///{database}",
            "BRAIN_SECRET_KEY": "shared secret",
            "BRAIN_INSTANCE_PATH": str(
                tmp_path / ("instance" if one_instance else f"instance{index}")
            ),
            "BRAIN_SEARCH_INDEXER": "off",
            "BRAIN_RATELIMIT_STORAGE_URI": storage or "",  # empty: the default
            "BRAIN_RATELIMIT_KEY_PREFIX": prefix,
            "BRAIN_RATELIMIT_SEARCH": "5 per minute",
        }
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        processes.append(process)
        ports.append(int(process.stdout.readline()))
    return processes, ports


def _status(port: int, query: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q={query}", timeout=10):
            return 200
    except urllib.error.HTTPError as error:
        return error.code


def _stop(processes) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_limits_hold_across_two_processes_sharing_redis(tmp_path):
    store = redis.Redis.from_url(REDIS_URL)
    store.ping()  # Redis runs on every machine here (TESTING.md)
    prefix = f"brain-test-{uuid.uuid4().hex[:8]}"
    processes, (first, second) = _start_servers(tmp_path, REDIS_URL, prefix)
    try:
        statuses = [_status(port, "coop") for port in (first, second, first, second, first)]
        assert statuses == [200] * 5
        # The sixth request is refused by whichever process gets it.
        assert _status(second, "coop") == 429
        assert _status(first, "coop") == 429
    finally:
        _stop(processes)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_by_default_the_processes_of_one_instance_folder_count_together(tmp_path):
    # No store configured: gunicorn's workers share the counters' file in the instance folder.
    processes, (first, second) = _start_servers(tmp_path, None, "default", one_instance=True)
    try:
        statuses = [_status(port, "coop") for port in (first, second, first, second, first)]
        assert statuses == [200] * 5
        assert _status(second, "coop") == 429
        assert _status(first, "coop") == 429
    finally:
        _stop(processes)


def test_the_login_limit_holds_as_configured_and_as_announced(tmp_path, session_app, monkeypatch):
    monkeypatch.delenv("BRAIN_RATELIMIT_STORAGE_URI", raising=False)  # the default store
    settings = {
        "DATABASE_URL": session_app.config["DATABASE_URL"],
        "SQLALCHEMY_ENGINE_OPTIONS": session_app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "SECRET_KEY": "x",
        "SEARCH_INDEXER": "off",
        "PASSWORD_HASH_METHOD": session_app.config["PASSWORD_HASH_METHOD"],
        "RATELIMIT_LOGIN": config.Defaults.RATELIMIT_LOGIN,  # 10 per minute;50 per hour
    }
    apps = [create_app(settings, str(tmp_path))]
    limiter.reset()

    def attempt(app):
        return submit(app.test_client(), "/login", {"login": "amina", "password": "guess"})

    try:
        for _attempt in range(5):
            response = attempt(apps[0])
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "10"
        # Another app on the same instance folder (a worker started later, or a restart)
        # counts on from there.
        apps.append(create_app(settings, str(tmp_path)))
        for _attempt in range(5):
            assert attempt(apps[1]).status_code == 200
        response = attempt(apps[1])
        assert response.status_code == 429
        assert response.headers["X-RateLimit-Limit"] == "10"
        assert attempt(apps[0]).status_code == 429
    finally:
        limiter.reset()
        for app in apps:
            with app.app_context():
                db.engine.dispose()


def test_the_instance_folder_store_counts_each_window_afresh(tmp_path, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit_store, "time", SimpleNamespace(time=lambda: now[0]))
    store = ratelimit_store.SQLiteStorage(ratelimit_store.uri_for(str(tmp_path)))
    assert [store.incr("login", 60) for _hit in range(3)] == [1, 2, 3]
    assert store.get("login") == 3
    assert store.get_expiry("login") == now[0] + 60
    now[0] += 59  # the window's last second still counts
    assert store.incr("login", 60) == 4
    now[0] += 1  # a new window: the count starts again and ends 60 seconds from now
    assert store.get("login") == 0
    assert store.incr("login", 60) == 1
    assert store.get_expiry("login") == now[0] + 60
    store.clear("login")
    assert store.get("login") == 0


def test_without_a_shared_store_each_process_counts_alone(tmp_path):
    # Why memory:// is not the default: two workers allow twice the limit.
    processes, (first, second) = _start_servers(tmp_path, "memory://", "alone")
    try:
        statuses = [_status(port, "coop") for port in (first, second) * 5]
        assert statuses == [200] * 10
        assert _status(first, "coop") == 429
    finally:
        _stop(processes)


def test_behind_a_proxy_each_visitor_is_counted_by_their_own_address(tmp_path, session_app):
    app = create_app(
        {
            "DATABASE_URL": session_app.config["DATABASE_URL"],
            "SQLALCHEMY_ENGINE_OPTIONS": session_app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "SECRET_KEY": "x",
            "SEARCH_INDEXER": "off",
            "PROXIES": 1,
            "RATELIMIT_SEARCH": "1 per minute",
            "RATELIMIT_KEY_PREFIX": f"proxy-{uuid.uuid4().hex[:6]}",
        },
        str(tmp_path),
    )
    limiter.reset()
    client = app.test_client()

    def status(visitor: str) -> int:
        headers = {"X-Forwarded-For": visitor}
        return client.get("/search?q=coop", headers=headers).status_code

    try:
        assert status("203.0.113.5") == 200
        assert status("203.0.113.9") == 200  # another visitor through the same proxy
        assert status("203.0.113.5") == 429
    finally:
        limiter.reset()
        with app.app_context():
            db.engine.dispose()


def test_with_limits_turned_off_nothing_is_limited(tmp_path):
    """RATELIMIT_ENABLED off (benchmarks): the app starts, and no search is refused."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'brain.db'}",
            "SECRET_KEY": "limits off",
            "SEARCH_INDEXER": "off",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_SEARCH": "1 per minute",
        },
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        upgrade()
    client = app.test_client()
    assert [client.get(f"/search?q=coop{n}").status_code for n in range(3)] == [200] * 3
    with app.app_context():
        db.engine.dispose()
