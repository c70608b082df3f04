"""Two application servers on one PostgreSQL database and one Redis, as the README's "Several
servers" deployment runs them: two gunicorn servers, each with an instance folder of its own,
the same secret key, one shared uploads folder, the guests' page cache and the members' kept
pages on. Whatever is written on one server shows at once on the other (a new topic, a reply,
an edit, a hidden post, a moved topic, a Meeting Point status, the site's and a board's names,
search, an attached file), a logout on one ends the session on both, and a rate limit counts
the attempts made on both together.

The servers run when BRAIN_TEST_DATABASE_URL names a PostgreSQL server and Redis answers (the
PostgreSQL CI run), on a schema of their own dropped at the end. The last test, on either
database, plays another server's commit landing in the middle of a request."""

from __future__ import annotations

import http.cookiejar
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from PIL import Image
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from brain import create_app
from brain.extensions import db
from brain.i18n import INTERFACE_LANGUAGES
from brain.models import Board, Role
from brain.ops import cooperation as cooperation_ops
from brain.ops.accounts import register_member
from brain.ops.posts import start_topic
from tests.factories import PASSWORD, log_in, make_board, make_topic, make_user

PG_URL = os.environ.get("BRAIN_TEST_DATABASE_URL", "")
REDIS_URL = "redis://127.0.0.1:6379/7"  # this test's own Redis database
BIN = Path(sys.executable).parent
LOGIN_LIMIT = 3  # BRAIN_RATELIMIT_LOGIN, per minute
DEADLINE = 20.0  # seconds a server may take to start
SEARCH_LAG = 5.0  # seconds a post may take to be found (or no longer found) by search


def _redis_answers() -> bool:
    store = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        return bool(store.ping())
    except redis.RedisError:
        return False
    finally:
        store.close()


# --- a visitor: a cookie jar and an address, talking to either server ---------------------

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]*)"')


@dataclass
class Reply:
    status: int
    location: str
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """One person at one address. Cookies belong to the host, not the port, so the same
    session cookie goes to both servers, as it would through a load balancer."""

    def __init__(self, address: str):
        self.address = address  # sent as X-Forwarded-For (the servers trust one proxy)
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def _open(self, url: str, data: dict | None = None, files: dict | None = None) -> Reply:
        headers = {"X-Forwarded-For": self.address}
        if files:
            encoded, headers["Content-Type"] = _multipart(data or {}, files)
        else:
            encoded = None if data is None else urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(url, data=encoded, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return Reply(
                    response.status,
                    response.headers.get("Location", ""),
                    dict(response.headers),
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            return Reply(
                error.code, error.headers.get("Location", ""), dict(error.headers), error.read()
            )

    def get(self, server: str, path: str) -> Reply:
        return self._open(server + path)

    def post(self, server: str, path: str, data: dict, files: dict | None = None) -> Reply:
        return self._open(server + path, data, files)

    def form(self, server: str, path: str) -> dict[str, str]:
        """The hidden inputs (CSRF token, one-time token, version) of the form at *path*."""
        page = self.get(server, path)
        assert page.status == 200, (path, page.status)
        fields: dict[str, str] = {}
        for tag in HIDDEN.findall(page.text):
            name, value = NAME.search(tag), VALUE.search(tag)
            if name and value:
                fields.setdefault(name.group(1), value.group(1))
        return fields

    def send(
        self,
        server: str,
        path: str,
        data: dict,
        form_at: str | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> Reply:
        """Fill in the form at *form_at* (else *path*) and send it to *path*, with *files*
        (field → file name and content) if any."""
        return self.post(server, path, {**self.form(server, form_at or path), **data}, files)

    def log_in(self, server: str, username: str) -> None:
        reply = self.send(server, "/login", {"login": username, "password": PASSWORD})
        assert reply.status == 302, reply.text[:500]


def _multipart(data: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of *data* and *files*, and its content type."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in data.items()
    ]
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _photo() -> bytes:
    """A small PNG, as a member's camera would not make it but the site accepts it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


# --- the database, its content, and the two servers ----------------------------------------


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A schema of its own on the test PostgreSQL server, migrated with `brain db upgrade`."""
    if not PG_URL.startswith("postgresql"):
        pytest.skip("two servers need PostgreSQL: set BRAIN_TEST_DATABASE_URL")
    if not _redis_answers():
        pytest.skip("two servers need Redis at 127.0.0.1:6379")
    schema = f"brain_two_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    try:
        migrated = subprocess.run(
            [str(BIN / "brain"), "db", "upgrade"],
            env={**os.environ, "BRAIN_DATABASE_URL": url_text, "BRAIN_QUEUE_URL": "immediate"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr[-2000:]
        yield url_text
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Forum:
    """What the test starts from: a board, a topic, its opening post, a Meeting Point request."""

    board_id: int
    topic_id: int
    opening_post_id: int
    cooperation_id: int


@pytest.fixture(scope="module")
def forum(database_url, tmp_path_factory) -> Forum:
    """Three boards, a member who writes, one who reads, an administrator, a topic and a
    Meeting Point request, written straight into the database."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "QUEUE_URL": "immediate",
            "SEARCH_INDEXER": "off",  # the servers index what is left in the outbox
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        },
        instance_path=str(tmp_path_factory.mktemp("setup")),
    )
    with app.test_request_context("/"):
        boards = {
            slug: Board(slug=slug, name=name, description=f"About {name}", position=n)
            for n, (slug, name) in enumerate(
                [
                    ("commons", "Commons"),
                    ("elsewhere", "Elsewhere"),
                    ("meeting-point", "Meeting Point"),
                ]
            )
        }
        db.session.add_all(boards.values())
        amina = register_member("amina", "amina@example.org", PASSWORD, "Amina")
        register_member("kofi", "kofi@example.org", PASSWORD, "Kofi")
        register_member("helene", "helene@example.org", PASSWORD, "Hélène", role=Role.ADMIN)
        db.session.flush()
        topic = start_topic(
            boards["commons"], amina, "Savings circles", "How did your savings circle start?", "en"
        )
        wanted = cooperation_ops.post_cooperation(
            boards["meeting-point"],
            amina,
            "Rotating funds training",
            "We look for training on rotating funds for cooperatives.",
            "en",
            cooperation_ops.Details(
                kind="request",
                modality="training",
                themes=["social-finance"],
                countries=["MX"],
                languages=["es"],
            ),
        )
        db.session.commit()
        made = Forum(boards["commons"].id, topic.id, topic.first_post_id, wanted.id)
    with app.app_context():
        db.engine.dispose()  # no connection left open when the schema is dropped
    return made


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(instance: Path, environment: dict) -> tuple[subprocess.Popen, str]:
    """gunicorn as deploy/systemd/brain.service starts it, with one worker (so what a
    reader warms is what the next read finds), on a free port; its log in the instance
    folder."""
    port = _free_port()
    with (instance / "gunicorn.log").open("w") as log:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "python:brain.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            env={**os.environ, **environment, "BRAIN_INSTANCE_PATH": str(instance)},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: the worker goes with it
        )
    return server, f"http://127.0.0.1:{port}"


def _wait_until_up(server: subprocess.Popen, base: str, instance: Path) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None:
            pytest.fail("gunicorn exited: " + (instance / "gunicorn.log").read_text()[-2000:])
        assert time.monotonic() < deadline, f"{base} did not answer within {DEADLINE} s"
        time.sleep(0.2)


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, 15)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)
        server.wait()
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def servers(database_url, forum, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Servers A and B: separate instance folders, one database, one Redis."""
    prefix = f"brain-two-servers-{uuid.uuid4().hex[:12]}"
    environment = {
        "BRAIN_DATABASE_URL": database_url,
        "BRAIN_SECRET_KEY": "two servers, one secret",
        "BRAIN_PAGE_CACHE_SECONDS": "30",
        # Whoosh's index is each server's own: search across servers needs PostgreSQL's.
        "BRAIN_SEARCH_BACKEND": "postgres",
        "BRAIN_RATELIMIT_STORAGE_URI": REDIS_URL,
        "BRAIN_RATELIMIT_KEY_PREFIX": prefix,
        "BRAIN_RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
        "BRAIN_QUEUE_URL": "immediate",
        "BRAIN_PROXIES": "1",  # each visitor is counted by their own X-Forwarded-For
    }
    instances = [tmp_path_factory.mktemp(name) for name in ("server-a", "server-b")]
    shared = tmp_path_factory.mktemp("shared-uploads")  # as a folder mounted on both
    for instance in instances:
        (instance / "uploads").symlink_to(shared, target_is_directory=True)
    started = [_start(instance, environment) for instance in instances]
    try:
        for (server, base), instance in zip(started, instances, strict=True):
            _wait_until_up(server, base, instance)
        yield started[0][1], started[1][1]
    finally:
        for server, _base in started:
            _stop(server)
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()


# --- the scenario ------------------------------------------------------------------------


def _post_id(location: str) -> int:
    return int(re.search(r"/p/([0-9]+)", location).group(1))


def _topic_id(location: str) -> int:
    return int(re.search(r"/t/([0-9]+)", location).group(1))


def test_what_is_written_on_one_server_shows_at_once_on_the_other(servers, forum):
    a, b = servers
    guest, kofi = Visitor("198.51.100.1"), Visitor("198.51.100.2")
    amina, helene = Visitor("198.51.100.3"), Visitor("198.51.100.4")
    french = Visitor("198.51.100.11")  # a guest reading in French (a cookie, not a session)
    assert french.get(b, "/?lang=fr").status == 200
    kofi.log_in(b, "kofi")
    amina.log_in(a, "amina")
    helene.log_in(a, "helene")
    topic = guest.get(b, f"/t/{forum.topic_id}").location.removeprefix(b)  # with its slug
    meeting = guest.get(b, f"/t/{forum.cooperation_id}").location.removeprefix(b)
    pages = [
        "/",
        "/b/commons",
        "/b/elsewhere",
        topic,
        meeting,
        "/meeting-point/",
        "/meeting-point/?status=closed",
    ]

    def read_on_b(path: str) -> tuple[str, str]:
        """*path* on B as the guest and as Kofi."""
        seen = guest.get(b, path), kofi.get(b, path)
        assert [reply.status for reply in seen] == [200, 200], path
        return seen[0].text, seen[1].text

    # B's caches are warm: every page read twice by a guest and by a member.
    for path in pages:
        read_on_b(path)
        read_on_b(path)
        french.get(b, path)
    assert guest.get(b, "/b/commons").headers.get("X-Page-Cache") == "hit"
    assert french.get(b, "/b/commons").headers.get("X-Page-Cache") == "hit"

    # A new topic.
    started = amina.send(
        a,
        "/b/commons/new",
        {"title": "Solidarity kitchens in Dakar", "body": "Who runs one?", "language": "en"},
    )
    assert started.status == 302, started.text[:500]
    kitchens = _topic_id(started.location)
    for path in ("/", "/b/commons"):
        assert all("Solidarity kitchens in Dakar" in page for page in read_on_b(path)), path

    # A reply, then its edit.
    replied = amina.send(
        a,
        f"/p/{forum.opening_post_id}/reply",
        {"body": "Our circle started with twelve members.", "language": "en"},
    )
    assert replied.status == 302, replied.text[:500]
    reply_id = _post_id(replied.location)
    assert all("twelve members" in page for page in read_on_b(topic))
    edited = amina.send(
        a,
        f"/p/{reply_id}/edit",
        {"body": "Our circle started with fifteen members.", "language": "en"},
    )
    assert edited.status == 302, edited.text[:500]
    for page in read_on_b(topic):
        assert "fifteen members" in page and "twelve members" not in page

    # A moderator hides the reply.
    hidden = helene.send(a, f"/p/{reply_id}/hide", {"reason": "Off topic"})
    assert hidden.status == 302, hidden.text[:500]
    assert not any("fifteen members" in page for page in read_on_b(topic))

    # ... and moves the new topic to another board.
    moved = helene.send(
        a, f"/t/{kitchens}/move", {"board": "elsewhere", "reason": "It belongs there"}
    )
    assert moved.status == 302, moved.text[:500]
    assert not any("Solidarity kitchens" in page for page in read_on_b("/b/commons"))
    assert all("Solidarity kitchens" in page for page in read_on_b("/b/elsewhere"))

    # The Meeting Point request's author closes it.
    status = amina.send(
        a,
        f"/meeting-point/{forum.cooperation_id}/status",
        {"status": "closed", "note": ""},
        form_at="/",
    )
    assert status.status == 302, status.text[:500]
    for path in (meeting, "/meeting-point/?status=closed"):
        assert all("status-closed" in page for page in read_on_b(path)), path
    assert all("status-open" not in page for page in read_on_b("/meeting-point/"))

    # The administrator names the site, and the board in French.
    names = {
        f"{language.code}-{field}": ""
        for language in INTERFACE_LANGUAGES
        for field in ("name", "description")
    }
    saved = helene.send(
        a,
        "/admin/settings",
        {
            **names,
            "registration_mode": "open",
            "report_threshold": "3",
            "deleted_account_posts": "keep",
            "en-name": "Commons of Practice",
            "fr-name": "Cerveau collectif",
        },
    )
    assert saved.status == 302, saved.text[:500]
    translated = helene.send(
        a,
        f"/admin/boards/{forum.board_id}/translations",
        {**names, "fr-name": "Les communs", "fr-description": "Ce qui est à tous"},
        form_at=f"/admin/boards/{forum.board_id}",
    )
    assert translated.status == 302, translated.text[:500]
    for path in ("/", "/b/commons"):
        assert all("Commons of Practice" in page for page in read_on_b(path)), path
        in_french = french.get(b, path).text
        assert "Cerveau collectif" in in_french and "Les communs" in in_french, path


def _found_by_search(visitor: Visitor, server: str, words: str, title: str, found: bool) -> bool:
    """Whether searching *words* lists *title* becomes *found* within SEARCH_LAG seconds
    (asked at most 20 times: the search limit is 30 a minute)."""
    deadline = time.monotonic() + SEARCH_LAG
    while True:
        page = visitor.get(server, "/search?q=" + urllib.parse.quote(words))
        assert page.status == 200, page.status
        if (title in page.text) == found:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(SEARCH_LAG / 20)


def test_search_on_one_server_follows_what_is_written_on_the_other(servers):
    a, b = servers
    amina, helene = Visitor("198.51.100.5"), Visitor("198.51.100.6")
    kofi = Visitor("198.51.100.8")
    amina.log_in(a, "amina")
    helene.log_in(a, "helene")
    started = amina.send(
        a,
        "/b/commons/new",
        {"title": "Fair trade tea gardens", "body": "Pickers own the estate.", "language": "en"},
    )
    assert started.status == 302, started.text[:500]
    assert _found_by_search(kofi, b, "pickers", "Fair trade tea gardens", found=True)
    opening = helene.get(a, started.location.removeprefix(a))
    post_id = int(re.search(r'href="/p/([0-9]+)/hide"', opening.text).group(1))
    hidden = helene.send(a, f"/p/{post_id}/hide", {"reason": "Spam"})
    assert hidden.status == 302, hidden.text[:500]
    assert _found_by_search(kofi, b, "pickers", "Fair trade tea gardens", found=False)


def test_a_file_attached_on_one_server_is_served_by_the_other(servers):
    a, b = servers
    amina, guest = Visitor("198.51.100.9"), Visitor("198.51.100.10")
    amina.log_in(a, "amina")
    started = amina.send(
        a,
        "/b/commons/new",
        {"title": "Our kitchen garden", "body": "A photo of it.", "language": "en"},
        files={"files": ("garden.png", _photo())},
    )
    assert started.status == 302, started.text[:500]
    page = amina.get(a, started.location.removeprefix(a)).text
    addresses = set(re.findall(r'(/uploads/[^"?]+)"', page))
    assert addresses, "the topic shows no attached file"
    for address in addresses:
        on_a, on_b = guest.get(a, address), guest.get(b, address)
        assert (on_b.status, on_b.content) == (200, on_a.content), address


def test_logging_out_on_one_server_ends_the_session_on_the_other(servers):
    a, b = servers
    amina = Visitor("198.51.100.7")
    amina.log_in(a, "amina")
    assert amina.get(b, "/settings").status == 200  # the cookie A gave works on B
    copy = next(cookie for cookie in amina.cookies if cookie.name == "session")
    assert amina.send(a, "/logout", {}).status == 302
    amina.cookies.set_cookie(copy)  # as a copy of the cookie made before logging out
    refused = amina.get(b, "/settings")
    assert refused.status == 302 and "/login" in refused.location


def test_a_rate_limit_counts_the_attempts_on_both_servers_together(servers):
    a, b = servers
    visitor = Visitor("203.0.113.9")
    wrong = {"login": "amina", "password": "not the password"}
    for n in range(LOGIN_LIMIT):
        server = (a, b)[n % 2]
        assert visitor.send(server, "/login", wrong).status == 200, n
    # The limit is reached: on both servers, whichever one is asked.
    assert visitor.send(a if LOGIN_LIMIT % 2 else b, "/login", wrong).status == 429
    assert visitor.send(b if LOGIN_LIMIT % 2 else a, "/login", wrong).status == 429


# --- a change committed by another server while a page is being read --------------------


@pytest.mark.commits
def test_a_page_read_while_another_server_commits_is_not_kept_stale(app, client):
    """Another server commits a change (and bumps the content counter) just after this
    request read the topic: the page it renders shows the topic as it was, so it must not
    be kept under the counter's new value, or it would be served stale after the change."""
    app.config["PAGE_CACHE_SECONDS"] = 30
    board = make_board()
    topic = make_topic(board=board, author=make_user(), title="Tontines")
    log_in(client, make_user(username="kofi"))  # a member: the page is kept whole
    address = f"/t/{topic.id}-{topic.slug}"
    with app.app_context():
        engine = db.engine
    armed = [True]

    def another_server_commits(_conn, _cursor, statement, *_args) -> None:
        if armed[0] and re.match(r"\s*SELECT .*\sFROM topics\b", statement, re.DOTALL):
            armed[0] = False
            with engine.begin() as other:  # another connection: another server
                other.execute(
                    text("UPDATE topics SET title = 'Rotating savings' WHERE id = :id"),
                    {"id": topic.id},
                )
            with engine.begin() as other:  # and, after its commit, its bump
                other.execute(text("UPDATE content_version SET value = value + 1 WHERE id = 1"))

    event.listen(engine, "after_cursor_execute", another_server_commits)
    try:
        assert client.get(address).status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", another_server_commits)
    assert not armed[0], "the page read no topic"
    assert "Rotating savings" in client.get(address).get_data(as_text=True)
